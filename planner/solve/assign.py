"""From the model's answer back to workloads: island plans by their columns, class counts member by member.

This is where a mistake would place a workload on a site it was never priced for, so every mapping is
checked (shapes, order, costs) and raises :class:`~planner.solve.guards.MappingError` rather than guess.
"""

from __future__ import annotations

import numpy as np

from planner.domain.estate import Estate
from planner.solve.candidates import Candidates
from planner.solve.core import Core
from planner.solve.finish import Integer
from planner.solve.guards import (
    MappingError,
    check_costs,
    check_island_plans,
    entries_of,
)
from planner.solve.master import ClassColumns
from planner.solve.matrices import ranges
from planner.solve.reduce import Reduced

__all__ = ["apply", "assign_classes", "class_columns", "class_counts"]


def class_columns(estate: Estate, cands: Candidates, red: Reduced, core: Core) -> ClassColumns:
    """The classes' master columns: each class's kept entries (its first member's stand for all)."""
    reps = red.class_rep
    counts = (cands.ptr[reps + 1] - cands.ptr[reps])
    entries = ranges(cands.ptr[reps], counts)
    klass = np.repeat(np.arange(len(reps)), counts)
    keep = red.entry_kept[entries]
    entries, klass = entries[keep], klass[keep]
    site = cands.site[entries]
    size = core.amounts(reps[klass], site)
    cap_row = core.cap_table[site] if len(site) else np.zeros((0, core.cap_table.shape[1]), np.int64)
    coef = np.where(cap_row >= 0, size, 0.0)
    return ClassColumns(klass, entries, cands.total[entries].astype(float), cap_row, coef, red.class_size)


def apply(core: Core, cands: Candidates, red: Reduced, classes: ClassColumns, plan: Integer, alone_cols: dict[int, np.ndarray],
           choice: np.ndarray) -> None:
    """Write the chosen entries into `choice`: island plans by their x columns, class counts member by member."""
    check_island_plans(core, {**alone_cols, **plan.island_cols}, "island plans")
    for cols in list(alone_cols.values()) + list(plan.island_cols.values()):
        x = cols[core.entry[cols] >= 0]
        choice[core.col_workload[x]] = core.entry[x]
    if len(classes):
        assign_classes(cands, red, classes, plan.class_count, choice)


def assign_classes(cands: Candidates, red: Reduced, classes: ClassColumns, count: np.ndarray, choice: np.ndarray) -> None:
    """Give each class's members (in row order) the sites of its columns, `count[c]` members to column c."""
    if count.shape != (len(classes.klass),):
        raise MappingError(f"class counts: {count.shape} counts for {len(classes.klass):,} class columns")
    members = np.nonzero(red.class_of >= 0)[0]
    members = members[np.lexsort((members, red.class_of[members]))]
    starts = np.searchsorted(red.class_of[members], np.arange(len(classes.size)))
    cols = np.nonzero(count > 0)[0]
    n = count[cols].astype(np.int64)
    klass = classes.klass[cols].astype(np.int64)
    if (np.diff(klass) < 0).any():
        raise MappingError("class columns are not grouped by class")
    placed = np.bincount(klass, weights=n, minlength=len(classes.size)).astype(np.int64)
    if (placed > red.class_size).any():
        k = int(np.nonzero(placed > red.class_size)[0][0])
        raise MappingError(f"class counts: class {k} places {int(placed[k])} of its {int(red.class_size[k])} members")
    # Columns of one class take consecutive runs of its members, in column order: a column's offset within its
    # class is what the columns before it placed, less what earlier classes placed.
    offset = (np.cumsum(n) - n) - (np.cumsum(placed) - placed)[klass]
    rows = members[ranges(starts[klass] + offset, n)]
    col_of_row = np.repeat(cols, n)
    entries = entries_of(cands, rows, cands.site[classes.entry[col_of_row]].astype(np.int64), "class members")
    check_costs(classes.cost[col_of_row], cands.total[entries].astype(float), "class members")
    choice[rows] = entries


def class_counts(cands: Candidates, red: Reduced, classes: ClassColumns, choice: np.ndarray) -> np.ndarray:
    """Per class column, how many of its class's members `choice` puts on its site."""
    rows = np.nonzero(red.class_of >= 0)[0]
    n_s = len(cands.egress)
    have = np.bincount(red.class_of[rows] * n_s + cands.site[choice[rows]], minlength=len(classes.size) * n_s)
    return have[classes.klass * n_s + cands.site[classes.entry]].astype(np.int64)
