"""Shortest paths: the frontier-based search picks exactly the path (and breaks ties exactly as) the plain scan over
every location did, on random networks with many equal latencies, leaf regions, links down and partitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.network import Link, Network
from sim.scenario.distributions import Constant


def reference_path(net: Network, a: str, b: str) -> list[Link] | None:
    """Dijkstra as first written: every pass scans all unsettled locations for the nearest (first one on ties)."""
    if frozenset((a, b)) in net.cut:
        return None
    dist = {a: 0.0}
    prev: dict[str, Link] = {}
    todo = list(dict.fromkeys([*net.locations, a, b]))
    while todo:
        here = min(todo, key=lambda n: dist.get(n, math.inf))
        if dist.get(here, math.inf) == math.inf:
            return None
        todo.remove(here)
        if here == b:
            break
        if here != a and here not in net.transit:
            continue
        for link in net.links.values():
            if not link.up or here not in (link.a, link.b):
                continue
            there = link.b if link.a == here else link.a
            if frozenset((a, there)) in net.cut or frozenset((here, there)) in net.cut:
                continue
            d = dist[here] + link.mean_latency
            if d < dist.get(there, math.inf):
                dist[there] = d
                prev[there] = link
    if b not in prev:
        return None
    hops: list[Link] = []
    node = b
    while node != a:
        link = prev[node]
        hops.append(link)
        node = link.a if link.b == node else link.b
    hops.reverse()
    return hops


@st.composite
def networks(draw: st.DrawFn) -> Network:
    n = draw(st.integers(2, 9))
    names = [f"n{i}" for i in range(n)]
    transit = frozenset(name for name in names if draw(st.integers(0, 3)) > 0)
    net = Network(names, np.random.default_rng(0), transit)
    pairs = [(x, y) for i, x in enumerate(names) for y in names[i + 1:]]
    for x, y in draw(st.lists(st.sampled_from(pairs), unique=True, min_size=len(pairs) // 2, max_size=len(pairs))):
        net.add_link(x, y, Constant(draw(st.sampled_from([1.0, 1.0, 1.0, 0.0, 2.0]))), 1e9, 0.0)
    for link in net.links.values():
        link.up = draw(st.integers(0, 9)) > 0
    for x, y in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=2)):
        net.cut.add(frozenset((x, y)))
    net.changed()
    return net


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
@settings(max_examples=150, deadline=None)
@given(net=networks(), data=st.data())
def test_model_shortest_path_matches_the_full_scan(net: Network, data: st.DataObject) -> None:
    a, b = data.draw(st.lists(st.sampled_from(net.locations), min_size=2, max_size=2, unique=True))
    expected = reference_path(net, a, b)
    got = net._shortest(a, b)
    assert (None if got is None else [id(link) for link in got]) == \
        (None if expected is None else [id(link) for link in expected])


def test_model_equal_paths_go_through_the_first_listed_location() -> None:
    net = Network(["a", "y", "x", "b"], np.random.default_rng(0), frozenset({"x", "y"}))
    for p, q in (("a", "x"), ("a", "y"), ("x", "b"), ("y", "b")):
        net.add_link(p, q, Constant(1.0), 1e9, 0.0)
    assert [(link.a, link.b) for link in net._shortest("a", "b")] == [("a", "y"), ("y", "b")]
    assert [id(link) for link in net._shortest("a", "b")] == [id(link) for link in reference_path(net, "a", "b")]
