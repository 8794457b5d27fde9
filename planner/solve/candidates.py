"""Admissible (workload, site) pairs and their costs, built on columns for a million workloads.

Single-site rules depend on a workload's *profile* (pin, allowed kinds, certifications, data
classes, users), and estates have far fewer profiles than workloads, so
:func:`planner.domain.rules.profile_violations` runs once per profile and site; the size rule and
the cost model run once per site over all workloads (:func:`planner.domain.costs.run_columns`).
Dependency-latency budgets then prune sites that no admissible site of the other end can
reach (:mod:`planner.solve.latency`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import numpy as np

from planner.base.problem import Problem
from planner.domain.carbon import price_per_kwh as carbon_price_per_kwh
from planner.domain.carbon import workload_energy
from planner.domain.costs import NO_VM, egress_prices, run_columns
from planner.domain.estate import Estate
from planner.domain.model import Workload
from planner.domain.rules import fits_whole_capacity, profile_violations, violations


@dataclass
class Candidates:
    """Admissible sites per workload in CSR form: workload i owns entries ptr[i]:ptr[i+1], sites ascending.

    Kept compact for a million workloads (tens of millions of entries before the reductions): the site,
    the monthly run cost and the SKU are stored; one-time and horizon costs are derived once, on demand.
    """

    ptr: np.ndarray
    site: np.ndarray  # int16 site number
    monthly: np.ndarray
    sku: np.ndarray  # int32 catalogue SKU number, or costs.RATE_PRICED
    egress: np.ndarray  # per site: price per GB leaving it
    current: np.ndarray  # per workload, its current site
    migration_cost: np.ndarray  # per workload, its one-time cost of moving
    horizon: int
    problems: list[Problem] = field(default_factory=list)
    # The carbon price, when the scenario sets one: per workload its monthly kWh, per site its charge per kWh.
    energy: Optional[np.ndarray] = None
    carbon_rate: Optional[np.ndarray] = None

    def of(self, i: int) -> slice:
        """The entries of workload `i`."""
        return slice(int(self.ptr[i]), int(self.ptr[i + 1]))

    def owners(self) -> np.ndarray:
        """The workload number of every entry."""
        return np.repeat(np.arange(len(self.ptr) - 1, dtype=np.int32), np.diff(self.ptr))

    @cached_property
    def owner(self) -> np.ndarray:
        """`owners()`, computed once (call `keep` rather than editing the arrays, so it stays right)."""
        return self.owners()

    @cached_property
    def one_time(self) -> np.ndarray:
        """Per entry, its one-time cost: 0 on the workload's current site, its migration cost elsewhere."""
        owner = self.owner
        return np.where(self.site == self.current[owner], 0.0, self.migration_cost[owner])

    @cached_property
    def total(self) -> np.ndarray:
        """Per entry, `horizon_months * monthly + one_time`: what it costs over the horizon."""
        return self.total_of(np.arange(len(self.site)))

    def total_of(self, entries: np.ndarray) -> np.ndarray:
        """`total` of some entries, computed (not kept): how a model of tens of millions of entries is read."""
        owner = self.owner[entries]
        one = np.where(self.site[entries] == self.current[owner], 0.0, self.migration_cost[owner])
        if self.carbon_rate is not None:
            return self.horizon * (self.monthly[entries].astype(float) + self.energy[owner] * self.carbon_rate[self.site[entries]]) + one
        return self.horizon * self.monthly[entries].astype(float) + one

    def rounding(self, total: np.ndarray) -> "np.ndarray | float":
        """How far an exact horizon cost may lie from `total` read from these costs: 32-bit rounding when compact, else 0."""
        return 1e-6 * np.abs(total) + 0.05 if self.compact else 0.0

    @property
    def compact(self) -> bool:
        """Whether the costs are approximate (32-bit, no SKUs): see `build_candidates(compact=True)`."""
        return len(self.sku) != len(self.site)

    def keep(self, mask: np.ndarray) -> None:
        """Drop every entry where `mask` is False."""
        counts = np.bincount(self.owner[mask], minlength=len(self.ptr) - 1)
        self.ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.site, self.monthly = self.site[mask], self.monthly[mask]
        if len(self.sku) == len(mask):
            self.sku = self.sku[mask]
        for derived in ("owner", "one_time", "total"):
            self.__dict__.pop(derived, None)

    def exact(self, estate: Estate, mask: Optional[np.ndarray] = None) -> "Candidates":
        """The entries where `mask` is True (all by default) with exact costs and SKUs, from the cost model."""
        out = self.subset(mask if mask is not None else np.ones(len(self.site), dtype=bool))
        if not out.compact:
            return out
        monthly = np.zeros(len(out.site))
        sku = np.zeros(len(out.site), dtype=np.int32)
        owner = out.owner
        order = np.argsort(out.site, kind="stable")
        bounds = np.searchsorted(out.site[order], np.arange(len(estate.sites) + 1))
        for j, s in enumerate(estate.sites):
            e = order[bounds[j]:bounds[j + 1]]
            if len(e):
                col = run_columns(estate, owner[e], s)
                monthly[e], sku[e] = col.monthly, col.sku
        out.monthly, out.sku = monthly, sku
        for derived in ("one_time", "total"):
            out.__dict__.pop(derived, None)
        return out

    def subset(self, mask: np.ndarray) -> "Candidates":
        """A copy holding only the entries where `mask` is True."""
        out = Candidates(self.ptr, self.site, self.monthly, self.sku, self.egress, self.current, self.migration_cost, self.horizon,
                         list(self.problems), self.energy, self.carbon_rate)
        out.__dict__["owner"] = self.owner
        out.keep(mask)
        return out

    def entry_at(self, workloads: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """The entry of each (workload, site) pair, -1 where the site is not admissible for it.

        A binary search inside each workload's own entries (sorted by site): no array over every entry is built,
        so a million lookups cost as little as a handful.
        """
        w = np.asarray(workloads, dtype=np.int64)
        want = np.asarray(sites, dtype=np.int64)
        if w.shape != want.shape:
            raise ValueError(f"entry_at: {w.shape} workloads against {want.shape} sites")
        lo, hi = self.ptr[w].copy(), self.ptr[w + 1].copy()
        # Invariant: the wanted entry, when it exists, lies in [lo, hi); each pass halves every live interval.
        while True:
            live = lo < hi
            if not live.any():
                break
            mid = (lo + hi) // 2
            below = live & (self.site[np.minimum(mid, max(len(self.site) - 1, 0))] < want)
            lo = np.where(below, mid + 1, lo)
            hi = np.where(live & ~below, mid, hi)
        found = lo < self.ptr[w + 1]
        found[found] = self.site[lo[found]] == want[found]
        return np.where(found, lo, -1)


_CHUNK = 1 << 17  # workloads per block while building: the temporaries stay small at a million workloads


def build_candidates(estate: Estate, compact: bool = False) -> Candidates:
    """Every admissible pair with its monthly, one-time and horizon cost; `problems` names workloads left with none.

    `compact` keeps the monthly costs as 32-bit floats and no SKUs (6 bytes a pair instead of 14, for the tens of
    millions of pairs of a million-workload estate): good to rank and price out sites, not to plan with; a model
    takes its entries exact with :meth:`Candidates.exact`.
    """
    t = estate.table
    n_w = len(t)
    prof, reps = estate.profiles
    rep_workloads = [t.workload(int(r)) for r in reps.tolist()]
    prof_ok = np.array([[not profile_violations(estate, w, s) for s in estate.sites] for w in rep_workloads],
                       dtype=bool).reshape(len(reps), len(estate.sites))
    sites_, monthly_, sku_, counts_ = [], [], [], []
    for a in range(0, n_w, _CHUNK):
        rows_all = np.arange(a, min(n_w, a + _CHUNK))
        parts = []
        for j, s in enumerate(estate.sites):
            ok = prof_ok[prof[rows_all], j] & fits_whole_capacity(s, t.vcpu[rows_all], t.memory_gb[rows_all], t.storage_gb[rows_all])
            rows = rows_all[ok]
            col = run_columns(estate, rows, s)
            has = col.sku != NO_VM
            parts.append((rows[has], j, col.monthly[has], col.sku[has]))
        rows = np.concatenate([p[0] for p in parts])
        site = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int16) for p in parts])
        order = np.lexsort((site, rows))
        sites_.append(site[order])
        monthly_.append(np.concatenate([p[2] for p in parts])[order].astype(np.float32 if compact else float))
        if not compact:
            sku_.append(np.concatenate([p[3] for p in parts]).astype(np.int32)[order])
        counts_.append(np.bincount(rows - a, minlength=len(rows_all)))
    ptr = np.zeros(n_w + 1, dtype=np.int64)
    if n_w:
        np.cumsum(np.concatenate(counts_), out=ptr[1:])
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt))  # noqa: E731
    cands = Candidates(ptr=ptr, site=cat(sites_, np.int16), monthly=cat(monthly_, np.float32 if compact else float),
                       sku=cat(sku_, np.int32),
                       egress=egress_prices(estate), current=t.current_site.astype(np.int16), migration_cost=estate.migration_cost,
                       horizon=estate.scenario.horizon_months)
    if estate.scenario.carbon.price_per_tonne > 0:
        cands.energy, cands.carbon_rate = workload_energy(estate), carbon_price_per_kwh(estate)
    empty = np.nonzero(np.diff(ptr) == 0)[0]
    cands.problems.extend(no_site_problem(estate, t.workload(int(i))) for i in empty[:1000].tolist())
    if not cands.problems:
        from planner.solve.latency import prune_dependency_latency

        prune_dependency_latency(estate, cands)
    return cands


def no_site_problem(estate: Estate, w: Workload) -> Problem:
    """Explain a workload that no site admits: which rule rules out which site."""
    by_rule: dict[str, list[str]] = {}
    details: list[str] = []
    for s in estate.sites:
        broken = violations(estate, w, s)
        first = broken[0]
        by_rule.setdefault(first.rule.value, []).append(s.id)
        details.append(f"{s.id}: {first.message}")
    rules = sorted(by_rule)
    summary = "; ".join(f"{rule} rules out {', '.join(ids)}" for rule, ids in sorted(by_rule.items()))
    needs = _needs(estate, w)
    msg = f"{w.id} {needs}; no site satisfies all of that ({summary}). " + " | ".join(details)
    return Problem("+".join(rules), (w.id,), tuple(s.id for s in estate.sites), msg)


def _needs(estate: Estate, w: Workload) -> str:
    parts: list[str] = []
    for cls in sorted(set(w.data)):
        for pol in estate.policies_by_class.get(cls, ()):
            parts.append(f"needs {cls} data in {estate.policy_residency[pol.id].text} ({pol.id})")
    for u in w.users:
        parts.append(f"{u.max_latency_ms:g} ms to {u.zone} users")
    if w.requires:
        parts.append(f"sites certified {', '.join(sorted(w.requires))}")
    if w.pin:
        parts.append(f"is pinned to {w.pin}")
    if w.allowed_kinds:
        parts.append(f"allows only {'/'.join(k.value for k in w.allowed_kinds)} sites")
    return " and ".join(parts) if parts else f"needs {w.vcpu:g} vCPU and {w.memory_gb:g} GB"
