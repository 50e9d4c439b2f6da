"""A fixed list of background jobs with the `JobStream` interface, for tests of the background stations."""

from __future__ import annotations


class ListStream:
    """`due(t)` hands over, in arrival order, the (arrival, service) jobs that arrived by `t`."""

    def __init__(self, jobs: list[tuple[float, float]]) -> None:
        self.jobs = sorted(jobs)

    def due(self, t: float) -> tuple[list[float], list[float]] | None:
        taken = [job for job in self.jobs if job[0] <= t]
        if not taken:
            return None
        self.jobs = self.jobs[len(taken):]
        return [a for a, _ in taken], [s for _, s in taken]
