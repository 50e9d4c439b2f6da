"""Drawing from a scenario's distributions in vectorised batches."""

from __future__ import annotations

from typing import Any

import numpy as np


class Sampler:
    """Draws from a distribution in vectorised batches: one numpy call per `batch` samples."""

    __slots__ = ("_dist", "_rng", "_buf", "_i", "_batch")

    def __init__(self, dist: Any, rng: np.random.Generator, batch: int = 512) -> None:
        self._dist = dist
        self._rng = rng
        self._batch = batch
        self._buf: list[float] = []  # a batch as Python floats (exactly the numpy values): cheap to index
        self._i = 0

    @property
    def mean(self) -> float:
        return float(self._dist.mean)

    @property
    def dist(self) -> Any:
        """The distribution it draws from (`sample_n(rng, n)`, `mean`)."""
        return self._dist

    def __call__(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = np.asarray(self._dist.sample_n(self._rng, self._batch), dtype=float).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]


__all__ = ["Sampler"]
