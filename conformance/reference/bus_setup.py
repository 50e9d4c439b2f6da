"""What a bus double must know to serve the reference participant: its types and its certificates.

The shipped registry names FNS, SFR and MVD as providers of the three sample types; the reference provider
(`REF_PROVIDER`) provides all three and the reference consumer (`REF_CONSUMER`) may request all three, as the
reference registry `participants/registry.yaml` says. A bus double for the reference uses `reference_types()` and
`reference_credentials()`; `smev-conformance run --registry conformance/reference/participants/registry.yaml`
does the same from the command line.
"""

from __future__ import annotations

from pathlib import Path

from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.registry_view import RegistryTypeTable, table_from_registry
from conformance.reference.identity import CONSUMER, PROVIDER, identity
from conformance.reference.participant_files import REGISTRY_FILE
from conformance.reference.variants import REFERENCE, SignatureFlaw, Variant


def reference_types() -> RegistryTypeTable:
    """The types of the reference registry (`participants/registry.yaml`): the shipped ones, provided by
    `REF_PROVIDER` and open to `REF_CONSUMER`."""
    return table_from_registry(REGISTRY_FILE)


def reference_credentials(provider: Variant = REFERENCE, consumer: Variant = REFERENCE,
                          keys_dir: str | Path | None = None) -> BusCredentials:
    """The bus's credentials knowing the reference provider and consumer by the certificates they sign with
    (the expired-certificate twin signs with the expired one)."""

    def cert_of(variant: Variant, name: str) -> object:
        if variant.behaviour.signature is SignatureFlaw.EXPIRED_CERTIFICATE:
            name = "expired"
        return identity(name).certificate

    return load_credentials(keys_dir).with_participant(PROVIDER, cert_of(provider, "provider")) \
        .with_participant(CONSUMER, cert_of(consumer, "consumer"))
