"""The coupled part of the placement MILP, built on arrays and laid out island by island.

Coupled workloads (an active dependency or an anti-affinity group joins them) fall into
*islands*: connected groups that only site capacity links. Every column and every row of the
model belongs to one island, and the arrays are sorted island by island, so an island's
sub-model is a slice (:meth:`Core.island`), cut in microseconds and never rebuilt.

Columns: `x` (0/1) per workload and admissible site; `y` (0..1) per egress-priced dependency
and site both ends may share, `y >= x[a,s] - x[b,s]`, costing the dependency's traffic at s's
egress price over the horizon (exact). Where the two ends can never share a site (b is not
admissible there, or the two are in one anti-affinity group) the egress is simply part of the
cost of `x[a,s]`: it is always paid. Rows: one assignment row per workload; an anti-affinity
row per group and site; a dependency row per dependency and zone of its dependant's sites,
`sum x[a, sites in z] <= sum x[b, sites within budget of z]`; an egress row per `y`.
Capacity rows are not in the islands: their use is `size[w] * x[w,s]` on binding site
resources (:class:`~planner.solve.reduce.Capacity`), priced or enforced by the stages that
link islands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from planner.domain.estate import Estate
from planner.solve.candidates import Candidates
from planner.solve.matrices import SubModel, ranges
from planner.solve.reduce import Reduced, n_resources, scales, sizes

ASSIGN, ANTI_AFFINITY, DEPENDENCY, EGRESS = 0, 1, 2, 3  # row kinds


@dataclass
class Core:
    """The coupled model, island-major (see the module docstring)."""

    n_islands: int
    island_workloads: np.ndarray  # workload rows, island by island
    island_wptr: np.ndarray  # island k's workloads: island_workloads[island_wptr[k]:island_wptr[k+1]]
    col_ptr: np.ndarray  # island k's columns: col_ptr[k]:col_ptr[k+1], its x columns first
    n_x_of: np.ndarray  # per island, how many x columns
    cost: np.ndarray  # per column, its horizon cost
    entry: np.ndarray  # per column, its candidate entry (-1 for y)
    col_workload: np.ndarray  # per column, its workload (-1 for y)
    row_ptr: np.ndarray  # island k's rows: row_ptr[k]:row_ptr[k+1]
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray  # CSR over all rows (global column numbers)
    index: np.ndarray
    value: np.ndarray
    row_kind: np.ndarray  # ASSIGN, ANTI_AFFINITY, DEPENDENCY or EGRESS
    row_ref: np.ndarray  # workload (assign), anti-affinity code (aa), deps row (dependency, egress)
    row_site: np.ndarray  # site of an aa or egress row, zone of a dependency row, -1 otherwise
    col_site: np.ndarray  # per column, its site (-1 for y)
    cap_table: np.ndarray  # (sites x resources) -> capacity row, -1 where the resource does not bind
    size: np.ndarray  # (workloads x resources)
    island_of_workload: np.ndarray  # per workload, its island (-1: not coupled)
    # (sites x resources) factor on `size` per site, None when every factor is 1: the emissions "resource" (a carbon
    # cap) uses size x the site's gCO2e per kWh, one row shared by every site.
    scale: Optional[np.ndarray] = None

    def price_table(self, price: np.ndarray) -> np.ndarray:
        """(sites x resources) what one unit of `size` costs on each site at capacity prices `price` (0 where no row)."""
        table = np.concatenate([price, [0.0]])[self.cap_table]
        return table if self.scale is None else table * self.scale

    def amounts(self, workloads: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """(len x resources) how much of each resource's row the workloads use on the sites."""
        size = self.size[workloads]
        return size if self.scale is None else size * self.scale[sites]

    def price_part(self, price: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
        """Per column (or per column of `cols`), its use of the capacity rows at `price` (0 for y columns)."""
        table = self.price_table(price)  # (sites x resources) price, 0 where not binding
        cols = np.arange(self.n_cols) if cols is None else cols
        out = np.zeros(len(cols))
        for a in range(0, len(cols), 1 << 20):  # in blocks: the temporaries stay small at a million workloads
            c = cols[a:a + (1 << 20)]
            site = self.col_site[c]
            x = site >= 0
            out[a:a + len(c)][x] = (table[site[x]] * self.size[self.col_workload[c[x]]]).sum(axis=1)
        return out

    def use(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which capacity rows the columns `cols` (a plan) use, and how much (rows ascending)."""
        rows, vals, _ = self.uses([cols])
        return rows, vals

    def uses(self, plans: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`use` of many plans in one pass, as one CSR: plan j's rows and amounts are at ptr[j]:ptr[j+1]."""
        lengths = np.array([len(c) for c in plans], dtype=np.int64)
        cols = np.concatenate(plans).astype(np.int64) if len(plans) else np.zeros(0, np.int64)
        owner = np.repeat(np.arange(len(plans)), lengths)
        x = self.col_site[cols] >= 0
        cols, owner = cols[x], owner[x]
        rows = self.cap_table[self.col_site[cols]].ravel()
        vals = self.amounts(self.col_workload[cols], self.col_site[cols]).ravel()
        owner = np.repeat(owner, self.cap_table.shape[1])
        keep = rows >= 0
        n_rows = max(int(self.cap_table.max()) + 1, 1) if self.cap_table.size else 1
        uniq, inv = np.unique(owner[keep] * n_rows + rows[keep], return_inverse=True)
        sums = np.bincount(inv.ravel(), weights=vals[keep], minlength=len(uniq))  # each plan's columns in order
        ptr = np.searchsorted(uniq // n_rows, np.arange(len(plans) + 1))
        return uniq % n_rows, sums, ptr

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    def island(self, k: int, cost: np.ndarray | None = None) -> SubModel:
        """Island `k` as a sub-model (columns renumbered from 0); `cost` replaces the columns' costs."""
        c0, c1 = int(self.col_ptr[k]), int(self.col_ptr[k + 1])
        r0, r1 = int(self.row_ptr[k]), int(self.row_ptr[k + 1])
        a, b = int(self.start[r0]), int(self.start[r1])
        return SubModel(int(self.n_x_of[k]), c1 - c0 - int(self.n_x_of[k]), (self.cost if cost is None else cost)[c0:c1],
                        self.row_lower[r0:r1], self.row_upper[r0:r1], self.start[r0:r1 + 1] - a,
                        self.index[a:b] - c0, self.value[a:b])

    def islands_model(self, islands: np.ndarray, cost: np.ndarray | None = None) -> tuple[SubModel, np.ndarray]:
        """Several islands as one sub-model (x columns of all first, then y columns), and each local column's global number.

        Its rows are the islands' rows in island order: :meth:`island_rows`."""
        islands = np.asarray(islands, dtype=np.int64)
        nx = self.n_x_of[islands]
        ny = self.col_ptr[islands + 1] - self.col_ptr[islands] - nx
        glob = np.concatenate([ranges(self.col_ptr[islands], nx), ranges(self.col_ptr[islands] + nx, ny)])
        n_rows = self.row_ptr[islands + 1] - self.row_ptr[islands]
        r = ranges(self.row_ptr[islands], n_rows)
        lengths = self.start[r + 1] - self.start[r]
        start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        take = ranges(self.start[r], lengths)
        # Local number of each matrix entry's column: x columns of all islands first, then their y columns.
        k = np.repeat(np.repeat(np.arange(len(islands)), n_rows), lengths)
        c = self.index[take] - self.col_ptr[islands][k]
        x_off = np.concatenate([[0], np.cumsum(nx)])[:-1]
        y_off = int(nx.sum()) + np.concatenate([[0], np.cumsum(ny)])[:-1]
        local = np.where(c < nx[k], x_off[k] + c, y_off[k] + c - nx[k])
        full_cost = self.cost if cost is None else cost
        n_x = int(nx.sum())
        return SubModel(n_x, len(glob) - n_x, full_cost[glob], self.row_lower[r], self.row_upper[r], start,
                        local, self.value[take]), glob


    def island_rows(self, islands: np.ndarray) -> np.ndarray:
        """The global rows of `islands`, in the order :meth:`islands_model` gives them."""
        islands = np.asarray(islands, dtype=np.int64)
        return ranges(self.row_ptr[islands], self.row_ptr[islands + 1] - self.row_ptr[islands])


def island_labels(estate: Estate, red: Reduced) -> np.ndarray:
    """Per workload, its island number (islands numbered by their first workload), -1 when not coupled."""
    from planner.solve.reduce import components, coupling_edges

    label = components(len(estate.table), *coupling_edges(estate, red.deps))
    coupled = np.nonzero(red.coupled)[0]
    out = np.full(len(estate.table), -1, dtype=np.int64)
    if len(coupled) == 0:
        return out
    lab = label[coupled]
    # Number islands by their first member (smallest row): labels in order of first appearance.
    uniq, first = np.unique(lab, return_index=True)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(uniq))
    out[coupled] = rank[np.searchsorted(uniq, lab)]
    return out


def build_core(estate: Estate, cands: Candidates, red: Reduced, island: Optional[np.ndarray] = None) -> Core:
    """The coupled model of the module docstring, island-major; `island` (per workload, -1 outside) when already known."""
    t = estate.table
    horizon = estate.scenario.horizon_months
    island = island_labels(estate, red) if island is None else island
    n_isl = int(island.max()) + 1 if (island >= 0).any() else 0
    wl = np.nonzero(island >= 0)[0]
    wl = wl[np.lexsort((wl, island[wl]))]
    wptr = np.concatenate([[0], np.cumsum(np.bincount(island[wl], minlength=n_isl))]).astype(np.int64)
    # x columns: every entry of the coupled workloads, island by island.
    counts = np.diff(cands.ptr)[wl]
    x_entry = ranges(cands.ptr[wl], counts)
    x_work = np.repeat(wl, counts)
    x_island = island[x_work]
    x_cost = cands.total[x_entry].astype(float).copy()
    col_of_entry = np.full(len(cands.site), -1, dtype=np.int64)

    # Egress: per priced dependency and site of its dependant.
    d = t.deps
    dep = red.deps.index[red.deps.priced]
    aa = t.anti_affinity.codes
    y_dep, y_a, y_b, y_price = [], [], [], []
    if len(dep) and len(x_entry):
        col_x = np.arange(len(x_entry))
        col_of_entry[x_entry] = col_x
        src, dst = d.src[dep].astype(np.int64), d.dst[dep].astype(np.int64)
        na = cands.ptr[src + 1] - cands.ptr[src]
        ca = col_of_entry[ranges(cands.ptr[src], na)]
        kdep = np.repeat(np.arange(len(dep)), na)
        site_a = cands.site[x_entry[ca]]
        eb = cands.entry_at(dst[kdep], site_a)
        price = horizon * d.traffic_gb_month[dep][kdep] * cands.egress[site_a]
        mates = (aa[src] >= 0) & (aa[src] == aa[dst])
        always = (eb < 0) | mates[kdep]
        pay = price > 0
        np.add.at(x_cost, ca[always & pay], price[always & pay])
        share = ~always & pay
        y_dep, y_a, y_b, y_price = dep[kdep[share]], ca[share], col_of_entry[eb[share]], price[share]
        del src, dst, na, ca, kdep, site_a, eb, price, mates, always, pay, share  # one entry each per (link, site): let go
    y_island = x_island[y_a] if len(y_a) else np.zeros(0, np.int64)
    n_x, n_y = len(x_entry), len(y_a)
    # Global column order: island-major, x columns before y columns within an island.
    isl = np.concatenate([x_island, y_island])
    kind = np.concatenate([np.zeros(n_x, np.int8), np.ones(n_y, np.int8)])
    order = np.lexsort((kind, isl))  # lexsort is stable: columns keep their order within an island and kind
    newcol = np.empty(n_x + n_y, dtype=np.int64)
    newcol[order] = np.arange(n_x + n_y)
    col_ptr = np.concatenate([[0], np.cumsum(np.bincount(isl, minlength=n_isl))]).astype(np.int64)
    n_x_of = np.bincount(x_island, minlength=n_isl).astype(np.int64)
    cost = np.concatenate([x_cost, np.asarray(y_price, dtype=float)])[order]
    entry = np.concatenate([x_entry, np.full(n_y, -1, np.int64)])[order].astype(np.int32)
    col_workload = np.concatenate([x_work, np.full(n_y, -1, np.int64)])[order].astype(np.int32)
    xcol = newcol[:n_x]  # old x position -> new column
    ycol = newcol[n_x:]
    del isl, kind, order, x_cost  # the rows below are the peak of the build: nothing they do not read stays

    rows = _Rows()
    # Assignment rows: a workload's x columns are consecutive.
    rows.add(ASSIGN, x_island, xcol, np.ones(n_x), np.repeat(np.arange(len(wl)), counts), 1.0, 1.0, wl, -1)
    _anti_affinity_rows(estate, cands, x_entry, x_work, x_island, xcol, rows)
    _dependency_rows(estate, cands, red, x_entry, x_work, x_island, xcol, col_of_entry, rows)
    if n_y:
        k = np.arange(n_y)
        rows.add(EGRESS, np.repeat(y_island, 3), np.stack([ycol, xcol[y_a], xcol[y_b]], axis=1).ravel(),
                 np.tile([1.0, -1.0, 1.0], n_y), np.repeat(k, 3), 0.0, np.inf, np.asarray(y_dep), cands.site[x_entry[y_a]])
    row_ptr, lower, upper, start, index, value, rkind, rref, rsite = rows.build(n_isl)
    col_site = np.where(entry >= 0, cands.site[np.maximum(entry, 0)], -1).astype(np.int32)
    return Core(n_isl, wl, wptr, col_ptr, n_x_of, cost, entry, col_workload, row_ptr, lower, upper, start, index, value,
                rkind, rref, rsite, col_site, red.capacity.row_of(len(estate.sites), n_resources(estate)), sizes(estate), island,
                scales(estate))


class _Rows:
    """Rows gathered kind by kind as (row key, column, value) triples, then sorted island by island into CSR."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, kind: int, island: np.ndarray, cols: np.ndarray, vals: np.ndarray, key: np.ndarray, lo, hi,  # noqa: ANN001
            ref: np.ndarray, site) -> None:  # noqa: ANN001
        """Triples whose `key` (0..n-1 within this kind) says which row; `ref` and `site` are per row.

        A row's island is its first triple's (every triple of a row lies in one island)."""
        if len(key) == 0:
            return
        n = int(key.max()) + 1
        first = np.full(n, -1, dtype=np.int64)
        first[key[::-1]] = np.arange(len(key))[::-1]
        row_island = island[first]
        lo_a = np.broadcast_to(np.asarray(lo, dtype=float), (n,)) if np.ndim(lo) == 0 else np.asarray(lo, dtype=float)
        hi_a = np.broadcast_to(np.asarray(hi, dtype=float), (n,)) if np.ndim(hi) == 0 else np.asarray(hi, dtype=float)
        ref_a = np.asarray(ref, dtype=np.int64)
        site_a = np.full(n, int(site), dtype=np.int64) if np.ndim(site) == 0 else np.asarray(site, dtype=np.int64)
        # Every coefficient of these rows is 1 or -1: held as int8 until the matrix is laid out (a million workloads
        # have some fifty million of them).
        small = np.asarray(vals).astype(np.int8)
        if not np.array_equal(small, vals) or (len(small) and int(np.abs(small).max()) > 1):
            raise ValueError("island rows: a coefficient other than -1, 0 or 1")
        self.parts.append((kind, row_island.astype(np.int32), lo_a, hi_a, ref_a.astype(np.int32), site_a.astype(np.int32),
                           np.asarray(key, dtype=np.int32), np.asarray(cols, dtype=np.int32), small))

    def build(self, n_isl: int):  # noqa: ANN201
        if not self.parts:
            z = np.zeros(0)
            return (np.zeros(n_isl + 1, np.int64), z, z, np.zeros(1, np.int64), np.zeros(0, np.int64), z,
                    np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0, np.int64))
        offsets = np.cumsum([0] + [len(p[1]) for p in self.parts])
        island = np.concatenate([p[1] for p in self.parts])
        kind = np.concatenate([np.full(len(p[1]), p[0], np.int8) for p in self.parts])
        lo = np.concatenate([p[2] for p in self.parts])
        hi = np.concatenate([p[3] for p in self.parts])
        ref = np.concatenate([p[4] for p in self.parts])
        site = np.concatenate([p[5] for p in self.parts])
        trip_row = np.concatenate([(p[6] + off).astype(np.int32) for p, off in zip(self.parts, offsets[:-1])])
        cols = np.concatenate([p[7].astype(np.int32) for p in self.parts])
        vals = np.concatenate([p[8] for p in self.parts])
        self.parts = []  # the parts are copied: let them go before the sort
        n = len(island)
        order = np.argsort(island, kind="stable")  # island-major, kinds and rows in the order added
        new = np.empty(n, dtype=np.int32)
        new[order] = np.arange(n, dtype=np.int32)
        trip_new = new[trip_row]
        del trip_row, new
        torder = np.argsort(trip_new, kind="stable")  # a row's entries in the order added
        counts = np.bincount(trip_new, minlength=n)
        del trip_new  # each array is dropped as soon as it is read: the peak is that of the layout, not of its inputs
        cols = cols[torder]
        vals = vals[torder]
        del torder
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        row_ptr = np.concatenate([[0], np.cumsum(np.bincount(island, minlength=n_isl))]).astype(np.int64)
        return (row_ptr, lo[order], hi[order], start, cols, vals.astype(float), kind[order], ref[order], site[order])


def _anti_affinity_rows(estate: Estate, cands: Candidates, x_entry: np.ndarray, x_work: np.ndarray, x_island: np.ndarray,
                        xcol: np.ndarray, rows: _Rows) -> None:
    aa = estate.table.anti_affinity.codes[x_work]
    member = np.nonzero(aa >= 0)[0]
    if len(member) == 0:
        return
    n_s = len(estate.sites)
    key = aa[member].astype(np.int64) * n_s + cands.site[x_entry[member]]
    uniq, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    many = counts[inv] > 1
    sel = member[many]
    if len(sel) == 0:
        return
    ukey, rowkey = np.unique(key[many], return_inverse=True)
    rows.add(ANTI_AFFINITY, x_island[sel], xcol[sel], np.ones(len(sel)), rowkey.ravel(), -np.inf, 1.0, ukey // n_s, ukey % n_s)


_DEP_CHUNK = 1 << 18  # dependencies per block: the (dependency, zone, target entry) expansion stays small


def _dependency_rows(estate: Estate, cands: Candidates, red: Reduced, x_entry: np.ndarray, x_work: np.ndarray,
                     x_island: np.ndarray, xcol: np.ndarray, col_of_entry: np.ndarray, rows: _Rows) -> None:
    """Per latency-bound dependency a -> b and zone z of a's sites: a in z needs b at a site within budget of z."""
    dep_all = red.deps.index[red.deps.latency]
    if len(dep_all) == 0 or len(x_entry) == 0:
        return
    col_of_entry = col_of_entry.copy()
    col_of_entry[x_entry] = np.arange(len(x_entry))
    for c in range(0, len(dep_all), _DEP_CHUNK):
        _dependency_block(estate, cands, dep_all[c:c + _DEP_CHUNK], x_island, xcol, col_of_entry, rows)


def _dependency_block(estate: Estate, cands: Candidates, dep: np.ndarray, x_island: np.ndarray, xcol: np.ndarray,
                      col_of_entry: np.ndarray, rows: _Rows) -> None:
    d = estate.table.deps
    zone_of_site = estate.site_zone_index
    lat = estate.latency_matrix
    src, dst, limit = d.src[dep].astype(np.int64), d.dst[dep].astype(np.int64), d.max_latency_ms[dep]
    na = (cands.ptr[src + 1] - cands.ptr[src])
    nb = (cands.ptr[dst + 1] - cands.ptr[dst])
    ka = np.repeat(np.arange(len(dep)), na)
    ea = ranges(cands.ptr[src], na)
    za = zone_of_site[cands.site[ea]]
    # Distinct (dependency, zone of a) pairs: one row each, unless every site of b is within budget.
    n_z = lat.shape[0]
    pair = ka * n_z + za
    upair, pinv = np.unique(pair, return_inverse=True)
    pinv = pinv.ravel()
    pk, pz = upair // n_z, upair % n_z
    # For each pair, b's entries within budget of its zone: expand pairs by b's entries.
    pb_count = nb[pk]
    pb_pair = np.repeat(np.arange(len(upair)), pb_count)
    pb_entry = ranges(cands.ptr[dst[pk]], pb_count)
    ok = lat[pz[pb_pair], zone_of_site[cands.site[pb_entry]]] <= limit[pk[pb_pair]]
    all_ok = np.ones(len(upair), dtype=bool)
    has = pb_count > 0
    if len(ok):
        starts = np.concatenate([[0], np.cumsum(pb_count)])[:-1]
        all_ok[has] = np.minimum.reduceat(ok.astype(np.int8), starts[has]) > 0
    need = ~all_ok
    if not need.any():
        return
    rownum = np.full(len(upair), -1, dtype=np.int64)
    rownum[need] = np.arange(int(need.sum()))
    a_sel = need[pinv]
    b_sel = need[pb_pair] & ok
    cols = np.concatenate([xcol[col_of_entry[ea[a_sel]]], xcol[col_of_entry[pb_entry[b_sel]]]])
    vals = np.concatenate([np.ones(int(a_sel.sum())), -np.ones(int(b_sel.sum()))])
    key = np.concatenate([rownum[pinv[a_sel]], rownum[pb_pair[b_sel]]])
    isl = np.concatenate([x_island[col_of_entry[ea[a_sel]]], x_island[col_of_entry[pb_entry[b_sel]]]])
    rows.add(DEPENDENCY, isl, cols, vals, key, -np.inf, 0.0, dep[pk[need]], pz[need])
