"""An overlay's workload entries laid over workloads held in tables, on the typed rows.

A pending entry (an id no YAML file defines) whose id is a table row becomes a YAML item: the
row's values with the entry's fields over them, checked as YAML with the overlay's lines (the
row leaves its table); any other pending entry is a new workload. Setting `users` or
`depends_on` replaces that workload's rows in those tables; removing a table workload removes
its own dependency and user rows. Everything runs on arrays, so a million-row table costs little.
"""

from __future__ import annotations

import math

import numpy as np

from planner.base.errors import Issue
from planner.inputs.load.overlay import Merge, item_id, merged_item
from planner.inputs.load.rows import Interned, Issues, Rows
from planner.inputs.load.schema import WORKLOAD_NUM, WORKLOAD_TEXT
from planner.inputs.load.topology import Chunks
from planner.inputs.yamlio import LineDict, LineList


def apply_to_tables(merge: Merge, tables: dict[str, list[Rows]], issues: Issues) -> Chunks:
    """Lay the pending workload entries and removals over the table rows; return the YAML chunks they become.

    A pending entry whose id is a table row becomes a YAML item: the row's values with the
    entry's fields over them (the row leaves its table); any other pending entry is a new
    workload. Setting `users` or `depends_on` replaces the tables' rows of that workload.
    """
    if not merge.pending and not merge.table_removals:
        return []
    where: dict[str, tuple[int, int]] = {}  # id -> (table number, row)
    for t, rows in enumerate(tables["workloads"]):
        col = rows.text["id"]
        first = np.full(len(col.values), -1, dtype=np.int64)
        valid = np.nonzero(col.codes >= 0)[0]
        first[col.codes[valid][::-1]] = valid[::-1]  # the first row of each id
        for code, row in enumerate(first.tolist()):
            if row >= 0:
                where.setdefault(col.values[code], (t, row))
    drop_rows: list[set[int]] = [set() for _ in tables["workloads"]]
    owners_replaced: dict[str, set[str]] = {"users": set(), "dependencies": set()}
    chunks: Chunks = []
    for r in merge.table_removals:
        hit = where.get(r.id)
        if hit is None:
            issues.add(Issue(r.file, r.line, f"remove.workloads[{r.id}]", f"no workload '{r.id}' in the base inventory"))
            continue
        drop_rows[hit[0]].add(hit[1])
        owners_replaced["users"].add(r.id)
        owners_replaced["dependencies"].add(r.id)
        merge.removals.append(r)
    for file, item, line in merge.pending:
        ident = item_id(item)
        hit = where.get(ident) if ident is not None else None
        base = None
        if hit is not None and hit[1] not in drop_rows[hit[0]]:
            base = _row_item(tables["workloads"][hit[0]], hit[1])
            drop_rows[hit[0]].add(hit[1])
        if "users" in item:
            owners_replaced["users"].add(ident)
        if "depends_on" in item:
            owners_replaced["dependencies"].add(ident)
        value = LineList([merged_item(base, item)])
        value.line, value.lines = line, [line]
        chunks.append((file, value, line))
    tables["workloads"] = [_keep(rows, ~np.isin(np.arange(rows.n), sorted(gone))) if gone else rows
                           for rows, gone in zip(tables["workloads"], drop_rows)]
    for kind, owner in (("users", "workload"), ("dependencies", "source")):
        ids = owners_replaced[kind]
        if ids:
            tables[kind] = [_keep(rows, ~_names_in(rows.text[owner], ids)) for rows in tables[kind]]
    return chunks


def _names_in(col: Interned, names: set[str]) -> np.ndarray:
    hit = np.array([v in names for v in col.values] + [False], dtype=bool)
    return hit[col.codes]


def _row_item(rows: Rows, i: int) -> LineDict:
    """A table row as the YAML item it would be (every value at line 0: the overlay's line is used)."""
    item = LineDict()
    for column in WORKLOAD_TEXT:
        value = rows.text[column].value(i)
        if value is None:
            continue
        if isinstance(value, tuple):
            seq = LineList(list(value))
            seq.lines = [0] * len(value)
            value = seq
        item[column] = value
        item.lines[column] = 0
    for column in WORKLOAD_NUM:
        x = float(rows.num[column][i])
        if not math.isnan(x):
            item[column] = x
            item.lines[column] = 0
    return item


def _keep(rows: Rows, keep: np.ndarray) -> Rows:
    """The rows where `keep` holds, each text column interned again (no value of a dropped row is left)."""
    if keep.all():
        return rows
    text = {}
    for name, col in rows.text.items():
        codes = col.codes[keep]
        used = np.unique(codes[codes >= 0])
        remap = np.full(len(col.values) + 1, -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        text[name] = Interned(remap[codes], [col.values[c] for c in used.tolist()])
    return Rows(int(keep.sum()), text, {k: v[keep] for k, v in rows.num.items()}, rows.source[keep], rows.row[keep],
                rows.sources, rows.bad[keep])


__all__ = ["apply_to_tables"]
