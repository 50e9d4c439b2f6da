"""The capacity tests' scenario: the textbook queue (`model_textbook`) with const(1 s) processing (M/D/c) on one
worker, and an SLO on the p99 of the time to the answer."""

from __future__ import annotations

import model_textbook as tb


def tiny(rate: float = 2.5, duration: int = 600, warmup: int = 60) -> str:
    """The scenario's YAML at an arrival `rate` (/s), a replication `duration` and `warmup` (s), 2 replications."""
    source = tb._TEMPLATE.format(servers=1, service="const(1s)", rate=rate, duration=duration, warmup=warmup,
                                 replications=2)
    return source + "slos:\n  fast: async.latency.p99 <= 3s\n"
