"""First capacity prices, from the estate with its couplings dropped: every workload alone.

Column generation starts better from prices near the answer than from zero or from a
prohibitive overfill price (the first master would price everything off every full site). With
the dependencies and anti-affinity groups dropped, the Lagrangian relaxation of capacity is a
sum of one-line minimisations, per workload, over its sites at `cost + price * size`: evaluated on
arrays in a few milliseconds, and maximised over the prices by projected subgradient steps
(a fixed number of them: work, not time). The prices it ends with seed the first round of
island pricing; its bound is valid too, but the islands' own is never weaker, so only the
prices are kept.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from planner.solve.core import Core
from planner.solve.master import ClassColumns
from planner.solve.matrices import ranges

STEPS = 30


class _NoClasses:
    """No classes: what the subgradient reads of them when there are none."""

    def __len__(self) -> int:
        return 0


_NO_CLASSES = _NoClasses()  # type: ignore[assignment]


def price_ceilings(core: Core, linked: np.ndarray, n_rows: int) -> np.ndarray:
    """Per capacity row, the most any workload on it gains per unit of the resource by staying there rather than at
    its next best site: prices above twice that only tell every island to leave, so pricing stops there."""
    out = np.zeros(n_rows)
    xcols = ranges(core.col_ptr[linked], core.n_x_of[linked])
    if len(xcols) == 0 or n_rows == 0:
        return out
    w = core.col_workload[xcols]
    cost = core.cost[xcols]
    starts = np.flatnonzero(np.r_[True, w[1:] != w[:-1]])
    groups = _Groups(starts, len(cost))
    best = groups.argmin(cost)
    masked = cost.copy()
    masked[best] = np.inf
    second = groups.argmin(masked)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(cost)]))
    site = core.col_site[xcols]
    alt = np.where(site == site[best][group], cost[second][group], cost[best][group])
    gain = np.maximum(0.0, np.nan_to_num(alt - cost, posinf=0.0))
    rows = core.cap_table[site]
    size = core.amounts(w, site)
    for r in range(rows.shape[1]):
        ok = rows[:, r] >= 0
        np.maximum.at(out, rows[ok, r], gain[ok] / np.maximum(size[ok, r], 1e-9))
    return out


def separable_prices(core: Core, linked: np.ndarray, classes: ClassColumns, limit: np.ndarray) -> np.ndarray:
    """Capacity prices that (nearly) maximise the couplings-free Lagrangian bound."""
    n_r = len(limit)
    if n_r == 0:
        return np.zeros(0)
    xcols = ranges(core.col_ptr[linked], core.n_x_of[linked])
    rows = core.cap_table[core.col_site[xcols]]  # (columns x resources)
    competing = (rows >= 0).any(axis=1)
    w = core.col_workload[xcols]
    on = np.zeros(int(w.max()) + 1 if len(w) else 1, dtype=bool)
    on[w[competing]] = True
    keep = on[w]  # the workloads with a column on a binding row: the others do not move with the prices
    cols, w = xcols[keep], w[keep]
    rows = rows[keep]
    size = core.amounts(w, core.col_site[cols])
    cost = core.cost[cols]
    starts = np.flatnonzero(np.r_[True, w[1:] != w[:-1]]) if len(w) else np.zeros(0, np.int64)
    # Classes enter the same way, each column standing for as many workloads as its class has.
    k_start = np.flatnonzero(np.r_[True, classes.klass[1:] != classes.klass[:-1]]) if len(classes) else np.zeros(0, np.int64)
    weight = classes.size[classes.klass[k_start]].astype(float) if len(classes) else np.zeros(0)
    return subgradient_prices(cost, starts, size, rows, limit, classes, k_start, weight)


def subgradient_prices(cost: np.ndarray, starts: np.ndarray, size: np.ndarray, rows: np.ndarray, limit: np.ndarray,
                       classes: Optional[ClassColumns] = None, k_start: Optional[np.ndarray] = None,
                       weight: Optional[np.ndarray] = None) -> np.ndarray:
    """Prices on the rows `limit` that (nearly) maximise the couplings-free Lagrangian bound of options `cost`
    grouped by workload (`starts`), each using `size` of the rows `rows` (-1: none); classes weigh in when given."""
    n_r = len(limit)
    if classes is None:
        classes, k_start, weight = _NO_CLASSES, np.zeros(0, np.int64), np.zeros(0)
    scale = _price_scale(cost, starts, size, rows)
    price = np.zeros(n_r)
    best, best_price = -np.inf, price
    groups, k_groups = _Groups(starts, len(cost)), _Groups(k_start, len(classes))
    for step in range(STEPS):
        value, use = _evaluate(price, cost, groups, starts, size, rows, classes, k_groups, k_start, weight, n_r)
        value -= float(price @ limit)
        if value > best:
            best, best_price = value, price.copy()
        g = use - limit
        norm = float(np.linalg.norm(g))
        if norm == 0:
            break
        price = np.maximum(0.0, price + (scale / np.sqrt(step + 1.0)) * g / norm)
    return best_price


def _evaluate(price: np.ndarray, cost: np.ndarray, groups: "_Groups", starts: np.ndarray, size: np.ndarray, rows: np.ndarray,
              classes: ClassColumns, k_groups: "_Groups", k_start: np.ndarray, weight: np.ndarray, n_r: int) -> tuple[float, np.ndarray]:
    """The couplings-free priced optimum and each capacity row's use by it."""
    p = np.concatenate([price, [0.0]])
    use = np.zeros(n_r)
    value = 0.0
    if len(starts):
        priced = cost + (p[rows] * size).sum(axis=1)
        pick = groups.argmin(priced)
        value += float(priced[pick].sum())
        r, s = rows[pick].ravel(), size[pick].ravel()
        ok = r >= 0
        np.add.at(use, r[ok], s[ok])
    if len(k_start):
        priced = classes.priced(price)
        pick = k_groups.argmin(priced)
        value += float((priced[pick] * weight).sum())
        r = classes.cap_row[pick]
        s = classes.cap_coef[pick] * weight[:, None]
        ok = r >= 0
        np.add.at(use, r[ok], s[ok])
    return value, use


class _Groups:
    """Consecutive groups of positions laid out as a padded matrix, so a per-group argmin is one numpy call."""

    def __init__(self, starts: np.ndarray, n: int):
        counts = np.diff(np.r_[starts, n]).astype(np.int64)
        width = int(counts.max()) if len(counts) else 0
        self.grid = np.full((len(starts), width), n, dtype=np.int64)  # n: a padding slot priced +inf
        col = np.arange(n) - np.repeat(starts, counts)
        self.grid[np.repeat(np.arange(len(starts)), counts), col] = np.arange(n)

    def argmin(self, values: np.ndarray) -> np.ndarray:
        padded = np.append(values, np.inf)[self.grid]
        return self.grid[np.arange(len(self.grid)), np.argmin(padded, axis=1)]


def _price_scale(cost: np.ndarray, starts: np.ndarray, size: np.ndarray, rows: np.ndarray) -> float:
    """A first step: the typical cost gap per unit of resource between a workload's two cheapest sites."""
    if len(starts) == 0:
        return 1.0
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(cost)]))
    order = np.lexsort((cost, group))
    first = np.r_[0, np.searchsorted(group[order], np.arange(1, len(starts)))]
    second = np.minimum(first + 1, len(order) - 1)
    two = second < np.r_[first[1:], len(order)]
    gap = cost[order[second]] - cost[order[first]]
    per_unit = gap[two] / np.maximum(1.0, size[order[first]][two].max(axis=1))
    return float(np.median(per_unit)) if len(per_unit) else 1.0
