"""Loading: shipped scenarios, defaults, lazy group expansion, overrides, sweeps, profiles, the validate command."""

import pickle
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_base_text import BASE

from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario import load, loads, schema, sweep_points, with_overrides
from sim.scenario.build_traffic import shift_points
from sim.scenario.model import DailyProfile, DataCentreLoss

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
REQUIRED_SHIPPED = {"national-working-day", "dc-loss-replicated", "esia-outage", "region-cut-off",
                    "misbehaving-participant", "provider-outage-48h", "realtime-surge", "scaleout-bus-nodes"}


def test_every_required_scenario_is_shipped():
    assert {p.stem for p in SHIPPED} >= REQUIRED_SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_loads_and_states_its_question(path):
    scenario = load(path)
    assert scenario.name == path.stem
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and ("Question" in first or "REFERENCE" in first)
    assert scenario.slos and scenario.run.duration > scenario.run.warmup


def test_the_reference_scenario_documents_every_field_of_the_schema():
    text = (SCENARIOS / "reference.yaml").read_text(encoding="utf-8")
    keys = set(re.findall(r"^[ #]*-? *([a-z_]+):", text, flags=re.MULTILINE))
    keys |= set(re.findall(r"[{,] *([a-z_]+):", text))
    missing = {f"{section}.{key}" for section, fields in schema.SECTIONS.items() for key in fields if key not in keys}
    assert not missing


def test_defaults_are_filled_in_and_in_si_units():
    scenario = loads(BASE)
    assert scenario.topology.bus.node_concurrency == 64
    assert scenario.policies.ttl == 5 * 86400
    assert scenario.policies.retry.jitter == 0.2
    assert scenario.policies.fragmentation_threshold == 5 * 2**20
    assert scenario.run.replications == 5 and scenario.run.duration == 1800 and scenario.run.warmup == 120
    assert scenario.topology.portal.data_centres == ("moscow-1", "moscow-2")
    assert scenario.message_types["egrul-extract"].processing_time.mean == pytest.approx(0.2)
    assert scenario.faults == (DataCentreLoss("dc", 600.0, 900.0, "moscow-1"),)
    assert scenario.slos[0].threshold == 2.0 and scenario.slos[0].holds(1.9) and not scenario.slos[0].holds(2.1)
    # the data centres are fully meshed, and each region has an uplink to each data centre
    assert {frozenset((link.a, link.b)) for link in scenario.topology.links} == {
        frozenset(("moscow-1", "moscow-2")), frozenset(("tatarstan", "moscow-1")), frozenset(("tatarstan", "moscow-2"))}


def test_groups_expand_deterministically_with_region_codes():
    scenario = loads(BASE)
    names = [p.name for p in scenario.participants]
    assert names == ["fns", "bank-001", "bank-002", "bank-003"] + [f"municipality-16-00{i}" for i in range(1, 5)]
    member = scenario.participants.get("municipality-16-003")
    assert member.region == "tatarstan" and member.via_regional_share == 1.0 and member.group == "municipality"
    assert scenario.participants.get("bank-002").data_centre == "moscow-2"
    with pytest.raises(KeyError):
        scenario.participants.get("municipality-16-005")


@pytest.mark.serial  # a wall-clock bound: measured alone, after the parallel pass
def test_ten_thousand_participants_load_lazily_and_cheaply():
    text = BASE.replace("  regions:\n    tatarstan: {code: 16}\n", "  region_series: {count: 85}\n").replace(
        "per_region: 4", "per_region: 118")
    started = time.perf_counter()
    scenario = loads(text)
    assert time.perf_counter() - started < 2.0
    assert len(scenario.participants) == 4 + 85 * 118
    last = scenario.participants.groups["municipality"].member(85 * 118 - 1)
    assert last.name == "municipality-85-118" and last.region == "region-85"


def test_a_fault_may_target_a_generated_member_but_not_one_beyond_the_count():
    text = BASE.replace("faults:\n", "faults:\n  down: {kind: participant-down, participant: bank-003, at: 1min}\n")
    assert loads(text).faults[0].participant == "bank-003"
    bad = text.replace("bank-003", "bank-004")
    with pytest.raises(ScenarioError, match=r"<string>:22: faults.down.participant: unknown participant or group 'bank-004'"):
        loads(bad)


def test_with_overrides_validates_and_leaves_the_original_alone():
    scenario = loads(BASE)
    bigger = with_overrides(scenario, {"topology.data_centres.moscow-1.bus_nodes": "8", "run.warmup": "1min",
                                      "topology.bus.node_concurrency": 4})
    assert bigger.topology.data_centres["moscow-1"].bus_nodes == 8
    assert bigger.run.warmup == 60 and bigger.topology.bus.node_concurrency == 4
    assert scenario.topology.data_centres["moscow-1"].bus_nodes == 2 and scenario.run.warmup == 120
    with pytest.raises(ScenarioError) as info:
        with_overrides(scenario, {"run.warmup": "1 fortnight"})
    assert info.value.messages == ["<string>: run.warmup: 'fortnight' is not a duration unit (use one of ns, us, µs, ms, "
                                   "s, min, m, h, d) (value from override run.warmup='1 fortnight')"]
    with pytest.raises(ScenarioError, match="unknown field"):
        with_overrides(scenario, {"topology.bus.node_concurency": 4})
    with pytest.raises(ScenarioError, match="is a single value"):
        with_overrides(scenario, {"name.x": 1})
    with pytest.raises(ScenarioError) as info:  # a typo must not add a data centre
        with_overrides(scenario, {"topology.data_centres.moscow-9.bus_nodes": 4})
    assert info.value.messages == ["<string>: topology.data_centres.moscow-9.bus_nodes: topology.data_centres has no "
                                   "entry 'moscow-9' (did you mean 'moscow-2'?) (override "
                                   "topology.data_centres.moscow-9.bus_nodes=4)"]


def test_sweep_points_are_validated_scenarios():
    text = BASE.replace("run: {duration: 30min, warmup: 2min}\n",
                        "run:\n  duration: 30min\n  sweep: {parameter: topology.data_centres.moscow-1.bus_nodes, "
                        "values: [1, 2, 4]}\n")
    text = text.replace("slos:\n", "slos:\n  scale: scaleout.efficiency >= 0.8\n")
    scenario = loads(text)
    points = sweep_points(scenario)
    assert [value for value, _ in points] == [1, 2, 4]
    assert [point.topology.data_centres["moscow-1"].bus_nodes for _, point in points] == [1, 2, 4]
    assert all(point.run.sweep == scenario.run.sweep for _, point in points)


def test_scenarios_pickle_for_worker_processes():
    scenario = loads(BASE)
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy.topology == scenario.topology and copy.run == scenario.run
    assert with_overrides(copy, {"run.seed": 9}).run.seed == 9


def test_start_of_day_shifts_profiles():
    text = BASE.replace("  flows:\n", "  profiles:\n    day: {'00:00': 0.1, '09:00': 1, '18:00': 0.3}\n  flows:\n")
    text = text.replace("run: {duration: 30min, warmup: 2min}", "run: {duration: 30min, warmup: 2min, start_of_day: '10:00'}")
    profile = loads(text).workload.profiles["day"]
    assert profile.points == ((0.0, 1.0), (8 * 3600.0, 0.3), (14 * 3600.0, 0.1), (23 * 3600.0, 1.0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1439), st.floats(0, 5)), min_size=1, max_size=8,
                unique_by=lambda p: p[0]).map(lambda ps: [(0, ps[0][1])] + [p for p in ps[1:] if p[0] != 0]),
       st.integers(0, 1439), st.floats(0, 86400 * 2))
def test_shifted_profile_at_t_equals_the_written_profile_at_the_time_of_day(points, start_minute, t):
    written = [(minute * 60.0, factor) for minute, factor in sorted(points)]
    original = DailyProfile("p", tuple(written))
    shifted = DailyProfile("p", shift_points(written, start_minute * 60.0))
    assert shifted.factor(t) == original.factor(t + start_minute * 60.0)


def test_validate_command_prints_ok_or_problems(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("rate: 5/s", "rate: 5"))
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert out == f"{good}: ok: small: 8 participants, 3 groups, 1 region, 1 message type, 1 flow, 1 fault, 1 SLO\n"
    assert main(["validate", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:20: workload.flows.banks.rate: rate 5 has no unit" in err
    assert main(["validate", "--explain"]) == 0
    assert "crl_cache_lifetime" in capsys.readouterr().out
    assert main(["validate"]) == 2


def test_peak_loads_follow_littles_law_and_overloads_are_noted(tmp_path, capsys):
    from sim.scenario.capacity import overloads, peak_loads

    scenario = loads(BASE)  # 5/s of EGRUL extracts at 200 ms each on fns's 8 workers; 10 messages/s on the bus
    by_name = {load.component: load for load in peak_loads(scenario)}
    assert by_name["fns"].busy == pytest.approx(1.0) and by_name["fns"].capacity == 8
    assert by_name["bus"].busy == pytest.approx(10 * 0.004) and by_name["bus"].capacity == 4 * 64
    assert overloads(scenario) == []
    heavy = with_overrides(scenario, {"workload.flows.banks.rate": "100/s"})
    assert [(o.component, round(o.utilisation, 3)) for o in overloads(heavy)] == [("fns", 2.5)]
    scaled = with_overrides(heavy, {"run.traffic_scale": 0.1, "run.tagged_share": "1%"})  # the background loads too
    assert {load.component: round(load.busy, 6) for load in peak_loads(scaled)} == {"fns": 2.0, "bus": 0.08}
    path = tmp_path / "heavy.yaml"
    path.write_text(BASE.replace("rate: 5/s", "rate: 100/s"))
    assert main(["validate", str(path)]) == 0
    assert f"{path}: note: fns is offered 250% of its capacity at the peak (20 busy of 8 workers)" in capsys.readouterr().out


@pytest.mark.parametrize("path", [p for p in SHIPPED if p.stem != "scaleout-bus-nodes"], ids=lambda p: p.stem)
def test_shipped_scenarios_are_not_accidentally_overloaded(path):
    from sim.scenario.capacity import overloads

    assert overloads(load(path), limit=0.8) == []
