"""Exact reductions before any MILP: what cannot bind, what cannot couple, what is already decided.

* A site resource whose total candidate demand fits its capacity cannot bind: no capacity row.
* A dependency couples its ends only when its latency budget can be broken by some admissible
  pair of sites, or when its traffic is priced.
* A workload with no coupling (no such dependency, no anti-affinity group) needs only its
  cheapest entry on a site without a binding resource, plus the binding-site entries strictly
  cheaper than that; with one entry left it is *fixed*. Ties prefer the baseline site (in
  `check`), then staying put, then the site order.
* Uncoupled workloads that are not fixed and are interchangeable for the optimiser (same
  profile, sizes, right-sized need, OS, current site, migration cost and baseline site, hence
  the same entries) form one *class*: one integer count per (class, site) instead of a binary
  per workload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from planner.domain.carbon import site_factors, workload_energy
from planner.domain.costs import rightsize
from planner.domain.estate import Estate
from planner.domain.rules import RESOURCES
from planner.solve.candidates import Candidates
from planner.solve.latency import binding_latency
from planner.solve.matrices import ranges


@dataclass
class Capacity:
    """The binding capacity rows: site number, resource number (into RESOURCES) and limit of each."""

    site: np.ndarray
    res: np.ndarray
    limit: np.ndarray

    def __len__(self) -> int:
        return len(self.site)

    def row_of(self, n_sites: int, n_res: int = len(RESOURCES)) -> np.ndarray:
        """(sites x resources) -> capacity row number, -1 where the resource does not bind; a row of site -1 (the
        carbon cap) is every site's."""
        table = np.full((n_sites, n_res), -1, dtype=np.int64)
        site = self.site >= 0
        table[self.site[site], self.res[site]] = np.nonzero(site)[0]
        for k in np.nonzero(~site)[0].tolist():
            table[:, self.res[k]] = k
        return table

    def binding_sites(self, n_sites: int) -> np.ndarray:
        """Per site, whether a capacity row binds there (every site when the carbon cap binds)."""
        out = np.zeros(n_sites, dtype=bool)
        out[self.site[self.site >= 0]] = True
        if (self.site < 0).any():
            out[:] = True
        return out


@dataclass
class ActiveDeps:
    """The dependencies that constrain or cost anything: rows into `table.deps`, and which of the two."""

    index: np.ndarray
    latency: np.ndarray  # bool: its budget can be broken
    priced: np.ndarray  # bool: its traffic costs egress somewhere


@dataclass
class Reduced:
    """What is left to decide after the reductions."""

    capacity: Capacity
    deps: ActiveDeps
    coupled: np.ndarray  # bool per workload
    fixed: np.ndarray  # per workload, its fixed entry or -1
    entry_kept: np.ndarray  # bool per candidate entry: still in the model
    class_of: np.ndarray  # per workload, its class or -1
    class_rep: np.ndarray  # per class, its first member (its entries stand for every member's)
    class_size: np.ndarray  # per class, how many workloads


CARBON = len(RESOURCES)  # the resource number of the carbon cap's row, after the physical ones


def n_resources(estate: Estate) -> int:
    """How many resources a row may limit: the physical ones, and emissions when the scenario caps them."""
    return len(RESOURCES) + (estate.scenario.carbon.cap_tonnes is not None)


def sizes(estate: Estate) -> np.ndarray:
    """(workloads x resources) sizes in RESOURCES order; with a carbon cap, then the horizon's tCO2e per gCO2e/kWh of
    site factor (planner.domain.carbon: a workload column times a site column, the site's part in `scales`)."""
    t = estate.table
    cols = [t.vcpu, t.memory_gb, t.storage_gb]
    if estate.scenario.carbon.cap_tonnes is not None:
        cols.append(estate.scenario.horizon_months * workload_energy(estate) / 1e6)
    return np.stack(cols, axis=1)


def scales(estate: Estate) -> Optional[np.ndarray]:
    """(sites x resources) factor on `sizes` per site: 1 for the physical resources, the site's gCO2e/kWh for
    emissions; None without a carbon cap (every factor 1)."""
    if estate.scenario.carbon.cap_tonnes is None:
        return None
    out = np.ones((len(estate.sites), len(RESOURCES) + 1))
    out[:, CARBON] = site_factors(estate)
    return out


def binding_capacity(estate: Estate, cands: Candidates) -> Capacity:
    """Site resources that the candidates' total demand could exceed."""
    t = estate.table
    rows: list[tuple[int, int, float]] = []
    n_s = len(estate.sites)
    owner = cands.owner
    for r, res in enumerate(RESOURCES):
        demand = np.bincount(cands.site, weights=getattr(t, res)[owner], minlength=n_s)
        for j, s in enumerate(estate.sites):
            cap = getattr(s.capacity, res) if s.capacity is not None else None
            if cap is not None and demand[j] > cap + 1e-9:
                rows.append((j, r, float(cap)))
    rows.sort()
    cap = estate.scenario.carbon.cap_tonnes
    if cap is not None and len(cands.site):
        # One row over every site: the most the candidates could emit is what decides whether it can bind.
        tonnes = estate.scenario.horizon_months * workload_energy(estate)[owner] * site_factors(estate)[cands.site] / 1e6
        has = np.diff(cands.ptr) > 0
        if float(np.maximum.reduceat(tonnes, cands.ptr[:-1][has]).sum()) > cap * (1 + 1e-12):
            rows.append((-1, CARBON, float(cap)))
    return Capacity(np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64),
                    np.array([r[2] for r in rows], dtype=float))


def active_dependencies(estate: Estate, cands: Candidates) -> ActiveDeps:
    """Dependencies whose budget can break, or whose traffic can cost egress (some site of the dependant prices it)."""
    d = estate.table.deps
    latency = binding_latency(estate, cands)
    priced_site = (cands.egress[cands.site] > 0).astype(np.int8)
    any_priced = np.zeros(len(cands.ptr) - 1, dtype=bool)
    has = np.diff(cands.ptr) > 0
    any_priced[has] = np.maximum.reduceat(priced_site, cands.ptr[:-1][has]) > 0
    priced = (d.traffic_gb_month > 0) & any_priced[d.src]
    idx = np.nonzero(latency | priced)[0]
    return ActiveDeps(idx, latency[idx], priced[idx])


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of `n` nodes joined by edges a[k]-b[k], numbered in the order of each
    component's first node (scipy's `connected_components` numbering, without the half second its import costs).

    Every node points at a node of its component no later than itself; each round hooks the two ends' roots onto the
    lesser and then follows pointers until each points at a root, until every edge joins one root: that root is its
    component's first node."""
    root = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    while len(a):
        ra, rb = root[a], root[b]
        apart = ra != rb
        if not apart.any():
            break
        ra, rb = ra[apart], rb[apart]
        low = np.minimum(ra, rb)
        np.minimum.at(root, ra, low)
        np.minimum.at(root, rb, low)
        while True:
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
        a, b = a[apart], b[apart]  # an edge within one root's tree stays so
    first = root == np.arange(n)
    return (np.cumsum(first) - 1)[root].astype(np.int32)


def coupling_edges(estate: Estate, deps: ActiveDeps) -> tuple[np.ndarray, np.ndarray]:
    """The edges that tie workloads into islands: active dependencies and anti-affinity groups (as chains)."""
    t = estate.table
    a = [t.deps.src[deps.index].astype(np.int64)]
    b = [t.deps.dst[deps.index].astype(np.int64)]
    for members in estate.anti_affinity_groups.values():
        if len(members) > 1:
            m = np.asarray(members, dtype=np.int64)
            a.append(m[:-1])
            b.append(m[1:])
    return np.concatenate(a), np.concatenate(b)


def prune_by_fallback(estate: Estate, cands: Candidates, capacity: Capacity, deps: ActiveDeps) -> bool:
    """Drop entries no optimal plan can use, island by island; True when any went.

    An island never costs more in an optimal plan than a plan of its own that uses no binding
    capacity (swapping to it frees capacity and saves money). Each workload at its cheapest entry
    on a site without binding capacity gives such a plan when it keeps the island's latency and
    anti-affinity rules; its cost (egress included) minus the sum of every workload's cheapest
    entry is the most any one workload can spend above its own cheapest entry, so dearer entries
    go. Islands with no such plan keep every entry.
    """
    t = estate.table
    n_w = len(t)
    owner, total = cands.owner, cands.total
    ea, eb = coupling_edges(estate, deps)
    label = components(n_w, ea, eb)
    binding_site = capacity.binding_sites(len(estate.sites))
    free_total = np.where(binding_site[cands.site], np.inf, total)
    starts = cands.ptr[:-1]
    has = np.diff(cands.ptr) > 0
    m = np.full(n_w, np.inf)
    m[has] = np.minimum.reduceat(total, starts[has])
    # The cheapest entry on a site without binding capacity (ties: the lower site, as entries are sorted by site).
    order = np.lexsort((free_total, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]] if len(order) else np.zeros(0, bool)
    nb = np.full(n_w, -1, dtype=np.int64)
    heads = order[first]
    ok_head = np.isfinite(free_total[heads])
    nb[owner[heads][ok_head]] = heads[ok_head]
    bad = np.zeros(n_w, dtype=bool)  # per label: the fallback plan breaks a rule, or does not exist
    np.logical_or.at(bad, label, nb < 0)
    site = np.where(nb >= 0, cands.site[np.maximum(nb, 0)], -1).astype(np.int64)
    d = t.deps
    src, dst = d.src[deps.index].astype(np.int64), d.dst[deps.index].astype(np.int64)
    both = (site[src] >= 0) & (site[dst] >= 0)
    zone = estate.site_zone_index
    lat = np.full(len(src), np.inf)
    lat[both] = estate.latency_matrix[zone[site[src[both]]], zone[site[dst[both]]]]
    broken = deps.latency & (lat > np.nan_to_num(d.max_latency_ms[deps.index], nan=np.inf))
    np.logical_or.at(bad, label[src], broken)
    aa = t.anti_affinity.codes
    member = np.nonzero((aa >= 0) & (site >= 0))[0]
    if len(member):
        key = aa[member].astype(np.int64) * (len(estate.sites) + 1) + site[member]
        _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
        np.logical_or.at(bad, label[member], cnt[inv.ravel()] > 1)
    cost = np.zeros(n_w)
    np.add.at(cost, label[has], np.where(nb[has] >= 0, total[np.maximum(nb[has], 0)], 0.0))
    apart = deps.priced & both & (site[src] != site[dst])
    egress = cands.horizon * d.traffic_gb_month[deps.index[apart]] * cands.egress[site[src[apart]]]
    np.add.at(cost, label[src[apart]], egress)
    floor = np.zeros(n_w)
    np.add.at(floor, label[has], m[has])
    slack = np.where(bad, np.inf, cost - floor)
    import os
    if os.environ.get("PLANNER_DEBUG"):
        labs = np.unique(label)
        print(f"fallback: {int(bad[labs].sum())} of {len(labs)} islands without a plan off binding sites "
              f"(no free site {int(np.isin(labs, label[nb < 0]).sum())}, latency {int(np.isin(labs, label[src[broken]]).sum())})")
    keep = total - m[owner] <= slack[label[owner]] * (1 + 1e-12) + 1e-6
    if keep.all():
        return False
    cands.keep(keep)
    return True


def coupled_workloads(estate: Estate, deps: ActiveDeps) -> np.ndarray:
    """Per workload, whether an active dependency or an anti-affinity group ties it to another."""
    t = estate.table
    coupled = np.zeros(len(t), dtype=bool)
    coupled[t.deps.src[deps.index]] = True
    coupled[t.deps.dst[deps.index]] = True
    for members in estate.anti_affinity_groups.values():
        if len(members) > 1:
            coupled[list(members)] = True
    return coupled


def reduce(estate: Estate, cands: Candidates, base_site: Optional[np.ndarray], deps: Optional[ActiveDeps] = None) -> Reduced:
    """Binding capacity, active dependencies, fixed workloads and classes of interchangeable ones.

    With `deps` (those of the full model, for a model restricted to some of its entries) the same
    workloads stay coupled and nothing more is pruned, so the restriction is all that differs.
    """
    t = estate.table
    n_w = len(t)
    capacity = binding_capacity(estate, cands)
    restricted = deps is not None
    deps = deps if deps is not None else active_dependencies(estate, cands)
    if not restricted and len(capacity) and prune_by_fallback(estate, cands, capacity, deps):
        # Fewer entries: fewer resources can bind and fewer budgets can break.
        capacity = binding_capacity(estate, cands)
        deps = active_dependencies(estate, cands)
    coupled = coupled_workloads(estate, deps)
    owner = cands.owner
    binding_site = capacity.binding_sites(len(estate.sites))
    on_binding = binding_site[cands.site]
    stays = cands.site == t.current_site[owner]
    at_base = cands.site == base_site[owner] if base_site is not None else np.zeros(len(owner), dtype=bool)
    free_cost = np.where(on_binding, np.inf, cands.total)
    order = np.lexsort((cands.site, ~stays, ~at_base, free_cost, owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    heads = order[first]
    best_free = np.full(n_w, -1, dtype=np.int64)
    has_free = np.isfinite(free_cost[heads])
    best_free[owner[heads][has_free]] = heads[has_free]
    best_cost = np.full(n_w, np.inf)
    best_cost[best_free >= 0] = cands.total[best_free[best_free >= 0]]
    kept = coupled[owner] | (best_free[owner] < 0) | (on_binding & (cands.total < best_cost[owner] - 1e-9))
    kept[best_free[best_free >= 0]] = True
    kept_count = np.bincount(owner[kept], minlength=n_w)
    single = ~coupled & (kept_count == 1) & (best_free >= 0)
    fixed = np.where(single, best_free, -1)
    kept &= ~single[owner]
    class_of, class_rep, class_size = _classes(estate, ~coupled & ~single, base_site, cands, kept)
    return Reduced(capacity, deps, coupled, fixed, kept, class_of, class_rep, class_size)


def _classes(estate: Estate, members: np.ndarray, base_site: Optional[np.ndarray], cands: Candidates,
             kept: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interchangeable uncoupled workloads grouped: equal inputs to their entries, and equal entries after every pruning.

    Equal inputs are not enough: latency pruning and the fallback bound cut entries workload by workload, so two
    workloads of one profile can end with different sites. The kept sites and their summed cost are part of the key.
    """
    t = estate.table
    rows = np.nonzero(members)[0]
    class_of = np.full(len(t), -1, dtype=np.int64)
    if len(rows) == 0:
        return class_of, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    prof, _ = estate.profiles
    comfort = estate.scenario.comfort_factor
    key = np.stack([
        prof[rows].astype(float), t.vcpu[rows], t.memory_gb[rows], t.storage_gb[rows],
        rightsize(t.vcpu[rows], t.cpu_util_p95[rows], comfort).astype(float),
        rightsize(t.memory_gb[rows], t.mem_util_p95[rows], comfort).astype(float),
        t.os[rows].astype(float), t.current_site[rows].astype(float), estate.migration_cost[rows],
        (base_site[rows] if base_site is not None else np.zeros(len(rows))).astype(float),
        *_entry_key(cands, kept, rows),
    ], axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # Number classes by their first member, so the numbering does not depend on float sort order.
    reps = rows[first]
    rank = np.argsort(reps)
    renumber = np.empty(len(reps), dtype=np.int64)
    renumber[rank] = np.arange(len(reps))
    class_of[rows] = renumber[inverse]
    return class_of, reps[rank], np.bincount(renumber[inverse], minlength=len(reps))


def _kept_entries(cands: Candidates, kept: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The kept entries of `rows` and, per entry, the position of its workload in `rows`."""
    counts = cands.ptr[rows + 1] - cands.ptr[rows]
    entries = ranges(cands.ptr[rows], counts)
    pos = np.repeat(np.arange(len(rows)), counts)
    keep = kept[entries]
    return entries[keep], pos[keep]


def _entry_key(cands: Candidates, kept: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a number equal for two rows exactly when their kept entries lie on the same sites (a bitset's rank),
    and the summed horizon cost of those entries (equal entries, summed in one order, give equal sums)."""
    entries, pos = _kept_entries(cands, kept, rows)
    n_words = (len(cands.egress) + 63) // 64 or 1
    bits = np.zeros((len(rows), n_words), dtype=np.uint64)
    site = cands.site[entries].astype(np.int64)
    np.bitwise_or.at(bits, (pos, site // 64), np.left_shift(np.uint64(1), (site % 64).astype(np.uint64)))
    rank = np.unique(bits, axis=0, return_inverse=True)[1].ravel()
    return rank.astype(float), np.bincount(pos, weights=cands.total[entries], minlength=len(rows))
