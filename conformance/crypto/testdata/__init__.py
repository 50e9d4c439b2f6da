"""A fixed test PKI shipped with the package: a CA and one participant, valid 2020–2045.

For sample signing and the bus test double. Generated once by `conformance.crypto.testpki` with a fixed seed;
never use these keys for anything but tests.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.crypto.certificates import Certificate
    from conformance.crypto.keys import PrivateKey


def _read(name: str) -> bytes:
    return resources.files(__package__).joinpath(name).read_bytes()


@cache
def test_credentials() -> tuple[PrivateKey, Certificate, Certificate]:
    """(participant private key, participant certificate, CA certificate) of the shipped test PKI."""
    from conformance.crypto.certificates import load_certificate
    from conformance.crypto.keyformats import load_private_key

    return (load_private_key(_read("participant.key.pem")), load_certificate(_read("participant.cert.pem")),
            load_certificate(_read("ca.cert.pem")))


test_credentials.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite the name
