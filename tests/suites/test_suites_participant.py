"""participant.yaml and `run --dry-run`: the files are checked alone and together, with lines, exit codes."""

from __future__ import annotations

import textwrap

import pytest

from conformance.cli import main
from conformance.suites.model import Role
from conformance.suites.participant import load_participant
from conformance.yamlnodes import SchemaErrors

PROVIDER = """\
participant: FNS
name: Tax service test stand
role: provider
version: "1.3"
types:
  - name: fns-inn-by-passport
    no_data_request: no-data.xml
keys:
  certificate: keys/fns.pem
trust:
  ca: keys/ca.pem
bus:
  url: http://127.0.0.1:7575/smev
start:
  command: [python, -m, fns_stand]
  env: {LOG_LEVEL: debug}
  ready_timeout: 5s
"""


@pytest.fixture
def stand(tmp_path):
    (tmp_path / "keys").mkdir()
    for name in ("keys/fns.pem", "keys/ca.pem", "no-data.xml"):
        (tmp_path / name).write_text("x")
    return tmp_path


def _write(directory, text: str, name: str = "participant.yaml"):
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_complete_provider_loads(stand):
    p = load_participant(_write(stand, PROVIDER))
    assert p.mnemonic == "FNS" and p.role is Role.PROVIDER and p.version == "1.3"
    assert p.types[0].name == "fns-inn-by-passport" and p.types[0].no_data_request == stand / "no-data.xml"
    assert p.certificate == stand / "keys/fns.pem" and p.trust == (stand / "keys/ca.pem",)
    assert p.start.command == ("python", "-m", "fns_stand") and p.start.ready_timeout == 5.0
    assert p.start.env == {"LOG_LEVEL": "debug"} and p.plays(Role.PROVIDER) and not p.plays(Role.CONSUMER)


def test_every_problem_is_reported_with_its_line(stand):
    text = PROVIDER.replace("role: provider", "role: consumer").replace("keys/fns.pem", "keys/missing.pem") \
        .replace("http://127.0.0.1:7575/smev", "ftp://bus").replace("[python, -m, fns_stand]", "python -m x") \
        .replace("version: \"1.3\"", "versoin: \"1.3\"")
    with pytest.raises(SchemaErrors) as err:
        load_participant(_write(stand, text))
    text = str(err.value)
    assert ":4: versoin: unknown key 'versoin' (did you mean 'version'?)" in text
    assert ":9: keys.certificate: file 'keys/missing.pem' does not exist" in text
    assert ":13: bus.url: 'ftp://bus' is not an http(s) URL with a host" in text
    assert ":15: start.command: write the command as a list of arguments" in text
    assert "a consumer names how the harness makes it send a request" in text


def test_consumer_trigger_forms(stand):
    base = "participant: MFC\nrole: consumer\ntypes: [fns-inn-by-passport]\nbus: {url: 'http://127.0.0.1:1/'}\n"
    p = load_participant(_write(stand, base + "trigger: {command: [send, '{type}']}\n"))
    assert p.trigger.command == ("send", "{type}")
    p = load_participant(_write(stand, base + "trigger: {http: {url: 'http://127.0.0.1:9/send'}}\n"))
    assert p.trigger.http_url == "http://127.0.0.1:9/send" and p.trigger.http_method == "POST"
    with pytest.raises(SchemaErrors, match="unknown trigger 'comand' \\(did you mean 'command'\\?\\)"):
        load_participant(_write(stand, base + "trigger: {comand: [send]}\n"))


def test_dry_run_of_a_fitting_pair_exits_0(stand, capsys):
    path = _write(stand, PROVIDER)
    assert main(["run", "--suite", "provider", "--participant", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "suite provider" in out and "7 cases" in out and "dry run: both files are valid" in out


def test_dry_run_lists_problems_of_both_files_and_their_fit(stand, tmp_path, capsys):
    path = _write(stand, PROVIDER.replace("fns-inn-by-passport", "fns-inn-by-pasport"))
    suite = _write(tmp_path, "suite: s\nrole: consumer\ncases:\n  - id: a\n    title: t\n    steps:\n"
                             "      - expect: {operation: SendRequest, within: 2x}\n", name="suite.yaml")
    assert main(["run", "--suite", str(suite), "--participant", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{suite}:7: cases[0].steps[0].expect.within: '2x' is not a duration" in err
    # The suite did not load, so the fit is not judged; the participant's own file is fine.
    assert "registry" not in err


def test_dry_run_cross_checks_role_types_and_trigger(stand, capsys):
    path = _write(stand, PROVIDER.replace("fns-inn-by-passport", "fns-inn-by-pasport"))
    assert main(["run", "--suite", "consumer", "--participant", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert ":3: role: suite 'consumer' tests a consumer, but the participant's role is provider" in err
    assert ":6: types: type 'fns-inn-by-pasport' is not in the registry (did you mean 'fns-inn-by-passport'?)" in err
    assert "has no `trigger:`" in err


def test_unknown_shipped_suite_is_a_usage_error(stand, capsys):
    assert main(["run", "--suite", "provder", "--participant", str(_write(stand, PROVIDER)), "--dry-run"]) == 2
    assert "did you mean 'provider'?" in capsys.readouterr().err


def test_a_real_run_with_an_unusable_certificate_is_exit_2_naming_the_file(stand, capsys):
    assert main(["run", "--suite", "provider", "--participant", str(_write(stand, PROVIDER))]) == 2
    assert f"{stand}/keys/fns.pem: not a certificate" in capsys.readouterr().err
