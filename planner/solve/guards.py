"""Checks at every step that maps a reduced, aggregated or restricted model back to workloads.

A wrong index here does not fail: numpy reads -1 as the last entry of the estate and the plan
quietly takes another workload's site and cost. Each mapping therefore checks its shape and its
sentinels and raises :class:`MappingError`, a fault of the planner, never of the inventory.
"""

from __future__ import annotations

import numpy as np

from planner.base.errors import PlannerFault
from planner.solve.candidates import Candidates
from planner.solve.core import Core


class MappingError(PlannerFault):
    """A model's answer could not be mapped back to workloads: the planner's own fault."""


def entries_of(cands: Candidates, workloads: np.ndarray, sites: np.ndarray, what: str) -> np.ndarray:
    """`cands.entry_at`, raising where a pair has no entry instead of handing back the sentinel."""
    entries = cands.entry_at(workloads, sites)
    missing = np.nonzero(entries < 0)[0]
    if len(missing):
        i = int(missing[0])
        raise MappingError(f"{what}: {len(missing):,} workload(s) were given a site they cannot use "
                           f"(the first: workload row {int(workloads[i])}, site number {int(sites[i])})")
    return entries


def check_choice(cands: Candidates, choice: np.ndarray, what: str) -> None:
    """Every workload has exactly one entry, and it is its own: shape, sentinels and ownership."""
    n_w = len(cands.ptr) - 1
    if choice.shape != (n_w,):
        raise MappingError(f"{what}: {choice.shape} choices for {n_w:,} workloads")
    bad = np.nonzero((choice < 0) | (choice >= len(cands.site)))[0]
    if len(bad):
        raise MappingError(f"{what}: {len(bad):,} workload(s) left without a site (the first: workload row {int(bad[0])})")
    wrong = np.nonzero(cands.owner[choice] != np.arange(n_w))[0]
    if len(wrong):
        raise MappingError(f"{what}: {len(wrong):,} workload(s) given another workload's entry "
                           f"(the first: workload row {int(wrong[0])})")


def check_costs(expected: np.ndarray, got: np.ndarray, what: str) -> None:
    """Members mapped from an aggregate column cost what the column said they cost."""
    if expected.shape != got.shape:
        raise MappingError(f"{what}: {expected.shape} costs against {got.shape}")
    off = np.nonzero(np.abs(expected - got) > 1e-6 * np.maximum(1.0, np.abs(expected)))[0]
    if len(off):
        i = int(off[0])
        raise MappingError(f"{what}: {len(off):,} member(s) cost other than their class column "
                           f"(the first: {got[i]:.2f} against {expected[i]:.2f})")


def check_island_plans(core: Core, island_cols: dict[int, np.ndarray], what: str) -> None:
    """Each island's chosen columns lie in that island and give each of its workloads exactly one site."""
    for k, cols in island_cols.items():
        c0, c1 = int(core.col_ptr[k]), int(core.col_ptr[k + 1])
        cols = np.asarray(cols, dtype=np.int64)
        if len(cols) and (cols.min() < c0 or cols.max() >= c1):
            raise MappingError(f"{what}: island {k} was given columns outside it ({c0}..{c1 - 1})")
        x = cols[core.entry[cols] >= 0]
        members = core.island_workloads[core.island_wptr[k]:core.island_wptr[k + 1]]
        got = np.sort(core.col_workload[x].astype(np.int64))
        if len(got) != len(members) or (got != np.sort(members)).any():
            raise MappingError(f"{what}: island {k} places {len(got)} columns for its {len(members)} workloads, "
                               "not one each")
