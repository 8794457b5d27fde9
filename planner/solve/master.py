"""The master problem: one plan per island, a count per (class, site), under the capacity rows.

Plans are island solutions found so far (columns of the master); classes of interchangeable
workloads enter with one integer column per admissible site. The relaxed master, kept alive in
one HiGHS instance as plans are added, gives the capacity prices; the integer master, over a
subset of islands and classes with the others fixed, picks the final plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from planner.solve.core import Core
from planner.solve.matrices import Columns
from planner.solve.solvers import DIRECT, LiveLP, columns_relaxation, solver

NEIGHBOURHOOD_LP_ITERATIONS = 1_000_000  # simplex iterations for the LP that picks a choice's neighbourhood (a work limit)


@dataclass
class Plans:
    """Island plans found so far: island, true cost, global columns at 1, and use of each capacity row (sparse)."""

    n_rows: int
    island: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    use_rows: list[np.ndarray] = field(default_factory=list)
    use_vals: list[np.ndarray] = field(default_factory=list)
    _seen: dict = field(default_factory=dict)
    # The uses of the first `_flat_n` plans as one CSR (rows, values, pointers), grown as plans come, for `priced`.
    _flat_n: int = 0
    _flat: tuple = field(default_factory=lambda: (np.zeros(0, np.int64), np.zeros(0), np.zeros(1, np.int64)))

    def __len__(self) -> int:
        return len(self.island)

    def add(self, core: Core, k: int, cols: np.ndarray) -> int:
        """The number of island `k`'s plan `cols` (global columns at 1), adding it when new."""
        return self.add_many(core, [k], [cols])[0]

    def add_many(self, core: Core, islands: list[int], cols: list[np.ndarray]) -> list[int]:
        """`add` for many plans at once: their capacity use gathered in one pass over all their columns."""
        out: list[int] = []
        new: list[int] = []
        for k, c in zip(islands, cols):
            key = (k, c.tobytes())
            p = self._seen.get(key)
            if p is None:
                p = self._seen[key] = len(self.island) + len(new)
                new.append(len(out))
            out.append(p)
        if not new:
            return out
        fresh = [cols[i] for i in new]
        rows, vals, ptr = core.uses(fresh)
        for j, i in enumerate(new):
            self.island.append(int(islands[i]))
            self.cost.append(float(core.cost[cols[i]].sum()))
            self.cols.append(cols[i])
            self.use_rows.append(rows[ptr[j]:ptr[j + 1]])
            self.use_vals.append(vals[ptr[j]:ptr[j + 1]])
        return out

    def priced(self, price: np.ndarray, first: int = 0) -> np.ndarray:
        """Each plan's cost plus its capacity use at `price`, from plan `first` on."""
        rows, vals, ptr = self._csr()
        use = np.zeros(len(self.island))
        nonempty = np.nonzero(ptr[1:] > ptr[:-1])[0]
        if len(nonempty):
            use[nonempty] = np.add.reduceat(price[rows] * vals, ptr[nonempty])
        return np.array(self.cost[first:]) + use[first:]

    def _csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._flat_n < len(self.island):
            rows, vals, ptr = self._flat
            more_r, more_v = self.use_rows[self._flat_n:], self.use_vals[self._flat_n:]
            lengths = np.array([len(r) for r in more_r], dtype=np.int64)
            self._flat = (np.concatenate([rows, *more_r]).astype(np.int64), np.concatenate([vals, *more_v]).astype(float),
                          np.concatenate([ptr, ptr[-1] + np.cumsum(lengths)]))
            self._flat_n = len(self.island)
        return self._flat


@dataclass
class ClassColumns:
    """The classes' columns: per column its class, candidate entry, horizon cost and capacity use (dense rows x 3)."""

    klass: np.ndarray
    entry: np.ndarray
    cost: np.ndarray
    cap_row: np.ndarray  # (columns x 3) capacity rows, -1 none
    cap_coef: np.ndarray
    size: np.ndarray  # per class, its number of workloads

    def __len__(self) -> int:
        return len(self.klass)

    def priced(self, price: np.ndarray) -> np.ndarray:
        p = np.concatenate([price, [0.0]])
        return self.cost + (p[self.cap_row] * self.cap_coef).sum(axis=1)

    def lagrangian(self, price: np.ndarray) -> float:
        """Sum over classes of size x the cheapest priced column: the classes' part of the Lagrangian bound."""
        if len(self.klass) == 0:
            return 0.0
        best = np.full(len(self.size), np.inf)
        np.minimum.at(best, self.klass, self.priced(price))
        return float((best * self.size).sum())


class RelaxedMaster:
    """The LP master, grown column by column in one live LP (a warm start every round)."""

    def __init__(self, islands: np.ndarray, classes: ClassColumns, limit: np.ndarray, big: float):
        self.islands = islands
        self.row_of_island = {int(k): i for i, k in enumerate(islands.tolist())}
        self.n_i, self.n_c, self.n_r = len(islands), len(classes.size), len(limit)
        lower = np.concatenate([np.ones(self.n_i), classes.size.astype(float), np.full(self.n_r, -np.inf)])
        upper = np.concatenate([np.ones(self.n_i), classes.size.astype(float), limit])
        self.lp = LiveLP(lower, upper)
        # An overfill column per capacity row at a prohibitive price keeps the LP feasible from the first round.
        cap0 = self.n_i + self.n_c
        self.lp.add(Columns(np.full(self.n_r, big), np.full(self.n_r, np.inf), np.arange(self.n_r + 1),
                            cap0 + np.arange(self.n_r), -np.ones(self.n_r), lower, upper))
        self.n_cols = self.n_r
        self.lp.add(columns_of_classes(classes, np.arange(len(classes)), self.n_i, cap0, lower, upper))
        self.class_first = self.n_cols
        self.n_cols += len(classes)
        self.plan_first = self.n_cols
        self.n_plans = 0
        self._rows = (lower, upper)

    def add_plans(self, plans: Plans) -> None:
        """Add the plans from `n_plans` on as columns."""
        new = list(range(self.n_plans, len(plans)))
        if not new:
            return
        rows = np.array([self.row_of_island[plans.island[p]] for p in new])
        self.lp.add(columns_of_plans(plans, new, rows, self.n_i + self.n_c, *self._rows))
        self.n_plans = len(plans)
        self.n_cols += len(new)

    def solve(self) -> Optional[tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
        """(value, capacity prices >= 0, island convexity duals, column values), or None when the LP fails."""
        out = self.lp.solve()
        if out is None:
            return None
        value, duals, x = out
        price = np.maximum(0.0, -duals[self.n_i + self.n_c:])
        return value, price, duals[: self.n_i], x


def columns_of_plans(plans: Plans, ids: "list[int]", island_rows: np.ndarray, cap0: int, lower: np.ndarray,
                  upper: np.ndarray, extra: Optional[np.ndarray] = None) -> Columns:
    """Plans `ids` as 0/1 columns: a 1 in their island's row, their capacity use from row `cap0` on, and
    `extra[j]` in the last row when given."""
    return Columns.build([(plans.cost[p], 1.0, np.concatenate([[island_rows[j]], cap0 + plans.use_rows[p]]
                                                                + ([[len(lower) - 1]] if extra is not None else [])),
                           np.concatenate([[1.0], plans.use_vals[p]] + ([[extra[j]]] if extra is not None else [])))
                          for j, p in enumerate(ids)], lower, upper)


def columns_of_classes(classes: ClassColumns, cols: np.ndarray, class0: int, cap0: int, lower: np.ndarray,
                   upper: np.ndarray, extra: Optional[np.ndarray] = None) -> Columns:
    """Class columns `cols` as integer columns up to their class's size: a 1 in the class's row (`class0` + its
    position among `classes`' classes, or the position given by `class0` when it is an array), their capacity
    use from row `cap0` on, and `extra[j]` in the last row when given."""
    out = []
    for j, c in enumerate(cols.tolist()):
        k = int(classes.klass[c])
        rows = [int(class0[k]) if isinstance(class0, np.ndarray) else class0 + k]
        vals = [1.0]
        for i in range(classes.cap_row.shape[1]):
            r = int(classes.cap_row[c, i])
            if r >= 0 and classes.cap_coef[c, i]:
                rows.append(cap0 + r)
                vals.append(float(classes.cap_coef[c, i]))
        if extra is not None:
            rows.append(len(lower) - 1)
            vals.append(float(extra[j]))
        out.append((float(classes.cost[c]), float(classes.size[k]), np.array(rows, np.int64), np.array(vals)))
    return Columns.build(out, lower, upper)


def solve_integer_master(plans: Plans, plan_ids: list[int], islands: list[int], classes: ClassColumns, class_cols: np.ndarray,
                         limit: np.ndarray, node_limit: int, time_limit: float, backend: str = DIRECT,
                         start: Optional[tuple[set[int], np.ndarray]] = None, abs_gap: float = 0.0,
                         target: Optional[float] = None, neighbourhood: Optional[float] = None,
                         ) -> Optional[tuple[list[int], np.ndarray]]:
    """One plan per island of `islands` among `plan_ids`, integer counts for the class columns `class_cols`,
    under `limit`; (chosen plans, counts per class column) or None when no choice keeps capacity.
    `start` (plans chosen, counts per class column) is a known choice to start from; the search may stop at a choice
    costing at most `target`. With a `neighbourhood`, only the columns the LP relaxation uses, the start's, and those
    whose reduced cost there is at most that are offered (a search near the LP optimum, not an exact one)."""
    pos = {k: i for i, k in enumerate(islands)}
    klass = sorted({int(classes.klass[c]) for c in class_cols.tolist()})
    row_of_class = np.full(len(classes.size), -1, dtype=np.int64)
    row_of_class[klass] = len(islands) + np.arange(len(klass))
    base = len(islands) + len(klass)
    lower = np.concatenate([np.ones(len(islands)), [float(classes.size[k]) for k in klass], np.full(len(limit), -np.inf)])
    upper = np.concatenate([np.ones(len(islands)), [float(classes.size[k]) for k in klass], limit])
    rows = np.array([pos[plans.island[p]] for p in plan_ids], dtype=np.int64)
    a = columns_of_plans(plans, plan_ids, rows, base, lower, upper)
    b = columns_of_classes(classes, np.asarray(class_cols, dtype=np.int64), row_of_class, base, lower, upper)
    model = joined(a, b)
    first = None
    if start is not None:
        first = np.concatenate([[1.0 if p in start[0] else 0.0 for p in plan_ids], start[1].astype(float)])
    offered = np.arange(model.n_cols)
    if neighbourhood is not None:
        lp = columns_relaxation(model, NEIGHBOURHOOD_LP_ITERATIONS)
        if lp is not None:
            near = (lp.x > 1e-9) | (lp.col_dual <= neighbourhood)
            if first is not None:
                near |= first > 0.5
            offered = np.nonzero(near)[0]
            model = model.take(offered)
            first = first[offered] if first is not None else None
    res = solver(backend).mip(model, abs_gap=abs_gap, time_limit=time_limit, start=first, nodes=node_limit, target=target)
    if res.x is None:
        return None
    x = np.zeros(len(plan_ids) + len(class_cols))
    x[offered] = res.x
    chosen = [p for p, v in zip(plan_ids, x[: len(plan_ids)].tolist()) if v > 0.5]
    return chosen, np.round(x[len(plan_ids):]).astype(np.int64)


def joined(a: Columns, b: Columns) -> Columns:
    """`a`'s columns, then `b`'s (the same rows)."""
    return Columns(np.concatenate([a.cost, b.cost]), np.concatenate([a.upper, b.upper]),
                   np.concatenate([a.start, a.start[-1] + b.start[1:]]), np.concatenate([a.index, b.index]),
                   np.concatenate([a.value, b.value]), a.row_lower, a.row_upper)


def big_price(plans: Plans, classes: ClassColumns) -> float:
    """An overfill unit's price: more than any plan could save with it, without wrecking the LP's scaling."""
    costs = np.abs(np.array(plans.cost + classes.cost.tolist())) if (len(plans) or len(classes)) else np.ones(1)
    vals = [v for v in plans.use_vals if len(v)] + [classes.cap_coef[classes.cap_row >= 0]]
    positive = np.concatenate(vals) if vals else np.ones(1)
    positive = positive[positive > 0]
    return 10.0 * (float(costs.max()) + 1.0) / (float(positive.min()) if len(positive) else 1.0)


__all__ = ["ClassColumns", "Plans", "RelaxedMaster", "big_price", "columns_of_classes", "columns_of_plans", "joined",
           "solve_integer_master"]
