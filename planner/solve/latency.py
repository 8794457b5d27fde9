"""Dependency latency budgets as zone sets: prune sites no admissible site of the other end can reach.

Arc consistency (AC-3) over zones, on arrays: each workload holds the set of zones of its
admissible sites (a boolean row); a dependency `a -> b` within L ms keeps in a's set only the
zones within L of some zone in b's set, and the other way round, until nothing changes. A set
that empties is a latency chain that cannot hold, reported with both ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from planner.base.problem import Problem
from planner.domain.estate import Estate
from planner.domain.rules import Rule

if TYPE_CHECKING:  # the candidates call this module while they are built
    from planner.solve.candidates import Candidates

_CHUNK = 1 << 18  # arcs per block: bounds the temporary (arcs x zones) arrays


def zone_sets(estate: Estate, cands: Candidates) -> np.ndarray:
    """Per workload, which zones its admissible sites are in (workloads x zones, boolean)."""
    n_w, n_z = len(cands.ptr) - 1, len(estate.zone_index)
    sets = np.zeros((n_w, n_z), dtype=bool)
    sets[cands.owner, estate.site_zone_index[cands.site]] = True
    return sets


def _within(estate: Estate, limit: float) -> np.ndarray:
    return estate.latency_matrix <= limit


def _supported(estate: Estate, sets: np.ndarray, x: np.ndarray, y: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """For each arc (x, y, limit): the zones within `limit` of some zone in y's set (arcs x zones)."""
    out = np.zeros((len(x), sets.shape[1]), dtype=bool)
    for lim in np.unique(limit).tolist():
        near = _within(estate, lim).astype(np.uint8)
        idx = np.nonzero(limit == lim)[0]
        for a in range(0, len(idx), _CHUNK):
            part = idx[a:a + _CHUNK]
            out[part] = (sets[y[part]].astype(np.uint8) @ near) > 0
    return out


def prune_dependency_latency(estate: Estate, cands: Candidates) -> None:
    """Drop sites from which a latency-bound dependency cannot be met; report chains that cannot hold at all."""
    d = estate.table.deps
    bound = ~np.isnan(d.max_latency_ms)
    if not bound.any():
        return
    x = np.concatenate([d.src[bound], d.dst[bound]]).astype(np.int64)
    y = np.concatenate([d.dst[bound], d.src[bound]]).astype(np.int64)
    limit = np.concatenate([d.max_latency_ms[bound], d.max_latency_ms[bound]])
    sets = zone_sets(estate, cands)
    before = sets.copy()
    active = np.arange(len(x))
    emptied: dict[int, tuple[int, float, np.ndarray]] = {}
    while len(active):
        sup = _supported(estate, sets, x[active], y[active], limit[active])
        new = sets[x[active]] & sup
        changed_arcs = np.nonzero((new != sets[x[active]]).any(axis=1))[0]
        if len(changed_arcs) == 0:
            break
        # Several arcs may shrink one workload's set: intersect all they allow.
        xs = x[active][changed_arcs]
        keep = np.ones((len(np.unique(xs)),) + sets.shape[1:], dtype=bool)
        uniq, inv = np.unique(xs, return_inverse=True)
        np.logical_and.at(keep, inv, sup[changed_arcs])
        prev = sets[uniq].copy()
        sets[uniq] &= keep
        for k in np.nonzero(~sets[uniq].any(axis=1))[0].tolist():
            w = int(uniq[k])
            arc = active[changed_arcs[np.nonzero(inv == k)[0][0]]]
            emptied[w] = (int(y[arc]), float(limit[arc]), sets[y[arc]].copy() if sets[y[arc]].any() else prev[k])
        if emptied:
            break
        # Only arcs whose support changed need another look.
        touched = np.zeros(sets.shape[0], dtype=bool)
        touched[uniq] = True
        active = np.nonzero(touched[y])[0]
    if emptied:
        _report(estate, cands, emptied)
        return
    dropped = ~sets[cands.owner, estate.site_zone_index[cands.site]]
    if (sets != before).any() and dropped.any():
        cands.keep(~dropped)


def _report(estate: Estate, cands: Candidates, emptied: dict[int, tuple[int, float, np.ndarray]]) -> None:
    zones = sorted(estate.zone_index, key=estate.zone_index.get)  # type: ignore[arg-type]
    ids = estate.table.ids
    for wx, (wy, limit, ymask) in sorted(emptied.items()):
        yz = ", ".join(zones[z] for z in np.nonzero(ymask)[0].tolist()) or "nowhere"
        sites_x = sorted({estate.sites[s].id for s in cands.site[cands.of(wx)].tolist()})
        cands.problems.append(Problem(
            Rule.DEPENDENCY_LATENCY.value, tuple(sorted((ids[wx], ids[wy]))), tuple(sites_x),
            f"{ids[wx]} and {ids[wy]} must be within {limit:g} ms of each other, but {ids[wx]} may only go to "
            f"{', '.join(sites_x)} and {ids[wy]} only to zones {yz} (after its own rules); no pair of sites is that close",
        ))


def binding_latency(estate: Estate, cands: Candidates) -> np.ndarray:
    """Per dependency (in `table.deps` order), whether its budget can be broken by some pair of admissible sites."""
    d = estate.table.deps
    out = np.zeros(len(d), dtype=bool)
    bound = np.nonzero(~np.isnan(d.max_latency_ms))[0]
    if len(bound) == 0:
        return out
    sets = zone_sets(estate, cands)
    for lim in np.unique(d.max_latency_ms[bound]).tolist():
        far = (estate.latency_matrix > lim).astype(np.uint8)
        idx = bound[d.max_latency_ms[bound] == lim]
        for a in range(0, len(idx), _CHUNK):
            part = idx[a:a + _CHUNK]
            reach = (sets[d.src[part]].astype(np.uint8) @ far) > 0  # zones too far from some zone of a
            out[part] = (reach & sets[d.dst[part]]).any(axis=1)
    return out
