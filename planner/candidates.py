"""Admissible (workload, site) pairs and their costs, built for a million workloads.

Single-site rules depend on a workload's *profile* (pin, allowed kinds, certifications,
data classes, users), and estates have far fewer profiles than workloads, so
:func:`planner.rules.profile_violations` runs once per profile and site; sizes and
prices are numpy operations over all workloads. Dependency-latency budgets then prune
sites that no admissible site of the other end can reach (arc consistency over zones),
which shrinks the model and explains chains that cannot hold.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .costs import _util, egress_price, is_rate_priced, rate_cost, rightsize, sku_monthly
from .estate import Estate
from .model import Workload
from .rules import Rule, profile_violations, violations


@dataclass(frozen=True, order=True)
class Problem:
    """Why no plan exists, in inventory terms: the rule(s), the workloads, the sites and a sentence."""

    rule: str
    workloads: tuple[str, ...]
    sites: tuple[str, ...]
    message: str

    def to_json(self) -> dict:
        return {"rule": self.rule, "workloads": list(self.workloads), "sites": list(self.sites), "message": self.message}


@dataclass
class Candidates:
    """Admissible sites per workload in CSR form (workload i owns entries ptr[i]:ptr[i+1])."""

    ptr: np.ndarray
    site: np.ndarray
    monthly: np.ndarray
    one_time: np.ndarray
    sku: list[Optional[str]]
    total: np.ndarray
    egress: np.ndarray  # per site: price per GB leaving it
    problems: list[Problem] = field(default_factory=list)

    def of(self, i: int) -> slice:
        """The entries of workload `i`."""
        return slice(int(self.ptr[i]), int(self.ptr[i + 1]))

    def owners(self) -> np.ndarray:
        """The workload number of every entry (not cached: pruning rewrites `ptr`)."""
        return np.repeat(np.arange(len(self.ptr) - 1), np.diff(self.ptr))


def _profile_key(w: Workload) -> tuple:
    return (
        w.pin,
        tuple(k.value for k in w.allowed_kinds) if w.allowed_kinds is not None else None,
        tuple(sorted(set(w.requires))),
        tuple(sorted(set(w.data))),
        tuple((u.zone, u.max_latency_ms) for u in w.users),
    )


def build_candidates(estate: Estate) -> Candidates:
    """Every admissible pair with its monthly, one-time and horizon cost; `problems` names workloads left with none."""
    wls = estate.workloads
    sites = estate.sites
    n_w, n_s = len(wls), len(sites)
    horizon = estate.scenario.horizon_months
    profiles: dict[tuple, int] = {}
    prof_of = np.empty(n_w, dtype=np.int64)
    reps: list[Workload] = []
    for i, w in enumerate(wls):
        key = _profile_key(w)
        idx = profiles.get(key)
        if idx is None:
            idx = profiles[key] = len(reps)
            reps.append(w)
        prof_of[i] = idx
    prof_ok = np.array([[not profile_violations(estate, rep, s) for s in sites] for rep in reps], dtype=bool).reshape(len(reps), n_s)

    vcpu = np.fromiter((w.vcpu for w in wls), float, n_w)
    mem = np.fromiter((w.memory_gb for w in wls), float, n_w)
    sto = np.fromiter((w.storage_gb for w in wls), float, n_w)
    comfort = estate.scenario.comfort_factor
    need_cpu = rightsize(vcpu, np.fromiter((_util(w.cpu_util_p95) for w in wls), float, n_w), comfort)
    need_mem = rightsize(mem, np.fromiter((_util(w.mem_util_p95) for w in wls), float, n_w), comfort)
    cur_site = np.array([estate.site_index[w.current_site] for w in wls], dtype=np.int64)
    mig = np.array(
        [w.migration_cost if w.migration_cost is not None else estate.scenario.default_migration_cost for w in wls], dtype=float
    )

    ok = prof_ok[prof_of]  # (n_w, n_s)
    monthly = np.zeros((n_w, n_s))
    sku_id = np.full((n_w, n_s), -1, dtype=np.int64)
    sku_names: list[str] = []
    for j, s in enumerate(sites):
        if s.capacity is not None:
            for res, arr in (("vcpu", vcpu), ("memory_gb", mem), ("storage_gb", sto)):
                cap = getattr(s.capacity, res)
                if cap is not None:
                    ok[:, j] &= arr <= cap
        if is_rate_priced(s):
            assert s.cost is not None
            monthly[:, j] = rate_cost(vcpu, mem, sto, s.cost)
            continue
        assert s.region is not None
        pairs, inverse = np.unique(np.stack([need_cpu, need_mem]), axis=1, return_inverse=True)
        found = [estate.catalog.cheapest(s.region, int(c), float(m)) for c, m in pairs.T]
        hourly = np.array([f.hourly if f is not None else np.nan for f in found])[inverse.ravel()]
        names = np.array([len(sku_names) + k for k in range(len(found))])[inverse.ravel()]
        sku_names.extend(f.name if f is not None else "" for f in found)
        has = ~np.isnan(hourly)
        ok[:, j] &= has
        sku_monthly_per = sku_monthly(estate, _Hourly(np.nan_to_num(hourly)), sto, s.region)  # type: ignore[arg-type]
        monthly[:, j] = np.where(has, sku_monthly_per, 0.0)
        sku_id[:, j] = np.where(has, names, -1)

    rows, cols = np.nonzero(ok)
    ptr = np.zeros(n_w + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_w), out=ptr[1:])
    m = monthly[rows, cols]
    one = np.where(cols == cur_site[rows], 0.0, mig[rows])
    skus = [sku_names[k] if k >= 0 else None for k in sku_id[rows, cols].tolist()]
    cands = Candidates(
        ptr=ptr, site=cols.astype(np.int64), monthly=m, one_time=one, sku=skus, total=horizon * m + one,
        egress=np.array([egress_price(estate, s) for s in sites]),
    )
    empty = np.nonzero(np.diff(ptr) == 0)[0]
    cands.problems.extend(no_site_problem(estate, wls[i]) for i in empty.tolist())
    if not cands.problems:
        _prune_dependency_latency(estate, cands)
    return cands


@dataclass(frozen=True)
class _Hourly:
    """Duck-typed VmSku whose hourly price is an array, so `sku_monthly` prices many at once."""

    hourly: np.ndarray


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
            parts.append(f"needs {cls} data in {', '.join(pol.allowed_countries)} ({pol.id})")
    for u in w.users:
        parts.append(f"{u.max_latency_ms:g} ms to {u.zone} users")
    if w.requires:
        parts.append(f"sites certified {', '.join(sorted(w.requires))}")
    if w.pin:
        parts.append(f"is pinned to {w.pin}")
    if w.allowed_kinds:
        parts.append(f"allows only {'/'.join(k.value for k in w.allowed_kinds)} sites")
    return " and ".join(parts) if parts else f"needs {w.vcpu:g} vCPU and {w.memory_gb:g} GB"


def _prune_dependency_latency(estate: Estate, cands: Candidates) -> None:
    """Drop sites from which a latency-bound dependency cannot be met (AC-3 over zone sets)."""
    wls = estate.workloads
    widx = estate.workload_index
    lat = estate.latency_matrix
    site_zone = estate.site_zone_index
    arcs: list[tuple[int, int, float]] = []  # (x, y, L): every zone of x needs a zone of y within L
    for i, w in enumerate(wls):
        for d in w.depends_on:
            if d.max_latency_ms is not None:
                j = widx[d.workload]
                arcs.append((i, j, d.max_latency_ms))
                arcs.append((j, i, d.max_latency_ms))
    if not arcs:
        return
    masks: dict[int, int] = {}
    for x, y, _ in arcs:
        for k in (x, y):
            if k not in masks:
                mask = 0
                for z in site_zone[cands.site[cands.of(k)]].tolist():
                    mask |= 1 << z
                masks[k] = mask
    by_support: dict[int, list[int]] = {}
    for a, (_, y, _) in enumerate(arcs):
        by_support.setdefault(y, []).append(a)
    support_cache: dict[tuple[float, int], int] = {}

    def supported(limit: float, mask: int) -> int:
        key = (limit, mask)
        if key not in support_cache:
            zones = [z for z in range(lat.shape[0]) if mask >> z & 1]
            ok = (lat[:, zones] <= limit).any(axis=1) if zones else np.zeros(lat.shape[0], dtype=bool)
            support_cache[key] = sum(1 << int(z) for z in np.nonzero(ok)[0])
        return support_cache[key]

    queue = deque(range(len(arcs)))
    queued = [True] * len(arcs)
    changed: set[int] = set()
    emptied: dict[int, tuple[int, float, int]] = {}
    while queue:
        a = queue.popleft()
        queued[a] = False
        x, y, limit = arcs[a]
        new = masks[x] & supported(limit, masks[y])
        if new != masks[x]:
            if new == 0:
                emptied[x] = (y, limit, masks[y])
            masks[x] = new
            changed.add(x)
            for b in by_support.get(x, ()):
                if not queued[b]:
                    queued[b] = True
                    queue.append(b)
    if emptied:
        zones = sorted(estate.zone_index, key=estate.zone_index.get)  # type: ignore[arg-type]
        for x, (y, limit, ymask) in sorted(emptied.items()):
            wx, wy = wls[x], wls[y]
            yz = ", ".join(zones[z] for z in range(len(zones)) if ymask >> z & 1) or "nowhere"
            sites_x = sorted({estate.sites[s].id for s in cands.site[cands.of(x)].tolist()})
            cands.problems.append(Problem(
                Rule.DEPENDENCY_LATENCY.value, tuple(sorted((wx.id, wy.id))), tuple(sites_x),
                f"{wx.id} and {wy.id} must be within {limit:g} ms of each other, but {wx.id} may only go to "
                f"{', '.join(sites_x)} and {wy.id} only to zones {yz} (after its own rules); no pair of sites is that close",
            ))
        return
    if changed:
        keep = np.ones(len(cands.site), dtype=bool)
        for x in changed:
            sl = cands.of(x)
            zs = site_zone[cands.site[sl]]
            keep[sl] = [(masks[x] >> int(z)) & 1 == 1 for z in zs]
        _filter(cands, keep)


def _filter(cands: Candidates, keep: np.ndarray) -> None:
    owner = cands.owners()
    counts = np.bincount(owner[keep], minlength=len(cands.ptr) - 1)
    cands.ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cands.site = cands.site[keep]
    cands.monthly = cands.monthly[keep]
    cands.one_time = cands.one_time[keep]
    cands.total = cands.total[keep]
    cands.sku = [s for s, k in zip(cands.sku, keep.tolist()) if k]
