"""The message-type ("вид сведений") registry: which business elements exist, who provides them, who may consume.

- `load_registry(path=None) -> Registry` (default: the shipped `types.yaml`); `RegistryError` names file:line: field.
- `Registry.by_name(name)`, `.find(name)`, `.by_root(namespace, local)`, `.by_element(el)` -> `PayloadMatch`.
- `make_payload(spec, side, seed=..., at=..., request=None)`: a fake, schema-valid business element.
- `inn_is_valid`, `snils_is_valid`, `fake_inn`, `fake_snils`: identifiers with check digits.
"""

from conformance.registry.identifiers import fake_inn, fake_snils, inn_is_valid, snils_is_valid
from conformance.registry.loader import DEFAULT_REGISTRY, RegistryError, load_registry
from conformance.registry.model import MessageTypeSpec, PayloadMatch, PayloadSpec, Registry, Side
from conformance.registry.payloads import NoSampleError, make_payload

__all__ = [
    "DEFAULT_REGISTRY",
    "MessageTypeSpec",
    "NoSampleError",
    "PayloadMatch",
    "PayloadSpec",
    "Registry",
    "RegistryError",
    "Side",
    "fake_inn",
    "fake_snils",
    "inn_is_valid",
    "load_registry",
    "make_payload",
    "snils_is_valid",
]
