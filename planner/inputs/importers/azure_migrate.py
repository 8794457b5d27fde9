"""Azure Migrate exports to workloads: the import-based assessment CSV, and the discovery and
assessment workbooks.

Three layouts carry one server per row:

- the CSV import template: ``*Server name``, ``*Cores``, ``*Memory (In MB)``, ``*OS name``,
  ``OS version``, utilisation percentages, ``Number of disks``, ``Disk N size (In GB)``;
- the discovery report (sheet ``Discovery_Report``): ``Machine Name``, ``Environment``,
  ``Operating System``, ``Cores``, ``Memory (in MB)``, ``Total Disks``, ``Power Stats``;
- the assessment workbook (sheets ``All_VM_IaaS_Server_Rehost_Perf``,
  ``VM_IaaS_Server_Rehost_Perf``, ``..._As-is``): as the discovery report, plus
  ``CPU Utilization (in %)``, ``Memory Utilization (in %)`` and ``Storage (in GB)``.

In a workbook the sheet is chosen by its headers (see :func:`choose_sheet`). Every bad cell
is reported at once, by row and column; nothing is returned when any is found.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from planner.inputs.importers.common import (
    CellError,
    ImportedWorkload,
    ImportFailed,
    ImportResult,
    Issue,
    RowCells,
    amount,
    bump,
    count,
    defaults_for,
    fill_os,
    find_columns,
    finish,
    invalid_workloads,
    is_blank,
    label,
    norm_header,
    note_missing,
    note_missing_utilisation,
    percent,
    powered_off,
    storage_default_rule,
    text,
    too_many,
    whole,
    workload_id,
)
from planner.inputs.importers.table import (
    Table,
    TableError,
    Workbook,
    is_workbook,
    read_csv,
)

# Each key: the template's header first (named in messages), then the workbooks' spellings.
COLUMNS = {
    "name": ["*Server name", "Machine Name", "Server", "Machine"],
    "cores": ["*Cores", "Number of cores"],
    "memory_mb": ["*Memory (In MB)", "Memory (MiB)", "Memory MB"],
    "os": ["*OS name", "Operating System", "OS"],
    "os_version": ["OS version"],
    "env": ["Environment"],
    "power": ["Power Stats", "Power Status", "Power State", "Powerstate"],
    "ip": ["IP addresses"],
    "cpu_util": ["CPU utilization percentage", "CPU Utilization (in %)", "CPU utilization %"],
    "mem_util": ["Memory utilization percentage", "Memory Utilization (in %)", "Memory utilization %"],
    "disks": ["Number of disks", "Total Disks"],
    "storage_total": ["Storage (in GB)"],
    "storage_in_use": ["Storage in use (In GB)"],
}
REQUIRED = ("name", "cores", "memory_mb")
# Among sheets with equally many known columns, these win in this order (the "All_" sheet
# lists every assessed server; the others a subset).
PREFERRED_SHEETS = (
    "Discovery_Report", "All_VM_IaaS_Server_Rehost_Perf", "VM_IaaS_Server_Rehost_Perf",
    "All_VM_IaaS_Server_Rehost_As-is", "VM_IaaS_Server_Rehost_As-is",
)  # fmt: skip
_DISK = re.compile(r"^disk (\d+) size (?:in )?(\w+)$")
_MEMORY = re.compile(r"^memory (?:in )?(b|kb|kib|mb|mib|gb|gib|tb|tib)$")
_PARSERS = (
    ("name", label),
    ("cores", lambda c: whole(c, "cores")),
    ("memory_mb", lambda c: amount(c, "MB")),
    ("os", label),
    ("os_version", label),
    ("env", label),
    ("power", label),
    ("ip", label),
    ("cpu_util", percent),
    ("mem_util", percent),
    ("disks", lambda c: count(c, "disks")),
    ("storage_total", lambda c: amount(c, "GB")),
    ("storage_in_use", lambda c: amount(c, "GB")),
)
MIN_MEMORY_MB = 128  # less is no server we can plan for: almost surely GB typed into the MB column


def import_azure_migrate(
    path: Path, site: str, *, sheet: Optional[str] = None, skip_powered_off: bool = False,
    default_storage_gb: Optional[float] = None,
) -> ImportResult:
    """Workloads from an Azure Migrate CSV or workbook; raises ImportFailed listing every error."""
    path = Path(path)
    notes: list[Issue] = []
    if is_workbook(path):
        table, notes = choose_sheet(path, sheet)
    elif sheet is not None:
        raise TableError(f"{path}: --sheet {sheet!r} is for an xlsx workbook, but this is a CSV file")
    else:
        table = read_csv(path)
    result = convert(table, site, skip_powered_off=skip_powered_off, default_storage_gb=default_storage_gb)
    result.warnings = sorted(result.warnings + notes)
    return result


def _columns(header: list[str]) -> dict[str, int]:
    """Known columns, with a memory column in MB or MiB under any spelling of the unit."""
    cols = find_columns(header, COLUMNS)
    if "memory_mb" not in cols:
        for i, h in enumerate(header):
            match = _MEMORY.match(norm_header(h))
            if match and match.group(1) in ("mb", "mib"):
                cols["memory_mb"] = i
                break
    return cols


_LISTED = 30  # header names a message shows; a million-column header must not make a ten-megabyte line


def _listing(header: list[str]) -> str:
    names = [h if len(h) <= 60 else h[:57] + "..." for h in header if h]
    more = f" and {len(names) - _LISTED:,} more" if len(names) > _LISTED else ""
    return ", ".join(repr(h) for h in names[:_LISTED]) + more


def choose_sheet(path: Path, name: Optional[str]) -> tuple[Table, list[Issue]]:
    """The sheet `name` (case-insensitive), else the one whose headers look most like a server list.

    A sheet with a server name, cores and memory beats one with fewer; then more known
    columns win (a ``_Perf`` sheet has utilisation, an ``_As-is`` one has not); then
    :data:`PREFERRED_SHEETS`; then the workbook's order. The others are named in a warning.
    """
    with Workbook(path) as wb:
        if name is not None:
            match = name if name in wb.sheetnames else next(
                (s for s in wb.sheetnames if s.lower() == name.lower()), None)
            if match is None:
                raise TableError(f"{path}: no sheet {name!r} (the workbook has: {wb.listing()})")
            return wb.table(match), []
        preferred = [p.lower() for p in PREFERRED_SHEETS]
        ranked = []
        for position, sheet in enumerate(wb.sheetnames):
            cols = _columns(wb.header(sheet))
            if "name" not in cols or "cores" not in cols:
                continue
            tier = 0 if all(k in cols for k in REQUIRED) else 1
            rank = preferred.index(sheet.lower()) if sheet.lower() in preferred else len(preferred)
            ranked.append((tier, -len(cols), rank, position, sheet))
        if not ranked:
            raise TableError(f"{path}: no sheet lists servers the way Azure Migrate does (a server or machine "
                             f"name, cores and memory in MB); the workbook has: {wb.listing()}")
        ranked.sort()
        chosen = ranked[0][-1]
        table = wb.table(chosen)
    others = [r[-1] for r in ranked[1:]]
    notes = []
    if others:
        notes.append(Issue(table.origin, 0, "", f"read sheet {chosen!r}; {len(others)} other sheet(s) list servers "
                           f"too ({', '.join(repr(o) for o in others)}): --sheet NAME imports one of them instead"))
    return table, notes


def convert(
    table: Table, site: str, *, skip_powered_off: bool = False, default_storage_gb: Optional[float] = None
) -> ImportResult:
    """Workloads from an Azure Migrate table (CSV or a sheet); storage without a source is `default_storage_gb` (or 0)."""
    errors: list[Issue] = []
    result = ImportResult("azure-migrate", table.origin, 0, [])
    cols = _columns(table.header)
    disk_cols: list[int] = []
    for i, h in enumerate(table.header):
        match = _DISK.match(norm_header(h))
        if match and match.group(2) in ("gb", "gib"):
            disk_cols.append(i)
        elif match:
            errors.append(Issue(table.origin, 1, h, f"wrong units: disk sizes are in GB in Azure Migrate's template "
                                f"(name the column 'Disk {match.group(1)} size (In GB)' and give GB)"))
    for key in REQUIRED:
        if key in cols:
            continue
        wrong = next((h for h in table.header if key == "memory_mb" and _MEMORY.match(norm_header(h))), None)
        if wrong:
            errors.append(Issue(table.origin, 1, wrong, "wrong units: Azure Migrate has memory in MB: "
                                "give MB in a column named '*Memory (In MB)' or 'Memory (in MB)'"))
        else:
            aliases = ", ".join(repr(a) for a in COLUMNS[key][1:])
            errors.append(Issue(table.origin, 1, COLUMNS[key][0], f"missing required column (also accepted: "
                                f"{aliases}; the header row has: {_listing(table.header)})"))
    if errors:
        raise ImportFailed(errors)
    if "os" not in cols:
        result.warnings.append(Issue(table.origin, 1, "", "no OS column (*OS name or Operating System): os left "
                                     "out for every server (the planner prices them as linux)"))

    seen: dict[str, int] = {}
    numbers: list[int] = []  # the row of each workload, for the schema's verdicts below
    for row_no, cells in table.rows:
        if too_many(errors, table.origin):
            break
        if all(is_blank(c) for c in cells):
            continue
        result.rows += 1
        row = RowCells(table.origin, table.header, cols, row_no, cells, errors)
        workload = _workload(row, disk_cols, site, seen, result, skip_powered_off, default_storage_gb)
        if workload is not None:
            result.workloads.append(workload)
            numbers.append(row_no)
    blamed = {"vcpu": "cores", "memory_gb": "memory_mb", "cpu_util_p95": "cpu_util", "mem_util_p95": "mem_util", "env": "env"}
    for index, (field, problem) in sorted(invalid_workloads(result.workloads).items()):
        key = blamed.get(field, "name")
        column = table.header[cols[key] if key in cols else cols["name"]]
        errors.append(Issue(table.origin, numbers[index], column, f"cannot make a valid workload: {problem}"))
    note_missing_utilisation(result, "servers")
    return finish(result, errors)


def _workload(
    row: RowCells, disk_cols: list[int], site: str, seen: dict[str, int], result: ImportResult,
    skip_powered_off: bool, default_storage_gb: Optional[float] = None,
) -> Optional[ImportedWorkload]:
    """The workload of one row, or None when skipped or after recording why it cannot be one."""
    values = row.parse(_PARSERS, REQUIRED)
    memory: float = values.get("memory_mb") or 0.0
    if 0 < memory < MIN_MEMORY_MB:
        shown = text(row.get("memory_mb"))
        row.fail("memory_mb", f"wrong units: {shown} MB of memory looks like GB "
                 f"(the column is in MB: {shown} GB is {int(memory * 1024)} MB)")
    elif memory < 0 or (memory == 0 and values.get("memory_mb") is not None):
        row.fail("memory_mb", f"{text(row.get('memory_mb'))!r} is not a positive amount of memory")
    sizes = _disk_sizes(row, disk_cols)
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
    off = powered_off(values.get("power"))
    if off and skip_powered_off:
        bump(result.skipped, "powered off")
        return None
    if off:
        bump(result.counts, "powered off (included)")

    declared = values.get("disks")
    if disk_cols and declared and len(sizes) < declared:
        result.warnings.append(Issue(row.origin, row.number, row.header[row.cols["disks"]],
                                     f"{declared} disks declared but {len(sizes)} disk sizes given; "
                                     "storage counts the sizes given"))
    storage = sum(sizes)
    if not sizes:
        given = next((k for k in ("storage_total", "storage_in_use") if values.get(k) is not None), None)
        if given is not None:
            storage = values[given]
            if disk_cols:
                column = row.header[row.cols[given]]
                note_missing(result, "storage_gb", f"servers without disk sizes: filled from {column!r}")
        else:
            storage, rule = storage_default_rule("servers", default_storage_gb)
            note_missing(result, "storage_gb", rule)
    fields: dict[str, Any] = {
        "id": wid,
        "vcpu": values["cores"],
        "memory_gb": round(memory / 1024.0, 3),
        "storage_gb": round(storage, 2),
        "cpu_util_p95": values.get("cpu_util"),
        "mem_util_p95": values.get("mem_util"),
        "current_site": site,
    }
    env = workload_id(values.get("env") or "").lower()
    if env:
        fields["env"] = env
    os_name = _os_name(values)
    if "os" in row.cols:
        fill_os(fields, os_name, result, (row.origin, row.number, row.header[row.cols["os"]]), f"server {name!r}")
    defaulted = defaults_for(fields, ["env"] if env else [])
    return ImportedWorkload(fields, defaulted, _note(row, name, wid, values, off))


def _disk_sizes(row: RowCells, disk_cols: list[int]) -> list[float]:
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
    return sizes


def _os_name(values: dict[str, Any]) -> str:
    """The OS name with its version, unless the name already carries it."""
    name, version = values.get("os") or "", values.get("os_version") or ""
    return name if version and version in name else " ".join(p for p in (name, version) if p)


def _note(row: RowCells, name: str, wid: str, values: dict[str, Any], off: bool) -> str:
    """The source facts the schema has no field for, kept as a comment for the architect."""
    parts = [f"source: row {row.number}"]
    if wid != name:
        parts.append(f"server: {name}")
    os_name = _os_name(values)
    if os_name:
        parts.append(f"os: {os_name}")
    if values.get("ip"):
        parts.append(f"ip: {values['ip']}")
    if off:
        parts.append("powered off")
    return "; ".join(parts)
