"""Rows from a CSV file or a spreadsheet sheet, each with the row number a person sees.

Row 1 is the header; cells come back as read (text from CSV; numbers, booleans, dates or
text from xlsx). A formula in an xlsx is kept as its ``=...`` text, never its cached value,
so an importer can refuse it instead of trusting a value Excel may not have recalculated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

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


def read_xlsx(path: Path, sheets: Sequence[str], required: Sequence[str] = ()) -> dict[str, Table]:
    """The named sheets of a workbook as tables, opening it once; a missing `required` sheet is an error."""
    wb = _open_workbook(path)
    try:
        missing = [name for name in required if name not in wb.sheetnames]
        if missing:
            raise TableError(f"{path}: no sheet {missing[0]!r} (the workbook has: {', '.join(wb.sheetnames)})")
        tables: dict[str, Table] = {}
        for name in sheets:
            if name not in wb.sheetnames:
                continue
            values = wb[name].iter_rows(values_only=True)
            header_row = next(values, None)
            if header_row is None:
                raise TableError(f"{path}[{name}]: the sheet is empty; expected a header row")
            header = ["" if h is None else str(h).strip() for h in header_row]
            tables[name] = Table(f"{path}[{name}]", header, list(enumerate(values, start=2)))
        return tables
    finally:
        wb.close()


def _open_workbook(path: Path) -> Any:
    import zipfile

    from openpyxl import load_workbook

    try:
        # data_only=False: a formula reads as its text, so it can be refused rather than trusted.
        return load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"{path}: not a readable xlsx workbook ({exc.__class__.__name__}: {exc})") from None
