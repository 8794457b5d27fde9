"""Solve many island sub-models, on every core the settings allow.

Islands are independent MILPs of a few hundred columns, so thousands of them spread
over worker processes with no coordination. Workers are forked after the core model is
built, so they read it without copying it; results come back in task order, which keeps
the plan byte-identical whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Callable, Optional

import numpy as np

from .components import Groups
from .model import SolverSettings

Result = tuple[int, str, Optional[np.ndarray], float, float]  # (group, status, x, objective, bound)
# (group, price per capacity row tag or None, absolute gap, a known solution to start from or None)
Task = tuple[int, Optional[dict[tuple, float]], float, Optional[np.ndarray]]

_STATE: dict = {}
_PARALLEL_FROM = 200  # fewer islands than this are not worth the workers' start-up


def _solve(task: Task) -> Result:
    groups: Groups = _STATE["groups"]
    settings: SolverSettings = _STATE["settings"]
    g, price, abs_gap, start = task
    sub, _, _ = groups.model(g)
    if price:
        for k, tag in enumerate(sub.row_tags):
            p = price.get(tag)
            if p:
                sub.cost[sub.index[k]] += p * sub.value[k]
    left = _STATE["deadline"] - time.monotonic()
    if left <= 0:
        return g, "no-solution", None, 0.0, 0.0
    status, xs, obj, bound = _STATE["run"](sub, settings.model_copy(update={"time_limit_s": left}), abs_gap, start)
    return g, status, xs, obj, bound


class IslandPool:
    """Runs island solves in order, in worker processes when there are enough of them."""

    def __init__(self, groups: Groups, settings: SolverSettings, deadline: float,
                 run: Callable[..., tuple[str, Optional[np.ndarray], float, float]]):
        self.workers = min(os.cpu_count() or 1, settings.threads or os.cpu_count() or 1)
        _STATE.update(groups=groups, settings=settings, deadline=deadline, run=run)
        self._pool = None

    def solve(self, tasks: list[Task]) -> list[Result]:
        """Results for `tasks`, in the same order."""
        if self.workers < 2 or len(tasks) < _PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
            return [_solve(t) for t in tasks]
        if self._pool is None:
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
        return self._pool.map(_solve, tasks, chunksize=max(1, len(tasks) // (8 * self.workers)))

    def regroup(self, groups: Groups) -> None:
        """Solve `groups` from now on (workers forked earlier hold the old ones, so they go)."""
        self.close()
        _STATE["groups"] = groups

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
