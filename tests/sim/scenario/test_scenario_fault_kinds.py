"""The fault kinds are a registry of units (`sim.scenario.faultkinds.KINDS`): each kind's own fields are what
`validate` accepts for it, a misspelt one is refused with the nearest of that kind's fields, and a field of another
kind is refused; `validate --explain` lists every kind with its fields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_base_text import edit

from sim.errors import ScenarioError
from sim.scenario import loads
from sim.scenario.faultkinds import KINDS
from sim.scenario.schema import FAULT_COMMON, explain

WITH_FIELDS = [(kind, name) for kind, unit in KINDS.items() for name in unit.fields]


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text)
    return str(info.value).splitlines()


def test_every_kind_is_one_unit_with_its_model_class_and_is_explained():
    assert list(KINDS) == [unit.fault.kind for unit in KINDS.values()]
    text = explain()
    assert all(kind in text for kind in KINDS)
    for kind, unit in KINDS.items():
        if unit.fields:
            section = text.split(f"faults.<name> (kind: {kind}):")[1].split("\n\n")[0]
            assert all(f"  {name}" in section for name in unit.fields), kind
    assert FAULT_COMMON["kind"].doc == ", ".join(KINDS)


@settings(max_examples=30, deadline=None)
@given(pair=st.sampled_from(WITH_FIELDS), cut=st.integers(min_value=1, max_value=2))
def test_a_misspelt_field_of_a_kind_is_refused_with_that_kinds_nearest_field(pair, cut):
    kind, name = pair
    typo = name[:-1] + "q" * cut  # one or two letters wrong at the end
    found = problems(edit(22, f"  x: {{kind: {kind}, at: 1min, {typo}: 1}}"))
    line = next(p for p in found if f"faults.x.{typo}:" in p)
    assert "unknown field" in line and f"'{name}'" in line, found


@pytest.mark.parametrize("kind", [k for k, unit in KINDS.items() if "data_centre" not in unit.fields])
def test_a_field_of_another_kind_is_refused(kind):
    found = problems(edit(22, f"  x: {{kind: {kind}, at: 1min, data_centre: moscow-1}}"))
    assert any("faults.x.data_centre: unknown field" in p for p in found), found
