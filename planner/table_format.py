"""The tabular inventory format of DESIGN.md ("Tabular workloads"): file names, columns, list cells.

One declaration of the columns, read by the table loader and used by every writer
(`planner synth --format csv|parquet`, `planner import ... --out FILE.csv|FILE.parquet`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

WORKLOAD_COLUMNS = (
    "id", "app", "env", "criticality", "vcpu", "memory_gb", "storage_gb", "cpu_util_p95", "mem_util_p95", "current_site",
    "data", "requires", "pin", "allowed_kinds", "anti_affinity", "migration_cost", "migration_effort_hours", "os",
)  # fmt: skip
DEPENDENCY_COLUMNS = ("workload", "depends_on", "max_latency_ms", "traffic_gb_month")
USER_COLUMNS = ("workload", "zone", "max_latency_ms")
REQUIRED = {
    "workloads": ("id", "app", "env", "vcpu", "memory_gb", "current_site"),
    "dependencies": ("workload", "depends_on"),
    "users": ("workload", "zone", "max_latency_ms"),
}
COLUMNS = {"workloads": WORKLOAD_COLUMNS, "dependencies": DEPENDENCY_COLUMNS, "users": USER_COLUMNS}
LIST_COLUMNS = ("data", "requires", "allowed_kinds")  # one CSV cell, values separated by LIST_SEPARATOR
NUMBER_COLUMNS = ("vcpu", "memory_gb", "storage_gb", "cpu_util_p95", "mem_util_p95", "migration_cost",
                  "migration_effort_hours", "max_latency_ms", "traffic_gb_month")
LIST_SEPARATOR = ";"
TABLE_SUFFIXES = (".csv", ".parquet")


def table_kind(path: Path) -> Optional[str]:
    """`workloads`, `dependencies` or `users` for a table file of the inventory (by its name), else None."""
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return None
    stem = path.name.lower()
    for kind in ("workloads", "dependencies", "users"):
        if stem.startswith(kind):
            return kind
    return None


def write_table(path: Path, kind: str, rows: Mapping[str, Sequence[Any]]) -> None:
    """Write one table (`kind` as in :data:`COLUMNS`) atomically as CSV or Parquet, by `path`'s suffix.

    `rows` maps column names to equally long sequences (None = absent; list columns hold lists of
    strings). Columns left out of `rows` are left out of the file.
    """
    import pyarrow as pa

    from .atomic_write import write_atomic

    names = [c for c in COLUMNS[kind] if c in rows]
    unknown = sorted(set(rows) - set(COLUMNS[kind]))
    if unknown:
        raise ValueError(f"unknown {kind} columns: {', '.join(unknown)}")
    parquet = path.suffix.lower() == ".parquet"
    arrays = []
    for name in names:
        values = list(rows[name])
        if name in LIST_COLUMNS:
            if parquet:
                arrays.append(pa.array([None if v is None else [str(x) for x in v] for v in values], type=pa.list_(pa.string())))
            else:
                arrays.append(pa.array([None if v is None or not len(v) else LIST_SEPARATOR.join(map(str, v)) for v in values],
                                       type=pa.string()))
        elif name in NUMBER_COLUMNS:
            arrays.append(pa.array([None if v is None else float(v) for v in values], type=pa.float64()))
        else:
            arrays.append(pa.array([None if v is None else str(v) for v in values], type=pa.string()))
    table = pa.Table.from_arrays(arrays, names=names)
    write_atomic(path, _encode(table, parquet))


def _encode(table: Any, parquet: bool) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    if parquet:
        pq.write_table(table, sink, compression="zstd")
    else:
        pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue().to_pybytes()
