"""Large estates start from the cheapest few sites per coupled workload; the rest are priced out.

The plan's proof over every admissible site is :mod:`planner.solve.proof`'s; the pricing out below
is what a restricted model with no plan uses to name the left-out entries that could give it one.

At a million workloads over seventy sites, residency and latency leave a coupled workload thirty
or forty admissible sites, most of them far dearer than its best few: the full model would have
tens of millions of columns. So the model starts with each coupled workload's `Limits.keep` cheapest
entries, by its own cost and at capacity prices guessed from the couplings-free relaxation (plus where
it runs today and, in `check`, its baseline site), latency chains kept
feasible, and the omitted entries are priced out afterwards with the island LPs' duals:

    d(w, s) >= total(w, s) + pi.u(w, s) - mu_w - support_w(zone of s)
               - sum_a max(0, egress_a(s) - share_a d(a, s)) + sum_b owed_b(s)

(`mu_w` the workload's assignment dual; `support_w` what the dependency rows its dependants
need from it could pay for being in that zone; the first sum, for each dependant a already modelled
at s, its egress there over the horizon less its share of the reduced cost of its own entry there:
the most sharing that site could save, as the dual of the egress row it would share with it can take;
the last, for each of w's own priced dependencies on a target b, the egress w surely pays at s: all
of it where b can never be at s, as much as b's share of its entry's reduced cost can give up where
b is modelled at s, nothing where b's entry there is left out too. A modelled entry's reduced cost
is shared out, half to the links where it is the dependant and half to those where it is the target,
so one dual vector stands behind the whole bound.) Every other row of the model only makes an entry dearer. By LP duality each island's LP over all its entries is at least its LP over the
kept ones plus, per workload, the most negative of those bounds; that gives a lower bound on
the whole estate that the restriction cannot fool. Entries whose bound is negative are added
and the model solved again, until none is or the gap is proven.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from planner.domain.estate import Estate
from planner.solve import limits
from planner.solve.candidates import Candidates
from planner.solve.core import ASSIGN, DEPENDENCY, Core
from planner.solve.latency import prune_dependency_latency
from planner.solve.matrices import ranges
from planner.solve.reduce import binding_capacity, n_resources, scales, sizes
from planner.solve.warmstart import subgradient_prices

_TOL = 1e-6


def initial_entries(estate: Estate, cands: Candidates, coupled: np.ndarray, base_site: Optional[np.ndarray],
                    label: np.ndarray, edges: Optional[tuple[np.ndarray, np.ndarray]] = None) -> Optional[np.ndarray]:
    """The entries the model starts with (a mask over `cands`), or None when the estate is small enough for all.

    Below `Limits.restrict_min_entries` the full model fits easily, and its own bound is stronger than any restricted
    model's, so a restriction would only weaken the proof."""
    counts = np.diff(cands.ptr)
    lim = limits.current()
    if not coupled.any() or counts[coupled].mean() <= lim.restrict_from or counts[coupled].sum() < lim.restrict_min_entries:
        return None
    keep = np.zeros(len(cands.site), dtype=bool)
    priced = _PriceGuess.of(estate, cands)
    for a in range(0, len(counts), _CHUNK):  # in blocks of workloads: the temporaries stay small
        b = min(len(counts), a + _CHUNK)
        e0, e1 = int(cands.ptr[a]), int(cands.ptr[b])
        entries = np.arange(e0, e1)
        owner = cands.owner[e0:e1]
        total = cands.total_of(entries)
        rank = _rank(total, cands.ptr[a:b + 1] - e0)
        k = ~coupled[owner] | (rank < lim.keep) | (cands.site[e0:e1] == cands.current[owner])
        if priced is not None:
            # Where capacity is short the cheapest sites fill up: the cheapest at the guessed prices are kept too.
            k |= _rank(total + priced.part(owner, cands.site[e0:e1]), cands.ptr[a:b + 1] - e0) < lim.keep
        if base_site is not None:
            k |= cands.site[e0:e1] == base_site[owner]
        keep[e0:e1] = k
    if edges is not None:
        _share_sites(cands, keep, *edges)
    # Latency chains must still hold with the kept sites: where they do not, the island keeps everything.
    for _ in range(3):
        trial = cands.subset(keep)
        prune_dependency_latency(estate, trial)
        if not trial.problems:
            return keep
        broken = np.zeros(label.max() + 1 if len(label) else 1, dtype=bool)
        ids = estate.workload_index
        for p in trial.problems:
            for wid in p.workloads:
                broken[label[ids[wid]]] = True
        keep |= broken[label[cands.owner]]
    return keep


_CHUNK = 1 << 17


def _share_sites(cands: Candidates, keep: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Each end of a coupling edge also keeps the sites kept for the other end, where it may run: egress and latency
    reward sharing a site, and a site neither end ranks first can be where both are cheapest together."""
    kept = np.flatnonzero(keep)
    owner = cands.owner[kept].astype(np.int64)
    by = np.zeros(len(cands.ptr), dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(cands.ptr) - 1), out=by[1:])  # kept entries of w: kept[by[w]:by[w+1]]
    added = []
    for src, dst in ((a, b), (b, a)):
        for i in range(0, len(src), _CHUNK):
            s_, d_ = src[i:i + _CHUNK], dst[i:i + _CHUNK]
            n = by[d_ + 1] - by[d_]
            sites = cands.site[kept[ranges(by[d_], n)]]
            entry = cands.entry_at(np.repeat(s_, n), sites)
            added.append(entry[entry >= 0])
    if added:
        keep[np.concatenate(added)] = True
_SAMPLE = 50_000  # workloads the capacity prices are guessed from (every k-th, capacity scaled to match)


@dataclass
class _PriceGuess:
    """Capacity prices guessed from the estate with its couplings dropped, on an evenly spaced sample of workloads."""

    table: np.ndarray  # (sites x resources) price per unit of size
    size: np.ndarray  # (workloads x resources)
    scale: Optional[np.ndarray]

    @classmethod
    def of(cls, estate: Estate, cands: Candidates) -> Optional["_PriceGuess"]:
        cap = binding_capacity(estate, cands)
        if not len(cap):
            return None
        n_w, n_s, n_r = len(cands.ptr) - 1, len(estate.sites), n_resources(estate)
        step = max(1, n_w // _SAMPLE)
        w = np.arange(0, n_w, step)
        w = w[np.diff(cands.ptr)[w] > 0]
        entries = ranges(cands.ptr[w], np.diff(cands.ptr)[w])
        own, site = cands.owner[entries], cands.site[entries].astype(np.int64)
        row = cap.row_of(n_s, n_r)
        size, scale = sizes(estate), scales(estate)
        amount = size[own] if scale is None else size[own] * scale[site]
        starts = np.concatenate([[0], np.cumsum(np.diff(cands.ptr)[w])[:-1]]).astype(np.int64)
        price = subgradient_prices(cands.total_of(entries), starts, amount, row[site], cap.limit * len(w) / n_w)
        table = np.concatenate([price, [0.0]])[row]
        return cls(table if scale is None else table * scale, size, scale)

    def part(self, owner: np.ndarray, site: np.ndarray) -> np.ndarray:
        """Per entry, its use of the capacity rows at the guessed prices."""
        return (self.table[site] * self.size[owner]).sum(axis=1)


def _rank(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Each value's rank within its group (groups are ptr[i]:ptr[i+1]; ties by position), through a padded matrix."""
    counts = np.diff(ptr)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    width = int(counts.max())
    row = np.repeat(np.arange(len(counts)), counts)
    col = np.arange(len(values)) - ptr[row]
    grid = np.full((len(counts), width), np.inf)
    grid[row, col] = values
    order = np.argsort(grid, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(len(counts))[:, None], order] = np.arange(width)[None, :]
    return rank[row, col]


@dataclass
class PricedOut:
    """The full-model lower bound of some islands and the omitted entries that could still improve them."""

    bound: np.ndarray  # per island given, a lower bound of its optimum over all its entries at the prices
    add: np.ndarray  # entries of the full candidates to add to the model


def price_out(estate: Estate, full: Candidates, kept: np.ndarray, cands: Candidates, core: Core, islands: np.ndarray,
              price: np.ndarray, lp_value: np.ndarray, row_duals: np.ndarray, col_duals: np.ndarray) -> PricedOut:
    """The bound of the module docstring for `islands`, from their LPs at `price` (`lp_value`, `row_duals`)."""
    t = estate.table
    n_w, n_z = len(t), len(estate.zone_index)
    rows = core.island_rows(islands)
    kind, ref, dual = core.row_kind[rows], core.row_ref[rows], row_duals[rows]
    mu = np.zeros(n_w)
    a = kind == ASSIGN
    mu[ref[a]] = dual[a]
    # What dependants' latency rows would pay their target for being in a zone (their duals are <= 0).
    dep_rows = np.nonzero((kind == DEPENDENCY) & (dual < -_TOL))[0]
    support_of: dict[int, int] = {}
    support = np.zeros((0, n_z))
    if len(dep_rows):
        d = t.deps
        k = ref[dep_rows]
        target = d.dst[k].astype(np.int64)
        near = estate.latency_matrix[core.row_site[rows][dep_rows]] <= d.max_latency_ms[k][:, None]
        uniq, inv = np.unique(target, return_inverse=True)
        support = np.zeros((len(uniq), n_z))
        np.add.at(support, inv.ravel(), near * -dual[dep_rows][:, None])
        support_of = {int(w): i for i, w in enumerate(uniq.tolist())}
    d = t.deps
    # Incoming priced dependencies by target, and each modelled entry's column: a dependant already on a site
    # can pay its target for joining it at most its egress there less the reduced cost of its own entry there.
    by_dst = np.argsort(d.dst, kind="stable")
    by_dst = by_dst[d.traffic_gb_month[by_dst] > 0]
    in_ptr = np.zeros(n_w + 1, dtype=np.int64)
    np.cumsum(np.bincount(d.dst[by_dst], minlength=n_w), out=in_ptr[1:])
    by_src = np.argsort(d.src, kind="stable")
    by_src = by_src[d.traffic_gb_month[by_src] > 0]
    out_ptr = np.zeros(n_w + 1, dtype=np.int64)
    np.cumsum(np.bincount(d.src[by_src], minlength=n_w), out=out_ptr[1:])
    links = _Links(in_ptr, by_dst, out_ptr, by_src)
    admissible = np.zeros((n_w, len(estate.sites)), dtype=bool)  # a bit per (workload, site): cheaper than a search
    admissible[full.owner, full.site] = True
    col_of_entry = np.full(len(cands.site), -1, dtype=np.int64)
    x = core.entry >= 0
    col_of_entry[core.entry[x]] = np.nonzero(x)[0]
    members = core.island_workloads[ranges(core.island_wptr[islands], core.island_wptr[islands + 1] - core.island_wptr[islands])]
    member_of = np.full(n_w, -1, dtype=np.int64)
    member_of[members] = np.repeat(np.arange(len(islands)), core.island_wptr[islands + 1] - core.island_wptr[islands])
    entries = ranges(full.ptr[members], full.ptr[members + 1] - full.ptr[members])
    omitted = entries[~kept[entries]]
    bound = lp_value.astype(float).copy()
    if len(omitted) == 0:
        return PricedOut(bound, omitted)
    table = core.price_table(price)
    zone = estate.site_zone_index
    worst = np.zeros(n_w)
    add = []
    for c in range(0, len(omitted), 1 << 20):  # in blocks: tens of millions of entries at a million workloads
        e = omitted[c:c + (1 << 20)]
        w = full.owner[e].astype(np.int64)
        s = full.site[e].astype(np.int64)
        total = full.total_of(e)
        total = total - full.rounding(total)  # below anything 32-bit monthly costs could have been rounded from
        egress_h = full.horizon * full.egress
        rc = total + (table[s] * core.size[w]).sum(axis=1) - mu[w] - _sharing_credit(
            w, s, links, d, cands, col_of_entry, col_duals, egress_h) + _egress_owed(
            w, s, links, d, estate, admissible, cands, col_of_entry, col_duals, egress_h)
        if support_of:
            pos = _lookup(support_of, w)
            has = pos >= 0
            rc[has] -= support[pos[has], zone[s[has]]]
        np.minimum.at(worst, w, np.minimum(rc, 0.0))
        add.append(e[rc < -_TOL * np.maximum(1.0, np.abs(total))])
    bound += np.bincount(member_of[members], weights=worst[members], minlength=len(islands))
    return PricedOut(bound, np.concatenate(add) if add else np.zeros(0, np.int64))


@dataclass
class _Links:
    """Egress-priced dependencies by target (`in_ptr`, `by_dst`) and by dependant (`out_ptr`, `by_src`)."""

    in_ptr: np.ndarray
    by_dst: np.ndarray
    out_ptr: np.ndarray
    by_src: np.ndarray

    def share(self, w: np.ndarray, as_source: bool) -> np.ndarray:
        """The part of a modelled entry's reduced cost one of its links may spend: half for the links where it
        is the dependant, half for those where it is the target, split evenly among them (so that all of
        them together never spend more than the entry's reduced cost: one dual vector for the whole bound)."""
        ptr = self.out_ptr if as_source else self.in_ptr
        return 0.5 / np.maximum(ptr[w + 1] - ptr[w], 1)

    def of(self, w: np.ndarray, s: np.ndarray, d, as_source: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
        """The links of each entry (w at s): (entry position, dependency, site, the workload at the other end)."""
        ptr, order = (self.out_ptr, self.by_src) if as_source else (self.in_ptr, self.by_dst)
        n = ptr[w + 1] - ptr[w]
        owner = np.repeat(np.arange(len(w)), n)
        k = order[ranges(ptr[w], n)]
        other = (d.dst if as_source else d.src)[k].astype(np.int64)
        return owner, k, s[owner], other


def _budget(links: _Links, cands: Candidates, col_of_entry: np.ndarray, col_duals: np.ndarray, w: np.ndarray, site: np.ndarray,
            as_source: bool) -> tuple[np.ndarray, np.ndarray]:
    """Whether w's entry at `site` is modelled, and the share of its reduced cost one link of it may spend."""
    entry = cands.entry_at(w, site)
    col = np.where(entry >= 0, col_of_entry[np.maximum(entry, 0)], -1)
    return col >= 0, np.maximum(col_duals[np.maximum(col, 0)], 0.0) * links.share(w, as_source)


def _sharing_credit(w: np.ndarray, s: np.ndarray, links: _Links, d, cands: Candidates,  # noqa: ANN001
                    col_of_entry: np.ndarray, col_duals: np.ndarray, egress_h: np.ndarray) -> np.ndarray:
    """Per entry (w at s), what its dependants modelled at s could pay it for sharing their site (see the docstring)."""
    owner, k, site, a = links.of(w, s, d, as_source=False)
    if len(owner) == 0:
        return np.zeros(len(w))
    modelled, budget = _budget(links, cands, col_of_entry, col_duals, a, site, as_source=True)
    credit = np.maximum(0.0, d.traffic_gb_month[k] * egress_h[site] - budget)
    return np.bincount(owner, weights=np.where(modelled, credit, 0.0), minlength=len(w))


def _egress_owed(w: np.ndarray, s: np.ndarray, links: _Links, d, estate: Estate, admissible: np.ndarray,  # noqa: ANN001
                 cands: Candidates, col_of_entry: np.ndarray, col_duals: np.ndarray, egress_h: np.ndarray) -> np.ndarray:
    """Per entry (w at s), the egress its own priced dependencies surely cost there: all of it where the target can
    never be at s (not admissible there, or in w's anti-affinity group); where the target is modelled at s, as much
    as that entry's reduced cost can give up (the new egress row's dual); nothing where the target's entry at s is
    left out too."""
    owner, k, site, b = links.of(w, s, d, as_source=True)
    if len(owner) == 0:
        return np.zeros(len(w))
    egress = d.traffic_gb_month[k] * egress_h[site]
    aa = estate.table.anti_affinity.codes
    never = ~admissible[b, site] | ((aa[w[owner]] >= 0) & (aa[w[owner]] == aa[b]))
    modelled, budget = _budget(links, cands, col_of_entry, col_duals, b, site, as_source=False)
    owed = np.where(never, egress, np.where(modelled, np.minimum(egress, budget), 0.0))
    return np.bincount(owner, weights=owed, minlength=len(w))


def _lookup(index: dict[int, int], keys: np.ndarray) -> np.ndarray:
    uniq = np.array(sorted(index), dtype=np.int64)
    vals = np.array([index[int(k)] for k in uniq.tolist()], dtype=np.int64)
    pos = np.searchsorted(uniq, keys)
    pos = np.minimum(pos, len(uniq) - 1)
    return np.where(uniq[pos] == keys, vals[pos], -1)
