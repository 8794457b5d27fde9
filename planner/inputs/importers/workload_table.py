"""Imported workloads as the inventory's workloads table (``--out FILE.csv|FILE.parquet``).

The same fields as the YAML, one row per workload, written by
:func:`planner.inputs.table_format.write_table`. What a table cannot hold is left to the summary:
the ``# default`` marks (the summary counts the defaults to review) and the per-workload
source notes. Importers never fill ``users``, so the users table is not written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.inputs.importers.common import (
    DEFAULT_CRITICALITY,
    DEFAULT_ENV,
    ImportResult,
    WorkloadColumns,
)
from planner.inputs.table_format import WORKLOAD_COLUMNS, write_table

TABLE_SUFFIXES = (".csv", ".parquet")
# Every field an importer can fill, always written (empty where absent), so tables from
# different sources and runs share one schema.
IMPORTED_FIELDS = ("id", "app", "env", "criticality", "vcpu", "memory_gb", "storage_gb", "cpu_util_p95",
                   "mem_util_p95", "current_site", "data", "os")


def workload_columns(result: ImportResult) -> dict[str, list[Any]]:
    """Column name -> one value per workload (None where the field is absent), in the table's column order."""
    names = [c for c in WORKLOAD_COLUMNS if c in IMPORTED_FIELDS]
    if isinstance(result.workloads, WorkloadColumns):  # already columns: no workload is built one by one
        held = result.workloads.columns
        n = len(result.workloads)
        constant = {"env": DEFAULT_ENV, "criticality": DEFAULT_CRITICALITY, "data": []}
        return {name: held["id"] if name == "app" else held[name] if name in held
                else [constant[name]] * n if name in constant else [None] * n for name in names}
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for w in result.workloads:
        if w.fields.get("users"):
            raise ValueError(f"workload {w.fields['id']}: users cannot go in the workloads table")
        unknown = set(w.fields) - set(names) - {"users"}
        if unknown:
            raise ValueError(f"workload {w.fields['id']}: no table column for {', '.join(sorted(unknown))}")
        for name in names:
            columns[name].append(w.fields.get(name))
    return columns


def write_workloads_table(result: ImportResult, path: Path) -> None:
    """Write the workloads table atomically, as CSV or Parquet by the suffix of `path`."""
    if Path(path).suffix.lower() not in TABLE_SUFFIXES:
        raise ValueError(f"{path}: a workloads table is .csv or .parquet")
    write_table(Path(path), "workloads", workload_columns(result))
