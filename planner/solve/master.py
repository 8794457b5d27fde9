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

from .core import Core


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
    """The LP master, one HiGHS instance grown column by column (a warm start every round)."""

    def __init__(self, islands: np.ndarray, classes: ClassColumns, limit: np.ndarray, big: float):
        import highspy

        self.islands = islands
        self.row_of_island = {int(k): i for i, k in enumerate(islands.tolist())}
        self.n_i, self.n_c, self.n_r = len(islands), len(classes.size), len(limit)
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("random_seed", 0)
        self.h.setOptionValue("threads", 1)
        lower = np.concatenate([np.ones(self.n_i), classes.size.astype(float), np.full(self.n_r, -np.inf)])
        upper = np.concatenate([np.ones(self.n_i), classes.size.astype(float), limit])
        self.h.addRows(len(lower), lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        # An overfill column per capacity row at a prohibitive price keeps the LP feasible from the first round.
        idx = self.n_i + self.n_c + np.arange(self.n_r)
        self.h.addCols(self.n_r, np.full(self.n_r, big), np.zeros(self.n_r), np.full(self.n_r, np.inf), self.n_r,
                       np.arange(self.n_r, dtype=np.int32), idx.astype(np.int32), -np.ones(self.n_r))
        self.n_cols = self.n_r
        if len(classes):
            starts, index, value = [], [], []
            for c in range(len(classes)):
                starts.append(len(index))
                index.append(self.n_i + int(classes.klass[c]))
                value.append(1.0)
                for j in range(3):
                    r = int(classes.cap_row[c, j])
                    if r >= 0 and classes.cap_coef[c, j]:
                        index.append(self.n_i + self.n_c + r)
                        value.append(float(classes.cap_coef[c, j]))
            self.h.addCols(len(classes), classes.cost, np.zeros(len(classes)), classes.size[classes.klass].astype(float),
                           len(index), np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value))
        self.class_first = self.n_cols
        self.n_cols += len(classes)
        self.plan_first = self.n_cols
        self.n_plans = 0

    def add_plans(self, plans: Plans) -> None:
        """Add the plans from `n_plans` on as columns."""
        new = range(self.n_plans, len(plans))
        if not len(new):
            return
        starts, index, value, cost = [], [], [], []
        for p in new:
            starts.append(len(index))
            index.append(self.row_of_island[plans.island[p]])
            value.append(1.0)
            index.extend((self.n_i + self.n_c + plans.use_rows[p]).tolist())
            value.extend(plans.use_vals[p].tolist())
            cost.append(plans.cost[p])
        self.h.addCols(len(new), np.array(cost), np.zeros(len(new)), np.ones(len(new)), len(index),
                       np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value))
        self.n_plans = len(plans)
        self.n_cols += len(new)

    def solve(self) -> Optional[tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
        """(value, capacity prices >= 0, island convexity duals, column values), or None when the LP fails."""
        import highspy

        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # A warm start from the last basis can fail on a badly scaled master (a simplex error, no status):
            # the same LP from scratch solves.
            self.h.clearSolver()
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
        sol = self.h.getSolution()
        duals = np.asarray(sol.row_dual)
        price = np.maximum(0.0, -duals[self.n_i + self.n_c:])
        return float(self.h.getInfo().objective_function_value), price, duals[: self.n_i], np.asarray(sol.col_value)


def solve_integer_master(plans: Plans, plan_ids: list[int], islands: list[int], classes: ClassColumns, class_cols: np.ndarray,
                         limit: np.ndarray, node_limit: int, time_limit: float,
                         start: Optional[tuple[set[int], np.ndarray]] = None) -> Optional[tuple[list[int], np.ndarray]]:
    """One plan per island of `islands` among `plan_ids`, integer counts for the class columns `class_cols`,
    under `limit`; (chosen plans, counts per class column) or None when no choice keeps capacity.
    `start` (plans chosen, counts per class column) is a known choice to start from."""
    import highspy

    pos = {k: i for i, k in enumerate(islands)}
    klass = sorted({int(classes.klass[c]) for c in class_cols.tolist()})
    kpos = {k: len(islands) + i for i, k in enumerate(klass)}
    n_rows = len(islands) + len(klass) + len(limit)
    base = len(islands) + len(klass)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_max_nodes", node_limit)
    h.setOptionValue("time_limit", max(1.0, float(time_limit)))
    lower = np.concatenate([np.ones(len(islands)), [float(classes.size[k]) for k in klass], np.full(len(limit), -np.inf)])
    upper = np.concatenate([np.ones(len(islands)), [float(classes.size[k]) for k in klass], limit])
    h.addRows(n_rows, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    starts, index, value, cost, ub = [], [], [], [], []
    for p in plan_ids:
        starts.append(len(index))
        index.append(pos[plans.island[p]])
        value.append(1.0)
        index.extend((base + plans.use_rows[p]).tolist())
        value.extend(plans.use_vals[p].tolist())
        cost.append(plans.cost[p])
        ub.append(1.0)
    for c in class_cols.tolist():
        starts.append(len(index))
        index.append(kpos[int(classes.klass[c])])
        value.append(1.0)
        for j in range(3):
            r = int(classes.cap_row[c, j])
            if r >= 0 and classes.cap_coef[c, j]:
                index.append(base + r)
                value.append(float(classes.cap_coef[c, j]))
        cost.append(float(classes.cost[c]))
        ub.append(float(classes.size[classes.klass[c]]))
    n = len(cost)
    h.addCols(n, np.array(cost), np.zeros(n), np.array(ub), len(index), np.array(starts, dtype=np.int32),
              np.array(index, dtype=np.int32), np.array(value))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
    if start is not None:
        known = highspy.HighsSolution()
        known.col_value = np.concatenate([[1.0 if p in start[0] else 0.0 for p in plan_ids], start[1].astype(float)])
        known.value_valid = True
        h.setSolution(known)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    x = np.asarray(h.getSolution().col_value)
    chosen = [p for p, v in zip(plan_ids, x[: len(plan_ids)].tolist()) if v > 0.5]
    return chosen, np.round(x[len(plan_ids):]).astype(np.int64)


def big_price(plans: Plans, classes: ClassColumns) -> float:
    """An overfill unit's price: more than any plan could save with it, without wrecking the LP's scaling."""
    costs = np.abs(np.array(plans.cost + classes.cost.tolist())) if (len(plans) or len(classes)) else np.ones(1)
    vals = [v for v in plans.use_vals if len(v)] + [classes.cap_coef[classes.cap_row >= 0]]
    positive = np.concatenate(vals) if vals else np.ones(1)
    positive = positive[positive > 0]
    return 10.0 * (float(costs.max()) + 1.0) / (float(positive.min()) if len(positive) else 1.0)


__all__ = ["ClassColumns", "Plans", "RelaxedMaster", "big_price", "solve_integer_master"]
