"""Rows from a CSV file or a spreadsheet sheet, each with the row number a person sees.

Row 1 is the header; cells come back as read (text from CSV; numbers, booleans, dates or
text from xlsx). A formula in an xlsx is kept as its ``=...`` text, never its cached value,
so an importer can refuse it instead of trusting a value Excel may not have recalculated.
Whether a file is a workbook is told by its first bytes, not its name: an export saved as
``servers.csv`` that is really an xlsx is still read as one.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Optional, Sequence

Cell = Any


class TableError(ValueError):
    """A file that cannot be read as a table at all."""


@dataclass
class Table:
    """A header and its data rows; `origin` names the file (and sheet) in messages."""

    origin: str
    header: list[str]
    rows: Sequence[tuple[int, Sequence[Cell]]]


def _sniff_delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses `;` or a tab (Excel in many European locales)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv(path: Path) -> Table:
    """A CSV file (UTF-8 with or without BOM, else Windows-1252) as a table."""
    raw = Path(path).read_bytes()
    kind = workbook_kind(raw[:8])
    if kind:
        raise TableError(f"{path}: not a text CSV file (it is {kind})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise TableError(f"{path}: not a text CSV file (it contains NUL bytes; is it an xlsx?)")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first))
    try:
        header = next(reader)
    except StopIteration:
        raise TableError(f"{path}: the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise TableError(f"{path}:1: not readable as CSV ({exc})") from None
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, row in enumerate(reader, start=2):
            rows.append((number, row))
    except csv.Error as exc:
        raise TableError(f"{path}:{reader.line_num}: not readable as CSV ({exc})") from None
    return Table(str(path), [h.strip() for h in header], rows)


_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and any password-protected workbook


def workbook_kind(first_bytes: bytes) -> Optional[str]:
    """What kind of workbook a file's first bytes announce: an xlsx (zip), a legacy or encrypted one, or None."""
    if first_bytes.startswith(_ZIP):
        return "an xlsx workbook"
    if first_bytes.startswith(_OLE):
        return "a legacy .xls or password-protected workbook"
    return None


def is_workbook(path: Path) -> bool:
    """A spreadsheet by its name (.xlsx, .xlsm, .xls) or by its first bytes, whatever its name says."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return True
    with open(path, "rb") as f:
        return workbook_kind(f.read(8)) is not None


class Workbook:
    """An xlsx opened once: its sheet names, each sheet's header, and any sheet as a Table."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")  # a file object, so openpyxl does not judge the file by its name
        try:
            self._wb = _open_workbook(self.path, self._file)
        except BaseException:
            self._file.close()
            raise
        self.sheetnames: list[str] = list(self._wb.sheetnames)

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, kind: Optional[type], exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._wb.close()
        finally:
            self._file.close()

    def listing(self) -> str:
        """The sheet names for a message: 'Properties, Discovery_Report'."""
        return ", ".join(shown(n) for n in self.sheetnames)

    def header(self, name: str) -> list[str]:
        """The first row of a sheet as header text ([] for an empty sheet)."""
        rows = self._rows(name, max_row=1)
        return _header(rows[0]) if rows else []

    def table(self, name: str) -> Table:
        """A whole sheet; an empty one is an error (it has no header to read)."""
        rows = self._rows(name)
        if not rows:
            raise TableError(f"{self.path}[{shown(name)}]: the sheet is empty; expected a header row")
        return Table(f"{self.path}[{shown(name)}]", _header(rows[0]), list(enumerate(rows[1:], start=2)))

    def _rows(self, name: str, max_row: Optional[int] = None) -> list[tuple[Cell, ...]]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl's style warnings are not the user's problem
                return list(self._wb[name].iter_rows(values_only=True, max_row=max_row))
        except Exception as exc:  # openpyxl and its XML parser raise many kinds for a damaged sheet
            raise TableError(f"{self.path}[{shown(name)}]: not a readable sheet ({exc.__class__.__name__}: {exc})") from None


def shown(name: str) -> str:
    """A sheet name as messages print it: a workbook's text is untrusted, so control characters become spaces."""
    return "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" else c for c in name)


def _header(row: Sequence[Cell]) -> list[str]:
    return ["" if h is None else str(h).strip() for h in row]


def read_xlsx(path: Path, sheets: Sequence[str], required: Sequence[str] = ()) -> dict[str, Table]:
    """The named sheets of a workbook as tables, opening it once; a missing `required` sheet is an error."""
    with Workbook(path) as wb:
        missing = [name for name in required if name not in wb.sheetnames]
        if missing:
            raise TableError(f"{path}: no sheet {missing[0]!r} (the workbook has: {wb.listing()})")
        return {name: wb.table(name) for name in sheets if name in wb.sheetnames}


def _open_workbook(path: Path, file: BinaryIO) -> Any:
    from openpyxl import load_workbook

    kind = workbook_kind(file.read(8))
    file.seek(0)
    if kind and kind != "an xlsx workbook":
        raise TableError(f"{path}: {kind}, which cannot be read: save it in Excel as .xlsx (without a password)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # data_only=False: a formula reads as its text, so it can be refused rather than trusted.
            return load_workbook(file, read_only=True, data_only=False)
    except Exception as exc:  # BadZipFile, KeyError for a missing part, openpyxl's own, XML parse errors
        raise TableError(f"{path}: not a readable xlsx workbook ({exc.__class__.__name__}: {exc})") from None
