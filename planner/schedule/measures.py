"""What a schedule realises: savings as waves land, and dependencies split across waves."""

from __future__ import annotations

from typing import Mapping, Optional

import numpy as np

from planner.domain.costs import NO_VM, monthly_run, run_arrays
from planner.domain.estate import Estate
from planner.domain.model import Workload
from planner.domain.workloads import OSES
from planner.schedule.calendar import months_after


def monthly_saving(estate: Estate, w: Workload, site_id: Optional[str]) -> float:
    """Stay-put monthly run cost of `w` minus its monthly run cost on `site_id` (0 when unknown)."""
    if site_id is None or site_id == w.current_site:
        return 0.0
    now = monthly_run(estate, w, estate.site_by_id[w.current_site])
    then = monthly_run(estate, w, estate.site_by_id[site_id])
    return (now.monthly if now is not None else 0.0) - (then.monthly if then is not None else 0.0)


def _savings(estate: Estate, cols: tuple[np.ndarray, ...], now_site: np.ndarray, new_site: np.ndarray) -> np.ndarray:
    """:func:`monthly_saving` of many workloads at once, the same floats: `cols` as :func:`planner.domain.costs.workload_arrays`
    gives them, today's and the planned site numbers (-1: unknown)."""
    moved = (new_site >= 0) & (new_site != now_site)
    now, then = np.zeros(len(now_site)), np.zeros(len(now_site))
    for out, site_no in ((now, now_site), (then, new_site)):
        for j in np.unique(site_no[moved]).tolist():
            on = np.nonzero(moved & (site_no == j))[0]
            col = run_arrays(estate, estate.sites[j], *(c[on] for c in cols))
            out[on] = np.where(col.sku == NO_VM, 0.0, col.monthly)  # no VM large enough: no cost, as monthly_saving counts it
    return np.where(moved, now - then, 0.0)


def realised_savings(estate: Estate, wave_of: Mapping[str, int], site_of: Mapping[str, str]) -> float:
    """What a schedule realises over the horizon: each moved workload's monthly saving times the months after its wave."""
    t = estate.table
    ids = sorted(wave_of)
    index, site_index = estate.workload_index, estate.site_index
    rows = np.array([index[wid] for wid in ids], dtype=np.int64)
    new = np.array([site_index[site_of[wid]] if wid in site_of else -1 for wid in ids], dtype=np.int64)
    cols = (t.vcpu[rows], t.memory_gb[rows], t.storage_gb[rows], t.cpu_util_p95[rows], t.mem_util_p95[rows],
            t.os[rows] == OSES.index("windows"))
    saving = _savings(estate, cols, t.current_site[rows].astype(np.int64), new)
    months = {k: months_after(estate, k) for k in set(wave_of.values())}
    total = 0.0
    for wid, s in zip(ids, saving.tolist()):  # one by one in id order: the same float as ever, not numpy's pairwise sum
        total += s * months[wave_of[wid]]
    return total


def cross_wave_dependencies(estate: Estate, wave_of: Mapping[str, int]) -> int:
    """Dependencies whose two ends both move, in different waves."""
    t = estate.table
    rows = t.rows_of(list(wave_of))
    known = rows >= 0
    scheduled = np.zeros(len(t), dtype=bool)
    scheduled[rows[known]] = True
    wave = np.zeros(len(t), dtype=np.int64)
    wave[rows[known]] = np.array(list(wave_of.values()), dtype=np.int64)[known]
    d = t.deps
    return int((scheduled[d.src] & scheduled[d.dst] & (wave[d.src] != wave[d.dst])).sum())


def target_first_breaks(estate: Estate, w: Workload, dep_workload: str, max_latency_ms: Optional[float],
                        site_of: Mapping[str, str]) -> bool:
    """Whether `w`'s dependency breaks its latency budget while its target has moved and `w` not yet.

    Unknown target sites count as breaking (the safe side: the two move together).
    """
    if max_latency_ms is None:
        return False
    new = site_of.get(dep_workload)
    if new is None:
        return True
    ms = estate.latency(estate.site_by_id[w.current_site].zone, estate.site_by_id[new].zone)
    return ms > max_latency_ms
