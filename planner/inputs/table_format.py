"""The tabular inventory format (docs/tables.md): file names, columns, list cells.

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


def _table(kind: str, rows: Mapping[str, Sequence[Any]], parquet: bool) -> Any:
    """`rows` (column name -> values; None = absent, list columns hold lists of strings) as a pyarrow table."""
    import pyarrow as pa

    names = [c for c in COLUMNS[kind] if c in rows]
    unknown = sorted(set(rows) - set(COLUMNS[kind]))
    if unknown:
        raise ValueError(f"unknown {kind} columns: {', '.join(unknown)}")
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
    return pa.Table.from_arrays(arrays, names=names)


def write_table(path: Path, kind: str, rows: Mapping[str, Sequence[Any]]) -> None:
    """Write one table (`kind` as in :data:`COLUMNS`) atomically as CSV or Parquet, by `path`'s suffix.

    `rows` maps column names to equally long sequences (None = absent; list columns hold lists of
    strings). Columns left out of `rows` are left out of the file.
    """
    with TableWriter(path, kind) as out:
        out.write(rows)


class TableWriter:
    """A table written block by block into a temporary file beside `path`, renamed into place on success."""

    def __init__(self, path: Path, kind: str):
        self.path, self.kind = Path(path), kind
        self.parquet = self.path.suffix.lower() == ".parquet"
        self._tmp: Optional[Path] = None
        self._writer: Any = None

    def __enter__(self) -> "TableWriter":
        import tempfile

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        import os

        os.close(fd)
        self._tmp = Path(name)
        return self

    def write(self, rows: Mapping[str, Sequence[Any]]) -> None:
        """Append a block of rows (the same columns every time)."""
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        table = _table(self.kind, rows, self.parquet)
        if self._writer is None:
            if self.parquet:
                self._writer = pq.ParquetWriter(str(self._tmp), table.schema, compression="zstd")
            else:
                self._writer = pacsv.CSVWriter(str(self._tmp), table.schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
        self._writer.write_table(table)

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        import os

        assert self._tmp is not None
        try:
            if self._writer is not None:
                self._writer.close()
            if kind is None:
                if self._writer is None:
                    self._tmp.write_bytes(b"")
                os.chmod(self._tmp, 0o644)
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)
