"""The project's XSDs (SOAP 1.1 envelope, SMEV 1.1/1.2/1.3 types, basic and faults; payloads of the shipped
message types) and schema validation.

- `validate_envelope(tree, version=None, schema_dir=None) -> list[SchemaError]`
- `validate_payload(element, xsd_path) -> list[SchemaError]`
"""

from conformance.schemas.validation import (
    SchemaError,
    envelope_schema,
    payload_schema,
    validate_envelope,
    validate_payload,
)
from conformance.xsdfiles import ENVELOPE_SCHEMA_DIR, PAYLOAD_SCHEMA_DIR, SchemaSetError, namespace_index

__all__ = [
    "ENVELOPE_SCHEMA_DIR",
    "PAYLOAD_SCHEMA_DIR",
    "SchemaError",
    "SchemaSetError",
    "envelope_schema",
    "namespace_index",
    "payload_schema",
    "validate_envelope",
    "validate_payload",
]
