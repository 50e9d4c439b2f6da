"""Done-when: every operation x version that `sample` produces passes `check`. Signed samples hold every rule;
unsigned ones (`sample --unsigned`) fail on SIG-PRESENT, the signature the real bus requires, and on nothing else."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import SIGNATURES, Operation, operations_for

AT_MADE = "2026-11-22T12:00:00Z"
AT_CHECKED = "2026-11-22T12:05:00Z"


def _sample_and_check(folder, *sample_options: str) -> tuple[int, dict]:
    assert main(["sample", "--all", "--output", str(folder), "--seed", "3", "--at", AT_MADE, *sample_options]) == 0
    target = folder / "report.json"
    code = main(["check", str(folder), "--at", AT_CHECKED, "--format", "json", "--output", str(target)])
    return code, json.loads(target.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory):
    return _sample_and_check(tmp_path_factory.mktemp("unsigned"), "--unsigned")


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    return _sample_and_check(tmp_path_factory.mktemp("signed"))


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_every_operation_and_version_is_sampled_and_recognised(unsigned):
    _, data = unsigned
    seen = {(f["operation"], f["version"]) for f in data["files"]}
    for version in Version:
        for operation in operations_for(version):
            assert (operation.value, version.value) in seen, f"no sample of {operation.value} {version.value}"


def test_unsigned_samples_fail_only_on_sig_present(unsigned):
    code, data = unsigned
    assert code == 1
    for entry in data["files"]:
        failing = {f["rule"] for f in entry["findings"] if f["status"] == "fail"}
        needs_signature = any(spec.required for spec in SIGNATURES.get(Operation(entry["operation"]), ()))
        assert failing == ({"SIG-PRESENT"} if needs_signature else set()), (entry["path"], failing)


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_signed_samples_pass_every_rule(signed):
    code, data = signed
    failing = {(entry["path"], f["rule"], f["message"][:120]) for entry in data["files"] for f in entry["findings"]
               if f["status"] == "fail"}
    assert failing == set()
    assert code == 0


def test_samples_are_judged_not_skipped(unsigned):
    """The core rules ran on the samples: the schema rules passed on every file they apply to."""
    _, data = unsigned
    statuses = {(f["rule"], f["status"]) for entry in data["files"] for f in entry["findings"]}
    for rule in ("MSG-SCHEMA-ENVELOPE", "MSG-SCHEMA-PAYLOAD", "MSG-CONTENT-REGISTERED", "MSG-ID-UUID1",
                 "MSG-BLOCKS-DESCRIBED", "MSG-ATTACH-COORDINATED", "FLOW-ORIGINAL-ID", "TIME-ID-STALE"):
        assert (rule, "pass") in statuses, rule
