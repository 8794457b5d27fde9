"""The proof at full size: every island with all its admissible sites, at the final capacity prices.

Capacity rows are the only rows that link islands (and classes). So at any prices `pi >= 0` on
them, each island's problem with *every* admissible site and every latency and egress row, and
capacity priced instead of enforced, is at least its share of the estate's optimum:

    optimum >= fixed + sum_islands v_i(pi) + sum_classes n_k min_site (c + pi.u) - pi.cap

A capacity row the restricted model never built is priced 0, which only relaxes it further, and
`v_i` may be replaced by any proven lower bound of it (an LP value, a MIP's bound). This is the
same Lagrangian bound the pricing proves for the restricted model, taken over the full model, so
no choice of which sites were modelled can make it wrong.

The islands are built and solved in chunks, so memory stays that of one chunk. Before building a
chunk, exact *dominance* removes entries that can never be better. An entry of a workload outside
any anti-affinity group is dropped when another of its entries costs no more at these prices plus
everything egress could tell the two apart (its priced links' traffic at the other site's egress
price, and its dependants' at its own), and the other entry keeps every latency budget the dropped
one could: it is in the same zone (the latency rows only see zones), or it is the workload's
cheapest entry and its zone *covers* the dropped one's for every budget of the workload's
latency-bound dependencies (every zone within budget of the one is within budget of the other).
Moving the workload from a dropped entry to the one that dominates it then never costs more and
breaks no rule, whatever the rest of the island does, so some optimal plan uses no dropped entry
(and, within a zone, some optimal LP solution too): the reduced island's optimum is the full one's.

The islands' own plans at these prices name the left-out entries worth adding to the model.

Solving an island can raise the bound by at most the plan's priced cost of that island less its
floor (the island's optimum at these prices is no dearer than the plan's own island plan). So the
islands are solved in the order of that potential, chunk by chunk, and the proof stops as soon as
the bounds proven so far (floors for the islands not yet solved) prove the scenario's gap: the
islands left could only raise a bound that already suffices. The order and the stop depend on
the numbers alone, never on the clock.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from planner.domain.estate import Estate
from planner.solve import limits
from planner.solve.candidates import Candidates
from planner.solve.core import Core, build_core
from planner.solve.matrices import ranges
from planner.solve.pool import IslandPool
from planner.solve.reduce import ActiveDeps, Reduced


@dataclass
class FullBound:
    """Per island of the restricted core, a proven lower bound of its full problem at `price`, and entries to add."""

    island_bound: np.ndarray
    add: np.ndarray  # entries of the full candidates, left out of the model, that the islands' full plans use
    entries: int  # entries modelled after dominance, over the islands solved again
    dominated: int  # entries dominance removed, over every island
    solved: int  # islands solved again over their undominated entries (the others keep their restricted bound)
    skipped: int = 0  # islands that could raise the bound by so little that they keep their floor unsolved


def full_bound(estate: Estate, full: Candidates, kept: np.ndarray, red: Reduced, core: Core, price: np.ndarray,
               known: np.ndarray, backend: str, gap: float, deadline: float, workers: int,
               tick: Optional[Callable[[int, int], None]] = None, plan_value: Optional[np.ndarray] = None,
               need: float = math.inf) -> FullBound:
    """Every island of `core` over all of its admissible entries in `full` at capacity prices `price`.

    `known` holds, per island, a proven lower bound of the restricted island at `price` (-inf: none): an island
    whose undominated entries were all modelled has the restricted island's optimum, so it keeps that bound.
    With `plan_value` (per island, the plan's priced cost at `price`), the islands are solved in the order of what
    their solve could add to the bound, and no more once the islands' bounds sum to `need` (see the module docstring)."""
    n_isl = core.n_islands
    if known.shape != (n_isl,):
        raise AssertionError(f"full bound: {known.shape} known bounds for {n_isl} islands")
    cap_price = core.price_table(price)  # (sites x resources), 0 where no row was built
    rules = _Dominance.of(estate, full, red, cap_price, core.size)
    counts = np.diff(full.ptr)
    isl_entries = np.add.reduceat(counts[core.island_workloads], core.island_wptr[:-1]) if n_isl else np.zeros(0, np.int64)
    isl_entries = np.where(np.diff(core.island_wptr) > 0, isl_entries, 0)
    # Dominance over every island, in blocks of consecutive islands (its temporaries stay small).
    # Each workload on its cheapest entry at these prices, latency and egress dropped, is a bound no solve can miss:
    # kept where an island's solve is stopped before it proves more (the scenario's time limit).
    survive = np.zeros(len(full.site), dtype=bool)
    w_floor = np.zeros(len(estate.table))
    for start, stop in _blocks(isl_entries, np.arange(n_isl)):
        members = core.island_workloads[int(core.island_wptr[start]):int(core.island_wptr[stop])]
        members = members[counts[members] > 0]
        entries = ranges(full.ptr[members], counts[members])
        keep, lo = rules.undominated(entries)
        survive[entries[keep]] = True
        if len(entries):
            w_floor[members] = np.minimum.reduceat(lo, np.concatenate([[0], np.cumsum(counts[members])[:-1]]))
    new = survive & ~kept
    open_ = np.bincount(core.island_of_workload[full.owner[new]], minlength=n_isl) > 0 if new.any() else np.zeros(n_isl, bool)
    open_ |= ~np.isfinite(known)
    floor = np.add.reduceat(w_floor[core.island_workloads], core.island_wptr[:-1]) if n_isl else np.zeros(0)
    floor = np.where(np.diff(core.island_wptr) > 0, floor, 0.0)
    bound = np.where(open_, floor, np.maximum(known, floor))
    todo = np.nonzero(open_)[0]
    if plan_value is not None and len(todo):
        if plan_value.shape != (n_isl,):
            raise AssertionError(f"full bound: {plan_value.shape} plan values for {n_isl} islands")
        todo = todo[np.lexsort((todo, -np.maximum(0.0, plan_value[todo] - floor[todo])))]  # most to gain first
    skipped = 0
    add: list[np.ndarray] = []
    modelled = 0
    done = n_isl - len(todo)
    for a, b in _blocks(isl_entries[todo], todo):
        if float(bound.sum()) >= need:  # proven: the islands left could only raise a bound that already suffices
            skipped = len(todo) - a
            break
        islands = np.sort(todo[a:b])
        t0 = time.perf_counter()
        size = core.island_wptr[islands + 1] - core.island_wptr[islands]
        members = core.island_workloads[ranges(core.island_wptr[islands], size)]
        entries = ranges(full.ptr[members], counts[members])
        entries = entries[survive[entries]]
        modelled += len(entries)
        mask = np.zeros(len(full.site), dtype=bool)
        mask[entries] = True
        cands = full.subset(mask)
        in_full = np.flatnonzero(mask)  # a subset keeps the entries' order: chunk entry i is full entry in_full[i]
        if len(in_full) != len(cands.site):
            raise AssertionError(f"full bound: {len(cands.site)} chunk entries for {len(in_full)} chosen")
        island = np.full(len(estate.table), -1, dtype=np.int64)
        island[members] = np.repeat(np.arange(len(islands)), size)
        chunk_red = dataclasses.replace(red, coupled=island >= 0, deps=_deps_of(estate, red.deps, island >= 0))
        chunk = build_core(estate, cands, chunk_red, island=island)
        if chunk.n_islands != len(islands):
            raise AssertionError(f"full bound: {chunk.n_islands} islands built for a chunk of {len(islands)}")
        cost = chunk.cost.copy()
        x = chunk.entry >= 0
        total = cost[x]
        cost[x] = total - cands.rounding(total) + chunk.price_part(price, np.nonzero(x)[0])  # below any exact cost
        t1 = time.perf_counter()
        with IslandPool(chunk, backend, gap, deadline, workers) as pool:  # its workers end with the chunk
            answers = pool.solve(np.arange(chunk.n_islands), cost, nodes=limits.current().pricing_nodes)
        if os.environ.get("PLANNER_DEBUG"):
            print(f"  proof chunk of {len(islands):,} islands: {len(entries):,} entries, {chunk.n_cols:,} columns: "
                  f"built {t1 - t0:.1f}s, solved {time.perf_counter() - t1:.1f}s")
        used = []
        for ans in answers:
            k = int(islands[ans.island])
            if ans.status == "no-solution":
                continue  # stopped by the clock: the island keeps its floor
            bound[k] = max(ans.bound, floor[k])
            e = chunk.entry[int(chunk.col_ptr[ans.island]) + ans.cols]
            used.append(e[e >= 0])
        if used:
            e = in_full[np.concatenate(used)]
            add.append(e[~kept[e]])
        done += len(islands)
        if tick is not None:
            tick(done, n_isl)
    if tick is not None and not len(todo):
        tick(n_isl, n_isl)
    out = np.unique(np.concatenate(add)) if add else np.zeros(0, np.int64)
    return FullBound(bound, out, modelled, int(isl_entries.sum() - survive.sum()), len(todo) - skipped, skipped)


def _blocks(entries_per_island: np.ndarray, islands: np.ndarray) -> list[tuple[int, int]]:
    """Positions [a, b) cutting `islands` into runs of at most `Limits.proof_chunk_entries` entries (at least one
    island each): that bounds a chunk's memory."""
    out, start = [], 0
    cum = np.cumsum(entries_per_island)
    while start < len(islands):
        base = cum[start - 1] if start else 0
        stop = max(int(np.searchsorted(cum, base + limits.current().proof_chunk_entries, side="right")), start + 1)
        out.append((start, stop))
        start = stop
    return out


@dataclass
class _Dominance:
    """What decides whether one entry of a workload dominates another (see the module docstring)."""

    full: Candidates
    cap_price: np.ndarray  # (sites x resources) capacity prices
    size: np.ndarray  # (workloads x resources)
    links_out: np.ndarray  # per workload, traffic of its priced dependencies as the dependant
    links_in: np.ndarray  # ...and as the target
    egress_h: np.ndarray  # per site, egress price over the horizon
    free: np.ndarray  # per workload: in no anti-affinity group
    zone: np.ndarray  # per site, its zone
    ties: "_Ties"

    @classmethod
    def of(cls, estate: Estate, full: Candidates, red: Reduced, cap_price: np.ndarray, size: np.ndarray) -> "_Dominance":
        d = estate.table.deps
        n_w = len(estate.table)
        dep = red.deps.index[red.deps.priced]
        traffic = d.traffic_gb_month[dep].astype(float)
        links_out = np.bincount(d.src[dep], weights=traffic, minlength=n_w)
        links_in = np.bincount(d.dst[dep], weights=traffic, minlength=n_w)
        return cls(full, cap_price, size, links_out, links_in, full.horizon * full.egress,
                   estate.table.anti_affinity.codes < 0, estate.site_zone_index.astype(np.int64), _Ties.of(estate, full, red))

    def priced(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per entry, (at least, at most) its priced cost: its 32-bit cost could be rounded by the slack either way."""
        full = self.full
        w, s = full.owner[entries], full.site[entries]
        total = full.total_of(entries)
        part = (self.cap_price[s] * self.size[w]).sum(axis=1)
        slack = full.rounding(total)
        return total - slack + part, total + slack + part

    def undominated(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per entry of `entries` (grouped by workload): False where another entry of its workload dominates it; and
        at least its priced cost."""
        w = self.full.owner[entries].astype(np.int64)
        s = self.full.site[entries].astype(np.int64)
        zone = self.zone[s]
        lo, hi = self.priced(entries)
        if not limits.current().dominance:
            return np.ones(len(entries), dtype=bool), lo

        def beaten_by(other: np.ndarray) -> np.ndarray:
            margin = self.links_out[w] * self.egress_h[s[other]] + self.links_in[w] * self.egress_h[s]
            return self.free[w] & (other != np.arange(len(w))) & (lo >= hi[other] + margin)

        key = w * (int(zone.max()) + 1 if len(zone) else 1) + zone
        zone_best = _group_min(key, hi, s)  # the cheapest entry of each zone, and of each workload (ties: the lower site)
        best = _group_min(w, hi, s)
        cross = beaten_by(best)
        cross[cross] = self.ties.keeps(zone[best][cross], zone[cross], w[cross])
        return ~(beaten_by(zone_best) | cross), lo


def _group_min(key: np.ndarray, priced: np.ndarray, site: np.ndarray) -> np.ndarray:
    """Per position, the position of the cheapest one with the same key (ties: the lower site)."""
    order = np.lexsort((site, priced, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    out = np.empty(len(order), dtype=np.int64)
    out[order] = order[first][np.cumsum(first) - 1]
    return out


@dataclass
class _Ties:
    """Each workload's latency-bound dependencies (the other end and the budget), and which zones each end may use,
    to tell whether moving a workload from one zone to another keeps every budget it could keep before."""

    ptr: np.ndarray  # workload w's ties: ptr[w]:ptr[w+1]
    other: np.ndarray  # per tie, the workload at the other end
    budget: np.ndarray  # per tie, the number of its budget in `near`
    zones: np.ndarray  # per workload, a bit per zone one of its admissible sites lies in (when zones fit 64 bits)
    near: np.ndarray  # (budgets x zones): a bit per zone within that budget of that zone
    fits: bool  # zones fit in 64 bits: otherwise a workload with ties never leaves its zone

    @classmethod
    def of(cls, estate: Estate, full: Candidates, red: Reduced) -> "_Ties":
        d = estate.table.deps
        n_w = len(estate.table)
        dep = red.deps.index[red.deps.latency]
        ends = np.concatenate([d.src[dep], d.dst[dep]]).astype(np.int64)
        other = np.concatenate([d.dst[dep], d.src[dep]]).astype(np.int64)
        limit = np.concatenate([d.max_latency_ms[dep], d.max_latency_ms[dep]]).astype(float)
        uniq, budget = np.unique(limit, return_inverse=True)
        order = np.argsort(ends, kind="stable")
        ptr = np.zeros(n_w + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=n_w), out=ptr[1:])
        lat = estate.latency_matrix
        n_z = lat.shape[0]
        fits = n_z <= 63
        zones = np.zeros(n_w, dtype=np.int64)
        near = np.zeros((len(uniq), max(n_z, 1)), dtype=np.int64)
        if fits:
            bit = np.left_shift(np.int64(1), np.arange(n_z, dtype=np.int64))
            np.bitwise_or.at(zones, full.owner.astype(np.int64), bit[estate.site_zone_index[full.site]])
            for j, b in enumerate(uniq.tolist()):
                near[j] = ((lat <= b) * bit[None, :]).sum(axis=1)  # distinct bits: the sum is the bitwise or
        return cls(ptr, other[order], budget.ravel()[order].astype(np.int64), zones, near, fits)

    def keeps(self, to: np.ndarray, frm: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Per position: workload w[i] in zone to[i] keeps every budget it keeps in zone frm[i], wherever the other
        ends of its ties may be (every zone of the other end within budget of frm[i] is within it of to[i])."""
        n = self.ptr[w + 1] - self.ptr[w]
        ok = (n == 0) | (to == frm)
        if not self.fits:
            return ok
        pos = np.repeat(np.arange(len(w)), n)
        tie = ranges(self.ptr[w], n)
        j = self.budget[tie]
        lost = self.zones[self.other[tie]] & self.near[j, frm[pos]] & ~self.near[j, to[pos]]
        bad = np.bincount(pos, weights=(lost != 0).astype(float), minlength=len(w)) > 0
        return ok | ~bad


def _deps_of(estate: Estate, deps: ActiveDeps, members: np.ndarray) -> ActiveDeps:
    """The active dependencies whose dependant is among `members`."""
    sel = members[estate.table.deps.src[deps.index]]
    return ActiveDeps(deps.index[sel], deps.latency[sel], deps.priced[sel])
