"""`smev-conformance negative`: list, select, report formats, exit codes, and a run against a double started the
way `serve --keys DIR` starts it, from the keys `--write-keys DIR` wrote."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from conformance.cli import main


def test_list_shows_every_case(capsys):
    assert main(["negative", "--list"]) == 0
    out = capsys.readouterr().out
    from conformance.negative.loader import load_catalogue

    assert f"{len(load_catalogue())} case(s)" in out
    assert "NEG-SIG-VALUE" in out and "NEG-SR-ID-UPPER" in out


def test_unknown_selection_is_a_usage_error(capsys):
    assert main(["negative", "--select", "NEG-NOTHING"]) == 2
    assert "NEG-NOTHING" in capsys.readouterr().err


def test_a_selection_reports_in_junit(tmp_path):
    report = tmp_path / "out" / "negative.xml"
    assert main(["negative", "--select", "NEG-SR-ID,NEG-HTTP-GET", "--format", "junit", "--output",
                 str(report)]) == 0
    suites = etree.parse(str(report)).getroot()
    cases = suites.findall(".//testcase")  # one testcase per catalogue case, with its time
    names = [c.get("name").split(":")[0] for c in cases]
    assert names and all(n.startswith(("NEG-SR-ID-", "NEG-HTTP-GET")) for n in names)
    assert "NEG-HTTP-GET" in names and suites.get("failures") == "0"
    assert {c.get("classname") for c in cases} == {"smev.negative"} and all(float(c.get("time")) > 0 for c in cases)


def test_xfail_cases_fail_the_run_with_fail_on_warn(capsys, tmp_path):
    """A case marked xfail (a known gap of the bus) warns, and fails the run only with --fail-on warn."""
    from conformance.negative.loader import catalogue_path

    text = catalogue_path().read_text(encoding="utf-8")
    marked = text.replace("  - id: NEG-SIG-VALUE\n", '  - id: NEG-SIG-VALUE\n    xfail: "pretend the double got this wrong"\n', 1)
    assert marked != text
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(marked, encoding="utf-8")
    base = ["negative", "--catalogue", str(catalogue), "--select", "NEG-SIG-VALUE", "--format", "json"]
    assert main(base) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["warn"] == 1
    assert main([*base, "--fail-on", "warn"]) == 1


def test_an_unreachable_bus_is_a_usage_error(capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["negative", "--bus", f"http://127.0.0.1:{port}/smev", "--select", "NEG-SIG-VALUE"]) == 2
    assert "cannot reach the bus" in capsys.readouterr().err
    assert main(["negative", "--bus", "ftp://example/smev"]) == 2


@pytest.fixture
def served_from_written_keys(tmp_path):
    """A double loaded from the files `--write-keys` wrote, exactly as `serve --keys DIR` loads them."""
    from conformance.bus.credentials import load_credentials
    from conformance.bus.registry_view import load_types
    from conformance.bus.server import start
    from conformance.bus.service import Bus, BusConfig

    assert main(["negative", "--write-keys", str(tmp_path / "keys")]) == 0
    participants = sorted(p.name for p in (tmp_path / "keys" / "participants").iterdir())
    assert participants == ["BANK_TEST.cert.pem", "EPGU.cert.pem", "FNS.cert.pem", "MFC.cert.pem", "MVD.cert.pem",
                            "SFR.cert.pem"]

    def serve(**config):
        bus = Bus(load_types(), config=BusConfig(**config), credentials=load_credentials(tmp_path / "keys"))
        return start(bus)

    return serve


def test_run_against_a_bus_url(served_from_written_keys, capsys):
    with served_from_written_keys() as running:
        code = main(["negative", "--bus", running.url, "--select", "NEG-CERT,NEG-SR-QUOTA,NEG-SP-TO-FORGED",
                     "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0, document
    assert document["meta"]["bus"].startswith("http://127.0.0.1:")
    statuses = {f["path"].split(":")[0]: f["findings"][0]["status"] for f in document["files"]}
    assert statuses["NEG-CERT-EXPIRED"] == "pass" and statuses["NEG-CERT-FOREIGN-CA"] == "pass"
    assert statuses["NEG-SR-QUOTA"] == "pass"  # the double's control endpoint was found


def test_exit_1_when_the_bus_answers_a_case_wrongly(served_from_written_keys, capsys):
    with served_from_written_keys(run_rules=False) as running:
        code = main(["negative", "--bus", running.url, "--select", "NEG-SR-PAYLOAD-SCHEMA"])
    out = capsys.readouterr().out
    assert code == 1
    assert "NEG-SR-PAYLOAD-SCHEMA" in out and "MSG-SCHEMA-PAYLOAD" in out and "FAIL" in out
