"""Solve many islands at given column costs, on every core the settings allow.

Islands are independent MILPs of a few dozen columns. They are solved in *batches* of
consecutive islands: one HiGHS LP over the whole batch (a block-diagonal model costs far less
than one call per island), then a MIP only for the islands whose LP optimum is fractional.
Batches are cut by the island list alone, never by the number of workers, and results come
back in batch order, so the plan is byte-identical on one core, on two, or on a cluster.

Worker processes are forked once the core is built, so they read it without a copy; the
column costs of each round reach them through a shared memory block.
"""

from __future__ import annotations

import itertools
import math
import mmap
import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from planner.solve import limits
from planner.solve.core import Core
from planner.solve.guards import MappingError
from planner.solve.solvers import DIRECT, Result, _integral, relaxation, solve_mip

_PARALLEL_FROM = 64  # fewer batches than this are not worth the workers
BOUND_ONLY = "bound-only"


@dataclass
class Answer:
    """One island at one set of costs: its plan (local columns at 1), objective and a proven lower bound."""

    island: int
    status: str  # optimal | feasible | infeasible | no-solution | bound-only (a proven bound, no plan: see lp_only)
    objective: float
    bound: float
    cols: np.ndarray  # local column numbers whose value is 1
    lp: float = -math.inf  # the island's LP relaxation value at these costs (its reduced costs are in the shared `duals`)


# Each open pool's state, by pool number: forked workers inherit it, and two pools in one process (two
# plans on two threads) never see each other's. A pool removes its entry when it closes.
_POOLS: dict[int, dict] = {}
_NEXT = itertools.count(1)


def batches(core: Core, islands: np.ndarray) -> list[np.ndarray]:
    """`islands` cut into consecutive batches of about `Limits.batch_columns` columns (big enough to amortise a HiGHS
    call, small enough to stay linear)."""
    if len(islands) == 0:
        return []
    size = (core.col_ptr[islands + 1] - core.col_ptr[islands]).astype(np.int64)
    cum = np.cumsum(size)
    step = max(1, limits.current().batch_columns)
    cut = np.searchsorted(cum, np.arange(step, int(cum[-1]) + step, step), side="left")
    bounds = np.unique(np.concatenate([[0], np.minimum(cut + 1, len(islands)), [len(islands)]]))
    return [islands[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def solve_batch(task: tuple[int, np.ndarray, int, bool]) -> list[Answer]:
    """The islands of one batch at the shared costs, at most `nodes` MIP nodes each (in a worker or in the main process);
    with `lp_only`, an island whose LP optimum is fractional is answered with that LP value as its bound and no plan."""
    pool, batch, nodes, lp_only = task
    state = _POOLS[pool]
    core: Core = state["core"]
    cost: np.ndarray = state["cost"]
    backend: str = state["backend"]
    gap: float = state["gap"]
    left = state["deadline"] - time.monotonic()
    if left <= 0:
        return [Answer(int(k), "no-solution", math.inf, -math.inf, np.zeros(0, np.int64)) for k in batch]
    out: list[Answer] = []
    if backend == DIRECT:
        sub, glob = core.islands_model(batch, cost)
        lp = relaxation(sub, left, duals=True)
        status, x, d = lp.status, lp.x, lp.col_dual
        if x is not None:
            state["duals"][glob] = d
        if x is None and status == "infeasible":
            # Some island of the batch has no plan: find which, one by one.
            return [_one(core, int(k), cost, backend, gap, left, nodes=nodes) for k in batch]
        # The batch's islands ascend, so its global columns sorted are theirs, one island's after another's.
        if (np.diff(batch) <= 0).any():
            raise MappingError("island batch: islands not in ascending order")
        x_global = x[np.argsort(glob, kind="stable")] if x is not None else None
        at = 0
        for k in batch.tolist():
            c0, c1 = int(core.col_ptr[k]), int(core.col_ptr[k + 1])
            if x_global is None:
                out.append(_one(core, k, cost, backend, gap, left, nodes=nodes))
                continue
            xi = x_global[at:at + c1 - c0]
            at += c1 - c0
            nx = int(core.n_x_of[k])
            lp = float(cost[c0:c1] @ xi)
            if _integral(xi[:nx]):
                cols = np.nonzero(np.round(xi) > 0.5)[0]
                obj = float(cost[c0:c1][cols].sum())
                out.append(Answer(k, "optimal", obj, obj, cols, lp))
            elif lp_only:
                out.append(Answer(k, BOUND_ONLY, math.inf, lp, np.zeros(0, np.int64), lp))
            else:
                a = _one(core, k, cost, backend, gap, left, lp_first=False, nodes=nodes)
                a.lp = lp
                out.append(a)
        return out
    return [_one(core, int(k), cost, backend, gap, left, nodes=nodes) for k in batch]


def lp_batch(task: tuple[int, np.ndarray, int]) -> list[tuple[int, float]]:
    """The LP relaxation of each island of a batch at the shared costs: its value; its columns' reduced costs and its
    rows' duals written into the shared `duals` and `row_duals` arrays (for reduced-cost fixing and pricing out)."""
    pool, batch = task[0], task[1]
    state = _POOLS[pool]
    core: Core = state["core"]
    cost: np.ndarray = state["cost"]
    duals: np.ndarray = state["duals"]
    sub, glob = core.islands_model(batch, cost)
    lp = relaxation(sub, max(state["deadline"] - time.monotonic(), 0.01), duals=True, row_duals=True)
    x, d, y = lp.x, lp.col_dual, lp.row_dual
    rows = core.island_rows(batch)
    if x is None:
        duals[glob] = 0.0  # no information: nothing can be fixed
        state["row_duals"][rows] = 0.0
        return [(int(k), -math.inf) for k in batch]
    duals[glob] = d
    state["row_duals"][rows] = y
    value = np.zeros(core.n_cols)
    value[glob] = x * cost[glob]
    return [(int(k), float(value[core.col_ptr[k]:core.col_ptr[k + 1]].sum())) for k in batch]


def _one(core: Core, k: int, cost: np.ndarray, backend: str, gap: float, left: float, lp_first: bool = True,
         nodes: Optional[int] = None) -> Answer:
    sub = core.island(k, cost)
    t0 = time.monotonic()
    res: Result = solve_mip(sub, backend, gap, time_limit=left, lp_first=lp_first, nodes=nodes)
    if os.environ.get("PLANNER_DEBUG") and time.monotonic() - t0 > 0.05:
        print(f"    island {k}: {sub.n_x}+{sub.n_y} columns, {len(sub.row_lower)} rows, MIP {time.monotonic() - t0:.2f}s {res.status}")
    if res.x is None:
        return Answer(k, res.status, math.inf, res.bound, np.zeros(0, np.int64))
    cols = np.nonzero(np.round(res.x) > 0.5)[0]
    return Answer(k, res.status, float(sub.cost[cols].sum()), min(res.bound, float(sub.cost[cols].sum())), cols)


class IslandPool:
    """Runs island batches in order, in forked worker processes when there are enough of them."""

    def __init__(self, core: Core, backend: str, gap: float, deadline: float, workers: int):
        self.workers = max(1, workers)
        self._buf = mmap.mmap(-1, max(8, 8 * core.n_cols))  # shared with the forked workers
        self.cost = np.frombuffer(self._buf, dtype=np.float64, count=core.n_cols)
        self._dual_buf = mmap.mmap(-1, max(8, 8 * core.n_cols))
        self.duals = np.frombuffer(self._dual_buf, dtype=np.float64, count=core.n_cols)
        self._row_buf = mmap.mmap(-1, max(8, 8 * len(core.row_lower)))
        self.row_duals = np.frombuffer(self._row_buf, dtype=np.float64, count=len(core.row_lower))
        self.number = next(_NEXT)
        _POOLS[self.number] = dict(core=core, cost=self.cost, duals=self.duals, row_duals=self.row_duals, backend=backend,
                                   gap=gap, deadline=deadline)
        self.core = core
        self._pool = None

    def solve(self, islands: np.ndarray, cost: np.ndarray, nodes: Optional[int] = None,
              tick: Optional[Callable[[int, int], None]] = None, lp_only: bool = False) -> list[Answer]:
        """Every island of `islands` solved at column costs `cost`, in the order given (at most `nodes` branch-and-bound
        nodes per island: the answer's bound says how far from proven its plan is; with `lp_only`, no MIP: an island
        with a fractional LP optimum comes back `bound-only`)."""
        return self._map(solve_batch, islands, cost, limits.current().mip_nodes if nodes is None else nodes, tick, lp_only)

    def lp(self, islands: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The islands' LP relaxations at `cost`: (value per island, reduced cost per column of those islands in `duals`;
        their rows' duals are in `row_duals`)."""
        pairs = self._map(lp_batch, islands, cost, 0)
        return np.array([v for _, v in pairs]), self.duals

    def _map(self, fn, islands: np.ndarray, cost: np.ndarray, extra: int,  # noqa: ANN001
             tick: Optional[Callable[[int, int], None]] = None, lp_only: bool = False) -> list:
        self.cost[:] = cost
        work = [(self.number, b, extra, lp_only) for b in batches(self.core, np.asarray(islands, dtype=np.int64))]
        total = int(len(islands))
        if self.workers < 2 or len(work) < _PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
            it = map(fn, work)
        else:
            if self._pool is None:
                self._pool = multiprocessing.get_context("fork").Pool(self.workers)
            it = self._pool.imap(fn, work, chunksize=max(1, len(work) // (16 * self.workers)))  # in order, as they finish
        results, done = [], 0
        for part in it:
            results.append(part)
            done += len(part)
            if tick is not None:
                tick(done, total)
        return [a for part in results for a in part]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
        _POOLS.pop(self.number, None)


def default_workers(threads: Optional[int]) -> int:
    """Worker processes for island solves: the machine's cores, or `threads` when the scenario caps them."""
    cores = os.cpu_count() or 1
    return min(cores, threads) if threads else cores
