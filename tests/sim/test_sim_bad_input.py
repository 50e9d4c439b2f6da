"""The mistakes a user makes on every `smev-sim` command, one input and one expected outcome per case: exit 2 with
one line on standard error naming the file or flag and the problem, nothing on standard output, never a traceback,
and never after a simulation has run (each case here is refused before one starts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_cases import assert_refused_in_one_line, run_in_process

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
MM1 = str(ROOT / "scenarios" / "mm1.yaml")
BUS_NODES = "topology.data_centres.moscow-1.bus_nodes"


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("simbad")
    (d / "empty.yaml").write_bytes(b"")
    (d / "garbage.bin").write_bytes(bytes(range(256)) * 4)
    (d / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (d / "utf16.yaml").write_bytes("name: x\n".encode("utf-16"))
    (d / "list.yaml").write_text("a: 1\nb: [x\n")
    (d / "doc.xml").write_text('<?xml version="1.0"?><a/>')
    (d / "adir").mkdir()
    return d


def _run(argv: list[str]) -> tuple[int, str, str]:
    return run_in_process(main, argv)


REFUSED: list[tuple[str, str, tuple[str, ...]]] = [
    # the scenario file
    ("run-missing", "run {d}/nope.yaml", ("nope.yaml", "no such file")),
    ("run-dir", "run {d}/adir", ("adir", "directory")),
    ("run-empty", "run {d}/empty.yaml", ("empty.yaml:1", "empty")),
    ("run-binary", "run {d}/garbage.bin", ("garbage.bin:2", "UTF-8")),
    ("run-latin1", "run {d}/latin1.yaml", ("latin1.yaml:1", "UTF-8")),
    ("run-utf16", "run {d}/utf16.yaml", ("utf16.yaml:1", "UTF-8")),
    ("run-bad-yaml", "run {d}/list.yaml", ("list.yaml:3", "YAML")),
    ("run-xml-for-yaml", "run {d}/doc.xml", ("doc.xml:1", "mapping")),
    ("run-no-scenario", "run", ("SCENARIO",)),
    ("unknown-command", "rnu {mm1}", ("rnu", "invalid choice")),
    # run's flags
    ("run-seed-negative", "run {mm1} --seed=-1", ("--seed", "non-negative")),
    ("run-seed-fraction", "run {mm1} --seed 1.5", ("--seed", "1.5")),
    ("run-duration-infinite", "run {mm1} --duration 1e400s", ("--duration", "too large")),
    ("run-duration-beyond-10-years", "run {mm1} --duration 11000d", ("run.duration", "10 years")),
    ("run-duration-negative", "run {mm1} --duration=-1h", ("--duration", "positive")),
    ("run-duration-zero", "run {mm1} --duration 0s", ("--duration", "positive")),
    ("run-duration-no-unit", "run {mm1} --duration 5", ("--duration", "no unit")),
    ("run-duration-unknown-unit", "run {mm1} --duration 100y", ("--duration", "'y'")),
    ("run-duration-nan", "run {mm1} --duration nan", ("--duration", "nan")),
    ("run-precision-zero", "run {mm1} --precision 0%", ("--precision", "0%")),
    ("run-precision-all", "run {mm1} --precision 100%", ("--precision", "100%")),
    ("run-precision-nan", "run {mm1} --precision nan", ("--precision", "nan")),
    ("run-precision-huge", "run {mm1} --precision 1e400", ("--precision",)),
    ("run-workers-zero", "run {mm1} --workers 0", ("--workers", "at least 1")),
    ("run-workers-negative", "run {mm1} --workers=-3", ("--workers",)),
    ("run-workers-exponent", "run {mm1} --workers 1e9", ("--workers", "whole number")),
    ("run-replications-zero", "run {mm1} -n 0", ("--replications", "at least 1")),
    ("run-replications-beyond-limit", "run {mm1} -n 1001", ("--replications", "at most 1000, got 1001")),
    ("run-max-replications-beyond-limit", "run {mm1} --precision 5% --max-replications 5000",
     ("--max-replications", "at most 1000")),
    ("run-replications-over-cap", "run {mm1} -n 3 --max-replications 2", ("--max-replications 2", "--replications 3")),
    ("run-traffic-scale-nan", "run {mm1} --traffic-scale nan", ("--traffic-scale", "nan")),
    ("run-traffic-scale-infinite", "run {mm1} --traffic-scale 1e400", ("--traffic-scale",)),
    ("run-traffic-scale-negative", "run {mm1} --traffic-scale=-1", ("--traffic-scale",)),
    ("run-tagged-share-over-all", "run {mm1} --tagged-share 200%", ("--tagged-share", "200%")),
    ("run-tagged-share-zero", "run {mm1} --tagged-share 0%", ("--tagged-share",)),
    ("run-max-events-zero", "run {mm1} --max-events 0", ("--max-events",)),
    ("run-max-events-word", "run {mm1} --max-events abc", ("--max-events", "abc")),
    ("run-misspelt-flag", "run {mm1} --seeed 3", ("--seeed", "did you mean --seed")),
    ("run-audit-remote", "run {mm1} --audit --scheduler tcp://127.0.0.1:1", ("--audit",)),
    ("run-workers-remote", "run {mm1} --workers 2 --scheduler tcp://127.0.0.1:1", ("--workers",)),
    ("run-out-onto-file", "run {mm1} --out {d}/doc.xml", ("--out", "doc.xml")),
    ("run-junit-onto-dir", "run {mm1} --junit {d}/adir --out {d}/out", ("--junit", "adir", "directory")),
    # validate
    ("validate-nothing", "validate", ("FILE", "--explain")),
    ("validate-misspelt-flag", "validate --explian", ("--explian", "did you mean --explain")),
    # capacity
    ("capacity-nothing-to-vary", "capacity {mm1}", ("--resource", "--load")),
    ("capacity-missing", "capacity {d}/nope.yaml --load 1..2", ("nope.yaml",)),
    ("capacity-binary", "capacity {d}/garbage.bin --load 1..2", ("garbage.bin:2", "UTF-8")),
    ("capacity-resource-no-range", "capacity {mm1} --resource nope", ("--resource", "nope")),
    ("capacity-resource-unknown-field", "capacity {mm1} --resource topology.x=1..2", ("topology.x", "unknown field")),
    ("capacity-resource-backwards", f"capacity {{mm1}} --resource {BUS_NODES}=5..1", ("--resource", "5..1")),
    ("capacity-resource-words", f"capacity {{mm1}} --resource {BUS_NODES}=a..b", ("--resource", "'a'")),
    ("capacity-load-zero", "capacity {mm1} --load 0..0", ("--load", "positive")),
    ("capacity-load-nan", "capacity {mm1} --load nan..1", ("--load", "nan")),
    ("capacity-load-infinite", "capacity {mm1} --load 1..1e400", ("--load", "1e400")),
    ("capacity-load-negative", "capacity {mm1} --load=-1..2", ("--load", "-1")),
    ("capacity-load-list-nan", "capacity {mm1} --load 1,nan", ("--load", "nan")),
    ("capacity-tolerance-zero", "capacity {mm1} --load 1..2 --tolerance 0%", ("--tolerance",)),
    ("capacity-tolerance-over-all", "capacity {mm1} --load 1..2 --tolerance 200%", ("--tolerance", "200%")),
    ("capacity-workers-zero", "capacity {mm1} --load 1..2 --workers 0", ("--workers",)),
    ("capacity-one-replication", "capacity {mm1} --load 1..2 -n 1", ("--replications", "two replications")),
    ("capacity-replications-beyond-limit", "capacity {mm1} --load 1..2 -n 2000", ("--replications", "at most 1000")),
    ("capacity-replications-over-cap", "capacity {mm1} --load 1..2 -n 8 --max-replications 4",
     ("--max-replications 4",)),
    ("capacity-out-onto-file", "capacity {mm1} --load 1..2 --out {d}/doc.xml", ("--out", "doc.xml")),
]


@pytest.mark.parametrize(("case", "template", "words"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_mistake_is_one_line_and_exit_2(bad: Path, case: str, template: str, words: tuple[str, ...]) -> None:
    assert_refused_in_one_line(*_run(template.replace("{d}", str(bad)).replace("{mm1}", MM1).split()), words)


def test_validate_names_each_bad_file_and_still_judges_the_good_one(bad: Path) -> None:
    code, out, err = _run(["validate", MM1, str(bad / "garbage.bin"), str(bad / "nope.yaml")])
    assert "Traceback" not in err
    assert code == 2
    assert "mm1.yaml: ok" in out
    lines = err.splitlines()
    assert len(lines) == 2 and "garbage.bin:2" in lines[0] and "nope.yaml" in lines[1], err


def test_a_scenario_of_wrong_fields_names_the_file_on_every_line(bad: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "wrong.yaml"
    scenario.write_text("name: [a]\nrun: 5\n")
    code, out, err = _run(["run", str(scenario)])
    assert "Traceback" not in err
    assert (code, out) == (2, "")
    assert err.splitlines() and all("wrong.yaml" in line for line in err.splitlines()), err
