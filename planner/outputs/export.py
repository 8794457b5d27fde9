"""The migration team's work list: one row per workload of a plan, as xlsx (with a waves sheet) or CSV.

Rows come from the plan's assignments and the inventory the plan was made from, one index
lookup per workload; costs come from the plan and from :func:`planner.domain.costs.monthly_run`
(today's cost where the workload runs now), never re-derived. Rows are sorted by wave
(workloads that stay, or have no wave, last), then workload id; the same plan and inventory
give the same bytes. Text is untrusted: CSV cells that a spreadsheet would read as a formula
get a leading apostrophe, xlsx cells are written as strings (never formulas) with Excel's
quote prefix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, Union

from planner.base.atomic_write import write_atomic
from planner.base.errors import PlannerError
from planner.domain.costs import is_rate_priced, monthly_run
from planner.domain.estate import Estate
from planner.domain.model import Site
from planner.outputs import limits as output_limits
from planner.plan.document import Assignment, Plan, cents
from planner.schedule.waves import Wave, phase_name

EXPORT_FORMATS = ("xlsx", "csv")
WORKLIST_SHEET = "Work list"
WAVES_SHEET = "Waves"
# Fixed document dates: xlsxwriter would otherwise stamp the clock into docProps/core.xml.
FIXED_CREATED = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)
# Leading characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection":
# = + - @, tab and carriage return), plus line feed and the full-width forms some locales accept.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_MIN_WIDTH, _MAX_WIDTH = 6, 60


class ExportError(PlannerError, ValueError):
    """A plan that cannot be exported against this inventory; the message says what is wrong."""


class InventoryMismatch(ExportError):
    """The plan was made from another inventory (its inventory_sha256 differs)."""


@dataclass(frozen=True, slots=True)
class WorkRow:
    """One workload in the work list: where it goes, when, and what it costs before and after."""

    workload: str
    app: str
    env: str
    criticality: str
    from_site: str
    to_site: str
    kind: str  # of the site it lands on
    country: str  # of the site it lands on
    sku: Optional[str]
    pricing: Optional[str]
    wave: Optional[int]
    wave_start: Optional[dt.date]
    wave_end: Optional[dt.date]
    monthly_cost_before: Optional[float]  # None when no catalogue VM fits where it runs today
    monthly_cost_after: float
    one_time_cost: float


@dataclass(frozen=True)
class WaveSummary:
    """One wave of the waves sheet, added up from its rows in the work list."""

    wave: int
    phase: str
    start: dt.date
    end: dt.date
    workloads: int
    effort_hours: float
    one_time_cost: float
    monthly_saving: float  # run cost before minus after, over the wave's workloads (egress left out)


@dataclass(frozen=True)
class Worklist:
    """A plan's work list: the rows in order and the waves, in the scenario's currency."""

    currency: str
    inventory_sha256: str
    rows: Sequence[WorkRow]
    waves: Sequence[WaveSummary]


@dataclass(frozen=True)
class Column:
    """One column: its CSV header (stable, for scripts), its xlsx title, and how its cells are typed."""

    key: str
    title: str
    kind: str  # text | int | date | money | hours


WORK_COLUMNS = (
    Column("workload", "Workload", "text"), Column("app", "App", "text"), Column("env", "Env", "text"),
    Column("criticality", "Criticality", "text"), Column("from_site", "From site", "text"),
    Column("to_site", "To site", "text"), Column("kind", "Kind", "text"), Column("country", "Country", "text"),
    Column("sku", "SKU", "text"), Column("pricing", "Pricing", "text"), Column("wave", "Wave", "int"),
    Column("wave_start", "Wave start", "date"), Column("wave_end", "Wave end", "date"),
    Column("monthly_cost_before", "Monthly cost before", "money"),
    Column("monthly_cost_after", "Monthly cost after", "money"), Column("one_time_cost", "One-time cost", "money"),
)
WAVE_COLUMNS = (
    Column("wave", "Wave", "int"), Column("phase", "Phase", "text"), Column("start", "Start", "date"),
    Column("end", "End", "date"), Column("workloads", "Workloads", "int"), Column("effort_hours", "Effort hours", "hours"),
    Column("one_time_cost", "One-time cost", "money"), Column("monthly_saving", "Monthly saving", "money"),
)


# ----------------------------------------------------------------------------- rows


def build_worklist(plan: Plan, estate: Estate) -> Worklist:
    """The work list of `plan` over `estate` (the inventory it was made from); raises ExportError otherwise."""
    if plan.inventory_sha256 != estate.inventory.sha256:
        raise InventoryMismatch(f"the plan was made from a different inventory (plan inventory_sha256 "
                                f"{plan.inventory_sha256[:16]!r}, inventory {estate.inventory.sha256[:16]!r})")
    if not plan.has_plan:
        raise ExportError(f"the plan is {plan.status!r}: it places no workload, so there is nothing to export "
                          f"(plan.json's problems say why)")
    wave_by_number = {w.number: w for w in plan.waves}
    totals = {n: _WaveTotals() for n in wave_by_number}
    rows: list[WorkRow] = []
    for a in plan.assignments:
        index = estate.workload_index.get(a.workload)
        if index is None:
            raise ExportError(f"the plan assigns workload {a.workload!r}, which the inventory does not hold")
        site = estate.site_by_id.get(a.site)
        if site is None:
            raise ExportError(f"the plan puts {a.workload!r} on site {a.site!r}, which the inventory does not hold")
        if a.wave is not None and a.wave not in wave_by_number:
            raise ExportError(f"the plan moves {a.workload!r} in wave {a.wave!r}, which its waves do not list")
        if not (math.isfinite(a.monthly_cost) and math.isfinite(a.one_time_cost)):
            raise ExportError(f"the plan gives {a.workload!r} a cost that is not a finite number")
        w = estate.workloads[index]
        today = monthly_run(estate, w, estate.site_by_id[w.current_site])
        before = cents(today.monthly) if today is not None else None
        wave = wave_by_number.get(a.wave) if a.wave is not None else None
        rows.append(WorkRow(
            w.id, w.app, w.env, w.criticality.value, w.current_site, site.id, site.kind.value, estate.site_country(site),
            a.sku, _pricing(a, site), a.wave, wave.start if wave else None, wave.end if wave else None,
            before, a.monthly_cost, a.one_time_cost))
        if wave is not None:
            totals[wave.number].add(estate.effort_hours(w), a.one_time_cost, (before or 0.0) - a.monthly_cost)
    _check_complete(rows, estate)
    rows.sort(key=lambda r: (r.wave is None, r.wave or 0, r.workload))
    waves = [totals[w.number].summary(w) for w in sorted(plan.waves, key=lambda w: w.number)]
    return Worklist(estate.scenario.currency, plan.inventory_sha256, rows, waves)


def _pricing(assignment: Assignment, site: Site) -> Optional[str]:
    """The assignment's pricing option when the plan records one; else payg where the catalogue prices the site."""
    if assignment.pricing is not None:
        return assignment.pricing
    return None if is_rate_priced(site) else "payg"  # a plan written before assignments carried `pricing`


def _check_complete(rows: list[WorkRow], estate: Estate) -> None:
    """Every workload of the inventory exactly once (the rows' workloads are known to be in it)."""
    if len(rows) == len(estate.workloads) and len({r.workload for r in rows}) == len(rows):
        return
    seen: set[str] = set()
    for r in rows:
        if r.workload in seen:
            raise ExportError(f"the plan assigns workload {r.workload!r} more than once")
        seen.add(r.workload)
    missing = next(w.id for w in estate.workloads if w.id not in seen)
    raise ExportError(f"the plan does not assign workload {missing!r} of the inventory")


@dataclass
class _WaveTotals:
    """What a wave's rows add up to, while the rows are built."""

    workloads: int = 0
    effort_hours: float = 0.0
    one_time_cost: float = 0.0
    monthly_saving: float = 0.0

    def add(self, effort_hours: float, one_time_cost: float, monthly_saving: float) -> None:
        self.workloads += 1
        self.effort_hours += effort_hours
        self.one_time_cost += one_time_cost
        self.monthly_saving += monthly_saving

    def summary(self, wave: Wave) -> WaveSummary:
        return WaveSummary(wave.number, wave.phase or phase_name(wave.start), wave.start, wave.end, self.workloads,
                           round(self.effort_hours, 2) + 0.0, cents(self.one_time_cost), cents(self.monthly_saving))


# ----------------------------------------------------------------------------- CSV


def neutralise(text: str) -> str:
    """Text that no spreadsheet evaluates: a leading apostrophe when it starts like a formula."""
    return "'" + text if text and text[0] in FORMULA_TRIGGERS else text


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "text":
        return neutralise(str(value))
    if kind in ("money", "hours"):
        return f"{value:.2f}"
    if kind == "date":
        return value.isoformat()
    return str(value)


def csv_chunks(worklist: Worklist, chunk_bytes: int = 1 << 16) -> Iterator[str]:
    """The work list as RFC 4180 CSV (CRLF line ends, keys as header), in chunks of about `chunk_bytes`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.key for c in WORK_COLUMNS])
    for row in worklist.rows:
        writer.writerow([_csv_cell(getattr(row, c.key), c.kind) for c in WORK_COLUMNS])
        if buf.tell() >= chunk_bytes:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_csv(worklist: Worklist, path: Union[str, Path]) -> None:
    """Write the work list as CSV to `path`, whole or not at all."""
    write_atomic(path, csv_chunks(worklist))


# ----------------------------------------------------------------------------- xlsx


def xlsx_bytes(worklist: Worklist, constant_memory: Optional[bool] = None) -> bytes:
    """The work list as an xlsx workbook: the work list sheet and the waves sheet, each with a frozen, filtered header."""
    import xlsxwriter
    from xlsxwriter.exceptions import XlsxWriterException

    # Above OutputLimits.constant_memory_rows the xlsx is streamed to temporary files (xlsxwriter's constant_memory).
    large = len(worklist.rows) > output_limits.current().constant_memory_rows if constant_memory is None else constant_memory
    out = io.BytesIO()
    # strings_to_* off: nothing written is ever turned into a formula, number or link behind our back.
    wb = xlsxwriter.Workbook(out, {"constant_memory": large, "in_memory": not large, "strings_to_formulas": False,
                                   "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"title": "Migration work list", "comments": f"inventory_sha256 {worklist.inventory_sha256}",
                       "created": FIXED_CREATED})
    styles = {
        "header": wb.add_format({"bold": True, "bottom": 1}),
        "money": wb.add_format({"num_format": "#,##0.00"}),
        "hours": wb.add_format({"num_format": "#,##0.0"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "quoted": wb.add_format({"quote_prefix": True}),
    }
    titles = {"money": f" ({worklist.currency})"}
    try:
        _sheet(wb.add_worksheet(WORKLIST_SHEET), WORK_COLUMNS, worklist.rows, styles, titles)
        _sheet(wb.add_worksheet(WAVES_SHEET), WAVE_COLUMNS, worklist.waves, styles, titles)
        wb.close()
    except XlsxWriterException as exc:
        raise ExportError(f"cannot build the workbook ({exc.__class__.__name__}: {exc})") from exc
    return out.getvalue()


def write_xlsx(worklist: Worklist, path: Union[str, Path], constant_memory: Optional[bool] = None) -> None:
    """Write the work list as xlsx to `path`, whole or not at all (streamed through temporary files when large)."""
    write_atomic(path, xlsx_bytes(worklist, constant_memory))


def _sheet(ws: Any, columns: Sequence[Column], rows: Sequence[Any], styles: dict[str, Any], titles: dict[str, str]) -> None:
    """Header, widths, frozen header row and filters, then every row in order (as constant_memory needs)."""
    headers = [c.title + titles.get(c.kind, "") for c in columns]
    for j, (col, header) in enumerate(zip(columns, headers)):
        ws.set_column(j, j, _width(col, header, rows))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(rows), len(columns) - 1)
    for j, header in enumerate(headers):
        ws.write_string(0, j, header, styles["header"])
    for i, row in enumerate(rows, start=1):
        for j, col in enumerate(columns):
            value = getattr(row, col.key)
            if value is None:
                continue
            if col.kind == "text":
                text = str(value)
                # A string cell is never evaluated; the quote prefix keeps it text when someone edits it.
                ws.write_string(i, j, text, styles["quoted"] if text[:1] in FORMULA_TRIGGERS else None)
            elif col.kind == "date":
                ws.write_datetime(i, j, value, styles["date"])
            else:
                ws.write_number(i, j, value, styles.get(col.kind))


def _width(col: Column, header: str, rows: Sequence[Any]) -> int:
    """Characters wide enough for the header and the longest cell, within sensible bounds."""
    if col.kind == "date":
        longest = 10
    elif col.kind == "text":
        longest = max((len(str(v)) for v in (getattr(r, col.key) for r in rows) if v is not None), default=0)
    else:
        largest = max((abs(v) for v in (getattr(r, col.key) for r in rows) if v is not None), default=0)
        longest = len(f"{largest:,.2f}") + 1 if col.kind in ("money", "hours") else len(str(largest))
    return max(_MIN_WIDTH, min(_MAX_WIDTH, max(len(header), longest) + 2))


# ----------------------------------------------------------------------------- both


def export_worklist(plan: Plan, estate: Estate, path: Union[str, Path], fmt: str) -> Worklist:
    """Build the work list of `plan` and write it to `path` as `fmt` (xlsx or csv; the hand-off formats are
    planner.outputs.handoff's); returns what was written."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    worklist = build_worklist(plan, estate)
    (write_xlsx if fmt == "xlsx" else write_csv)(worklist, path)
    return worklist


__all__ = [
    "EXPORT_FORMATS", "FORMULA_TRIGGERS", "WAVES_SHEET", "WAVE_COLUMNS", "WORKLIST_SHEET",
    "WORK_COLUMNS", "Column", "ExportError", "InventoryMismatch", "WaveSummary", "WorkRow", "Worklist", "build_worklist",
    "csv_chunks", "export_worklist", "neutralise", "write_csv", "write_xlsx", "xlsx_bytes",
]
