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
  url: http://127.0.0.1:0/smev
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
        .replace("http://127.0.0.1:0/smev", "ftp://bus").replace("[python, -m, fns_stand]", "python -m x") \
        .replace("version: \"1.3\"", "versoin: \"1.3\"")
    with pytest.raises(SchemaErrors) as err:
        load_participant(_write(stand, text))
    text = str(err.value)
    assert ":4: versoin: unknown field (did you mean 'version'?)" in text
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
    assert "suite provider" in out and "dry run: both files are valid" in out
    assert "22 cases to run (7 from 7 suite cases, 15 negative deliveries)" in out, "the count the run will play"


def test_dry_run_lists_problems_of_both_files_and_their_fit(stand, tmp_path, capsys):
    path = _write(stand, PROVIDER.replace("fns-inn-by-passport", "fns-inn-by-pasport"))
    suite = _write(tmp_path, "suite: s\nrole: consumer\ncases:\n  - id: a\n    title: t\n    steps:\n"
                             "      - expect: {operation: SendRequest, within: 2x}\n", name="suite.yaml")
    assert main(["run", "--suite", str(suite), "--participant", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{suite}:7: cases[0].steps[0].expect.within: 'x' is not a duration unit" in err
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


# -- what the dry run must see that only the run used to (ports, the registry fit), and portable files ------------

def test_a_port_out_of_range_fails_the_dry_run_with_its_line(stand, capsys):
    path = _write(stand, PROVIDER.replace("127.0.0.1:0/smev", "127.0.0.1:99999/smev"))
    assert main(["run", "--suite", "provider", "--participant", str(path), "--dry-run"]) == 2
    assert f"{path}:13: bus.url: 'http://127.0.0.1:99999/smev': the port is not a TCP port" in capsys.readouterr().err
    assert main(["run", "--suite", "provider", "--participant", str(_write(stand, PROVIDER)), "--dry-run",
                 "--port", "70000"]) == 2
    assert "--port: port 70000 is not a TCP port (0-65535)" in capsys.readouterr().err


def test_a_port_held_by_another_process_fails_the_dry_run(stand, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        path = _write(stand, PROVIDER.replace("127.0.0.1:0/smev", f"127.0.0.1:{port}/smev"))
        assert main(["run", "--suite", "provider", "--participant", str(path), "--dry-run"]) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
        # --port moves the bus elsewhere: the same file then fits
        assert main(["run", "--suite", "provider", "--participant", str(path), "--dry-run", "--port", "0"]) == 0


def test_a_remote_bus_url_is_refused_at_load(stand):
    with pytest.raises(SchemaErrors, match=":13: bus.url: .*must name a loopback host"):
        load_participant(_write(stand, PROVIDER.replace("127.0.0.1:0", "bus.example:8080")))
    with pytest.raises(SchemaErrors, match="must name a loopback host .* and a port"):
        load_participant(_write(stand, PROVIDER.replace("127.0.0.1:0", "127.0.0.1")))


def test_the_dry_run_checks_the_registry_fit_the_run_needs(stand, capsys):
    path = _write(stand, PROVIDER.replace("participant: FNS", "participant: NOBODY"))
    assert main(["run", "--suite", "provider", "--participant", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: participant: participant 'NOBODY' is in no type's providers or consumers" in err
    assert "`registry:` in the participant file, or --registry" in err


def test_the_registry_the_file_names_is_used_and_the_command_line_overrides_it(stand, capsys):
    from conformance.reference.participant_files import REGISTRY_FILE

    named = _write(stand, PROVIDER.replace("participant: FNS", "participant: REF_PROVIDER")
                   + f"registry: {REGISTRY_FILE}\n")
    assert load_participant(named).registry == REGISTRY_FILE
    assert main(["run", "--suite", "provider", "--participant", str(named), "--dry-run"]) == 0
    assert f"registry {REGISTRY_FILE}" in capsys.readouterr().out
    from conformance.registry import DEFAULT_REGISTRY

    assert main(["run", "--suite", "provider", "--participant", str(named), "--dry-run",
                 "--registry", str(DEFAULT_REGISTRY)]) == 2
    assert "'REF_PROVIDER' is in no type's providers" in capsys.readouterr().err


def test_a_shipped_participant_file_copied_anywhere_still_runs_dry(tmp_path, capsys):
    """The README's example, and a shipped file copied next to one's own code: no --registry, no path edits."""
    from conformance.reference.participant_files import DIRECTORY

    copy = tmp_path / "elsewhere" / "participant.yaml"
    copy.parent.mkdir()
    copy.write_text((DIRECTORY / "reference.provider.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for participant in (DIRECTORY / "reference.provider.yaml", copy):
        assert main(["run", "--suite", "provider", "--participant", str(participant), "--dry-run"]) == 0, \
            capsys.readouterr().err
    loaded = load_participant(copy)
    assert loaded.certificate.is_file() and loaded.registry.is_file() and all(t.no_data_request.is_file()
                                                                               for t in loaded.types)


def test_relative_paths_resolve_against_the_file_not_the_working_directory(stand, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    p = load_participant(_write(stand, PROVIDER))
    assert p.certificate == stand / "keys/fns.pem"


def test_placeholders_are_filled_with_the_served_address_and_free_ports(stand):
    import sys

    from conformance.suites.participant import bound

    text = PROVIDER.replace("[python, -m, fns_stand]", '["{python}", -m, fns_stand, --bus, "{bus_url}", '
                                                        '--trigger, "127.0.0.1:{port:trigger}"]') \
        .replace("{LOG_LEVEL: debug}", '{BUS_PORT: "{bus_port}", TRIGGER: "{port:trigger}"}')
    p = bound(load_participant(_write(stand, text)), "http://127.0.0.1:41234/smev")
    assert p.bus_url == "http://127.0.0.1:41234/smev"
    command = p.start.command
    assert command[0] == sys.executable and command[4] == "http://127.0.0.1:41234/smev"
    trigger_port = command[6].rsplit(":", 1)[1]
    assert trigger_port.isdigit() and int(trigger_port) > 0
    assert p.start.env == {"BUS_PORT": "41234", "TRIGGER": trigger_port}, "one NAME, one port, everywhere"


def test_the_dry_run_finds_a_start_program_that_does_not_exist(stand, capsys):
    path = _write(stand, PROVIDER.replace("[python, -m, fns_stand]", "[no-such-program-here, --serve]"))
    assert main(["run", "--suite", "provider", "--participant", str(path), "--dry-run"]) == 2
    assert "start.command: program 'no-such-program-here' is not found" in capsys.readouterr().err
