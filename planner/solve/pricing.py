"""Column generation over the islands: capacity prices, island plans and a proven lower bound.

Capacity is the only link between islands (and classes). At prices `pi >= 0` on the capacity
rows, the Lagrangian relaxation splits into one problem per island and per class, and

    L(pi) = sum_islands v_i(pi) + sum_classes n_k * min_site (c + pi.u) - pi.cap

bounds the whole estate from below whatever `pi` is (`v_i(pi)` is island i's optimum with
capacity priced, or any proven lower bound of it). A relaxed master mixes the plans found so
far under the capacity rows; its prices, smoothed toward the best prices yet (Wentges), are
where the islands are priced next; the plans they return become master columns.

Pricing a hundred thousand islands every round would cost minutes, so an island is solved
again only when its bound could have moved: with `pi_i` the prices of its last solve and
`b_i` that solve's proven bound, every plan x costs at least
`b_i + sum_w min_site (pi - pi_i).u` at `pi` (one site per workload, egress >= 0), and when
its best known plan reaches that bound (within a millionth) it is optimal at `pi` too. The
bound of the round uses exactly these numbers, solved or not, so it stays a proof.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from planner.base.progress import detail
from planner.solve import limits
from planner.solve.core import Core
from planner.solve.master import ClassColumns, Plans, RelaxedMaster, big_price
from planner.solve.matrices import ranges
from planner.solve.pool import BOUND_ONLY, Answer, IslandPool
from planner.solve.warmstart import price_ceilings, separable_prices

SMOOTHING = 0.5
# Pricing stops once the master is within this share of the scenario's gap of the bound: the rounding and the
# choice among the plans spend a little of the rest, and rounds past that point move the bound by less than they cost.
STOP_SHARE = 0.25
SCREEN_TOL = 1e-7


@dataclass
class Priced:
    """What column generation found: plans, the master's last LP solution, and the best proven bound."""

    plans: Plans
    best_plan: np.ndarray  # per linked island, its cheapest plan at `price`
    island_bound: np.ndarray  # per linked island, a proven lower bound of v_i(price)
    price: np.ndarray  # the prices of the best bound
    bound: float  # the best Lagrangian bound (linked islands and classes only)
    master_value: float
    master_x: np.ndarray  # plan values of the last relaxed master, per plan
    class_x: np.ndarray  # class column values of the last relaxed master
    rounds: int
    infeasible: Optional[int] = None  # an island with no plan at all
    timed_out: bool = False


class ColumnGeneration:
    """The loop of the module docstring over the linked islands and the classes."""

    def __init__(self, core: Core, linked: np.ndarray, classes: ClassColumns, limit: np.ndarray, pool: IslandPool,
                 gap: float, deadline: float, progress: Optional[Callable[[str], None]], start: Optional[np.ndarray] = None):
        self.core, self.linked, self.classes, self.limit, self.pool = core, linked, classes, limit, pool
        self.start = start  # first prices (a model solved before, grown since); None: the separable relaxation's
        self.gap, self.deadline, self.progress = gap, deadline, progress
        self.pos = np.full(core.n_islands, -1, dtype=np.int64)
        self.pos[linked] = np.arange(len(linked))
        self.plans = Plans(len(limit))
        n = len(linked)
        self.base = np.full(n, -np.inf)  # proven bound of the last solve, at that solve's prices
        self.part_at_solve = np.zeros(core.n_cols)  # each column's price part at its island's last solve
        self.lp_base = np.full(n, -np.inf)  # the LP relaxation's value at the last solve
        self.reduced = np.zeros(core.n_cols)  # its reduced costs then (>= 0; 0 for the columns the LP used)
        # x columns of linked islands grouped by workload, for the per-workload minimum of the screen.
        cols = ranges(core.col_ptr[linked], core.n_x_of[linked])
        self.xcols = cols
        w = core.col_workload[cols]
        self.w_start = np.flatnonzero(np.r_[True, w[1:] != w[:-1]]) if len(w) else np.zeros(0, np.int64)
        self.w_island = self.pos[core.island_of_workload[w[self.w_start]]] if len(w) else np.zeros(0, np.int64)

    def _say(self, message: str) -> None:
        if os.environ.get("PLANNER_DEBUG"):
            import resource

            message += f" [rss peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB]"
        if self.progress:
            self.progress(message)

    def _solve(self, idx: np.ndarray, price: np.ndarray, stage: str, lp_only: bool = False,
               known: Optional[np.ndarray] = None) -> list[Answer]:
        """Solve the linked islands `idx` (positions) at `price`, record their plans and bounds (`stage` names the bar;
        `lp_only`: an island whose LP is fractional records its LP bound and keeps its plans, see IslandPool.solve;
        `known`: per linked island, its cheapest known plan at `price` or -1, where its MIP starts)."""
        part = self.core.price_part(price)
        t0 = time.monotonic()
        count = getattr(self.progress, "count", None)
        tick = (lambda done, total: count(stage, done, total)) if count else None
        starts = None
        if known is not None and not lp_only:
            starts = {}
            for i in idx[known[idx] >= 0].tolist():
                k = int(self.linked[i])
                starts[k] = self.plans.cols[int(known[i])] - int(self.core.col_ptr[k])
        answers = self.pool.solve(self.linked[idx], self.core.cost + part, limits.current().pricing_nodes, tick, lp_only,
                                  starts)
        if os.environ.get("PLANNER_DEBUG"):
            frac = sum(1 for a in answers if math.isfinite(a.lp) and a.bound - a.lp > 1e-6 * max(1.0, abs(a.lp)))
            print(f"  solve {len(idx)} islands: {time.monotonic() - t0:.2f}s, {frac} needed the MIP")
        if any(a.status == "infeasible" for a in answers):
            return answers
        solved = [(i, a) for i, a in zip(idx.tolist(), answers) if a.status not in ("no-solution", BOUND_ONLY)]
        self.plans.add_many(self.core, [int(self.linked[i]) for i, _ in solved],
                            [int(self.core.col_ptr[self.linked[i]]) + a.cols for i, a in solved])
        # A bound-only answer's LP value is a proven bound at these prices, as a MIP's would be; its plans stay as they were.
        recorded = solved + [(i, a) for i, a in zip(idx.tolist(), answers) if a.status == BOUND_ONLY]
        for (i, a) in recorded:
            k = int(self.linked[i])
            c0, c1 = int(self.core.col_ptr[k]), int(self.core.col_ptr[k + 1])
            self.part_at_solve[c0:c1] = part[c0:c1]
            self.base[i] = a.bound
            self.lp_base[i] = a.lp
            self.reduced[c0:c1] = np.maximum(self.pool.duals[c0:c1], 0.0) if math.isfinite(a.lp) else 0.0
        return answers

    def _per_island(self, per_column: np.ndarray) -> np.ndarray:
        """Per linked island, the sum over its workloads of the smallest value of their x columns."""
        n = len(self.linked)
        if not len(per_column):
            return np.zeros(n)
        per_w = np.minimum.reduceat(per_column, self.w_start)
        return np.bincount(self.w_island, weights=per_w, minlength=n)

    def bounds_at(self, price: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(per island: screening lower bound at `price`, cheapest known plan's priced value, that plan)."""
        n = len(self.linked)
        part = self.core.price_part(price, self.xcols)
        delta = part - self.part_at_solve[self.xcols]
        # Any plan costs at least the last bound plus, per workload, its cheapest price change; and at least the
        # last LP value plus, per workload, its cheapest (reduced cost + price change): the LP's proof, moved.
        lower = self.base + self._per_island(delta)
        with np.errstate(invalid="ignore"):
            lower = np.maximum(lower, self.lp_base + self._per_island(self.reduced[self.xcols] + delta))
        value = np.full(n, np.inf)
        plan = np.full(n, -1, dtype=np.int64)
        if len(self.plans):
            priced = self.plans.priced(price)
            isl = self.pos[np.array(self.plans.island)]
            order = np.lexsort((np.arange(len(priced)), priced, isl))
            first = np.r_[True, isl[order][1:] != isl[order][:-1]]
            heads = order[first]
            value[isl[heads]] = priced[heads]
            plan[isl[heads]] = heads
        return np.minimum(lower, value), value, plan

    def run(self) -> Priced:
        n = len(self.linked)
        cap = self.limit
        zero = np.zeros(len(cap))
        t_round = time.monotonic()
        start = self.start if self.start is not None else separable_prices(self.core, self.linked, self.classes, cap)
        if start.shape != cap.shape:
            raise ValueError(f"first prices: {start.shape} prices for {cap.shape} capacity rows")
        answers = self._solve(np.arange(n), start, "islands solved at first prices")
        bad = next((a for a in answers if a.status == "infeasible"), None)
        if bad is not None:
            return self._result(zero, -math.inf, 0.0, np.zeros(0), np.zeros(0), 0, infeasible=bad.island)
        if any(a.status == "no-solution" for a in answers):
            return self._result(zero, -math.inf, math.inf, np.zeros(0), np.zeros(0), 0, timed_out=True)
        big = big_price(self.plans, self.classes)
        ceiling = 2.0 * price_ceilings(self.core, self.linked, len(cap)) + 1.0
        master = RelaxedMaster(self.linked, self.classes, cap, big)
        master.add_plans(self.plans)
        lower0, _, _ = self.bounds_at(start)
        best_bound = float(lower0.sum()) + self.classes.lagrangian(start) - float(start @ cap)
        best_price = start
        detail(self.progress, f"{n:,} islands solved at first prices in {time.monotonic() - t_round:.1f}s; pricing the shared capacity")
        rounds = 0
        value, m_price, m_x = math.inf, zero, np.zeros(0)
        alpha = SMOOTHING
        timed_out = False
        last_over = math.inf
        max_rounds = limits.current().pricing_rounds
        lp_rounds = True
        while rounds < max_rounds:
            rounds += 1
            t_master = time.monotonic()
            solved = master.solve()
            if os.environ.get("PLANNER_DEBUG"):
                detail(self.progress, f"master LP: {time.monotonic() - t_master:.1f}s, {master.n_cols} columns")
            if solved is None:
                break
            value, m_price, _, col = solved
            m_x = col
            over = float(m_x[:len(cap)].sum())
            if over > 1e-9 and over > 0.9 * last_over and np.isfinite(ceiling).any():
                # The master overfills as much as a round ago: the ceilings (see below) hold the islands back.
                ceiling[:] = np.inf
            last_over = over
            if value - best_bound <= STOP_SHARE * self.gap * abs(value):
                break
            if time.monotonic() > self.deadline:
                timed_out = True
                break
            # While the master still overfills a row its price is the overfill's; islands are priced at most at the
            # row's ceiling, where every one of them would rather leave.
            price = alpha * best_price + (1 - alpha) * np.minimum(m_price, ceiling)
            lower, known, known_plan = self.bounds_at(price)
            todo = _worth_pricing(known - lower, SCREEN_TOL * np.maximum(1.0, np.abs(known)))
            before = len(self.plans)
            stage = f"sharing out capacity, round {rounds} (groups of linked workloads)"
            # In the first rounds, while the master overfills, the islands' plans only steer it: an island whose LP is
            # fractional gives its LP bound and no plan (no MIP). Once a round adds fewer plans than it left fractional,
            # those islands are what the master lacks: they get their MIPs, then and in every round after.
            lp_only = lp_rounds and over > 1e-9 and rounds <= limits.current().lp_rounds
            answers = self._solve(todo, price, stage, lp_only=lp_only, known=known_plan)
            fractional = np.array([i for i, a in zip(todo.tolist(), answers) if a.status == BOUND_ONLY], dtype=np.int64)
            if len(fractional) and len(self.plans) - before < len(fractional):
                lp_rounds = False
                answers = [a for a in answers if a.status != BOUND_ONLY] + self._solve(fractional, price, stage, known=known_plan)
            if any(a.status == "no-solution" for a in answers):
                timed_out = True
                break
            lower, _, _ = self.bounds_at(price)
            bound = float(lower.sum()) + self.classes.lagrangian(price) - float(price @ cap)
            if bound > best_bound:
                best_bound, best_price = bound, price
            added = len(self.plans) - before
            proof = ("still overfills the capacity" if over > 1e-9 else
                     f"within {max(0.0, value - best_bound) / max(abs(value), 1.0):.3%} of the bound")
            self._say(f"sharing out the sites' capacity between linked workloads, round {rounds} of at most {max_rounds}")
            detail(self.progress, f"pricing round {rounds}: {len(todo):,} of {n:,} islands priced again, {added:,} new island "
                   f"plan{'s' if added != 1 else ''}; master LP {proof}")
            if added == 0:
                if (m_x[:len(cap)] > 1e-9).any() and (ceiling < m_price).any():
                    # The ceilings read workloads one by one; egress and anti-affinity can make a whole island gain
                    # more by staying, and a full row next to an overfilled one can be worth more than any one
                    # workload's gain. The master still overfills: from here on every row is priced as it says.
                    ceiling[:] = np.inf
                    alpha = 0.0
                    continue
                if alpha == 0.0:
                    break
                alpha = 0.0  # no new column at the smoothed prices: price at the master's own next
            else:
                alpha = SMOOTHING
            master.add_plans(self.plans)
        return self._result(best_price, best_bound, value, m_x[master.plan_first:], m_x[master.class_first:master.plan_first],
                            rounds, timed_out=timed_out)

    def _result(self, price: np.ndarray, bound: float, value: float, plan_x: np.ndarray, class_x: np.ndarray, rounds: int,
                infeasible: Optional[int] = None, timed_out: bool = False) -> Priced:
        lower, _, plan = self.bounds_at(price) if len(self.linked) else (np.zeros(0), None, np.zeros(0, np.int64))
        return Priced(self.plans, plan, lower, price, bound, value, plan_x, class_x, rounds, infeasible, timed_out)


COVER = 1.0  # each round prices the islands holding this share of what the bound could still gain


def _worth_pricing(potential: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Islands to solve again: the fewest, largest potentials covering COVER of the total (ties by position).

    An island's potential is how far its best known plan may lie above its proven bound at the new
    prices; the bound counts every island's proven bound whether solved or not, so leaving the small
    ones for a later round keeps it a proof and spends the work where the bound moves.
    """
    open_ = np.nonzero(potential > tol)[0]
    if len(open_) == 0:
        return open_
    order = open_[np.lexsort((open_, -potential[open_]))]
    share = np.cumsum(potential[order]) / float(potential[order].sum())
    take = int(np.searchsorted(share, COVER)) + 1
    return np.sort(order[:take])
