"""Every command the documentation shows works as written: the README's and the tutorials' fenced `sh` blocks, and
the `Examples` of every `smev-conformance` command's `--help`.

Each README block, and each tutorial as a whole (its blocks build on each other), runs in order in a fresh folder
that looks like a fresh clone (the repository's files linked in, nothing generated), with the virtualenv's commands
first on PATH as the README says (`. .venv/bin/activate`) and a timeout each. A command passes when it exits 0, or the code its trailing comment names (`# exits 1`). A
command that serves (`smev-conformance serve`) passes when it prints its banner and stops cleanly on Ctrl-C.
`SKIPPED` lists the few documented commands a test cannot run, each with the reason.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCS = ["README.md", "docs/tutorial-integrator.md", "docs/tutorial-architect.md", "docs/tutorial-ci.md"]
SKIPPED = {
    "make venv": "the tests run inside the virtualenv it makes",
    ". .venv/bin/activate": "the test puts .venv/bin first on PATH, as it does",
    "make run": "the main job itself (minutes of both cores); .ci/run runs it after make test",
    "make test": "the test suite itself",
    "make test-fast": "the test suite itself",
    "make bench": "benchmarks, minutes of CPU; run on their own",
    "make lint": "ruff over the tree; the lint job runs it",
    "smev-sim run scenarios/scaleout-bus-nodes.yaml --scheduler tcp://": "needs a Dask cluster at that address",
}
"""Documented commands (by prefix) that a test does not run, and why."""
FAST_DOCS: set[str] = set()
"""Documents whose commands all finish in seconds (the rest are marked slow)."""
TIMEOUT = 900
SERVER = re.compile(r"^smev-conformance serve\b")
EXPECTED = re.compile(r"#\s*exits\s+(\d)\b")


@dataclass(frozen=True)
class Command:
    source: str
    line: int
    text: str

    @property
    def expected(self) -> int:
        found = EXPECTED.search(self.text)
        return int(found.group(1)) if found else 0

    @property
    def skipped(self) -> str | None:
        return next((why for prefix, why in SKIPPED.items() if self.text.startswith(prefix)), None)


def doc_blocks(path: Path, root: Path = ROOT) -> list[tuple[str, list[Command]]]:
    """The fenced ```sh blocks of a Markdown file, each with the heading it is under and its commands (a trailing
    backslash continues a line)."""
    blocks: list[tuple[str, list[Command]]] = []
    heading, inside = "", False
    pending, start = "", 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            inside = stripped == "```sh" if not inside else False
            if inside:
                blocks.append((heading, []))
            continue
        if not inside and line.startswith("#"):
            heading = line.lstrip("#").strip()
        if not inside or (not pending and (not stripped or stripped.startswith("#"))):
            continue
        if not pending:
            start = number
        pending += stripped
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip() + " "
            continue
        blocks[-1][1].append(Command(str(path.relative_to(root)), start, pending))
        pending = ""
    return blocks


def doc_commands(path: Path, root: Path = ROOT) -> list[Command]:
    """The commands of the fenced ```sh blocks of a Markdown file, in order."""
    return [command for _, commands in doc_blocks(path, root) for command in commands]


def help_examples(module_name: str) -> list[Command]:
    """The lines of the `Examples` section of a command's docstring (its `--help`)."""
    module = importlib.import_module(module_name)
    doc = module.__doc__ or ""
    lines = doc.splitlines()
    out: list[Command] = []
    for index, line in enumerate(lines):
        if line.startswith("Examples"):
            for number, example in enumerate(lines[index + 1:], index + 2):
                if not example.startswith("  "):
                    break
                out.append(Command(f"{module_name} --help", number, example.strip()))
    return out


def fresh_clone(folder: Path) -> Path:
    """A folder that looks like a fresh clone: the repository's tracked top-level entries linked, no reports."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in (".venv", "reports", ".git", ".pytest_cache", ".hypothesis", ".ruff_cache") \
                or entry.name.endswith(".egg-info"):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def _environment() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "SMEV_PROGRESS": "off",
            "PYTHONUNBUFFERED": "1"}


def run_command(command: Command, folder: Path) -> None:
    where = f"{command.source}:{command.line}: {command.text}"
    if SERVER.match(command.text):
        proc = subprocess.Popen(["bash", "-c", f"exec {command.text}"], cwd=folder, env=_environment(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "listening on http://127.0.0.1:" in banner and proc.returncode == 0, f"{where}\n{banner}{err}"
        return
    try:
        done = subprocess.run(["bash", "-o", "pipefail", "-c", command.text], cwd=folder, env=_environment(),
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{where}: still running after {TIMEOUT} s")
    assert done.returncode == command.expected, (
        f"{where}: exit {done.returncode}, expected {command.expected}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    assert "Traceback" not in done.stderr, f"{where}: a traceback\n{done.stderr[-3000:]}"


def _run_all(commands: list[Command], folder: Path) -> None:
    assert commands, "no command found"
    for command in commands:
        if command.skipped is None:
            run_command(command, folder)


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")[:40] or "top"


def _doc_params() -> list:
    """One test per README block (each works on its own, so a reader may start at any section), one per tutorial
    (a path: its blocks build on each other, in order)."""
    params = []
    for name in DOCS:
        if name == "README.md":
            units = [(f"{name}#{_slug(heading)}", commands) for heading, commands in doc_blocks(ROOT / name)
                     if any(c.skipped is None for c in commands)]
        else:
            units = [(name, doc_commands(ROOT / name))]
        params += [pytest.param(commands, id=unit, marks=() if name in FAST_DOCS else (pytest.mark.slow,))
                   for unit, commands in units]
    return params


@pytest.mark.parametrize("commands", _doc_params())
def test_every_command_of_the_document_works_as_written(commands, tmp_path):
    _run_all(commands, fresh_clone(tmp_path / "clone"))


def _cli_modules() -> list:
    from conformance.cli import COMMANDS

    fast = {"types"}  # the rest run several commands each, seconds apiece
    return [pytest.param(module, id=name, marks=() if name in fast else (pytest.mark.slow,))
            for name, module in COMMANDS.items() if help_examples(module)]


@pytest.mark.parametrize("module", _cli_modules())
def test_every_help_example_works_as_written(module, tmp_path):
    _run_all(help_examples(module), fresh_clone(tmp_path / "clone"))


def test_every_command_help_has_examples_and_every_document_has_commands():
    from conformance.cli import COMMANDS

    without = [name for name, module in COMMANDS.items() if not help_examples(module)]
    assert without == [], f"commands whose --help shows no example: {without}"
    for document in DOCS:
        commands = doc_commands(ROOT / document)
        assert commands and all(c.text for c in commands), document


def test_the_readme_starts_with_exactly_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    assert first_block.split("\n")[:2] == ["make run", "make test"] and first_block.count("\n") == 2
    assert text.index("```sh") < text.index("\n## ")


def test_the_parser_reads_blocks_continuations_and_expected_codes(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("text\n```sh\n# a comment\nsmev-conformance rules \\\n  --select MSG\n\nfalse  # exits 1\n```\n"
                   "```yaml\nnot: a command\n```\n", encoding="utf-8")
    assert [(c.line, c.text, c.expected) for c in doc_commands(doc, tmp_path)] == [
        (4, "smev-conformance rules --select MSG", 0), (7, "false  # exits 1", 1)]
    run_command(Command("d.md", 7, "false  # exits 1"), tmp_path)
    with pytest.raises(AssertionError, match="exit 1, expected 0"):
        run_command(Command("d.md", 7, "false"), tmp_path)


def test_skipped_commands_are_few_and_each_has_a_reason():
    every = [c for d in DOCS for c in doc_commands(ROOT / d)]
    skipped = [c for c in every if c.skipped]
    assert all(c.text.startswith(("make ", ". .venv/", "smev-sim run scenarios/")) for c in skipped), \
        "only the make targets, the activation and two long simulator examples are not run"
    assert len(every) - len(skipped) >= 40
