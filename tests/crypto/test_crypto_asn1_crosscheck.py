"""Every certificate, CRL, CMS and key in the test data and the real traffic, read by the project and independently.

The independent readers: asn1crypto's high-level accessors and generic (spec-less) parse, which the project's
readers do not use (they take the GOST key apart themselves, render names with the Russian attribute names and read
each extension by hand), and the `openssl` command for serials and dates where it is installed. The fields that the
harness relies on must agree: subject, issuer, serial, validity, key, the extensions used, and for CMS the signer,
its algorithms and signed attributes.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms, core, crl, x509
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.crypto import load_certificate, load_crl, oids, test_credentials, verify_certificate
from conformance.crypto.certificates import Certificate, CertificateError
from conformance.crypto.cms import sign_detached, verify_detached
from conformance.crypto.issue import issue_certificate
from conformance.crypto.keyformats import load_private_key
from conformance.crypto.testdata import read_testdata
from conformance.crypto.testpki import build_pki

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "conformance" / "crypto" / "testdata", ROOT / "conformance" / "reference" / "keys", ROOT / "tests"]
_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.S)
_XML = re.compile(rb"<(?:[\w.-]+:)?(X509Certificate|SignaturePKCS7)\b[^>]*>([^<]*)</", re.S)
_KIND = {"CERTIFICATE": "certificate", "X509Certificate": "certificate", "X509 CRL": "crl",
         "SignaturePKCS7": "cms", "CMS": "cms", "PKCS7": "cms", "PRIVATE KEY": "key"}


def _collect() -> dict[str, list[tuple[str, bytes]]]:
    """{kind: [(where, DER)]}: PEM blocks anywhere under the sources, and the XML elements carrying DER in base64."""
    found: dict[str, dict[bytes, str]] = {kind: {} for kind in set(_KIND.values())}
    for root in SOURCES:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix == ".pyc" or "__pycache__" in path.parts:
                continue
            data = path.read_bytes()
            matches = [(m.group(1).decode(), m.group(2)) for m in _PEM.finditer(data)]
            matches += [(m.group(1).decode(), m.group(2)) for m in _XML.finditer(data)]
            for label, body in matches:
                body = re.sub(rb"\s|&#13;|&#xD;|&#xd;", b"", body)
                if label not in _KIND or not body:
                    continue
                try:
                    der = base64.b64decode(body, validate=True)
                except ValueError:
                    der = b""
                if der[:1] != b"\x30" and path.suffix == ".py":
                    continue  # a deliberately broken fixture of a test module (hostile inputs)
                found[_KIND[label]].setdefault(der, str(path.relative_to(ROOT)))
    return {kind: [(where, der) for der, where in items.items()] for kind, items in found.items()}


FOUND = _collect()


def _ids(items: list[tuple[str, bytes]]) -> list[str]:
    return [f"{where}#{index}" for index, (where, _) in enumerate(items)]


def test_the_sources_hold_what_this_test_claims_to_check():
    """A guard: an empty collection would make every check below pass vacuously."""
    assert len(FOUND["certificate"]) >= 12, FOUND["certificate"]
    assert any("real-traffic" in where for where, _ in FOUND["certificate"])
    assert FOUND["crl"] and FOUND["cms"] and len(FOUND["key"]) >= 7


def _name(name: x509.Name) -> str:
    """The project's rendering rule applied to asn1crypto's decoded values."""
    parts = []
    for rdn in name.chosen:
        for attribute in rdn:
            oid = attribute["type"].dotted
            value = attribute["value"].native
            parts.append(f"{oids.NAME_ATTRIBUTES.get(oid, oid)}={value}")
    return ", ".join(parts)


def _raw(value: core.Asn1Value) -> bytes:
    """The bytes asn1crypto read: its `dump()` re-encodes a value whose length ends in the octet 0x80."""
    if isinstance(value, core.Choice):
        value = value.chosen
    return value._header + value.contents


_KEY_USAGE_BIT = {"digital_signature": 0, "non_repudiation": 1, "key_encipherment": 2, "data_encipherment": 3,
                  "key_agreement": 4, "key_cert_sign": 5, "crl_sign": 6, "encipher_only": 7, "decipher_only": 8}
"""RFC 5280 §4.2.1.3, written out here rather than read from the library the project itself reads it with."""


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _gost_key(spki: bytes) -> tuple[str, str, bytes]:
    """(algorithm, parameter set, X‖Y as stored) from a generic, spec-less parse of a SubjectPublicKeyInfo."""
    generic = core.load(spki)
    algorithm, bit_string = generic[0], generic[1]
    point = core.load(bit_string.contents[1:]).native
    return algorithm[0].dotted, algorithm[1][0].dotted, point


def _assert_certificate_agrees(ours: Certificate, der: bytes) -> None:
    theirs = x509.Certificate.load(der)
    assert ours.der == _raw(theirs)
    assert ours.subject == _name(theirs.subject) and ours.issuer == _name(theirs.issuer)
    assert ours.subject_der == _raw(theirs.subject) and ours.issuer_der == _raw(theirs.issuer)
    assert ours.serial == theirs.serial_number
    assert ours.not_before == _utc(theirs.not_valid_before) and ours.not_after == _utc(theirs.not_valid_after)
    assert ours.signature_algorithm == theirs["signature_algorithm"]["algorithm"].dotted
    assert ours.signature == theirs.signature and ours.tbs_der == _raw(theirs["tbs_certificate"])
    assert ours.is_ca == bool(theirs.ca)
    usage = theirs.key_usage_value
    assert ours.key_usage == (None if usage is None else frozenset(_KEY_USAGE_BIT[name] for name in usage.native))
    assert ours.subject_key_id == theirs.key_identifier
    assert ours.authority_key_id == theirs.authority_key_identifier
    algorithm, parameter_set, point = _gost_key(_raw(theirs["tbs_certificate"]["subject_public_key_info"]))
    assert ours.key_algorithm == algorithm
    if ours.public_key is not None:
        assert ours.public_key.parameter_set == parameter_set
        assert ours.public_key.to_bytes("little") == point
        assert ours.public_key.legacy == (algorithm == oids.KEY_GOST2001)
    else:
        assert ours.key_error


@pytest.mark.parametrize(("where", "der"), FOUND["certificate"], ids=_ids(FOUND["certificate"]))
def test_certificates_agree_with_asn1crypto(where, der):
    _assert_certificate_agrees(load_certificate(der), der)


@pytest.mark.parametrize(("where", "der"), FOUND["crl"], ids=_ids(FOUND["crl"]))
def test_crls_agree_with_asn1crypto(where, der):
    ours, theirs = load_crl(der), crl.CertificateList.load(der)
    assert ours.issuer == _name(theirs.issuer) and ours.issuer_der == _raw(theirs.issuer)
    tbs = theirs["tbs_cert_list"]
    assert ours.this_update == _utc(tbs["this_update"].native)
    assert ours.next_update == (None if tbs["next_update"].native is None else _utc(tbs["next_update"].native))
    assert [(r.serial, r.revoked_at) for r in ours.revoked] == [
        (entry["user_certificate"].native, _utc(entry["revocation_date"].native))
        for entry in tbs["revoked_certificates"]]
    assert ours.number == (theirs.crl_number_value.native if theirs.crl_number_value is not None else None)
    assert ours.signature == theirs.signature and ours.tbs_der == _raw(tbs)


def _cms_cases() -> list[tuple[str, bytes]]:
    key, cert, _ = test_credentials()
    made = sign_detached(b"content", key, cert, signing_time=dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC))
    return [*FOUND["cms"], ("made by sign_detached", made)]


@pytest.mark.parametrize(("where", "der"), _cms_cases(), ids=_ids(_cms_cases()))
def test_cms_agrees_with_asn1crypto(where, der):
    ours = verify_detached(der, b"any content: the fields are compared, not the verdict")
    signed_data = cms.ContentInfo.load(der)["content"]
    signer = signed_data["signer_infos"][0]
    attributes = {attribute["type"].native: attribute["values"][0].native for attribute in signer["signed_attrs"]}
    assert [c.der for c in ours.certificates] == [_raw(c.chosen) for c in signed_data["certificates"]]
    for certificate in ours.certificates:
        _assert_certificate_agrees(certificate, certificate.der)
    sid = signer["sid"].chosen
    if ours.signer is not None:
        assert ours.signer.issuer_der == _raw(sid["issuer"]) and ours.signer.serial == sid["serial_number"].native
    assert ours.expected_digest == attributes["message_digest"]
    assert ours.signing_time == (_utc(attributes["signing_time"]) if "signing_time" in attributes else None)
    assert "malformed" not in ours.codes() and "unsupported-algorithm" not in ours.codes()


@pytest.mark.parametrize(("where", "der"), FOUND["key"], ids=_ids(FOUND["key"]))
def test_private_keys_agree_with_a_generic_parse(where, der):
    ours = load_private_key(der)
    generic = core.load(der)
    assert generic[0].native == 0
    assert ours.parameter_set == generic[1][1][0].dotted
    assert ours.d == int.from_bytes(generic[2].native, "little")  # the OpenSSL GOST engine's layout
    assert _gost_key(ours.public_key.spki_der())[1:] == (ours.parameter_set, ours.public_key.to_bytes("little"))
    issued = _self_signed(ours)
    _assert_certificate_agrees(load_certificate(issued), issued)


def _self_signed(key) -> bytes:
    """A certificate of `key` issued by the project's writer, for the writer's side of the cross-check."""
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return issue_certificate(subject=[("CN", "cross-check"), ("C", "RU")], public_key=key.public_key, issuer_key=key,
                             issuer=None, serial=7, not_before=moment, not_after=moment + dt.timedelta(days=1),
                             deterministic=True).der


def test_what_the_test_pki_writes_reads_back_identically_in_asn1crypto():
    pki = build_pki(participants=1, seed="cross-check", start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    for credential in (pki.ca, *pki.participants):
        _assert_certificate_agrees(credential.certificate, credential.certificate.der)
        tbs = x509.Certificate.load(credential.certificate.der)["tbs_certificate"]
        for part in ("version", "serial_number", "signature", "issuer", "validity", "subject", "extensions"):
            assert tbs[part].dump(force=True) == _raw(tbs[part]), part  # canonical DER as asn1crypto writes it
    assert crl.CertificateList.load(pki.crl.der).dump(force=True) == pki.crl.der  # canonical DER as written
    assert pki.crl.revoked[0].serial == pki.participants[-1].certificate.serial


_OPENSSL = shutil.which("openssl")


@pytest.mark.skipif(_OPENSSL is None, reason="the openssl command is not installed (Debian package openssl)")
@pytest.mark.parametrize(("where", "der"), FOUND["certificate"], ids=_ids(FOUND["certificate"]))
def test_certificates_agree_with_openssl(where, der, tmp_path):
    path = tmp_path / "cert.der"
    path.write_bytes(der)
    result = subprocess.run([_OPENSSL, "x509", "-inform", "DER", "-in", str(path), "-noout", "-serial", "-startdate",
                             "-enddate"], capture_output=True, text=True, check=True)
    fields = dict(line.split("=", 1) for line in result.stdout.splitlines())
    ours = load_certificate(der)
    assert int(fields["serial"], 16) == ours.serial

    def when(text: str) -> dt.datetime:
        return dt.datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S %Y %Z").replace(tzinfo=dt.UTC)

    assert when(fields["notBefore"]) == ours.not_before and when(fields["notAfter"]) == ours.not_after


_KEY = load_private_key(read_testdata("ca.key.pem"))


@settings(max_examples=40, deadline=None)
@given(common_name=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80),
       serial=st.integers(min_value=1, max_value=2**159 - 1),
       start=st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2200, 1, 1)),
       days=st.integers(min_value=1, max_value=40000), is_ca=st.booleans())
def test_any_certificate_the_writer_issues_reads_the_same_both_ways(common_name, serial, start, days, is_ca):
    """The writer (UTCTime before 2050, GeneralizedTime after, any Unicode name, serials up to 20 bytes) and both
    readers agree, field by field."""
    not_before = start.replace(tzinfo=dt.UTC, microsecond=0)
    certificate = issue_certificate(subject=[("CN", common_name), ("OGRN", "1027700132195"), ("C", "RU")],
                                    public_key=_KEY.public_key, issuer_key=_KEY, issuer=None, serial=serial,
                                    not_before=not_before, not_after=not_before + dt.timedelta(days=days),
                                    is_ca=is_ca, deterministic=True)
    _assert_certificate_agrees(certificate, certificate.der)
    assert certificate.subject.startswith(f"CN={common_name}, ") and certificate.is_ca == is_ca
    assert certificate.not_before == not_before and certificate.serial == serial


def test_ber_that_asn1crypto_would_accept_is_refused_as_not_der():
    """asn1crypto reads indefinite lengths (BER); a certificate, CRL or CMS in BER is refused with a clear error."""
    der = read_testdata("participant.cert.pem")
    body = load_certificate(der).der
    parts = body[4:]  # SEQUENCE header of 4 bytes (0x30 0x82 len len) for this certificate
    assert body[:2] == b"\x30\x82"
    ber = b"\x30\x80" + parts + b"\x00\x00"
    assert x509.Certificate.load(ber).serial_number == load_certificate(der).serial  # the library takes it
    with pytest.raises(CertificateError, match="indefinite length is not DER"):
        load_certificate(ber)


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_lengths_ending_in_0x80_are_kept_verbatim():
    """asn1crypto's `dump()` re-encodes a value whose length ends in 0x80 (taking it for BER's indefinite length):
    certificates, their tbs and names of such lengths are read, verified and embedded in CMS byte for byte."""
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    seen = set()
    for size in range(1, 600):
        certificate = issue_certificate(subject=[("CN", "Я" + "a" * size), ("C", "RU")], public_key=_KEY.public_key,
                                        issuer_key=_KEY, issuer=None, serial=size, not_before=moment,
                                        not_after=moment + dt.timedelta(days=1), deterministic=True)
        lengths = {"certificate": certificate.der, "tbs": certificate.tbs_der, "subject": certificate.subject_der}
        hit = {what for what, data in lengths.items() if data[1] > 0x80 and data[1 + (data[1] & 0x7F)] == 0x80}
        if not hit - seen:
            continue
        seen |= hit
        assert verify_certificate(certificate, certificate)
        _assert_certificate_agrees(certificate, certificate.der)
        signed = sign_detached(b"content", _KEY, certificate, signing_time=moment)
        result = verify_detached(signed, b"content")
        assert result.ok and result.signer.der == certificate.der
        if seen == {"certificate", "tbs", "subject"}:
            break
    assert seen == {"certificate", "tbs", "subject"}


@pytest.mark.parametrize(("data", "message"), [
    (b"\x30\x03\x30\x80\x00", "indefinite length is not DER"),
    (b"\x30\x03\x1f\x81\x00", "high tag numbers"),
    (b"\x30\x02\x05\x00\x05\x00", "trailing bytes"),
    (b"\x30\x04\x30\x05\x05\x00", "runs past the end"),
])
def test_the_der_gate_names_the_rule_broken_at_any_depth(data, message):
    with pytest.raises(CertificateError, match=message):
        load_certificate(data)


def test_the_der_gate_bounds_nesting_without_recursion():
    data = b"\x05\x00"
    for _ in range(5000):
        data = b"\x30" + (b"\x82" + len(data).to_bytes(2, "big") if len(data) > 127 else bytes([len(data)])) + data
    with pytest.raises(CertificateError, match="nested deeper than 64 levels"):
        load_certificate(data)
    assert "nested deeper" in verify_detached(data, b"x").problems[0].message


@given(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59),
                    timezones=st.just(dt.UTC)))
def test_every_time_written_reads_back_as_itself(moment):
    """der.time writes every instant a datetime holds so that a reader takes it back (years before 1000 included:
    asn1crypto's own formatting writes the year 1 as "1")."""
    from conformance.crypto import der

    encoded = der.time(moment)
    reader = core.UTCTime if der.utc_time_fits(moment) else core.GeneralizedTime
    assert reader.load(encoded).native == moment.replace(microsecond=0)
