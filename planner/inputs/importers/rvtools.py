"""RVTools exports (xlsx workbook, or its per-tab CSV files) to workloads.

vInfo gives each VM's CPUs, memory, OS and where it runs (datacenter, cluster, host); vDisk
its provisioned disks; vPartition what the guest uses. Sizes are MiB even where an older
RVTools' header says MB. Templates, SRM placeholders and vSphere Cluster Services (vCLS) VMs
are not workloads: they are skipped and counted. So are VMs whose CPU or memory cells are
empty (RVTools leaves them so for inaccessible and orphaned VMs), with a warning each, unless
``strict`` makes them errors. The OS reported by VMware Tools is preferred to the
configuration file's. The current site comes from a template over ``{datacenter}``,
``{cluster}`` and ``{host}`` (see :mod:`planner.inputs.importers.sites`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from planner.base.untrusted import one_line
from planner.inputs.importers import dense
from planner.inputs.importers.common import (
    UTIL_RULES,
    CellError,
    ImportedWorkload,
    ImportResult,
    Issue,
    RowCells,
    WorkloadColumns,
    amount,
    bump,
    defaults_for,
    fill_os,
    find_columns,
    finish,
    flag,
    invalid_workloads,
    is_blank,
    label,
    norm_header,
    note_missing,
    note_missing_utilisation,
    powered_off,
    storage_default_rule,
    text,
    too_many,
    whole,
    workload_id,
)
from planner.inputs.importers.os_family import os_family, unknown_os_message
from planner.inputs.importers.sites import SiteTemplate, parse_template, site_part
from planner.inputs.importers.table import (
    Table,
    TableError,
    is_workbook,
    read_csv,
    read_xlsx,
)
from planner.inputs.load.files import inside

# Each key: the xlsx header(s), then the CSV export's prefixed name.
VINFO = {
    "vm": ["VM", "vInfoVMName"],
    "powerstate": ["Powerstate", "vInfoPowerstate"],
    "template": ["Template", "vInfoTemplate"],
    "srm": ["SRM Placeholder", "vInfoSRMPlaceHolder"],
    "cpus": ["CPUs", "vInfoCPUs"],
    "memory": ["Memory", "Memory MiB", "Memory MB", "vInfoMemory"],
    "provisioned": ["Provisioned MiB", "Provisioned MB", "vInfoProvisioned"],
    "in_use": ["In Use MiB", "In Use MB", "vInfoInUse"],
    "total_disk": ["Total disk capacity MiB", "Total disk capacity MB", "vInfoTotalDiskCapacityMiB"],
    "ip": ["Primary IP Address", "vInfoPrimaryIPAddress"],
    "os_config": ["OS according to the configuration file", "vInfoOS"],
    "os_tools": ["OS according to the VMware Tools", "vInfoOSTools"],
    "datacenter": ["Datacenter", "vInfoDataCenter"],
    "cluster": ["Cluster", "vInfoCluster"],
    "host": ["Host", "vInfoHost"],
    "connection": ["Connection state", "vInfoConnectionState"],
}
PLACEHOLDERS = ("datacenter", "cluster", "host")  # --site placeholders, each a vInfo column
VDISK = {
    "vm": ["VM", "vDiskVMName"],
    "capacity": ["Capacity MiB", "Capacity MB", "vDiskCapacityMiB"],
}
VPARTITION = {
    "vm": ["VM", "vPartitionVMName"],
    "consumed": ["Consumed MiB", "Consumed MB", "vPartitionConsumedMiB"],
}
SIZE_KEYS = {"memory", "provisioned", "in_use", "total_disk", "capacity", "consumed"}
REQUIRED_VINFO = ("vm", "cpus", "memory")
MIN_MEMORY_MIB = 128
MIB_PER_GB = 1024.0  # MiB -> GiB, the unit Azure sizes VMs and disks in
STORAGE_CHOICES = ("provisioned", "in-use")
_GB_HEADER = re.compile(r"\b(gb|gib|tb|tib)\b")


def import_rvtools(
    path: Path, site: str, *, storage: str = "provisioned", skip_powered_off: bool = False, strict: bool = False,
    default_storage_gb: Optional[float] = None,
) -> ImportResult:
    """Workloads from an RVTools xlsx, a vInfo CSV (sibling vDisk/vPartition CSVs are used), or a folder of CSVs.

    `site` is a site id or a template over {datacenter}, {cluster} and {host}; an unknown
    placeholder raises :class:`planner.inputs.importers.sites.TemplateError` before the file is read.
    """
    template = parse_template(site, PLACEHOLDERS)
    path = Path(path)
    vinfo, vdisk, vpart = _tables(path)
    return convert(vinfo, vdisk, vpart, template, storage=storage, skip_powered_off=skip_powered_off, strict=strict,
                   default_storage_gb=default_storage_gb)


def _tables(path: Path) -> tuple[Table, Optional[Table], Optional[Table]]:
    if path.is_dir():
        found = {tab: _tab_csv(path, tab) for tab in ("vInfo", "vDisk", "vPartition")}
        if found["vInfo"] is None:
            raise TableError(f"{path}: no vInfo CSV in this folder (RVTools names it RVTools_tabvInfo.csv)")
        disk, part = found["vDisk"], found["vPartition"]
        return read_csv(found["vInfo"]), read_csv(disk) if disk else None, read_csv(part) if part else None
    if is_workbook(path):
        tables = read_xlsx(path, ("vInfo", "vDisk", "vPartition"), required=("vInfo",))
        return tables["vInfo"], tables.get("vDisk"), tables.get("vPartition")
    vinfo = read_csv(path)
    siblings = []
    for tab in ("vDisk", "vPartition"):
        sibling = path.with_name(path.name.replace("vInfo", tab)) if "vInfo" in path.name else None
        siblings.append(read_csv(sibling) if sibling and sibling.is_file() else None)
    return vinfo, siblings[0], siblings[1]


def _tab_csv(folder: Path, tab: str) -> Optional[Path]:
    """The folder's CSV of one RVTools tab; a link that leads out of the folder is refused, not followed."""
    matches = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.stem.endswith(tab))
    if matches and matches[0].is_symlink() and not inside(matches[0], folder):
        raise TableError(f"{one_line(matches[0])}: a link to a file outside {one_line(folder)}, which is not read; "
                         "copy the file into the folder instead")
    return matches[0] if matches else None


def _columns(
    table: Table, wanted: dict[str, list[str]], required: tuple[str, ...], errors: list[Issue]
) -> dict[str, int]:
    """Resolve columns; a size column given in GB/TB or a missing required one is an error."""
    cols = find_columns(table.header, wanted)
    for key, aliases in wanted.items():
        if key in cols:
            continue
        base = norm_header(aliases[0]).replace(" mib", "")
        wrong = next(
            (h for h in table.header if norm_header(h).startswith(base) and _GB_HEADER.search(norm_header(h))), None
        )
        if key in SIZE_KEYS and wrong:
            errors.append(Issue(table.origin, 1, wrong, f"wrong units: RVTools reports sizes in MiB; this column is "
                                f"in GB/TB (export again from RVTools, or give MiB in '{aliases[0]}')"))
        elif key in required:
            errors.append(Issue(table.origin, 1, aliases[0], f"missing required column (also accepted: "
                                f"{', '.join(repr(a) for a in aliases[1:])})"))
    return cols


def _cell(row: Any, cols: dict[str, int], key: str) -> Any:
    i = cols.get(key)
    return row[i] if i is not None and i < len(row) else None


def _sizes(
    table: Optional[Table], wanted: dict[str, list[str]], key: str, errors: list[Issue]
) -> dict[str, float]:
    """VM name (lower-case) -> summed MiB of `key` over a vDisk or vPartition table."""
    totals: dict[str, float] = {}
    if table is None:
        return totals
    cols = _columns(table, wanted, ("vm", key), errors)
    if "vm" not in cols or key not in cols:
        return totals
    if dense.is_sheet(table):
        try:
            return _dense_sizes(table, cols["vm"], cols[key])
        except dense.NotDense:
            totals = {}  # read again the general way, which reports what is wrong by row and column
    for row_no, row in table.rows:
        if too_many(errors, table.origin):
            break
        if all(is_blank(c) for c in row):
            continue
        try:
            vm = label(_cell(row, cols, "vm"))
            size = amount(_cell(row, cols, key), "MB")
        except CellError as exc:
            errors.append(Issue(table.origin, row_no, table.header[cols[key]], str(exc)))
            continue
        if vm and size is not None:
            if size < 0:
                errors.append(Issue(table.origin, row_no, table.header[cols[key]], f"{size:g} is not a size"))
                continue
            totals[vm.lower()] = totals.get(vm.lower(), 0.0) + size
    return totals


def _skip_reason(name: str, row: RowCells) -> Optional[str]:
    if flag(row.get("template")):
        return "templates"
    if flag(row.get("srm")):
        return "SRM placeholders"
    lowered = name.lower()
    if lowered.startswith("vcls-") or lowered.startswith("vcls ("):
        return "vCLS VMs"
    return None


def convert(
    vinfo: Table,
    vdisk: Optional[Table],
    vpart: Optional[Table],
    site: SiteTemplate,
    *,
    storage: str = "provisioned",
    skip_powered_off: bool = False,
    strict: bool = False,
    default_storage_gb: Optional[float] = None,
) -> ImportResult:
    """Workloads from the vInfo, vDisk and vPartition tables; raises ImportFailed listing every error.

    Storage comes from vDisk (or vPartition with ``storage="in-use"``), else vInfo's figures, else
    `default_storage_gb` (0 when None); the summary counts each fallback with its rule.
    """
    if storage not in STORAGE_CHOICES:
        raise ValueError(f"storage must be one of {STORAGE_CHOICES}")
    errors: list[Issue] = []
    result = ImportResult("rvtools", vinfo.origin, 0, [])
    cols = _columns(vinfo, VINFO, REQUIRED_VINFO, errors)
    for key in site.placeholders:
        if key not in cols:
            errors.append(Issue(vinfo.origin, 1, VINFO[key][0], f"missing column: the site template {site.text!r} "
                                f"uses {{{key}}} (also accepted: {VINFO[key][1]!r})"))
    header_broken = bool(errors)  # rows cannot be read without their columns; vDisk cell errors still add up
    disks = _sizes(vdisk, VDISK, "capacity", errors)
    parts = _sizes(vpart, VPARTITION, "consumed", errors) if storage == "in-use" else {}  # unread when unused
    if header_broken:
        return finish(result, errors)

    rules = _Rules(site, disks, parts, storage, skip_powered_off, strict, default_storage_gb,
                   vdisk is not None, vpart is not None)
    if not errors and dense.is_sheet(vinfo):
        try:
            return _convert_dense(vinfo, cols, rules)
        except dense.NotDense:
            pass  # a row the plain reader cannot vouch for: every row the general way, which names what is wrong
    seen: dict[str, int] = {}
    numbers: list[int] = []  # the vInfo row of each workload, for the schema's verdicts below
    for row_no, cells in vinfo.rows:
        if too_many(errors, vinfo.origin):
            break
        if all(is_blank(c) for c in cells):
            continue
        result.rows += 1
        row = RowCells(vinfo.origin, vinfo.header, cols, row_no, cells, errors)
        workload = _workload(row, seen, rules, result)
        if workload is not None:
            result.workloads.append(workload)
            numbers.append(row_no)
    blamed = {"vcpu": "cpus", "memory_gb": "memory", "storage_gb": "provisioned"}
    for index, (field, problem) in sorted(invalid_workloads(result.workloads).items()):
        key = blamed.get(field, "vm")
        column = vinfo.header[cols[key] if key in cols else cols["vm"]]
        errors.append(Issue(vinfo.origin, numbers[index], column, f"cannot make a valid workload: {problem}"))
    note_missing_utilisation(result, "VMs", " (RVTools has none)")
    if site.placeholders:
        for w in result.workloads:
            bump(result.counts, f"on site {w.fields['current_site']}")
    return finish(result, errors)


@dataclass(frozen=True)
class _Rules:
    """What every vInfo row is converted with."""

    site: SiteTemplate
    disks: dict[str, float]
    parts: dict[str, float]
    storage: str
    skip_powered_off: bool
    strict: bool
    default_storage_gb: Optional[float]
    has_vdisk: bool
    has_vpartition: bool


_PARSERS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("cpus", lambda c: whole(c, "CPUs")),
    ("memory", lambda c: amount(c, "MB")),
    ("provisioned", lambda c: amount(c, "MB")),
    ("in_use", lambda c: amount(c, "MB")),
    ("total_disk", lambda c: amount(c, "MB")),
    ("os_tools", label),
    ("os_config", label),
    ("ip", label),
)


def _workload(row: RowCells, seen: dict[str, int], rules: _Rules, result: ImportResult) -> Optional[ImportedWorkload]:
    """The workload of one vInfo row, or None when skipped or after recording why it cannot be one."""
    try:
        name = label(row.get("vm"))
    except CellError as exc:
        row.fail("vm", str(exc))
        return None
    if not name:
        row.fail("vm", "missing value (a required column)")
        return None
    reason = _skip_reason(name, row)
    off = powered_off(row.get("powerstate"))
    if reason is None and off and rules.skip_powered_off:
        reason = "powered off"
    if reason:
        bump(result.skipped, reason)
        return None

    wid = workload_id(name)
    if not wid:
        row.fail("vm", f"{name!r} has no letter or digit to make a workload id from")
    elif wid.lower() in seen:
        row.fail("vm", f"duplicate VM name {name!r} (first on row {seen[wid.lower()]})")
    else:
        seen[wid.lower()] = row.number  # also when the row has other errors: a later twin is still a duplicate
    if _no_figures(row, name, rules.strict, result):
        return None
    values = row.parse(_PARSERS, REQUIRED_VINFO)
    memory: float = values.get("memory") or 0.0
    if row.ok and memory < 0:
        row.fail("memory", f"{memory:g} is not a positive amount of memory (MiB)")
    elif row.ok and memory < MIN_MEMORY_MIB:
        row.fail("memory", f"wrong units: {memory:g} MiB of memory looks like GB (RVTools gives MiB: "
                 f"{memory:g} GB is {int(memory * 1024)} MiB)")
    site = _site(row, rules.site)
    if not row.ok or site is None:
        return None

    mib, how, rule = _storage_mib(name.lower(), values, rules)
    if how:
        bump(result.counts, how)
    if rule:
        note_missing(result, "storage_gb", rule)
    if off:
        bump(result.counts, "powered off (included)")
    fields: dict[str, Any] = {
        "id": wid,
        "vcpu": values["cpus"],
        "memory_gb": round(memory / MIB_PER_GB, 3),
        "storage_gb": round(mib / MIB_PER_GB, 2),
        "current_site": site,
    }
    os_column = "os_tools" if values.get("os_tools") else "os_config"
    at = (row.origin, row.number, row.header[row.cols[os_column]] if os_column in row.cols else "")
    fill_os(fields, values.get("os_tools") or values.get("os_config") or "", result, at, f"VM {name!r}")
    defaulted = defaults_for(fields)
    return ImportedWorkload(fields, defaulted, _note(row, name, wid, values))


def _no_figures(row: RowCells, name: str, strict: bool, result: ImportResult) -> bool:
    """True when the row has no CPU or no memory figure (blank or 0); skipped with a warning, or an error."""
    missing = [key for key in ("cpus", "memory") if _zero_or_blank(row.get(key))]
    if not missing:
        return False
    column = row.header[row.cols[missing[0]]]
    state = text(row.get("connection"))
    why = f" (connection state: {state})" if state and state.lower() != "connected" else ""
    what = "CPU or memory figures" if len(missing) == 2 else {"cpus": "CPU figure", "memory": "memory figure"}[
        missing[0]]
    if strict:
        row.fail(missing[0], f"VM {name!r} has no {what}{why} (--strict makes this an error)")
    else:
        result.warnings.append(Issue(row.origin, row.number, column, f"VM {name!r} has no {what}{why}; skipped"))
        bump(result.skipped, "without CPU or memory figures")
    return True


def _zero_or_blank(cell: Any) -> bool:
    if is_blank(cell):
        return True
    try:
        return amount(cell, "MB") == 0
    except CellError:
        return False  # not a number: parse() reports it


def _site(row: RowCells, template: SiteTemplate) -> Optional[str]:
    """The row's current site from the template, or None after recording a missing value."""
    values: dict[str, str] = {}
    for key in template.placeholders:
        raw = text(row.get(key))
        if not site_part(raw):
            shown = f"{raw!r} has no letter or digit" if raw else "empty"
            hint = " (a VM on a standalone host has no cluster: use {host} or {datacenter})" if key == "cluster" else ""
            row.fail(key, f"{shown}, but the site template {template.text!r} uses {{{key}}}{hint}")
        values[key] = raw
    return template.render(values) if row.ok else None


def _storage_mib(vm: str, values: dict[str, Any], rules: _Rules) -> tuple[float, str, str]:
    """The VM's storage in MiB, which source it came from, and the fill rule when the chosen source lacks the VM."""
    in_use = rules.storage == "in-use"
    primary = "vPartition" if in_use else "vDisk"
    absent = f"VMs without {primary} rows" if (rules.has_vpartition if in_use else rules.has_vdisk) else \
        f"VMs (no {primary} tab)"
    if in_use:
        if vm in rules.parts:
            return rules.parts[vm], "storage from vPartition (consumed)", ""
        if values.get("in_use") is not None:
            return values["in_use"], "storage from vInfo In Use MiB", f"{absent}: filled from vInfo's In Use MiB"
    if vm in rules.disks:
        how = "storage from vDisk (provisioned)"
        return rules.disks[vm], how, f"{absent}: filled from provisioned disks (vDisk)" if in_use else ""
    for key, column in (("total_disk", "Total disk capacity MiB"), ("provisioned", "Provisioned MiB")):
        if values.get(key) is not None:
            return values[key], f"storage from vInfo {column}", f"{absent}: filled from vInfo's {column}"
    gb, rule = storage_default_rule("VMs", rules.default_storage_gb)
    return gb * MIB_PER_GB, "", rule


def _note(row: RowCells, name: str, wid: str, values: dict[str, Any]) -> str:
    parts = [f"source: vInfo row {row.number}"]
    if wid != name:
        parts.append(f"vm: {name}")
    os_name = values.get("os_tools") or values.get("os_config")
    if os_name:
        parts.append(f"os: {os_name}")
    if values.get("ip"):
        parts.append(f"ip: {values['ip']}")
    where = "/".join(p for p in (text(row.get("datacenter")), text(row.get("cluster"))) if p)
    if where:
        parts.append(f"cluster: {where}")
    if text(row.get("host")):
        parts.append(f"host: {text(row.get('host'))}")
    return "; ".join(parts)


# ------------------------------------------------------------------------- the plain sheet, as columns
# A genuine export read without an object per cell, row or workload (see :mod:`.dense`). Only rows the
# general path would take without a word are taken here; the first that needs a message (a blank or odd
# cell, a duplicate, an unusual name) raises NotDense and the general path reads the sheet instead, so
# the output and every message stay the general path's.

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,199}")
_DENSE_KEYS = ("vm", "powerstate", "template", "srm", "cpus", "memory", "provisioned", "in_use", "total_disk",
               "ip", "os_config", "os_tools", "datacenter", "cluster", "host", "connection")
_NOT_PLAIN = object()


def _plain_number(cell: Any) -> Any:
    """A number cell as the general path's amount() reads it; _NOT_PLAIN for text (left to that path)."""
    if cell is None:
        return None
    if type(cell) is int or (type(cell) is float and abs(cell) < float("inf")):
        return float(cell)
    return _NOT_PLAIN


def _dense_sizes(table: Table, vm_col: int, size_col: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    names: dict[str, str] = {}
    for _, (vm, size) in dense.rows(table, (vm_col, size_col)):
        if vm is None and size is None:
            continue
        if type(vm) is not str or vm.lstrip()[:1] == "=" or (size is not None and _plain_number(size) is _NOT_PLAIN):
            raise dense.NotDense("a cell the general path reads")
        key = names.get(vm)
        if key is None:
            key = names[vm] = text(vm).lower()
        if key and size is not None:
            if size < 0:
                raise dense.NotDense("a negative size")
            totals[key] = totals.get(key, 0.0) + float(size)
    return totals


def _convert_dense(vinfo: Table, cols: dict[str, int], rules: _Rules) -> ImportResult:
    """:func:`convert`'s rows for a plain sheet, held as columns; raises NotDense for any row that needs a word."""
    result = ImportResult("rvtools", vinfo.origin, 0, [])
    keys = list(_DENSE_KEYS)
    at = {k: i for i, k in enumerate(keys)}
    header = vinfo.header
    shown = [header[cols[k]] if k in cols else k for k in keys]  # the header of `values`, for a warning naming its column
    out: dict[str, list[Any]] = {"id": [], "vcpu": [], "memory_gb": [], "storage_gb": [], "current_site": [], "os": []}
    notes: list[str] = []
    seen: set[str] = set()
    texts: dict[Any, str] = {}  # OS names, hosts, clusters: a few values repeated a million times
    sites: dict[tuple[str, ...], str] = {}
    places: dict[tuple[Any, ...], tuple[str, str]] = {}  # (datacenter, cluster, host) cells -> site, note's end
    oses: dict[tuple[Any, ...], tuple[str, str, Any]] = {}  # (tools, config) OS cells -> tools' text, OS, family
    families: dict[str, Any] = {}
    off_states: dict[Any, bool] = {}
    flags: dict[Any, bool] = {}
    placeholders = rules.site.placeholders
    os_columns = {k: header[cols[k]] if k in cols else "" for k in ("os_tools", "os_config")}
    counts: dict[str, int] = {}  # result.counts, in the order the general path bumps them
    gib: dict[Any, float] = {}  # MiB -> GiB, each memory size rounded once
    from_vdisk = rules.storage != "in-use"

    def line(value: Any) -> str:
        if value is None:
            return ""
        if type(value) is str and value.isascii() and value.isprintable() and " " not in value and value[:1] != "=":
            return value  # nothing for text() to change: an IP address, a host name
        hit = texts.get(value) if type(value) is str else None  # 1, 1.0 and True are one key, but not one text
        if hit is None:
            if isinstance(value, str) and value.lstrip().startswith("="):
                raise dense.NotDense("a formula")
            hit = text(value)
            if len(texts) < 100_000 and type(value) is str:
                texts[value] = hit
        return hit

    def place(datacenter_cell: Any, cluster_cell: Any, host_cell: Any) -> tuple[str, str]:
        """The site of a row and the end of its note (cluster, host)."""
        cells = {"datacenter": datacenter_cell, "cluster": cluster_cell, "host": host_cell}
        raw_site = tuple(line(cells[k]) for k in placeholders)
        site = sites.get(raw_site)
        if site is None:
            if not all(site_part(v) for v in raw_site):
                raise dense.NotDense("a site part the general path reports")
            site = sites[raw_site] = rules.site.render(dict(zip(placeholders, raw_site)))
        datacenter, cluster, host = line(datacenter_cell), line(cluster_cell), line(host_cell)
        tail = []
        where = "/".join(p for p in (datacenter, cluster) if p)
        if where:
            tail.append(f"cluster: {where}")
        if host:
            tail.append(f"host: {host}")
        return site, "; ".join(tail)

    for number, values in dense.rows(vinfo, [cols.get(k, -1) for k in keys]):
        if is_blank(values[0]) and all(is_blank(v) for v in values):
            continue  # the general path counts only rows with a cell, and ours are the cells it reads
        (raw_name, state, template, srm, cpus, memory_cell, provisioned, in_use, total_disk, ip_cell, os_config_cell,
         os_tools_cell, datacenter_cell, cluster_cell, host_cell, _) = values
        if type(raw_name) is not str or raw_name.lstrip()[:1] == "=":
            raise dense.NotDense("a VM name the general path reads")
        plain = _PLAIN_NAME.fullmatch(raw_name) is not None and raw_name[-1] != "-"
        name = raw_name if plain else text(raw_name)
        if not name:
            raise dense.NotDense("a row without a VM name")
        result.rows += 1
        reason = None
        for v, why in ((template, "templates"), (srm, "SRM placeholders")):
            if v is not None:
                f = flags.get(v)
                if f is None:
                    f = flags[v] = flag(v)
                if f:
                    reason = why
                    break
        lowered = name.lower()
        if reason is None and lowered.startswith(("vcls-", "vcls (")):
            reason = "vCLS VMs"
        off = off_states.get(state)
        if off is None:
            off = off_states[state] = powered_off(state)
        if reason is None and off and rules.skip_powered_off:
            reason = "powered off"
        if reason:
            bump(result.skipped, reason)
            continue
        wid = name if plain else workload_id(name)
        if not wid or wid.lower() in seen:
            raise dense.NotDense("a VM name without an id, or a duplicate")
        seen.add(wid.lower())
        if not (type(cpus) is int and cpus > 0 and type(memory_cell) is int and memory_cell > 0) and (
                _zero_or_blank(cpus) or _zero_or_blank(memory_cell)):
            if rules.strict:
                raise dense.NotDense("an error to report")
            _no_figures(RowCells(vinfo.origin, shown, at, number, values, []), name, False, result)  # warns, skips
            continue
        if type(cpus) is float and cpus.is_integer():
            cpus = int(cpus)
        if type(cpus) is not int or cpus <= 0:
            raise dense.NotDense("a CPU figure the general path reads")
        memory = float(memory_cell) if type(memory_cell) is int else _plain_number(memory_cell)
        if memory is None or memory is _NOT_PLAIN or memory < MIN_MEMORY_MIB:
            raise dense.NotDense("a memory or size figure the general path reads")
        figures: Optional[dict[str, Any]] = None
        if not (type(provisioned) is int and type(in_use) is int and type(total_disk) is int):
            figures = {"provisioned": _plain_number(provisioned), "in_use": _plain_number(in_use),
                       "total_disk": _plain_number(total_disk)}
            if _NOT_PLAIN in figures.values():
                raise dense.NotDense("a memory or size figure the general path reads")
        key = (datacenter_cell, cluster_cell, host_cell)
        hit = places.get(key)  # only text keys are kept, and no number equals a text: a hit is this row's
        if hit is None:
            hit = place(*key)
            if len(places) < 100_000 and all(type(c) is str or c is None for c in key):
                places[key] = hit
        site, tail = hit
        key = (os_tools_cell, os_config_cell)
        known = oses.get(key)
        if known is None:
            os_tools, os_config = line(os_tools_cell), line(os_config_cell)
            os_name = os_tools or os_config
            family = families.get(os_name, _NOT_PLAIN)
            if family is _NOT_PLAIN:
                family = families[os_name] = os_family(os_name)
            known = (os_tools, os_name, family)
            if len(oses) < 100_000 and all(type(c) is str or c is None for c in key):
                oses[key] = known
        os_tools, os_name, family = known
        ip = line(ip_cell)
        if family:
            key = f"os {family}"
            counts[key] = counts.get(key, 0) + 1
        else:
            counts["os left out (cannot tell Windows from Linux)"] = counts.get(
                "os left out (cannot tell Windows from Linux)", 0) + 1
            column = os_columns["os_tools" if os_tools else "os_config"]
            result.warnings.append(Issue(vinfo.origin, number, column, f"VM {name!r}: {unknown_os_message(os_name)}"))
        if from_vdisk and lowered in rules.disks:  # as _storage_mib() decides it, without its dicts
            mib, how, rule = rules.disks[lowered], "storage from vDisk (provisioned)", ""
        else:
            if figures is None:
                figures = {"provisioned": float(provisioned), "in_use": float(in_use), "total_disk": float(total_disk)}
            mib, how, rule = _storage_mib(lowered, {k: v for k, v in figures.items() if v is not None}, rules)
        if how:
            counts[how] = counts.get(how, 0) + 1
        if rule:
            note_missing(result, "storage_gb", rule)
        if off:
            counts["powered off (included)"] = counts.get("powered off (included)", 0) + 1
        memory_gb = gib.get(memory)
        if memory_gb is None:
            memory_gb = gib[memory] = round(memory / MIB_PER_GB, 3)
        out["id"].append(wid)
        out["vcpu"].append(cpus)
        out["memory_gb"].append(memory_gb)
        out["storage_gb"].append(round(mib / MIB_PER_GB, 2))
        out["current_site"].append(site)
        out["os"].append(family)
        parts = [f"source: vInfo row {number}"]
        if wid != name:
            parts.append(f"vm: {name}")
        if os_name:
            parts.append(f"os: {os_name}")
        if ip:
            parts.append(f"ip: {ip}")
        if tail:
            parts.append(tail)
        notes.append("; ".join(parts))
    dense.release(vinfo)  # vInfo is read last: the strings decoded for it are held by the workloads now, or by none
    for key, n in counts.items():
        bump(result.counts, key, n)
    if _invalid(out):
        raise dense.NotDense("a workload the schema refuses: the general path names it")
    result.workloads = WorkloadColumns(out, notes, defaults_for({"id": ""}))  # type: ignore[assignment]
    note_missing_utilisation_counts(result, len(notes))
    if rules.site.placeholders:
        for site in result.workloads.columns["current_site"]:  # type: ignore[attr-defined]
            bump(result.counts, f"on site {site}")
    result.warnings.sort()
    return result


def note_missing_utilisation_counts(result: ImportResult, n: int) -> None:
    """RVTools has no utilisation: every VM is sized by its full allocation (as :func:`note_missing_utilisation`)."""
    for name, (measure, rule) in UTIL_RULES.items():
        note_missing(result, name, f"VMs without {measure} (RVTools has none): {rule}", n)


def _invalid(out: dict[str, list[Any]]) -> bool:
    """Whether any workload breaks the schema: numbers checked at once, each distinct site and OS once."""
    import numpy as np

    from planner.inputs.load.schema import SPECS, out_of_range

    for name in ("vcpu", "memory_gb", "storage_gb"):
        if out_of_range(SPECS[name], np.asarray(out[name], dtype=float)).any():
            return True
    samples: dict[tuple[Any, Any], int] = {}
    for i, key in enumerate(zip(out["current_site"], out["os"])):
        samples.setdefault(key, i)
    probe = []
    for i in samples.values():
        fields = {name: values[i] for name, values in out.items() if values[i] is not None}
        defaults_for(fields)
        probe.append(ImportedWorkload(fields, (), ""))
    return bool(invalid_workloads(probe))
