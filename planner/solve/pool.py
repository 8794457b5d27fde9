"""Solve many islands at given column costs, on every core the settings allow.

Islands are independent MILPs of a few dozen columns. They are solved in *batches* of
consecutive islands: one HiGHS LP over the whole batch (a block-diagonal model costs far less
than one call per island), then a MIP only for the islands whose LP optimum is fractional.
Batches are cut by the island list alone, never by the number of workers, and results come
back in batch order, so the plan is byte-identical on one core, on two, or on a cluster.

Worker processes are forked once the core is built, so they read it without a copy; the
column costs of each round reach them through a shared memory block. Each pool's state is one
`Islands` object handed to its own workers (`planner.base.workers`): nothing is kept per process.
"""

from __future__ import annotations

import math
import mmap
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from planner.base.workers import ForkedWorkers
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


@dataclass(frozen=True, eq=False)
class Islands:
    """What the workers of one pool read: the core, and shared-memory arrays for costs in and duals out."""

    core: Core
    cost: np.ndarray  # this round's column costs, written by the pool before each map
    duals: np.ndarray  # reduced cost per column, written by the batches
    row_duals: np.ndarray  # dual per row, written by the LP batches
    backend: str
    gap: float
    deadline: float  # time.monotonic() after which no island is started
    limits: limits.Limits  # the pool opener's, explicit: a worker restarted by the pool's own thread keeps them


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


Starts = Optional[dict[int, np.ndarray]]  # per island, the local columns at 1 of a known plan (a MIP's first incumbent)


def solve_batch(state: Islands, task: tuple[np.ndarray, int, bool, Starts]) -> list[Answer]:
    """The islands of one batch at the shared costs, at most `nodes` MIP nodes each (in a worker or in the main process);
    with `lp_only`, an island whose LP optimum is fractional is answered with that LP value as its bound and no plan."""
    batch, nodes, lp_only, starts = task
    with limits.use(state.limits):
        return _solve_batch(state, batch, nodes, lp_only, starts or {})


def _solve_batch(state: Islands, batch: np.ndarray, nodes: int, lp_only: bool, starts: dict[int, np.ndarray]) -> list[Answer]:
    core, cost, backend, gap = state.core, state.cost, state.backend, state.gap
    left = state.deadline - time.monotonic()
    if left <= 0:
        return [Answer(int(k), "no-solution", math.inf, -math.inf, np.zeros(0, np.int64)) for k in batch]
    out: list[Answer] = []
    if backend == DIRECT:
        sub, glob = core.islands_model(batch, cost)
        lp = relaxation(sub, left, duals=True)
        status, x, d = lp.status, lp.x, lp.col_dual
        if x is not None:
            state.duals[glob] = d
        if x is None and status == "infeasible":
            # Some island of the batch has no plan: find which, one by one.
            return [_one(core, int(k), cost, backend, gap, left, nodes=nodes, start=starts.get(int(k))) for k in batch]
        # The batch's islands ascend, so its global columns sorted are theirs, one island's after another's.
        if (np.diff(batch) <= 0).any():
            raise MappingError("island batch: islands not in ascending order")
        x_global = x[np.argsort(glob, kind="stable")] if x is not None else None
        at = 0
        for k in batch.tolist():
            c0, c1 = int(core.col_ptr[k]), int(core.col_ptr[k + 1])
            if x_global is None:
                out.append(_one(core, k, cost, backend, gap, left, nodes=nodes, start=starts.get(k)))
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
                a = _one(core, k, cost, backend, gap, left, lp_first=False, nodes=nodes, start=starts.get(k))
                a.lp = lp
                out.append(a)
        return out
    return [_one(core, int(k), cost, backend, gap, left, nodes=nodes, start=starts.get(int(k))) for k in batch]


def lp_batch(state: Islands, batch: np.ndarray) -> list[tuple[int, float]]:
    """The LP relaxation of each island of a batch at the shared costs: its value; its columns' reduced costs and its
    rows' duals written into the shared `duals` and `row_duals` arrays (for reduced-cost fixing and pricing out)."""
    core, cost, duals = state.core, state.cost, state.duals
    sub, glob = core.islands_model(batch, cost)
    lp = relaxation(sub, max(state.deadline - time.monotonic(), 0.01), duals=True, row_duals=True)
    x, d, y = lp.x, lp.col_dual, lp.row_dual
    rows = core.island_rows(batch)
    if x is None:
        duals[glob] = 0.0  # no information: nothing can be fixed
        state.row_duals[rows] = 0.0
        return [(int(k), -math.inf) for k in batch]
    duals[glob] = d
    state.row_duals[rows] = y
    value = np.zeros(core.n_cols)
    value[glob] = x * cost[glob]
    return [(int(k), float(value[core.col_ptr[k]:core.col_ptr[k + 1]].sum())) for k in batch]


def _one(core: Core, k: int, cost: np.ndarray, backend: str, gap: float, left: float, lp_first: bool = True,
         nodes: Optional[int] = None, start: Optional[np.ndarray] = None) -> Answer:
    sub = core.island(k, cost)
    t0 = time.monotonic()
    first = None
    if start is not None:
        bad = start[(start < 0) | (start >= sub.n_cols)]
        if len(bad):
            raise MappingError(f"island {k}: a start names column {int(bad[0])}, outside its {sub.n_cols} columns")
        first = np.zeros(sub.n_cols)
        first[start] = 1.0
    res: Result = solve_mip(sub, backend, gap, time_limit=left, lp_first=lp_first, nodes=nodes, start=first)
    if os.environ.get("PLANNER_DEBUG") and time.monotonic() - t0 > 0.05:
        print(f"    island {k}: {sub.n_x}+{sub.n_y} columns, {len(sub.row_lower)} rows, MIP {time.monotonic() - t0:.2f}s {res.status}")
    if res.x is None:
        return Answer(k, res.status, math.inf, res.bound, np.zeros(0, np.int64))
    cols = np.nonzero(np.round(res.x) > 0.5)[0]
    return Answer(k, res.status, float(sub.cost[cols].sum()), min(res.bound, float(sub.cost[cols].sum())), cols)


class IslandPool:
    """Runs island batches in order, in forked worker processes when there are enough of them; close it when done."""

    def __init__(self, core: Core, backend: str, gap: float, deadline: float, workers: int):
        self.workers = max(1, workers)
        self._buf = mmap.mmap(-1, max(8, 8 * core.n_cols))  # shared with the forked workers
        self.cost = np.frombuffer(self._buf, dtype=np.float64, count=core.n_cols)
        self._dual_buf = mmap.mmap(-1, max(8, 8 * core.n_cols))
        self.duals = np.frombuffer(self._dual_buf, dtype=np.float64, count=core.n_cols)
        self._row_buf = mmap.mmap(-1, max(8, 8 * len(core.row_lower)))
        self.row_duals = np.frombuffer(self._row_buf, dtype=np.float64, count=len(core.row_lower))
        self.core = core
        state = Islands(core, self.cost, self.duals, self.row_duals, backend, gap, deadline, limits.current())
        self._workers = ForkedWorkers(state, self.workers, parallel_from=_PARALLEL_FROM)

    def solve(self, islands: np.ndarray, cost: np.ndarray, nodes: Optional[int] = None,
              tick: Optional[Callable[[int, int], None]] = None, lp_only: bool = False, starts: Starts = None) -> list[Answer]:
        """Every island of `islands` solved at column costs `cost`, in the order given (at most `nodes` branch-and-bound
        nodes per island: the answer's bound says how far from proven its plan is; with `lp_only`, no MIP: an island
        with a fractional LP optimum comes back `bound-only`). `starts` gives an island's MIP a known plan as its first
        incumbent: a plan as good within the MIP's gap, found sooner."""
        return self._map(solve_batch, islands, cost, limits.current().mip_nodes if nodes is None else nodes, tick, lp_only,
                         starts)

    def lp(self, islands: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The islands' LP relaxations at `cost`: (value per island, reduced cost per column of those islands in `duals`;
        their rows' duals are in `row_duals`)."""
        pairs = self._map(lp_batch, islands, cost)
        return np.array([v for _, v in pairs]), self.duals

    def _map(self, fn, islands: np.ndarray, cost: np.ndarray, nodes: Optional[int] = None,  # noqa: ANN001
             tick: Optional[Callable[[int, int], None]] = None, lp_only: bool = False, starts: Starts = None) -> list:
        self.cost[:] = cost
        cut = batches(self.core, np.asarray(islands, dtype=np.int64))
        if starts:
            # Each batch carries only its own islands' starts to its worker.
            work = [(b, nodes, lp_only, {k: starts[k] for k in b.tolist() if k in starts}) for b in cut]
        else:
            work = cut if nodes is None else [(b, nodes, lp_only, None) for b in cut]
        total = int(len(islands))
        results, done = [], 0
        for part in self._workers.imap(fn, work):  # in order, as they finish
            results.append(part)
            done += len(part)
            if tick is not None:
                tick(done, total)
        return [a for part in results for a in part]

    def close(self) -> None:
        """End the worker processes (if any were forked); closing again does nothing."""
        self._workers.close()

    def __enter__(self) -> "IslandPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


