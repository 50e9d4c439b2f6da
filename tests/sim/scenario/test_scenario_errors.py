"""Every kind of scenario error, each reported as `<string>:LINE: path.to.field: what is wrong` at its exact line."""

import pytest
from scenario_base_text import BASE, edit

from sim.errors import ScenarioError
from sim.scenario import loads


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text)
    return info.value.messages


def test_the_base_scenario_is_valid():
    scenario = loads(BASE)
    assert len(scenario.participants) == 1 + 3 + 4


@pytest.mark.parametrize(("line", "new", "expected"), [
    # unknown field, with a suggestion
    (4, "    moscow-1: {bus_node: 2}",
     "<string>:4: topology.data_centres.moscow-1.bus_node: unknown field (did you mean 'bus_nodes'?)"),
    (16, "    realtme: true", "<string>:16: message_types.egrul-extract.realtme: unknown field (did you mean 'realtime'?)"),
    # missing unit, wrong unit, negative rate
    (17, "    processing_time: exp(200)", "<string>:17: message_types.egrul-extract.processing_time: duration '200' has no unit"),
    (20, "    banks: {consumer: bank, type: egrul-extract, rate: 5/fortnight}",
     "<string>:20: workload.flows.banks.rate: '/fortnight' is not a rate unit"),
    (20, "    banks: {consumer: bank, type: egrul-extract, rate: -5/s}",
     "<string>:20: workload.flows.banks.rate: must not be negative, got '-5/s'"),
    (20, "    banks: {consumer: bank, type: egrul-extract, rate: 5}", "<string>:20: workload.flows.banks.rate: rate 5 has no unit"),
    (25, "run: {duration: 30, warmup: 2min}", "<string>:25: run.duration: duration 30 has no unit"),
    # unknown references
    (14, "    provider: fsn", "<string>:14: message_types.egrul-extract.provider: unknown participant or group 'fsn' "
                               "(did you mean 'fns'?)"),
    (20, "    banks: {consumer: bank, type: egrul, rate: 5/s}",
     "<string>:20: workload.flows.banks.type: unknown message type 'egrul' (did you mean 'egrul-extract'?)"),
    (9, "    fns: {kind: federal-agency, data_centre: moscow-3, role: provider}",
     "<string>:9: topology.participants.fns.data_centre: unknown data centre 'moscow-3' (did you mean 'moscow-"),
    # a fault in a data centre that does not exist
    (22, "  dc: {kind: data-centre-loss, data_centre: kazan-1, at: 10min, duration: 5min}",
     "<string>:22: faults.dc.data_centre: unknown data centre 'kazan-1'"),
    (22, "  dc: {kind: meteor-strike, data_centre: moscow-1, at: 10min}", "<string>:22: faults.dc.kind: 'meteor-strike' is not one of"),
    (22, "  dc: {kind: data-centre-loss, data_centre: moscow-1, at: 2h}",
     "<string>:22: faults.dc.at: starts at 2h, after the run ends (30min)"),
    # SLOs: unknown metric, threshold in the wrong unit, malformed
    (24, "  rt: realtime.latency.p999 <= 2s",
     "<string>:24: slos.rt: unknown metric 'realtime.latency.p999' (did you mean 'realtime.latency.p99'?)"),
    (24, "  rt: realtime.latency.p99 <= 2/s", "<string>:24: slos.rt: threshold of 'realtime.latency.p99': '/s' is not a duration unit"),
    (24, "  rt: realtime.latency.p99 is small", "<string>:24: slos.rt: expected 'metric op threshold'"),
    (24, "  rt: type.egrl-extract.latency.p99 <= 2s",
     "<string>:24: slos.rt: unknown message type 'egrl-extract' (did you mean 'egrul-extract'?)"),
    (24, "  rt: scaleout.efficiency >= 0.8", "<string>:24: slos.rt: 'scaleout.efficiency' is measured across a sweep"),
    # wrong types
    (4, "    moscow-1: {bus_nodes: two}", "<string>:4: topology.data_centres.moscow-1.bus_nodes: expected a whole number, got 'two'"),
    (16, "    realtime: sometimes", "<string>:16: message_types.egrul-extract.realtime: expected true or false, got 'sometimes'"),
    (15, "    consumers: {bank: yes}", "<string>:15: message_types.egrul-extract.consumers: expected '*' or a list"),
    # domain rules: 451 §9 routing, access matrix, placement
    (9, "    fns: {kind: federal-agency, data_centre: moscow-1, role: provider, via: regional-bus}",
     "<string>:9: topology.participants.fns.via: a federal-agency uses the federal bus (451 §9)"),
    (15, "    consumers: [municipality]",
     "<string>:20: workload.flows.banks.consumer: 'bank' may not request 'egrul-extract' (access matrix"),
    (10, "    bank: {kind: bank, data_centre: moscow-2, region: tatarstan, role: consumer}",
     "<string>:10: topology.participants.bank: give exactly one of data_centre, region, regions (got data_centre, region)"),
    (10, "    bank: {kind: bank, data_centre: moscow-2, count: 3, role: provider}",
     "<string>:20: workload.flows.banks.consumer: 'bank' has role 'provider', it cannot send requests"),
    # run
    (25, "run: {duration: 30min, warmup: 1h}", "<string>:25: run.warmup: warm-up 1h is not shorter than the run (30min)"),
])
def test_each_error_names_line_path_and_reason(line, new, expected):
    found = problems(edit(line, new))
    assert any(p.startswith(expected) for p in found), found


def test_all_problems_are_collected_not_just_the_first():
    text = edit(4, "    moscow-1: {bus_node: 2}", edit(14, "    provider: fsn", edit(20, "    banks: {consumer: bank, "
                                                                                         "type: egrul-extract, rate: 5}")))
    found = problems(text)
    assert [p.split(":")[1] for p in found] == ["4", "14", "20"]


def test_missing_required_fields_are_named():
    found = problems("name: x\n")
    assert "<string>:1: topology: missing required field" in found
    assert "<string>:1: message_types: missing required field" in found
    assert "<string>:1: workload: missing required field" in found


def test_replication_factor_beyond_the_data_centres():
    found = problems(BASE + "policies: {replication_factor: 3}\n")
    assert found == ["<string>:26: policies.replication_factor: replication factor 3 needs 3 data centres, "
                     "the topology has 2"]


def test_portal_service_shares_must_sum_to_one_hundred_percent():
    text = BASE.replace("  flows:\n", "  portal:\n    rate: 1/s\n    services:\n"
                                      "      a: {share: 60%, sender: bank, steps: [egrul-extract]}\n"
                                      "      b: {share: 30%, sender: bank, steps: [egrul-extract]}\n  flows:\n")
    assert problems(text) == ["<string>:22: workload.portal.services: service shares sum to 90%, not 100%"]


def test_a_profile_must_start_at_midnight_and_use_times_of_day():
    text = BASE.replace("  flows:\n", "  profiles:\n    day: {'08:00': 1, '25:00': 2}\n  flows:\n")
    found = problems(text)
    assert "<string>:20: workload.profiles.day.25:00: expected a time of day 'HH:MM' between 00:00 and 23:59, got '25:00'" in found
    assert "<string>:20: workload.profiles.day: a profile must start at '00:00'" in found


def test_an_unquoted_distribution_with_a_comma_in_a_flow_mapping_gets_a_hint():
    found = problems(edit(5, "    moscow-2: {bus_nodes: 2}\n  bus: {ingress_time: lognormal(median=4ms, sigma=0.5)}"))
    assert any(p.startswith("<string>:6: topology.bus.ingress_time: unbalanced parentheses") and "quote" in p
               for p in found), found


def test_a_bad_sweep_value_is_reported_at_the_value():
    text = BASE.replace("run: {duration: 30min, warmup: 2min}\n",
                        "run:\n  duration: 30min\n  sweep:\n    parameter: topology.data_centres.moscow-1.bus_nodes\n"
                        "    values:\n      - 1\n      - -4\n")
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(
        "<string>:31: run.sweep.values[1]: with topology.data_centres.moscow-1.bus_nodes = -4: "
        "topology.data_centres.moscow-1.bus_nodes: must be at least 0"), found


@pytest.mark.parametrize(("text", "expected"), [
    ("name: [unclosed\n", "<string>:2: not valid YAML"),
    ("name: a\nname: b\n", "<string>:2: duplicate key 'name' (first on line 1)"),
    ("", "<string>:1: the file is empty"),
    ("name: a\n---\nname: b\n", "<string>:3: the file holds one YAML document"),
    ("- just\n- a list\n", "<string>:1: expected a mapping"),
])
def test_unusable_yaml_is_refused_with_its_line(text, expected):
    found = problems(text)
    assert found[0].startswith(expected), found


def test_an_alias_bomb_is_refused_not_expanded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    found = problems("\n".join(lines) + "\n")
    assert "expands to more than" in found[0]


def test_a_self_referring_alias_is_refused():
    found = problems("a: &x [1, *x]\n")
    assert found[0].startswith("<string>:1: an alias refers to the mapping or list that contains it"), found


def test_a_huge_file_is_refused(tmp_path):
    from sim.scenario import load

    path = tmp_path / "huge.yaml"
    path.write_text("# " + "x" * (3 * 1024 * 1024) + "\n")
    with pytest.raises(ScenarioError, match="larger than"):
        load(path)


def test_unreadable_files_are_reported(tmp_path):
    from sim.scenario import load

    with pytest.raises(ScenarioError, match="cannot read"):
        load(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: x\ndescription: \xe9t\xe9\n")
    with pytest.raises(ScenarioError, match=r"latin1.yaml:2: not UTF-8"):
        load(bad)


@pytest.mark.parametrize(("fault", "expected"), [
    ("{kind: link-down, between: [tatarstan, moscow-1], at: 1min}", None),
    ("{kind: link-down, between: [moscow-1, moscow-1], at: 1min}", "faults.x.between: a link has two different ends"),
    ("{kind: link-down, between: [tatarstan, kazan], at: 1min}", "faults.x.between: unknown data centre or region 'kazan'"),
    ("{kind: link-degraded, between: [moscow-2, moscow-1], at: 1min, loss: 5%, extra_latency: exp(20ms)}", None),
    ("{kind: partition, sides: [[moscow-1], [moscow-2, tatarstan]], at: 1min}", None),
    ("{kind: partition, sides: [[moscow-1], [moscow-1, tatarstan]], at: 1min}", "faults.x.sides[1]: 'moscow-1' is on two sides"),
    ("{kind: partition, sides: [[moscow-1]], at: 1min}", "faults.x.sides: expected two or more lists"),
    ("{kind: bus-node-crash, data_centre: moscow-2, nodes: 2, at: 1min}", None),
    ("{kind: bus-node-crash, data_centre: moscow-2, nodes: 3, at: 1min}", "faults.x.nodes: 3 nodes crash but 'moscow-2' runs 2"),
    ("{kind: participant-slow, participant: municipality-16-002, factor: 10, at: 1min}", None),
    ("{kind: participant-slow, participant: fns, at: 1min}", "faults.x.factor: missing required field"),
    ("{kind: participant-misbehaving, participant: bank, behaviour: flood, rate: 50/s, at: 1min}",
     "faults.x.type: a flood fault needs the message type it sends"),
    ("{kind: participant-misbehaving, participant: bank, behaviour: typo, at: 1min}",
     "faults.x.behaviour: 'typo' is not one of"),
    ("{kind: esia-down, at: 1min, duration: 10min}", None),
    ("{kind: ca-down, at: 1min, data_centre: moscow-1}", "faults.x.data_centre: unknown field"),
])
def test_fault_kinds_and_their_targets(fault, expected):
    text = edit(22, f"  x: {fault}")
    if expected is None:
        assert loads(text).faults[0].name == "x"
    else:
        found = problems(text)
        assert any(p.startswith(f"<string>:22: {expected}") for p in found), found


def test_a_region_without_a_regional_bus_cannot_be_routed_through_one():
    text = edit(7, "    tatarstan: {code: 16, regional_bus: false}",
                edit(10, "    bank: {kind: mfc, region: tatarstan, count: 3, role: consumer, via: regional-bus}"))
    assert "<string>:10: topology.participants.bank.via: region 'tatarstan' has no regional bus" in problems(text)


def test_quotas_and_tariffs_name_participants_groups_kinds_or_default():
    ok = loads(BASE + "policies:\n  quotas:\n    bank: {rate: 2/s}\n    default: {rate: 100/s}\n"
                      "  tariffs:\n    municipality: 0\n    bank: {price: 1.5, free_messages: 10}\n")
    bank = ok.participants.get("bank-002")
    assert ok.policies.quota_for(bank).rate == 2.0
    assert ok.policies.quota_for(ok.participants.get("fns")).rate == 100.0
    assert ok.policies.tariff_for(bank).free_messages == 10
    found = problems(BASE + "policies:\n  quotas:\n    banks: {rate: 2/s}\n")
    assert found == ["<string>:28: policies.quotas.banks: not a participant, group, kind or 'default' (did you mean 'bank'?)"]


@pytest.mark.parametrize(("fault", "expected"), [
    # a valid kind: the field is judged against that kind's fields alone
    ("{kind: esia-down, at: 1min, duraton: 10min}",
     ["<string>:22: faults.x.duraton: unknown field (did you mean 'duration'?); expected one of at, duration, kind"]),
    # no valid kind: the kind is named, and the field against every kind's fields
    ("{kind: esia-dwn, at: 1min, node: 2}",
     ["<string>:22: faults.x.kind: 'esia-dwn' is not one of", "<string>:22: faults.x.node: unknown field (did you mean 'nodes'?)"]),
])
def test_an_unknown_fault_field_is_reported_once(fault, expected):
    found = problems(edit(22, f"  x: {fault}"))
    assert len(found) == len(expected), found
    assert all(p.startswith(e) for p, e in zip(found, expected, strict=True)), found


def test_replications_beyond_the_documented_limit_are_refused_with_readable_numbers():
    found = problems(BASE.replace("run: {duration: 30min,", "run: {replications: 5000, duration: 30min,", 1))
    assert any(p.endswith("run.replications: must be at most 1 000, got 5 000") for p in found), found
