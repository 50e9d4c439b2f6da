"""Scale-out efficiency is shown only where the first point of a sweep is at or above capacity (its throughput
interval wholly below the best point's), the rule `smev-sim capacity` applies too; otherwise the run says why."""

from hypothesis import given
from hypothesis import strategies as st

from sim.metrics.stats import Interval
from sim.runner.sweep import at_capacity, carries_less, efficiency_note


def iv(mean, half):
    return Interval(5, mean, half, half)


def test_first_point_saturated_is_at_capacity():
    throughput = [iv(10.0, 0.5), iv(19.5, 0.6), iv(38.0, 1.0)]
    assert at_capacity(throughput) == [True, True, False]
    assert efficiency_note(throughput, [1, 2, 4]) is None


def test_first_point_carrying_the_offered_load_is_not():
    # the offered load (10/s) is carried at every point: throughput flat, intervals overlap
    throughput = [iv(10.0, 0.3), iv(10.1, 0.3), iv(9.9, 0.3)]
    assert at_capacity(throughput)[0] is False
    note = efficiency_note(throughput, [1, 2, 4])
    assert note is not None and "below capacity" in note and "(1)" in note


def test_overlap_at_the_edge_is_not_capacity():
    assert not carries_less(10.0, 10.0) and carries_less(9.99, 10.0)
    assert not carries_less(None, 10.0) and not carries_less(1.0, None)


def test_unknown_intervals_are_not_capacity():
    throughput = [Interval(1, 10.0, None, None), iv(20.0, 1.0)]
    assert at_capacity(throughput)[0] is False and efficiency_note(throughput, [1, 2]) is not None
    assert at_capacity([Interval(0, None, None, None)] * 2) == [False, False]


@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e3)), min_size=2, max_size=8))
def test_at_capacity_matches_the_definition(pairs):
    throughput = [iv(m, h) for m, h in pairs]
    best = max(throughput, key=lambda i: i.mean)
    flags = at_capacity(throughput)
    for flag, i in zip(flags, throughput, strict=True):
        assert flag == (i.mean + i.half_width < best.mean - best.half_width)
    assert not flags[throughput.index(best)]
    assert (efficiency_note(throughput, list(range(len(pairs)))) is None) == flags[0]
