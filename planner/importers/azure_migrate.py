"""Azure Migrate's import-based assessment CSV to workloads.

The template's columns: ``*Server name``, ``*Cores``, ``*Memory (In MB)``, ``*OS name`` are
required; utilisation percentages, ``Number of disks``, ``Disk N size (In GB)`` and
``Storage in use (In GB)`` are used when present. Every bad cell is reported at once, by
row and column; nothing is returned when any is found.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from planner.importers.common import (
    CellError,
    ImportedWorkload,
    ImportFailed,
    ImportResult,
    Issue,
    RowCells,
    amount,
    count,
    defaults_for,
    find_columns,
    finish,
    first_error,
    is_blank,
    label,
    norm_header,
    percent,
    text,
    validated,
    whole,
    workload_id,
)
from planner.importers.table import Table, read_csv

COLUMNS = {
    "name": ["*Server name"],
    "cores": ["*Cores"],
    "memory_mb": ["*Memory (In MB)"],
    "os": ["*OS name"],
    "os_version": ["OS version"],
    "ip": ["IP addresses"],
    "cpu_util": ["CPU utilization percentage"],
    "mem_util": ["Memory utilization percentage"],
    "disks": ["Number of disks"],
    "storage_in_use": ["Storage in use (In GB)"],
}
REQUIRED = ("name", "cores", "memory_mb", "os")
_DISK = re.compile(r"^disk (\d+) size \(in (\w+)\)$")
_MEMORY = re.compile(r"^memory \(in (\w+)\)$")
_PARSERS = (
    ("name", label),
    ("cores", lambda c: whole(c, "cores")),
    ("memory_mb", lambda c: amount(c, "MB")),
    ("os", label),
    ("cpu_util", percent),
    ("mem_util", percent),
    ("disks", lambda c: count(c, "disks")),
    ("storage_in_use", lambda c: amount(c, "GB")),
)
MIN_MEMORY_MB = 128  # less is no server we can plan for: almost surely GB typed into the MB column


def import_azure_migrate(path: Path, site: str) -> ImportResult:
    """Workloads from an Azure Migrate CSV; raises ImportFailed listing every error."""
    return convert(read_csv(path), site)


def convert(table: Table, site: str) -> ImportResult:
    """Workloads from an Azure Migrate table (CSV or a sheet)."""
    errors: list[Issue] = []
    result = ImportResult("azure-migrate", table.origin, 0, [])
    cols = find_columns(table.header, COLUMNS)
    disk_cols: list[int] = []
    for i, h in enumerate(table.header):
        match = _DISK.match(norm_header(h))
        if match and match.group(2) == "gb":
            disk_cols.append(i)
        elif match:
            errors.append(Issue(table.origin, 1, h, f"wrong units: disk sizes are in GB in Azure Migrate's template "
                                f"(name the column 'Disk {match.group(1)} size (In GB)' and give GB)"))
    for key in REQUIRED:
        if key in cols:
            continue
        wrong = next((h for h in table.header if key == "memory_mb" and _MEMORY.match(norm_header(h))), None)
        if wrong:
            errors.append(Issue(table.origin, 1, wrong, "wrong units: Azure Migrate's template has memory in MB: "
                                "give MB in a column named '*Memory (In MB)'"))
        else:
            errors.append(Issue(table.origin, 1, COLUMNS[key][0], "missing required column (the header row has: "
                                + ", ".join(repr(h) for h in table.header if h) + ")"))
    if errors:
        raise ImportFailed(errors)

    seen: dict[str, int] = {}
    for row_no, cells in table.rows:
        if all(is_blank(c) for c in cells):
            continue
        result.rows += 1
        row = RowCells(table.origin, table.header, cols, row_no, cells, errors)
        workload = _workload(row, disk_cols, site, seen, result)
        if workload is not None:
            result.workloads.append(workload)
    no_util = sum(1 for w in result.workloads if w.fields.get("cpu_util_p95") is None
                  and w.fields.get("mem_util_p95") is None)
    if no_util:
        result.counts["without utilisation (sized at full allocation)"] = no_util
    return finish(result, errors)


def _workload(
    row: RowCells, disk_cols: list[int], site: str, seen: dict[str, int], result: ImportResult
) -> Optional[ImportedWorkload]:
    """The workload of one row, or None after recording why it cannot be one."""
    values = row.parse(_PARSERS, REQUIRED)
    memory: float = values.get("memory_mb") or 0.0
    if 0 < memory < MIN_MEMORY_MB:
        shown = text(row.get("memory_mb"))
        row.fail("memory_mb", f"wrong units: {shown} MB of memory looks like GB "
                 f"(the column is in MB: {shown} GB is {int(memory * 1024)} MB)")
    elif memory < 0 or (memory == 0 and values.get("memory_mb") is not None):
        row.fail("memory_mb", f"{text(row.get('memory_mb'))!r} is not a positive amount of memory")
    sizes: list[float] = []
    for i in disk_cols:
        try:
            size = amount(row.at(i), "GB")
        except CellError as exc:
            row.fail(i, str(exc))
            continue
        if size is not None and size < 0:
            row.fail(i, f"{text(row.at(i))!r} is not a disk size")
        elif size:
            sizes.append(size)
    name = values.get("name") or ""
    wid = workload_id(name)
    if name and not wid:
        row.fail("name", f"{name!r} has no letter or digit to make a workload id from")
    elif wid and wid.lower() in seen:
        row.fail("name", f"duplicate server name {name!r} (first on row {seen[wid.lower()]})")
    elif wid:
        seen[wid.lower()] = row.number  # also when the row has other errors: a later twin is still a duplicate
    if not row.ok:
        return None

    declared = values.get("disks")
    if declared and len(sizes) < declared:
        result.warnings.append(Issue(row.origin, row.number, row.header[row.cols["disks"]],
                                     f"{declared} disks declared but {len(sizes)} disk sizes given; "
                                     "storage counts the sizes given"))
    storage = sum(sizes)
    if not sizes:
        if values.get("storage_in_use") is not None:
            storage = values["storage_in_use"]
        else:
            result.counts["without disk sizes (storage 0)"] = result.counts.get("without disk sizes (storage 0)", 0) + 1
    fields: dict[str, Any] = {
        "id": wid,
        "vcpu": values["cores"],
        "memory_gb": round(memory / 1024.0, 3),
        "storage_gb": round(storage, 2),
        "cpu_util_p95": values.get("cpu_util"),
        "mem_util_p95": values.get("mem_util"),
        "current_site": site,
    }
    defaulted = defaults_for(fields)
    try:
        validated(fields)
    except ValidationError as exc:
        row.fail("name", f"cannot make a valid workload: {first_error(exc)}")
        return None
    return ImportedWorkload(fields, defaulted, _note(row, name, wid, values))


def _note(row: RowCells, name: str, wid: str, values: dict[str, Any]) -> str:
    """The source facts the schema has no field for, kept as a comment for the architect."""
    parts = [f"source: row {row.number}"]
    if wid != name:
        parts.append(f"server: {name}")
    os_name = " ".join(p for p in (values.get("os"), text(row.get("os_version"))) if p)
    if os_name:
        parts.append(f"os: {os_name}")
    ip = text(row.get("ip"))
    if ip:
        parts.append(f"ip: {ip}")
    return "; ".join(parts)
