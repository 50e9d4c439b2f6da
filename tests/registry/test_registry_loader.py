"""Loading the message-type registry: the shipped one, lookups, and line-accurate errors in bad files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conformance.registry import DEFAULT_REGISTRY, RegistryError, Side, load_registry
from conformance.schemas import PAYLOAD_SCHEMA_DIR

GOOD = f"""\
schema_dir: {PAYLOAD_SCHEMA_DIR}
types:
  - name: snils
    request:
      namespace: urn://x-artefacts-sfr-snils-check/root/1.0.0
      root: SNILSCheckRequest
      xsd: sfr-snils-check-1.0.0.xsd
    response:
      namespace: urn://x-artefacts-sfr-snils-check/root/1.0.0
      root: SNILSCheckResponse
    providers: [SFR]
    consumers: [MFC]
    realtime: true
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "types.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_registry_has_three_realistic_types():
    registry = load_registry()
    assert registry.source == DEFAULT_REGISTRY.resolve()
    assert registry.names() == ("fns-inn-by-passport", "sfr-snils-check", "mvd-passport-validity")
    assert registry.first.name == "fns-inn-by-passport"
    assert {spec.providers for spec in registry.types} == {("FNS",), ("SFR",), ("MVD",)}
    for spec in registry.types:
        assert spec.request.xsd.is_file() and spec.response.xsd.is_file()
        assert spec.sample == spec.name
    assert not registry.first.realtime and registry.by_name("sfr-snils-check").realtime


def test_lookups_by_name_and_by_root():
    registry = load_registry()
    spec = registry.by_name("mvd-passport-validity")
    match = registry.by_root("urn://x-artefacts-mvd-passport-validity/root/1.0.0", "PassportValidityResponse")
    assert match.spec is spec and match.side is Side.RESPONSE
    assert match.payload is spec.response
    assert registry.by_root("urn://x-artefacts-mvd-passport-validity/root/1.0.0", "Nope") is None
    assert registry.by_root(None, "PassportValidityRequest") is None
    assert registry.find("nope") is None
    with pytest.raises(KeyError, match="registered: fns-inn-by-passport"):
        registry.by_name("nope")
    assert spec.may_consume("MFC") and not spec.may_consume("MVD")
    assert spec.is_provider("MVD")
    assert registry.for_provider("FNS") == (registry.by_name("fns-inn-by-passport"),)


def test_a_minimal_file_loads(tmp_path):
    registry = load_registry(_write(tmp_path, GOOD))
    spec = registry.by_name("snils")
    assert spec.title == "snils" and spec.response.xsd is None and spec.sample is None
    assert spec.request.xsd == PAYLOAD_SCHEMA_DIR / "sfr-snils-check-1.0.0.xsd"


def _error(tmp_path: Path, text: str) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        load_registry(_write(tmp_path, text))
    return caught.value


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ("    realtime: true\n", "    realtime: maybe\n", 13, "types[0].realtime: expected true or false"),
    ("    realtime: true\n", "", 3, "types[0].realtime: missing required field"),
    ("    consumers: [MFC]\n", "    consumers: [MFC]\n    colour: red\n", 13, "types[0].colour: unknown field"),
    ("      root: SNILSCheckRequest\n", "      root: 9lives\n", 6, "types[0].request.root: '9lives' is not"),
    ("      namespace: urn://x-artefacts-sfr-snils-check/root/1.0.0\n      root: SNILSCheckRequest",
     "      namespace: not a uri\n      root: SNILSCheckRequest", 5, "types[0].request.namespace"),
    ("      xsd: sfr-snils-check-1.0.0.xsd\n", "      xsd: missing.xsd\n", 7, "missing.xsd does not exist"),
    ("      xsd: sfr-snils-check-1.0.0.xsd\n", "      xsd: mvd-passport-validity-1.0.0.xsd\n", 7,
     "has targetNamespace 'urn://x-artefacts-mvd-passport-validity/root/1.0.0'"),
    ("    providers: [SFR]\n", "    providers: []\n", 11, "types[0].providers: needs at least one mnemonic"),
    ("    consumers: [MFC]\n", "    consumers: [MFC, MFC]\n", 12, "types[0].consumers[1]: 'MFC' is listed twice"),
    ("  - name: snils\n", "  - name: Snils Check\n", 3, "types[0].name"),
    ("    realtime: true\n", "    realtime: true\n    sample: nowhere\n", 14, "no fake payload generator 'nowhere'"),
    ("      root: SNILSCheckResponse\n", "      root: SNILSCheckRequest\n", 9, "must differ from the request root"),
])
def test_errors_name_file_line_and_field(tmp_path, old, new, line, words):
    assert old in GOOD
    error = _error(tmp_path, GOOD.replace(old, new))
    assert words in str(error)
    assert error.line == line, str(error)
    assert str(error).startswith(f"{tmp_path / 'types.yaml'}:{line}: ")
    assert error.rule == "MSG-REGISTRY"


def test_duplicate_names_and_roots_are_refused(tmp_path):
    body = GOOD.split("types:\n", 1)[1]
    error = _error(tmp_path, GOOD + body)
    assert "types[1].name: 'snils' is already defined by types[0]" in str(error)
    error = _error(tmp_path, GOOD + body.replace("name: snils", "name: snils-two"))
    assert "types[1].request" in str(error) and "already the payload of 'snils'" in str(error)


@pytest.mark.parametrize(("text", "words"), [
    ("", "the file is empty"),
    ("types: [\n", "not valid YAML"),
    ("types: []\n", "types: must be a non-empty list"),
    ("- a\n- b\n", "expected a registry"),
    ("types:\n  - just a string\n", "types[0]: expected a message type"),
])
def test_unusable_files_are_reported(tmp_path, text, words):
    assert words in str(_error(tmp_path, text))


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(RegistryError, match="no such file"):
        load_registry(tmp_path / "none.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("types: [é]".encode("latin-1"))
    with pytest.raises(RegistryError, match="not UTF-8"):
        load_registry(bad)
    with pytest.raises(RegistryError, match="directory"):
        load_registry(tmp_path)
