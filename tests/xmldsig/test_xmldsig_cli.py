"""The transform, sign and verify commands: output, exit codes, and clear errors instead of tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xmldsig_messages import message

from conformance.cli import main
from conformance.crypto.testdata import read_testdata
from conformance.protocol.builder import build
from conformance.protocol.operations import Operation

REAL = str(Path(__file__).parent / "vectors" / "real" / "SendRequestRequest-1.2.xml")
OFFICIAL = Path(__file__).parent / "vectors" / "official"


@pytest.fixture()
def pki(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name in ("participant.key.pem", "participant.cert.pem", "ca.cert.pem", "ca.crl.pem", "smev.cert.pem"):
        files[name] = tmp_path / name
        files[name].write_bytes(read_testdata(name))
    return files


def test_transform_prints_the_exact_bytes(capsysbinary) -> None:
    assert main(["transform", str(OFFICIAL / "03-rules-3-7-8.in.xml")]) == 0
    assert capsysbinary.readouterr().out == (OFFICIAL / "03-rules-3-7-8.expected.xml").read_bytes()


def test_transform_by_id_and_escaping(tmp_path: Path, capsysbinary) -> None:
    source = tmp_path / "m.xml"
    source.write_text('<r><a xmlns="urn:a" Id="x">1 > 0</a></r>')
    assert main(["transform", str(source), "--id", "x"]) == 0
    assert capsysbinary.readouterr().out == b'<ns1:a xmlns:ns1="urn:a" Id="x">1 > 0</ns1:a>'
    assert main(["transform", str(source), "--id", "x", "--escaping", "plain"]) == 0
    assert capsysbinary.readouterr().out == b'<ns1:a xmlns:ns1="urn:a" Id="x">1 &gt; 0</ns1:a>'


@pytest.mark.parametrize(("content", "expected"), [
    ('<r><a Id="x"/><b Id="x"/></r>', "carried by 2 elements"),
    ("<r/>", "no element has Id='x'"),
    ("<r>", "not well-formed"),
])
def test_transform_bad_input_is_exit_2_with_a_clear_message(tmp_path: Path, capsys, content: str,
                                                          expected: str) -> None:
    source = tmp_path / "bad.xml"
    source.write_text(content)
    assert main(["transform", str(source), "--id", "x"]) == 2
    err = capsys.readouterr().err
    assert expected in err and str(source) in err and "Traceback" not in err


def test_sign_then_verify_from_the_command_line(tmp_path: Path, pki, capsys) -> None:
    unsigned = tmp_path / "request.xml"
    unsigned.write_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    signed = tmp_path / "signed.xml"
    assert main(["sign", str(unsigned), "--key", str(pki["participant.key.pem"]), "--cert",
                 str(pki["participant.cert.pem"]), "--output", str(signed)]) == 0
    assert main(["verify", str(signed), "--trust", str(pki["ca.cert.pem"]), "--crl", str(pki["ca.crl.pem"]),
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    statuses = {f["rule"]: f["status"] for r in report["files"] for f in r["findings"]}
    assert statuses["SIG-VALUE"] == statuses["SIG-DIGEST"] == statuses["CERT-CHAIN"] == "pass"
    assert statuses["CERT-REVOCATION"] == "pass"


def test_verify_a_tampered_message_exits_1_and_prints_the_diagnosis(tmp_path: Path, pki, capsys) -> None:
    unsigned = tmp_path / "request.xml"
    unsigned.write_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    signed = tmp_path / "signed.xml"
    assert main(["sign", str(unsigned), "--key", str(pki["participant.key.pem"]), "--cert",
                 str(pki["participant.cert.pem"]), "-o", str(signed)]) == 0
    signed.write_bytes(signed.read_bytes().replace(b"235857", b"235858"))
    capsys.readouterr()
    assert main(["verify", str(signed)]) == 1
    out = capsys.readouterr().out
    assert "SIG-DIGEST" in out and "transformed: <ns1:SenderProvidedRequestData" in out


def test_verify_the_real_envelope(capsys) -> None:
    assert main(["verify", REAL, "-v", "--at", "message"]) == 0
    out = capsys.readouterr().out
    assert "CERT-CHAIN" in out and "skip" in out
    assert "SenderProvidedRequestData/MessageID" in " ".join(out.split())  # the field the time was read from


def test_verify_judges_now_by_default_and_names_both_times(capsys) -> None:
    """The real envelope's certificate expired in 2020: without --at it fails, and the finding says why it passes
    at the message's own time (which the sender chose)."""
    assert main(["verify", REAL, "--format", "json"]) == 1
    import json

    findings = [f for r in json.loads(capsys.readouterr().out)["files"] for f in r["findings"]]
    validity = next(f for f in findings if f["rule"] == "CERT-VALIDITY")
    assert validity["status"] == "fail"
    assert "(now)" in validity["message"] and "2020-05-20T04:41:52" in validity["message"]
    assert "--at message" in validity["message"]


def test_sign_refuses_a_certificate_of_another_key(tmp_path: Path, pki, capsys) -> None:
    unsigned = tmp_path / "request.xml"
    unsigned.write_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    assert main(["sign", str(unsigned), "--key", str(pki["participant.key.pem"]), "--cert",
                 str(pki["smev.cert.pem"])]) == 2
    assert "does not hold the public key" in capsys.readouterr().err


def test_sign_and_verify_unusable_inputs_are_exit_2(tmp_path: Path, pki, capsys) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    unsigned = tmp_path / "request.xml"
    unsigned.write_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    assert main(["sign", str(unsigned), "--key", str(junk), "--cert", str(pki["participant.cert.pem"])]) == 2
    assert main(["sign", str(tmp_path / "missing.xml"), "--key", str(pki["participant.key.pem"]), "--cert",
                 str(pki["participant.cert.pem"])]) == 2
    assert main(["verify", str(unsigned), "--trust", str(junk)]) == 2
    assert main(["verify", str(unsigned), "--at", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(junk) in err


def test_verify_an_unsigned_message_fails_no_signature_found(tmp_path: Path, capsys) -> None:
    unsigned = tmp_path / "request.xml"
    unsigned.write_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    assert main(["verify", str(unsigned), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    present = [f for r in report["files"] for f in r["findings"] if f["rule"] == "SIG-PRESENT"]
    assert present[0]["status"] == "fail" and "NoSignatureFound" in present[0]["message"]


def test_check_runs_the_signature_rules(capsys) -> None:
    assert main(["check", REAL, "--select", "SIG,CERT", "--at", "2020-06-01T00:00:00Z", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rules = {f["rule"] for r in report["files"] for f in r["findings"]}
    assert {"SIG-DIGEST", "SIG-VALUE", "CERT-VALIDITY", "SIG-REF-TARGET"} <= rules
