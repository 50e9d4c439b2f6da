"""What a bus double must know to serve the reference participant: its types and its certificates.

The shipped registry names FNS, SFR and MVD as providers of the three sample types; the reference provider
(`REF_PROVIDER`) provides all three and the reference consumer (`REF_CONSUMER`) may request all three, so a bus
double for the reference uses `reference_types()` and `reference_credentials()`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.registry_view import RegistryTypeTable, table_from_registry
from conformance.reference.identity import CONSUMER, PROVIDER, identity
from conformance.reference.variants import REFERENCE, SignatureFlaw, Variant


def reference_types(registry: str | Path | None = None, *, provider: str = PROVIDER,
                    consumer: str = CONSUMER) -> RegistryTypeTable:
    """The registry's types with `provider` as the provider of each and `consumer` admitted as a consumer."""
    table = table_from_registry(registry)
    types = [replace(t, providers=(provider,), consumers=(*t.consumers, consumer)) for t in table.types]
    return RegistryTypeTable(table.registry, types)


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
