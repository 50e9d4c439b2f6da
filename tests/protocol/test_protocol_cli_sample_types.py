"""The `sample` and `types` commands: output, determinism, --all, and exit code 2 on bad options."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.protocol import parse
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import Operation
from conformance.schemas import validate_envelope
from conformance.xmlsafe import parse_bytes, parse_file

AT = "2026-11-22T12:00:00Z"


def _sample(capsysbinary, *argv: str) -> bytes:
    assert main(["sample", "--at", AT, *argv]) == 0
    return capsysbinary.readouterr().out


def test_default_sample_is_a_valid_1_3_send_request_of_the_first_type(capsysbinary):
    data = _sample(capsysbinary)
    parsed = parse(data)
    assert (parsed.operation, parsed.version) == (Operation.SEND_REQUEST, Version.V1_3)
    assert parsed.message.data.content.local_name == "INNByPassportRequest"
    assert validate_envelope(parse_bytes(data)) == []


def test_same_seed_and_time_give_the_same_bytes(capsysbinary):
    first = _sample(capsysbinary, "--seed", "9")
    assert _sample(capsysbinary, "--seed", "9") == first
    assert _sample(capsysbinary, "--seed", "10") != first


def test_type_operation_variant_and_version_are_honoured(capsysbinary):
    data = _sample(capsysbinary, "--type", "sfr-snils-check", "--operation", "GetResponseResponse", "--variant",
                   "rejected", "--version", "1.1")
    parsed = parse(data)
    assert (parsed.operation, parsed.version) == (Operation.GET_RESPONSE_RESPONSE, Version.V1_1)
    assert parsed.message.message.response.data.answer.reasons[0].code.value == "NO_DATA"
    assert validate_envelope(parse_bytes(data)) == []
    fault = parse(_sample(capsysbinary, "--operation", "Fault", "--variant", "SignatureVerificationFault"))
    assert fault.message.reason.value == "SignatureIsInvalid"


def test_output_file(tmp_path, capsysbinary):
    target = tmp_path / "msg.xml"
    assert main(["sample", "--at", AT, "--output", str(target), "--type", "mvd-passport-validity"]) == 0
    assert capsysbinary.readouterr().out == b""
    assert validate_envelope(parse_file(target)) == []


def test_unsigned_get_status_comes_with_a_note(capsys):
    assert main(["sample", "--at", AT, "--operation", "GetStatus", "--unsigned"]) == 0
    assert "requires CallerInformationSystemSignature" in capsys.readouterr().err


def test_all_writes_every_operation_version_and_variant(tmp_path, capsys):
    out = tmp_path / "samples"
    assert main(["sample", "--all", "--output", str(out), "--seed", "3", "--at", AT]) == 0
    files = sorted(p.name for p in out.glob("*.xml"))
    assert len(files) == 138
    assert "wrote 138 sample envelopes" in capsys.readouterr().err
    for name in ("1.1-GetIncomingQueueStatisticsRequest.xml", "1.3-SendResponseRequest-rejected.xml",
                 "1.3-GetResponseResponse-async-status.xml", "1.2-Fault-InvalidContent.xml",
                 "1.3-Fault-PersonalAccessDenied.xml", "1.1-GetRequestResponse.xml", "1.3-AckRequest.xml"):
        assert name in files
    assert "1.2-Fault-PersonalAccessDenied.xml" not in files
    assert "1.3-GetIncomingQueueStatisticsRequest.xml" not in files
    for path in out.glob("*.xml"):
        parsed = parse(path.read_bytes())
        assert path.name.startswith(f"{parsed.version.value}-{parsed.operation.value}")


@pytest.mark.parametrize(("argv", "words"), [
    (["--version", "1.4"], "valid: 1.1, 1.2, 1.3"),
    (["--operation", "Hello"], "valid: SendRequestRequest"),
    (["--type", "nope"], "registered: fns-inn-by-passport, sfr-snils-check, mvd-passport-validity"),
    (["--variant", "bogus"], "valid: default, attachments, test-message"),
    (["--operation", "GetIncomingQueueStatistics"], "does not exist in version 1.3"),
    (["--at", "yesterday"], "not an ISO 8601 timestamp"),
    (["--all"], "--all needs --output DIR"),
    (["--registry", "/nonexistent/types.yaml"], "/nonexistent/types.yaml: cannot read: no such file"),
])
def test_bad_options_exit_2_with_the_valid_values(capsys, argv, words):
    assert main(["sample", *argv]) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


def test_unwritable_output_exits_2(tmp_path, capsys):
    assert main(["sample", "--output", str(tmp_path / "missing" / "msg.xml")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["sample", "--output", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["sample", "--all", "--output", str(tmp_path / "file")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["sample", "--all", "--output", str(tmp_path / "file" / "sub")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_types_lists_the_registry(capsys):
    assert main(["types"]) == 0
    out = capsys.readouterr().out
    for name in ("fns-inn-by-passport", "sfr-snils-check", "mvd-passport-validity", "INNByPassportRequest", "FNS"):
        assert name in out
    assert "3 type(s)" in out


def test_types_as_json(capsys):
    assert main(["types", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in data["types"]] == ["fns-inn-by-passport", "sfr-snils-check", "mvd-passport-validity"]
    snils = data["types"][1]
    assert snils["providers"] == ["SFR"] and snils["realtime"] is True
    assert snils["request"]["root"] == "SNILSCheckRequest" and snils["request"]["xsd"].endswith(".xsd")


def test_types_with_a_broken_registry_exits_2(tmp_path, capsys):
    bad = tmp_path / "types.yaml"
    bad.write_text("types:\n  - name: x\n    realtime: 3\n", encoding="utf-8")
    assert main(["types", "--registry", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: types[0]" in err
