"""The floor's bounds and errors: hostile YAML is refused with a place, in time linear in its text."""

from __future__ import annotations

import time

import pytest

from conformance.errors import InputError
from conformance.registry import RegistryError, load_registry
from conformance.yamlnodes import MAX_DEPTH, MAX_NODES, Problem, SchemaErrors, compose_text, load_yaml


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("aliases", [True, False])
def test_billion_laughs_is_refused_in_linear_time(aliases):
    small, big = _laughs(6), _laughs(60)  # 10^6 and 10^60 values once expanded
    for text in (small, big):
        start = time.perf_counter()
        with pytest.raises(SchemaErrors) as caught:
            compose_text(text, "laughs.yaml", aliases=aliases)
        assert time.perf_counter() - start < 2.0
        message = str(caught.value)
        assert message.startswith("laughs.yaml:")
        assert (f"expands to more than {MAX_NODES} values" in message if aliases
                else "anchors and aliases are not allowed here" in message)


def test_aliases_within_the_budget_expand_and_merge_keys_are_honoured_where_allowed():
    tree = compose_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", "m.yaml", aliases=True)
    assert tree.plain() == {"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}}
    with pytest.raises(SchemaErrors, match="m.yaml:3: YAML merge keys are not allowed here|anchors and aliases"):
        compose_text("base: &b {x: 1}\nother:\n  <<: *b\n", "m.yaml")


def test_nesting_beyond_the_limit_is_refused_with_its_line():
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 2)) + "  " * (MAX_DEPTH + 2) + "v: 1\n"
    with pytest.raises(SchemaErrors, match=f"nests deeper than {MAX_DEPTH} levels"):
        compose_text(text, "deep.yaml")


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\na: 2\n", "x.yaml:2: duplicate key 'a' (first on line 1)"),
    ("a:\n  b: 1\n  b: 2\n", "x.yaml:3: a: duplicate key 'b' (first on line 2)"),
    ("a: [1\n", "x.yaml:2: not valid YAML"),
    ("a: 1\n---\nb: 2\n", "x.yaml:3: the file holds one YAML document, this one has several"),
    ("", "x.yaml:1: the file is empty"),
    ("a: !!python/object:os.system x\n", "x.yaml:1: a: unreadable value"),
])
def test_ill_formed_yaml_is_one_problem_with_file_and_line(text, message):
    with pytest.raises(SchemaErrors) as caught:
        compose_text(text, "x.yaml")
    assert str(caught.value).startswith(message) and isinstance(caught.value, InputError)


def test_unreadable_files_name_the_file(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(SchemaErrors, match=r"bad.yaml:2: not UTF-8 text \(byte 8\)"):
        load_yaml(tmp_path / "bad.yaml")
    with pytest.raises(SchemaErrors, match="none.yaml: cannot read: no such file"):
        load_yaml(tmp_path / "none.yaml")
    (tmp_path / "big.yaml").write_bytes(b"a: 1\n" * 500_000)
    with pytest.raises(SchemaErrors, match="big.yaml: file is larger than 2048 KiB"):
        load_yaml(tmp_path / "big.yaml")


def test_a_registry_lists_every_problem_at_once(tmp_path):
    path = tmp_path / "types.yaml"
    path.write_text("types:\n  - name: Bad Name\n    realtime: maybe\n    colour: red\n", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    text = str(caught.value)
    assert caught.value.rule == "MSG-REGISTRY" and caught.value.line == 2
    for expected in (f"{path}:2: types[0].request: missing required field",
                     f"{path}:2: types[0].name: 'Bad Name' is not a valid name",
                     f"{path}:3: types[0].realtime: expected true or false, got 'maybe'",
                     f"{path}:4: types[0].colour: unknown field"):
        assert expected in text, text


def test_errors_cross_process_boundaries_whole():
    import pickle

    from sim.errors import ScenarioError

    for error in (ScenarioError([Problem("s.yaml", 3, "run.seed", "expected a whole number")]),
                  RegistryError([Problem("t.yaml", None, "", "cannot read: no such file")], rule="MSG-REGISTRY")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and copy.problems == error.problems and str(copy) == str(error)
        assert copy.rule == error.rule
