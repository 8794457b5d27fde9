"""Rows from a CSV file or a spreadsheet sheet, each with the row number a person sees.

Row 1 is the header; cells come back as read (text from CSV; numbers, booleans, dates or
text from xlsx). A formula in an xlsx is kept as its ``=...`` text, never its cached value,
so an importer can refuse it instead of trusting a value Excel may not have recalculated.
Whether a file is a workbook is told by its first bytes, not its name: an export saved as
``servers.csv`` that is really an xlsx is still read as one.

Every input is opened through one door (:func:`open_input`): a regular file within
:data:`MAX_BYTES`, else a :class:`TableError` saying what it is. Rows are streamed, never held
whole: a CSV row by row (at most :data:`planner.inputs.importers.xlsx.MAX_ROWS` rows of at most
16,384 cells), a sheet through :mod:`planner.inputs.importers.xlsx`, each time the rows are iterated.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Iterable, Iterator, Optional, Sequence

from planner.base.untrusted import one_line
from planner.inputs.importers.xlsx import MAX_COLUMNS, MAX_ROWS, TableError, XlsxBook
from planner.inputs.load.files import RefusedFile, env_limit, open_regular

Cell = Any
MAX_BYTES = env_limit("PLANNER_IMPORT_MAX_BYTES", 4 << 30)  # an input file on disk (CSV or workbook)
BYTES_SETTING = "PLANNER_IMPORT_MAX_BYTES"
_HEAD = 1 << 16


@dataclass
class Table:
    """A header and its data rows (read as they are iterated); `origin` names the file (and sheet) in messages."""

    origin: str
    header: list[str]
    rows: Iterable[tuple[int, Sequence[Cell]]]


def _sniff_delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses `;` or a tab (Excel in many European locales)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def open_input(path: Path) -> BinaryIO:
    """An importer's input file opened if it is a regular file within :data:`MAX_BYTES`; else a TableError saying why."""
    try:
        return open_regular(path, MAX_BYTES, BYTES_SETTING)
    except RefusedFile as exc:
        raise TableError(f"{one_line(path)}: {exc.strerror}") from None


def _encoding(path: Path, head: bytes) -> str:
    """The text encoding of a CSV file: UTF-16 by its BOM or its NUL pattern, UTF-8 when every byte is, else Windows-1252."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if sample and b"\x00" in sample:
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return "utf-16-le"
        if even > len(sample) // 4 and odd == 0:
            return "utf-16-be"
        raise TableError(f"{one_line(path)}: not a text CSV file (it contains NUL bytes, and is not UTF-16 text)")
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open_input(path) as fh:
        try:
            while chunk := fh.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


class _CsvRows:
    """The data rows of a CSV file, read from disk each time they are iterated (memory stays one row)."""

    def __init__(self, path: Path, encoding: str, delimiter: str, width: int):
        self.path, self.encoding, self.delimiter, self.width = path, encoding, delimiter, width

    def _reader(self, fh: BinaryIO) -> Any:
        text = io.TextIOWrapper(fh, encoding=self.encoding, errors="replace", newline="")
        return csv.reader(text, delimiter=self.delimiter)

    def header(self) -> list[str]:
        with open_input(self.path) as fh:
            reader = self._reader(fh)
            try:
                return next(reader)
            except StopIteration:
                raise TableError(f"{one_line(self.path)}: the file is empty; expected a header row") from None
            except csv.Error as exc:
                raise TableError(f"{one_line(self.path)}:1: not readable as CSV ({_csv_reason(exc)})") from None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        shown = one_line(self.path)
        with open_input(self.path) as fh:
            reader = self._reader(fh)
            pending: Optional[tuple[int, int, list[str]]] = None
            line = 0
            try:
                next(reader, None)
                line = reader.line_num
                for number, row in enumerate(reader, start=2):
                    if number > MAX_ROWS + 1:
                        raise TableError(f"{shown}: more than {MAX_ROWS:,} rows; raise PLANNER_IMPORT_MAX_ROWS to read it")
                    if len(row) > MAX_COLUMNS:
                        raise TableError(f"{shown}:{number}: {len(row):,} cells in one row; at most {MAX_COLUMNS:,} are read")
                    if pending is not None:
                        yield pending[0], pending[2]
                    pending = (number, line + 1, row)
                    line = reader.line_num
            except csv.Error as exc:
                start = f" (is a quote opened on line {line + 1} never closed?)" if "field limit" in str(exc) else ""
                raise TableError(f"{shown}:{reader.line_num}: not readable as CSV ({_csv_reason(exc)}){start}") from None
            if pending is not None:
                number, first_line, row = pending
                if len(row) < self.width and any("\n" in c or "\r" in c for c in row):
                    raise TableError(f"{shown}:{first_line}: a quote opened on line {first_line} is never closed: the rest "
                                     "of the file reads as one cell; close the quote, or remove it")
                yield number, row


def _csv_reason(exc: Exception) -> str:
    text = str(exc)
    if "field limit" in text:
        return f"a cell of more than {csv.field_size_limit():,} characters"
    return text


def read_csv(path: Path) -> Table:
    """A CSV file (UTF-8 with or without BOM, UTF-16, else Windows-1252) as a table whose rows stream from disk."""
    shown = one_line(path)
    with open_input(path) as fh:
        head = fh.read(_HEAD)
    kind = workbook_kind(head[:8])
    if kind:
        raise TableError(f"{shown}: not a text CSV file (it is {kind})")
    encoding = _encoding(path, head)
    first = head.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    rows = _CsvRows(path, encoding, _sniff_delimiter(first), 0)
    header = rows.header()
    if len(header) > MAX_COLUMNS:
        raise TableError(f"{shown}:1: the header has {len(header):,} columns; at most {MAX_COLUMNS:,} are read "
                         "(is this a CSV export of servers?)")
    header = [h.strip() for h in header]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:].strip()
    rows.width = len(header)
    return Table(str(path), header, rows)


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
    with open_input(path) as f:
        return workbook_kind(f.read(8)) is not None


class Workbook:
    """An xlsx opened once: its sheet names, each sheet's header, and any sheet as a Table whose rows stream."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = open_input(self.path)  # a file object, so the workbook is judged by its bytes, not its name
        try:
            self._book = _open_workbook(self.path, self._file)
        except BaseException:
            self._file.close()
            raise
        self.sheetnames: list[str] = list(self._book.sheetnames)

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, kind: Optional[type], exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        """Nothing more is read through this handle; tables already made read the file again as they are iterated."""
        self._file.close()

    def listing(self) -> str:
        """The sheet names for a message: 'Properties, Discovery_Report'."""
        return ", ".join(shown(n) for n in self.sheetnames)

    def header(self, name: str) -> list[str]:
        """The first row of a sheet as header text ([] for an empty sheet or one whose first row is empty)."""
        for number, row in self._book.rows(name, self._origin(name)):
            return _header(row) if number == 1 else []
        return []

    def table(self, name: str) -> Table:
        """A whole sheet; an empty one is an error (it has no header to read)."""
        origin = self._origin(name)
        first = next(iter(self._book.rows(name, origin)), None)
        if first is None:
            raise TableError(f"{origin}: the sheet is empty; expected a header row")
        header = _header(first[1]) if first[0] == 1 else []
        return Table(origin, header, _SheetRows(self.path, self._book, name, origin))

    def _origin(self, name: str) -> str:
        return f"{one_line(self.path)}[{shown(name)}]"


class _SheetRows:
    """A sheet's data rows (every row after the first), streamed from the workbook file each time they are iterated."""

    def __init__(self, path: Path, book: XlsxBook, sheet: str, origin: str):
        self.path, self.book, self.sheet, self.origin = path, book, sheet, origin

    def __iter__(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        with open_input(self.path) as fh:
            book = XlsxBook(fh, one_line(self.path), decoder=self.book)
            for number, row in book.rows(self.sheet, self.origin):
                if number > 1:
                    yield number, row


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
            raise TableError(f"{one_line(path)}: no sheet {one_line(repr(missing[0]))} (the workbook has: {wb.listing()})")
        return {name: wb.table(name) for name in sheets if name in wb.sheetnames}


def _open_workbook(path: Path, file: BinaryIO) -> XlsxBook:
    kind = workbook_kind(file.read(8))
    file.seek(0)
    if kind and kind != "an xlsx workbook":
        raise TableError(f"{one_line(path)}: {kind}, which cannot be read: save it in Excel as .xlsx (without a password)")
    return XlsxBook(file, one_line(path))
