"""`smev-conformance inspect`: a message's type and, with --data, its payload and envelope decoded by their XSDs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.protocol.samples import sample_envelope
from conformance.registry import load_registry, make_payload
from conformance.registry.model import Side
from conformance.schemas.decode import decode_payload

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REAL = Path(__file__).resolve().parents[1] / "vectors" / "real-traffic"


def _inspect(capsys, *argv: str) -> dict:
    assert main(["inspect", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_sample_request_shows_its_type_and_payload_data(tmp_path, capsys):
    path = tmp_path / "request.xml"
    path.write_bytes(sample_envelope("SendRequestRequest", "1.3", seed=3, at=AT))
    brief = _inspect(capsys, str(path))
    assert brief["version"] == "1.3" and brief["operation"] == "SendRequestRequest"
    (payload,) = brief["payloads"]
    assert payload["message_type"] == "fns-inn-by-passport" and payload["side"] == "request"
    assert payload["xsd"] == "fns-inn-by-passport-1.0.0.xsd" and "data" not in payload and "envelope" not in brief

    full = _inspect(capsys, str(path), "--data")
    (payload,) = full["payloads"]
    spec = load_registry().by_name("fns-inn-by-passport")
    expected = decode_payload(make_payload(spec, Side.REQUEST, seed=0, at=AT), spec.request.xsd).data
    assert payload["errors"] == [] and set(payload["data"]) == set(expected)
    assert payload["data"]["Person"]["LastName"]
    (request,) = full["envelope"]["data"]["soap:Body"]["tns:SendRequestRequest"]  # xs:any in the Body: a list
    content = request["tns:SenderProvidedRequestData"]["basic:MessagePrimaryContent"]
    assert payload["data"]["@RequestId"] in json.dumps(content)


@pytest.mark.parametrize("path", sorted(p for p in REAL.iterdir() if p.suffix in (".xml", ".mime")),
                         ids=lambda p: p.name)
def test_every_real_message_is_shown_or_refused_in_one_line(path, capsys):
    code = main(["inspect", str(path), "--data"])
    captured = capsys.readouterr()
    if code == 2:  # a bare SOAP fault: no SMEV detail, so no version to read it by
        assert "Traceback" not in captured.err and captured.err.count("\n") == 1 and "version" in captured.err
        return
    assert code == 0
    report = json.loads(captured.out)
    assert report["payloads"] or report["operation"] not in ("SendRequestRequest", "SendResponseRequest")
    for payload in report["payloads"]:
        assert payload["data"] is None and payload["note"]  # real traffic carries types the registry lacks
    body = json.dumps(report["envelope"]["data"], ensure_ascii=False)
    for payload in report["payloads"]:
        assert payload["element"].rpartition("}")[2] in body  # the payload is in the envelope's data


def test_an_error_is_shown_with_path_line_and_what_was_expected(tmp_path, capsys):
    text = sample_envelope("SendRequestRequest", "1.3", seed=3, at=AT).decode()
    broken = text.replace("<FirstName>", "<Nickname>").replace("</FirstName>", "</Nickname>")
    assert broken != text
    path = tmp_path / "broken.xml"
    path.write_text(broken)
    (payload,) = _inspect(capsys, str(path), "--data", "--output", "-")["payloads"]
    (error,) = payload["errors"]
    line = broken[:broken.index("<Nickname>")].count("\n") + 1
    assert error["path"] == "/INNByPassportRequest/Person" and error["line"] == line
    assert error["expected"] == ["FirstName"] and error["reason"].startswith("unexpected child Nickname")


def test_unusable_input_is_exit_2_in_one_line(tmp_path, capsys):
    path = tmp_path / "not.xml"
    path.write_text("<a>")
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err
    assert main(["inspect", str(tmp_path / "missing.xml")]) == 2
