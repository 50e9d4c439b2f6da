"""Link bandwidth shared by the transfers on it: a flow-level model, as SimGrid's.

Every transfer in progress ("flow") crosses the links of its path and gets a rate; the rates are max-min fair
(progressive filling: the most constrained link's capacity is split evenly among its unfrozen flows, those flows are
frozen at that share, and so on), recomputed whenever a flow starts or ends or a link's bandwidth changes. On a single
link this is egalitarian processor sharing: n flows get bandwidth / n each, so a large attachment slows every other
transfer on the link, and an M/M/1-PS link has the mean sojourn 1 / (mu - lambda) whatever the size law.

Rates change only at those events, so one pending completion event serves the whole network (the earliest finishing
flow; an epoch number discards stale ones). A transfer's time is its path's latency (and retransmission timeouts,
added by `Network`) plus its bytes at the rates it gets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sim.engine import Kernel

_DONE_BITS = 1e-6
"""A flow with fewer bits than this left is complete (float rounding of remaining x rate)."""


class Flow:
    __slots__ = ("links", "bits", "rate", "delay", "fn", "args", "started")

    def __init__(self, links: Sequence[Any], bits: float, delay: float, fn: Callable[..., Any], args: tuple,
                 started: float) -> None:
        self.links = links
        self.bits = bits  # still to send
        self.rate = 0.0
        self.delay = delay  # latency added after the last bit (propagation, retransmission timeouts)
        self.fn = fn
        self.args = args
        self.started = started


class Sharing:
    """The flows in progress over a network's links and their max-min fair rates."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.flows: list[Flow] = []
        self.last = 0.0  # when `bits` were last brought up to date
        self.epoch = 0
        self.completed = 0

    def start(self, links: Sequence[Any], bits: float, delay: float, fn: Callable[..., Any], args: tuple) -> None:
        """A transfer of `bits` over `links` starts now; `fn(*args)` is called `delay` after its last bit."""
        self._progress()
        now = self.kernel.now
        flow = Flow(links, bits, delay, fn, args, now)
        for link in links:
            link.flows += 1
            if link.centre is not None:  # the link is a processor-sharing service centre (sim.engine.centre)
                link.centre.meter.enter(now)
        self.flows.append(flow)
        self._reallocate()

    def changed(self) -> None:
        """A link's bandwidth changed: the rates are recomputed from now."""
        if self.flows:
            self._progress()
            self._reallocate()

    def _progress(self) -> None:
        now = self.kernel.now
        dt = now - self.last
        if dt > 0.0:
            for flow in self.flows:
                flow.bits -= flow.rate * dt
        self.last = now

    def _reallocate(self) -> None:
        """Max-min fair rates by progressive filling, then the next completion."""
        flows = self.flows
        left: dict[int, float] = {}
        count: dict[int, int] = {}
        for flow in flows:
            for link in flow.links:
                key = id(link)
                if key not in left:
                    left[key] = link.effective_bandwidth()
                    count[key] = 0
                count[key] += 1
        unfrozen = set(range(len(flows)))
        by_link: dict[int, list[int]] = {}
        for i, flow in enumerate(flows):
            for link in flow.links:
                by_link.setdefault(id(link), []).append(i)
        while unfrozen:
            key = min((k for k in left if count[k] > 0), key=lambda k: left[k] / count[k])
            share = max(left[key], 0.0) / count[key]
            for i in by_link[key]:
                if i not in unfrozen:
                    continue
                unfrozen.discard(i)
                flows[i].rate = share
                for link in flows[i].links:
                    k = id(link)
                    left[k] -= share
                    count[k] -= 1
        self._schedule()

    def _schedule(self) -> None:
        self.epoch += 1
        if not self.flows:
            return
        nxt = min((flow.bits / flow.rate if flow.rate > 0.0 else float("inf")) for flow in self.flows)
        if nxt != float("inf"):
            self.kernel.later(max(nxt, 0.0), self._complete, self.epoch)

    def _complete(self, epoch: int) -> None:
        if epoch != self.epoch:
            return
        self._progress()
        done = [flow for flow in self.flows if flow.bits <= _DONE_BITS or
                (flow.rate > 0.0 and flow.bits / flow.rate <= 1e-12)]
        if not done:  # rounding: the earliest is due now
            done = [min(self.flows, key=lambda flow: flow.bits / flow.rate if flow.rate > 0.0 else float("inf"))]
        now = self.kernel.now
        for flow in done:
            self.flows.remove(flow)
            for link in flow.links:
                link.flows -= 1
                if link.centre is not None:
                    link.centre.meter.finish(now, flow.started)
            self.completed += 1
        if self.flows:
            self._reallocate()
        else:
            self.epoch += 1
        for flow in done:
            self.kernel.later(flow.delay, flow.fn, *flow.args)


__all__ = ["Flow", "Sharing"]
