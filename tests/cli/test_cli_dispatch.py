"""The shared dispatcher: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import sys
import types

import pytest

from conformance.commandline import dispatch
from conformance.errors import UsageError


def _command_module(name: str, behaviour) -> str:
    module = types.ModuleType(name)
    module.HELP = "a test command"
    module.__doc__ = "A command made by the test."
    module.add_arguments = lambda parser: parser.add_argument("--x", default="1")
    module.run = behaviour
    sys.modules[name] = module
    return name


def test_command_result_is_the_exit_code():
    mod = _command_module("_cmd_ok", lambda args: 1 if args.x == "fail" else 0)
    assert dispatch("prog", "d", "0", {"go": mod}, (UsageError,), ["go"]) == 0
    assert dispatch("prog", "d", "0", {"go": mod}, (UsageError,), ["go", "--x", "fail"]) == 1


def test_expected_error_is_one_line_and_exit_2(capsys):
    def boom(args):
        raise UsageError("no such type 'inn'; known: snils, passport")

    mod = _command_module("_cmd_err", boom)
    assert dispatch("prog", "d", "0", {"go": mod}, (UsageError,), ["go"]) == 2
    err = capsys.readouterr().err
    assert err == "prog: error: no such type 'inn'; known: snils, passport\n"


def test_unknown_command_and_bad_option_exit_2(capsys):
    mod = _command_module("_cmd_any", lambda args: 0)
    for argv in (["nope"], ["go", "--unknown"], []):
        with pytest.raises(SystemExit) as stop:
            dispatch("prog", "d", "0", {"go": mod}, (UsageError,), argv)
        assert stop.value.code == 2


def test_command_not_yet_built_is_not_offered(capsys):
    mod = _command_module("_cmd_here", lambda args: 0)
    commands = {"here": mod, "later": "conformance.cli._no_such_module"}
    assert dispatch("prog", "d", "0", commands, (UsageError,), ["here"]) == 0
    with pytest.raises(SystemExit):
        dispatch("prog", "d", "0", commands, (UsageError,), ["later"])
    assert "invalid choice" in capsys.readouterr().err


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as stop:
        dispatch("prog", "d", "9.9", {}, (UsageError,), ["--version"])
    assert stop.value.code == 0
    assert "prog 9.9" in capsys.readouterr().out


def test_only_the_named_command_is_imported(tmp_path, monkeypatch, capsys):
    """A command's module imports its dependencies at its top: running one command must not import the others."""
    (tmp_path / "_cmd_costly.py").write_text("raise RuntimeError('imported although another command was named')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _command_module("_cmd_cheap", lambda args: 0)
    commands = {"go": mod, "costly": "_cmd_costly"}
    assert dispatch("prog", "d", "0", commands, (UsageError,), ["go", "--x", "2"]) == 0
    assert "_cmd_costly" not in sys.modules
    with pytest.raises(SystemExit):
        dispatch("prog", "d", "0", {"go": mod}, (UsageError,), ["go", "--help"])
    assert "--x" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="imported although"):  # the top-level help lists every command
        dispatch("prog", "d", "0", commands, (UsageError,), ["--help"])
