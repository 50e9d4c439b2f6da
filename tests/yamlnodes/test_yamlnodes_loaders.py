"""Every loader of a hand-written YAML file reads through the one floor: a misspelt key at any depth of a real file is
reported at its own line, under its dotted path, with the key that was meant.

The documents are the shipped ones (a scenario, a suite, a participant file, the negative catalogue, the registry);
hypothesis picks a mapping whose keys a schema fixes (at any depth), one of its keys, and a misspelling of it (a
doubled letter), edits the text at the key's line and loads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.negative.loader import catalogue_path, load_catalogue
from conformance.registry import DEFAULT_REGISTRY, load_registry
from conformance.schemas import PAYLOAD_SCHEMA_DIR
from conformance.suites.lint import SHIPPED_DIR
from conformance.suites.participant import SHIPPED_ROOT, load_participant
from conformance.suites.schema import load_suite
from conformance.yamlnodes import Node, SchemaErrors, compose_text, join
from sim.scenario import load
from sim.scenario.schema import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
_STEP = r"cases\[\d+\]\.steps\[\d+\]\.(deliver|trigger|expect|fault|crash)"


def _patterns(*paths: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in paths))


def _scenario_sections() -> re.Pattern[str]:
    """`sim.scenario.schema.SECTIONS` as a pattern over dotted paths (`<name>` a name, `[]` an index)."""
    paths = []
    for section in SECTIONS:
        if section.startswith("faults.<name> (kind"):
            continue
        paths.append(re.escape(section).replace(re.escape("<name>"), r"[^.\[]+").replace(re.escape("[]"), r"\[\d+\]"))
    return _patterns(*paths)


# (name, shipped file, loader, paths of the mappings whose keys a schema fixes, text edit making the copy loadable)
CASES: list[tuple[str, Path, Callable[[Path], object], re.Pattern[str], Callable[[str], str]]] = [
    ("scenario", ROOT / "scenarios" / "reference.yaml", load, _scenario_sections(), lambda t: t),
    ("suite", SHIPPED_DIR / "provider.yaml", load_suite,
     _patterns("", "settings", r"cases\[\d+\]", _STEP), lambda t: t),
    ("participant", SHIPPED_ROOT / "reference" / "participants" / "reference.consumer.yaml", load_participant,
     _patterns("", "keys", "trust", "bus", "start", r"trigger\.http"), lambda t: t),
    ("catalogue", catalogue_path(), load_catalogue,
     _patterns("", r"cases\[\d+\]", r"cases\[\d+\]\.(start|expect|transport|force)"), lambda t: t),
    ("registry", DEFAULT_REGISTRY, load_registry, _patterns("", r"types\[\d+\]", r"types\[\d+\]\.(request|response)"),
     lambda t: re.sub(r"(?m)^schema_dir: .*$", f"schema_dir: {PAYLOAD_SCHEMA_DIR}", t)),
]


def _keys(node: Node, schema_paths: re.Pattern[str]) -> Iterator[tuple[Node, str]]:
    """(mapping, key) for every key of every schema-checked mapping of the tree."""
    if node.is_map:
        if schema_paths.fullmatch(node.path):
            yield from ((node, key) for key in node.value)
        for child in node.value.values():
            yield from _keys(child, schema_paths)
    elif node.is_seq:
        for child in node.value:
            yield from _keys(child, schema_paths)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_a_misspelt_key_at_any_depth_is_reported_at_its_line_with_the_key_meant(name, tmp_path_factory):
    _, shipped, loader, schema_paths, localise = next(c for c in CASES if c[0] == name)
    text = localise(shipped.read_text(encoding="utf-8"))
    tree = compose_text(text, str(shipped), aliases=True)
    candidates = []
    for mapping, key in _keys(tree, schema_paths):
        line = mapping.key_lines[key]
        if len(key) >= 3 and len(re.findall(rf"(?<![\w.-]){re.escape(key)}(?=\s*:)", text.splitlines()[line - 1])) == 1:
            candidates.append((mapping, key, line))
    depths = {m.path.count(".") + m.path.count("[") for m, _, _ in candidates}
    assert len(candidates) >= 5 and len(depths) >= 2, (name, len(candidates), depths)
    folder = tmp_path_factory.mktemp(name)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(candidates), st.data())
    def check(candidate, data):
        mapping, key, line = candidate
        at = data.draw(st.integers(0, len(key) - 1), label="doubled letter")
        typo = key[: at + 1] + key[at:]
        if typo in mapping.value:
            return
        lines = text.splitlines(keepends=True)
        lines[line - 1] = re.sub(rf"(?<![\w.-]){re.escape(key)}(?=\s*:)", typo, lines[line - 1], count=1)
        path = folder / shipped.name
        path.write_text("".join(lines), encoding="utf-8")
        with pytest.raises(SchemaErrors) as caught:
            loader(path)
        expected = f"{path}:{line}: {join(mapping.path, typo)}: unknown field (did you mean {key!r}?)"
        assert any(str(p).startswith(expected) for p in caught.value.problems), (expected, caught.value.messages)

    check()


@settings(max_examples=40, deadline=None)
@given(st.recursive(st.dictionaries(st.from_regex(r"[a-z]{3,8}", fullmatch=True), st.integers(0, 9), min_size=1,
                                    max_size=4),
                    lambda inner: st.dictionaries(st.from_regex(r"[a-z]{3,8}", fullmatch=True), inner, min_size=1,
                                                  max_size=3), max_leaves=12),
       st.data())
def test_every_generated_mapping_keeps_the_line_and_path_of_each_key(document, data):
    """The floor itself, on generated nesting: each key's line and dotted path are where the text put them."""
    lines: list[str] = []
    where: dict[str, int] = {}

    def write(mapping: dict, indent: int, path: str) -> None:
        for key, value in mapping.items():
            where[join(path, key)] = len(lines) + 1
            if isinstance(value, dict):
                lines.append(" " * indent + f"{key}:")
                write(value, indent + 2, join(path, key))
            else:
                lines.append(" " * indent + f"{key}: {value}")

    write(document, 0, "")
    tree = compose_text("\n".join(lines) + "\n", "gen.yaml")
    path = data.draw(st.sampled_from(sorted(where)))
    node, parent = tree, tree
    for part in path.split("."):
        parent, node = node, node.value[part]
    assert node.path == path and parent.key_lines[path.split(".")[-1]] == where[path]
