"""The runner: seeded replications, the precision loop, sweeps with paired scale-out efficiency, SLO verdicts."""

from dataclasses import replace

import pytest
from runner_fakes import FakeScenario, fake_simulate, fake_sweep_points, slo, with_sweep

from sim.runner import Precision, execute, run_replications
from sim.runner.replications import ReplicationSet, extend


def test_same_seed_same_numbers_and_replications_differ():
    a, _ = run_replications(FakeScenario(), 7, 3, simulate=fake_simulate)
    b, _ = run_replications(FakeScenario(), 7, 3, simulate=fake_simulate)
    assert [s.metrics for s in a.summaries] == [s.metrics for s in b.summaries]
    means = a.values("realtime.latency.mean")
    assert len(set(means)) == 3
    assert [s.seed for s in a.summaries] == [{"entropy": 7, "spawn_key": [i]} for i in range(3)]
    c, _ = run_replications(FakeScenario(), 8, 3, simulate=fake_simulate)
    assert c.values("realtime.latency.mean") != means


def test_a_replication_does_not_depend_on_batching():
    batched = ReplicationSet(7)
    extend(batched, FakeScenario(), 2, simulate=fake_simulate)
    extend(batched, FakeScenario(), 3, simulate=fake_simulate)
    whole, _ = run_replications(FakeScenario(), 7, 5, simulate=fake_simulate)
    assert batched.values("messages.sent") == whole.values("messages.sent")


def test_precision_loop_adds_replications_until_the_target_is_met():
    metric = "realtime.latency.mean"
    first, _ = run_replications(FakeScenario(), 7, 3, simulate=fake_simulate)
    assert first.interval(metric).relative_half_width > 0.05  # the loop has work to do
    rset, outcome = run_replications(FakeScenario(), 7, 3, simulate=fake_simulate,
                                     precision=Precision(0.05, cap=40), watch=[metric])
    assert outcome.reached and rset.n > 3
    assert rset.interval(metric).relative_half_width <= 0.05
    assert outcome.relative_half_widths[metric] == rset.interval(metric).relative_half_width
    # the stop is where the target was first met by the plan, not the cap
    assert rset.n < 40


def test_precision_loop_stops_at_the_cap_and_says_so():
    rset, outcome = run_replications(FakeScenario(), 7, 2, simulate=fake_simulate,
                                     precision=Precision(0.0001, cap=6), watch=["realtime.latency.mean"])
    assert rset.n == 6 and not outcome.reached and outcome.cap == 6


def test_precision_arguments_are_checked():
    with pytest.raises(ValueError):
        Precision(1.5)
    with pytest.raises(ValueError, match="at least 2"):
        run_replications(FakeScenario(), 7, 1, simulate=fake_simulate)


def test_execute_judges_slos_on_intervals():
    sc = replace(FakeScenario(), slos=(
        slo("realtime.latency.mean", "<=", 10.0, "mean latency"),  # M/M/1 at rho .5: W = 2 s
        slo("realtime.latency.mean", "<=", 1.0, "too strict"),
        slo("messages.lost", "==", 0, "nothing lost"),
    ))
    result = execute(sc, simulate=fake_simulate)
    by_name = {v.name: v for _, v in result.verdicts}
    assert by_name["mean latency"].passed and by_name["nothing lost"].passed
    assert not by_name["too strict"].passed and not result.passed
    assert by_name["mean latency"].ci_low <= 2.0 <= by_name["mean latency"].ci_high  # M/M/1 theory: 1/(mu - lambda)
    assert result.points[0].replications.n == 3


def test_execute_raises_a_single_replication_to_two():
    sc = FakeScenario()
    result = execute(sc, replications=1, simulate=fake_simulate)
    assert result.points[0].replications.n == 2 and result.requested_replications == 1


def test_sweep_reports_throughput_and_paired_efficiency():
    sc = with_sweep(replace(FakeScenario(), slos=(slo("scaleout.efficiency", ">=", 0.9, "scales"),)),
                    "servers", (1, 2, 4))
    result = execute(sc, simulate=fake_simulate, points=fake_sweep_points)
    sweep = result.sweep
    assert sweep.values == [1, 2, 4] and sweep.throughput_metric == "throughput.delivered_per_s"
    x = [iv.mean for iv in sweep.throughput]
    assert x[1] == pytest.approx(2 * x[0], rel=0.05) and x[2] == pytest.approx(4 * x[0], rel=0.05)
    assert sweep.efficiency[0].mean == 1.0
    # common random numbers make the paired interval far narrower than the throughput intervals
    assert sweep.scaleout.half_width < sweep.throughput[0].relative_half_width
    assert sweep.scaleout.low <= 1.0 + 0.05 and sweep.scaleout.high >= 1.0 - 0.05
    assert result.sweep_verdicts[0].passed and result.passed
    # answers per second are reported beside deliveries; here every delivered request is answered
    assert [iv.mean for iv in sweep.goodput] == pytest.approx(x, rel=0.01)


def test_sweep_efficiency_catches_a_system_that_does_not_scale():
    # arrival rate fixed, only service capacity added: throughput stays at the offered load
    sc = with_sweep(replace(FakeScenario(), slos=(slo("scaleout.efficiency", ">=", 0.8, "scales"),)),
                    "service_rate", (1, 4))
    result = execute(sc, simulate=fake_simulate, points=fake_sweep_points)
    assert result.sweep.scaleout.mean == pytest.approx(0.25, rel=0.05)
    assert not result.sweep_verdicts[0].passed


def test_efficiency_slo_without_a_sweep_fails_for_lack_of_data():
    sc = replace(FakeScenario(), slos=(slo("scaleout.efficiency", ">=", 0.8),))
    result = execute(sc, simulate=fake_simulate)
    assert not result.passed and result.sweep_verdicts[0].reason.startswith("no data")


def test_audit_files_per_replication(tmp_path):
    execute(FakeScenario(), simulate=fake_simulate, audit_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"replication-{i:03d}.jsonl" for i in range(3)]
