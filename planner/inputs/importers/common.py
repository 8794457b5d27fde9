"""What every importer shares: issues that name file, row and column; cell parsing with unit
checks; workload ids; the marked defaults; and the result an importer hands the CLI.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from planner.base.errors import PlannerError
from planner.domain.model import Workload
from planner.inputs.importers.os_family import os_family, unknown_os_message
from planner.inputs.load import validate_workload

# What no importer's source can know; each is written with a "# default" mark in the YAML.
DEFAULT_ENV = "prod"
DEFAULT_CRITICALITY = "medium"
DEFAULT_NOTES = {
    "app": "each server is its own app until you group servers that move together",
    "env": f"{DEFAULT_ENV}: production rules apply until you say otherwise",
    "criticality": f"{DEFAULT_CRITICALITY}",
    "data": "no data classes: no residency policy applies until you list them",
    "users": "no user latency needs until you list them",
}
MAX_REPORTED = 50
MAX_ERRORS = 1000  # an importer stops reading after this many errors: no one reads more, and each costs memory


@dataclass(frozen=True, order=True)
class Issue:
    """An error or warning about one place in a source file (row 0: the file as a whole)."""

    origin: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.origin}:{self.row}" if self.row else self.origin
        col = f": column {self.column!r}" if self.column else ""
        return f"{where}{col}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.origin, "row": self.row, "column": self.column, "message": self.message}


class ImportFailed(PlannerError):
    """The source has errors; nothing may be written."""

    def __init__(self, errors: list[Issue]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = sorted(errors)


class CellError(ValueError):
    """A cell that cannot be used; the message says why and what would be right."""


@dataclass(slots=True)
class ImportedWorkload:
    """A workload as the importer will write it, the fields it defaulted, and a source note."""

    fields: dict[str, Any]
    defaulted: tuple[str, ...]
    note: str


class WorkloadColumns(Sequence[ImportedWorkload]):
    """Imported workloads held as columns, sorted by id: a million cost a few lists, not a million dicts.

    Each :class:`ImportedWorkload` is built when read, with the same fields, in the same order, as an importer
    that builds them one by one; every one has the same defaulted fields.
    """

    def __init__(self, columns: dict[str, list[Any]], notes: list[str], defaulted: tuple[str, ...]):
        order = sorted(range(len(columns["id"])), key=columns["id"].__getitem__)
        self.columns = {name: [values[i] for i in order] for name, values in columns.items()}
        self.notes = [notes[i] for i in order]
        self.defaulted = defaulted

    def __len__(self) -> int:
        return len(self.notes)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        fields = {name: values[index] for name, values in self.columns.items() if values[index] is not None}
        fields.update({"app": fields["id"], "env": DEFAULT_ENV, "criticality": DEFAULT_CRITICALITY, "data": [], "users": []})
        return ImportedWorkload(fields, self.defaulted, self.notes[index])

    def sort(self, key: Any = None) -> None:
        """Already sorted by id (the only order an import is written in)."""


@dataclass
class ImportResult:
    """Workloads (sorted by id) plus everything the summary reports."""

    kind: str
    origin: str
    rows: int
    workloads: list[ImportedWorkload]
    skipped: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[Issue] = field(default_factory=list)
    # a field the plan needs that the source lacks: field -> the rule that filled it -> workloads so filled
    missing: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self, output: str) -> dict[str, Any]:
        """The summary as plain data (the JSON form; the text form renders it)."""
        defaults: dict[str, int] = {}
        if isinstance(self.workloads, WorkloadColumns):
            defaults = dict.fromkeys(self.workloads.defaulted, len(self.workloads)) if len(self.workloads) else {}
        for w in () if isinstance(self.workloads, WorkloadColumns) else self.workloads:
            for name in w.defaulted:
                defaults[name] = defaults.get(name, 0) + 1
        return {
            "format": "planner-import-summary/1",
            "importer": self.kind,
            "source": self.origin,
            "output": output,
            "rows": self.rows,
            "workloads": len(self.workloads),
            "skipped": dict(sorted(self.skipped.items())),
            "counts": dict(sorted(self.counts.items())),
            "defaults": {k: {"workloads": v, "meaning": DEFAULT_NOTES.get(k, "")} for k, v in sorted(defaults.items())},
            "missing": {name: [{"workloads": n, "rule": rule} for rule, n in sorted(rules.items())]
                        for name, rules in sorted(self.missing.items())},
            "warnings": [w.as_dict() for w in sorted(self.warnings)],
        }


@dataclass
class RowCells:
    """One data row: its cells by column key, and errors reported against it by row and column."""

    origin: str
    header: list[str]
    cols: dict[str, int]
    number: int
    cells: Sequence[Any]
    errors: list[Issue]
    ok: bool = True

    def get(self, key: str) -> Any:
        i = self.cols.get(key)
        return self.at(i) if i is not None else None

    def at(self, index: int) -> Any:
        return self.cells[index] if index < len(self.cells) else None

    def fail(self, key: str | int, message: str) -> None:
        """Record an error in column `key` (a column key or index) of this row."""
        index = key if isinstance(key, int) else self.cols.get(key)
        column = self.header[index] if index is not None else str(key)
        self.errors.append(Issue(self.origin, self.number, column, message))
        self.ok = False

    def parse(self, parsers: Iterable[tuple[str, Callable[[Any], Any]]], required: Iterable[str]) -> dict[str, Any]:
        """key -> parsed value for each column present; failures and missing required values are errors."""
        required = set(required)
        values: dict[str, Any] = {}
        for key, parse in parsers:
            if key not in self.cols:
                continue
            try:
                values[key] = parse(self.get(key))
            except CellError as exc:
                self.fail(key, str(exc))
                continue
            if key in required and values[key] in (None, ""):
                self.fail(key, "missing value (a required column)")
        return values


# --- headers -------------------------------------------------------------------------------


def norm_header(name: str) -> str:
    """A header compared loosely: a leading '*', case (units' too), spacing and punctuation ignored.

    ``*Memory (In MB)``, ``Memory (in MB)`` and ``memory_in_mb`` all read ``memory in mb``; ``%``
    is kept, so ``Free %`` stays apart from ``Free``.
    """
    lowered = unicodedata.normalize("NFKC", str(name)).strip().lstrip("*").lower()
    return " ".join(re.sub(r"[^\w%]|_", " ", lowered).split())


def find_columns(header: list[str], wanted: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """key -> column index for each key whose aliases match a header cell (first match wins)."""
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        index.setdefault(norm_header(h), i)
    found: dict[str, int] = {}
    for key, aliases in wanted.items():
        for alias in aliases:
            at = index.get(norm_header(alias))
            if at is not None:
                found[key] = at
                break
    return found


# --- cells ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)?|[-+]?[.,]\d+)\s*([A-Za-z%]+)?\s*$")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")
_UNIT_FAMILY = {
    "b": "B",
    "kb": "KB", "kib": "KB",
    "mb": "MB", "mib": "MB", "m": "MB",
    "gb": "GB", "gib": "GB", "g": "GB",
    "tb": "TB", "tib": "TB", "t": "TB",
    "%": "%",
}


def is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# C0, DEL, C1 (U+009B is an 8-bit CSI), bidi controls, zero-width and line separators: never part of a name
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def text(cell: Any) -> str:
    """A cell as one line of text (control characters become spaces)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return " ".join(_INVISIBLE.sub(" ", str(cell)).split())


def check_formula(cell: Any) -> None:
    """Refuse a spreadsheet formula: its value is not in the file, or may be stale."""
    if isinstance(cell, str) and cell.lstrip().startswith("="):
        shown = cell.strip() if len(cell.strip()) <= 40 else cell.strip()[:37] + "..."
        raise CellError(f"a formula ({shown}), not a value: export or paste values only")


def number(cell: Any, unit: Optional[str] = None) -> Optional[float]:
    """A number from a cell, None when blank; a unit written in the cell must be `unit`'s."""
    check_formula(cell)
    if is_blank(cell):
        return None
    if isinstance(cell, bool):
        raise CellError(f"{cell!r} is not a number")
    if isinstance(cell, (int, float)):
        value = float(cell)
    elif isinstance(cell, (dt.date, dt.datetime, dt.time)):
        raise CellError(f"a date ({cell}), not a number: is the column formatted as a date?")
    else:
        match = _NUMBER.match(str(cell))
        if not match:
            raise CellError(f"{text(cell)!r} is not a number")
        digits, written = match.group(1), match.group(2)
        if _THOUSANDS.fullmatch(digits):
            digits = digits.replace(",", "")  # 16,384 is a thousands separator
        else:
            digits = digits.replace(",", ".")  # 45,5 is a decimal comma
        value = float(digits)
        if written:
            family = _UNIT_FAMILY.get(written.lower())
            if family is None:
                raise CellError(f"{text(cell)!r}: unknown unit {written!r}; give a plain number")
            if unit is None or family != unit:
                expected = f"in {unit}" if unit else "a plain number"
                raise CellError(f"wrong units: {text(cell)!r} is in {family}, but this column is {expected}")
    if value != value or value in (float("inf"), float("-inf")):
        raise CellError(f"{text(cell)!r} is not a finite number")
    return value


def _expecting(cell: Any, expected: str, unit: Optional[str] = None) -> Optional[float]:
    """number(), with what the column expects added to a complaint."""
    try:
        return number(cell, unit)
    except CellError as exc:
        message = str(exc)
        if "is not a number" in message:
            message += f"; expected {expected}"
        raise CellError(message) from None


def amount(cell: Any, unit: str) -> Optional[float]:
    """A size in `unit` (MB, GB), None when blank; a different unit in the cell is an error."""
    return _expecting(cell, f"an amount in {unit}", unit)


def whole(cell: Any, what: str) -> Optional[int]:
    """A positive whole number (cores, CPUs), None when blank."""
    value = _expecting(cell, f"a whole number of {what}")
    if value is None:
        return None
    if value <= 0 or not float(value).is_integer():
        raise CellError(f"{text(cell)!r} is not a positive whole number of {what}")
    return int(value)


def count(cell: Any, what: str) -> Optional[int]:
    """A whole number that may be 0 (disks), None when blank."""
    value = _expecting(cell, f"a whole number of {what}")
    if value is None:
        return None
    if value < 0 or not float(value).is_integer():
        raise CellError(f"{text(cell)!r} is not a whole number of {what}")
    return int(value)


def label(cell: Any) -> str:
    """A text cell (names, OS), refusing formulas."""
    check_formula(cell)
    return text(cell)


def percent(cell: Any) -> Optional[float]:
    """A utilisation percentage (0-100) as a fraction, None when blank."""
    value = _expecting(cell, "a percentage between 0 and 100", "%")
    if value is None:
        return None
    if not 0 <= value <= 100:
        raise CellError(f"{text(cell)!r} is not a percentage between 0 and 100")
    return round(value / 100.0, 4)


_OFF_STATES = {"off", "poweredoff", "stopped", "shutdown", "shutoff", "deallocated"}


def powered_off(cell: Any) -> bool:
    """A power-state cell saying the machine is off (RVTools ``poweredOff``, Azure Migrate ``OFF``)."""
    return re.sub(r"[^a-z]", "", text(cell).lower()) in _OFF_STATES


def flag(cell: Any) -> bool:
    """A spreadsheet boolean (True/False, yes/no, 1/0); blank is False."""
    if isinstance(cell, bool):
        return cell
    return text(cell).lower() in ("true", "yes", "1", "y", "wahr", "vrai")


# --- ids -----------------------------------------------------------------------------------

_ID_BAD = re.compile(r"[^A-Za-z0-9_.:/@+-]+")


def workload_id(name: str) -> str:
    """A valid workload id from a server name: accents dropped (ñ -> n), other invalid characters become '-'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = _ID_BAD.sub("-", ascii_name.strip()).strip("-")
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned)
    return cleaned[:200]


def validated(fields: dict[str, Any]) -> Workload:
    """The workload checked against the inventory schema (a bug here is ours, not the user's)."""
    return validate_workload(fields)


def first_error(exc: ValueError) -> str:
    """The first problem :func:`planner.inputs.load.validate_workload` found."""
    return str(exc).split("; ")[0]


_VALIDATE_BATCH = 20_000
_FIELD = re.compile(r"^workloads\[[^\]]*\]\.(\w+)")


def invalid_workloads(workloads: Sequence[ImportedWorkload]) -> dict[int, tuple[str, str]]:
    """Index -> (field, problem) of the first problem of each workload the inventory schema refuses, all checked at once.

    The same checks as :func:`validated`, run by the loader's vectorised path over every workload together, so a
    million imported servers cost one pass rather than a million small loader runs.
    """
    from planner.inputs.load.assemble import check_values
    from planner.inputs.load.schema import DEP_SPECS, SPECS, USER_SPECS
    from planner.inputs.load.yaml_workloads import read_yaml_workloads
    from planner.inputs.yamlio import LineList

    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(workloads), _VALIDATE_BATCH):  # in batches: the line-aware copies are transient
        batch = workloads[start:start + _VALIDATE_BATCH]
        items = LineList(_lined(w.fields, i + 1) for i, w in enumerate(batch))
        items.line = 1
        items.lines = list(range(1, len(batch) + 1))
        issues = _FirstProblems()
        w, d, u = (rows[0] for rows in read_yaml_workloads([("<import>", items, 1)], issues))  # type: ignore[arg-type]
        check_values(w, SPECS, issues)  # type: ignore[arg-type]
        check_values(d, DEP_SPECS, issues)  # type: ignore[arg-type]
        check_values(u, USER_SPECS, issues)  # type: ignore[arg-type]
        for issue in sorted(issues.items, key=lambda i: i.line):
            if issue.line >= 1 and start + issue.line - 1 not in found:
                m = _FIELD.match(issue.field)
                found[start + issue.line - 1] = (m.group(1) if m else "", f"{issue.field}: {issue.message}")
        if len(found) >= MAX_ERRORS:
            break
    return found


class _FirstProblems:
    """The loader's issue collector, keeping the first :data:`MAX_ERRORS` (any error stops the import anyway)."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.more = 0

    def add(self, issue: Any) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(issue)
        else:
            self.more += 1

    def extend(self, issues: Iterable[Any]) -> None:
        for issue in issues:
            self.add(issue)

    def __bool__(self) -> bool:
        return bool(self.items)


def _lined(value: Any, line: int) -> Any:
    """Plain dicts and lists as the line-aware ones the YAML reader makes, every value on `line`."""
    from planner.inputs.yamlio import LineDict, LineList

    if isinstance(value, dict):
        out = LineDict({k: _lined(v, line) for k, v in value.items()})
        out.line = line
        out.lines = dict.fromkeys(value, line)
        return out
    if isinstance(value, list):
        seq = LineList(_lined(v, line) for v in value)
        seq.line = line
        seq.lines = [line] * len(value)
        return seq
    return value


def finish(result: ImportResult, errors: list[Issue]) -> ImportResult:
    """Raise ImportFailed when there are errors; else sort the workloads by id."""
    if errors:
        raise ImportFailed(errors)
    result.workloads.sort(key=lambda w: w.fields["id"])
    result.warnings.sort()
    return result


def too_many(errors: list[Issue], origin: str) -> bool:
    """Whether reading should stop: :data:`MAX_ERRORS` reached (then a last issue says the rest was not read)."""
    if len(errors) < MAX_ERRORS:
        return False
    errors.append(Issue(origin, 0, "", f"stopped after {MAX_ERRORS:,} errors; the rest of the file was not read"))
    return True


def bump(counts: dict[str, int], key: str, by: int = 1) -> None:
    counts[key] = counts.get(key, 0) + by


def note_missing(result: ImportResult, name: str, rule: str, by: int = 1) -> None:
    """Count `by` workloads whose field `name` the source lacks, and the rule (a sentence) that filled it."""
    if by:
        bump(result.missing.setdefault(name, {}), rule, by)


def storage_default_rule(what: str, default_gb: Optional[float]) -> tuple[float, str]:
    """The storage given to a server whose source has no disk size, and the rule the summary states for it."""
    if default_gb is not None:
        return default_gb, f"{what} without disk sizes: left at the default of {default_gb:g} GB (--default-storage-gb)"
    return 0.0, (f"{what} without disk sizes: left at 0 GB, so no storage is priced or placed for them "
                 "(--default-storage-gb N fills them)")


UTIL_RULES = {
    "cpu_util_p95": ("CPU utilisation", "sized by the full vCPU allocation"),
    "mem_util_p95": ("memory utilisation", "sized by the full memory allocation"),
}


def note_missing_utilisation(result: ImportResult, what: str, why: str = "") -> None:
    """Count the workloads without cpu_util_p95 or mem_util_p95; each is sized by its full allocation."""
    for name, (measure, rule) in UTIL_RULES.items():
        n = sum(1 for w in result.workloads if w.fields.get(name) is None)
        note_missing(result, name, f"{what} without {measure}{why}: {rule}", n)


def fill_os(fields: dict[str, Any], os_name: str, result: ImportResult, at: tuple[str, int, str], who: str) -> None:
    """Set ``os`` from the OS text, or leave it out with a warning at `at` (origin, row, column) naming `who`."""
    family = os_family(os_name)
    if family:
        fields["os"] = family
        bump(result.counts, f"os {family}")
        return
    bump(result.counts, "os left out (cannot tell Windows from Linux)")
    result.warnings.append(Issue(at[0], at[1], at[2], f"{who}: {unknown_os_message(os_name)}"))


def defaults_for(fields: dict[str, Any], known: Iterable[str] = ()) -> tuple[str, ...]:
    """Fill what the source cannot know; returns the names of the fields defaulted."""
    known = set(known)
    filled = []
    if "app" not in known:
        fields["app"] = fields["id"]
        filled.append("app")
    if "env" not in known:
        fields["env"] = DEFAULT_ENV
        filled.append("env")
    if "criticality" not in known:
        fields["criticality"] = DEFAULT_CRITICALITY
        filled.append("criticality")
    fields.setdefault("data", [])
    fields.setdefault("users", [])
    filled += ["data", "users"]
    return _DEFAULTED.setdefault(tuple(filled), tuple(filled))  # one tuple per combination, not one per workload


_DEFAULTED: dict[tuple[str, ...], tuple[str, ...]] = {}
