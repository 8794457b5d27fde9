"""The few cells an importer needs from each row of a plain sheet, without an object per cell or per row.

A genuine export (RVTools writes a million rows of 60 to 90 columns) has dense rows: one cell per column
from A, each a shared string or a number. Those rows are split once and only the wanted cells decoded, the
common forms inline and anything else through the workbook's own decoder, so a value is exactly what the
general reader gives. A row this reader cannot vouch for (a gap between cells, a sheet past a limit, a
cell the decoder refuses) raises :class:`NotDense`, and the importer reads the sheet the general way, which
reports the problem by row and column as it always has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.base.untrusted import one_line
from planner.inputs.importers.table import Table, _SheetRows, open_input
from planner.inputs.importers.xlsx import (
    _REF,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    XlsxBook,
    column_index,
)

_REF_AT = b'r="'
# How nearly every writer writes a cell: a reference, maybe a style, maybe the shared-string type, a whole number.
_PLAIN = re.compile(rb'r="[A-Z]{1,3}\d+"( s="\d+")?( t="s")?><v>(\d+)</v></c>\s*$').match


class NotDense(Exception):
    """The sheet needs the general reader (or is not a sheet at all)."""


def is_sheet(table: Table) -> bool:
    """Whether `table` is a workbook sheet this reader can stream."""
    return isinstance(table.rows, _SheetRows)


@dataclass
class Columns:
    """The `wanted` columns of some rows: `values[j][r]` is column `wanted[j]` of the row numbered `numbers[r]`."""

    numbers: list[int]
    values: list[list[Any]]


def rows(table: Table, wanted: Sequence[int]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, the values of the `wanted` columns) of every data row, from :func:`columns`."""
    for batch in columns(table, wanted):
        yield from zip(batch.numbers, zip(*batch.values)) if batch.values else ((n, ()) for n in batch.numbers)


# Rows of one width are gathered this many at a time, their cells split once into one list; each wanted
# column is then every width-th piece of it, decoded by Arrow at once.
_BATCH = 8_192
_BATCH_CELLS = 1 << 20  # and at most this many cells, or this many bytes of their XML, however wide the rows
_BATCH_BYTES = 64 << 20
# The plain cell of _PLAIN, for Arrow's regular expressions (RE2): a number of up to 18 digits fits an int64.
_PLAIN_RE2 = r'^r="[A-Z]{1,3}[0-9]+"(?P<s> s="[0-9]+")?(?P<t> t="s")?><v>(?P<v>[0-9]{1,18})</v></c>\s*$'


def columns(table: Table, wanted: Sequence[int]) -> Iterator[Columns]:
    """The values of the `wanted` columns of every data row, a batch of rows at a time; None where a row has no such cell.

    A wanted column below 0 is one the sheet does not have: always None. Batches come in row order.
    """
    sheet = table.rows
    if not isinstance(sheet, _SheetRows):
        raise NotDense("not a workbook sheet")
    with open_input(sheet.path) as fh:
        book = XlsxBook(fh, one_line(sheet.path), decoder=sheet.book)
        reader = _Reader(book.decoder(), list(wanted))
        batch: list[int] = []
        flat: list[bytes] = []  # the cells of the batch's rows, row after row, each `width` wide
        held = 0  # bytes of XML in `flat`
        width = 0
        prefix = b""  # how the last cell of a row `width` wide begins: r="<its column's letters>
        spanned = 0
        for number, raw in book.raw_rows(sheet.sheet, sheet.origin):
            if number == 1:
                continue
            pieces = raw.split(b"<c ")
            n = len(pieces) - 1
            last = pieces[-1]
            if n != width or not (last.startswith(prefix) and last[len(prefix):len(prefix) + 1].isdigit()) \
                    or pieces[0].strip():
                if batch:
                    yield reader.flush(batch, flat, width)
                batch, flat, held = [], [], 0
                where, n = _shape(pieces, number)
                spanned += n
                if n > MAX_COLUMNS or spanned > MAX_CELLS:
                    raise NotDense("past a limit: the general reader says which")
                if where is not None or n == 0:  # a row with gaps, or none: read as it stands
                    width, prefix = 0, b"\0"
                    yield Columns([number], [[v] for v in reader.row(pieces, where, n, number, raw)])
                    continue
                width, prefix = n, b'r="' + _letters(n - 1)
            else:
                spanned += n
                if spanned > MAX_CELLS:
                    raise NotDense("past a limit: the general reader says which")
            batch.append(number)
            del pieces[0]
            flat += pieces
            held += len(raw)
            if len(batch) >= _BATCH or len(flat) >= _BATCH_CELLS or held >= _BATCH_BYTES:
                yield reader.flush(batch, flat, width)
                batch, flat, held = [], [], 0
        if batch:
            yield reader.flush(batch, flat, width)


def release(table: Table) -> None:
    """Let go of the workbook's strings decoded for :func:`columns`, once every sheet that needs them is read."""
    sheet = table.rows
    if isinstance(sheet, _SheetRows) and sheet.book is not None:
        strings = sheet.book.decoder().strings
        if strings is not None:
            strings.release()


def _letters(index: int) -> bytes:
    """0 -> `A`, 16383 -> `XFD`: the inverse of :func:`column_index`."""
    out = b""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = bytes([65 + rest]) + out
    return out


def _shape(pieces: list[bytes], number: int) -> tuple[dict[int, int] | None, int]:
    """Where each cell of a row sits (None: cell k is column k) and the row's width, as the general reader places them."""
    width = len(pieces) - 1
    if width <= 0:
        if pieces[0].strip():
            raise NotDense(f"row {number}: cells this reader does not know")
        return None, 0
    if pieces[0].strip():
        raise NotDense(f"row {number}: cells this reader does not know")
    last = pieces[-1]
    at = last.find(_REF_AT)
    end = last.find(b'"', at + 3)
    letters = last[at + 3:end].rstrip(b"0123456789")
    if at < 0 or not letters.isalpha() or column_index(letters) != width - 1:
        return _placed(pieces)
    return None, width


class _Reader:
    """Decodes cells as the workbook's own decoder would: plain ones in bulk, any other one by one."""

    def __init__(self, decoder: Any, wanted: list[int]):
        self.strings = decoder.strings
        self.count = len(self.strings) if self.strings is not None else 0
        self.general = decoder.value
        self.dates = bool(decoder.dates)
        self.wanted = wanted

    def flush(self, batch: list[int], flat: list[bytes], width: int) -> Columns:
        """The wanted columns of the rows numbered `batch`, each `width` cells wide, whose cells are `flat`."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(batch)
        empty = np.ones(n, dtype=bool)  # rows whose wanted cells are all empty so far
        out = Columns(batch, [])
        for k in self.wanted:
            if not 0 <= k < width:
                out.values.append([None] * n)
                continue
            pieces = flat[k::width]
            found = pc.extract_regex(pa.array(pieces, pa.binary()), _PLAIN_RE2)
            valid = found.is_valid()  # the fields of a piece that did not match hold whatever: read only where valid
            matched = valid.to_numpy(zero_copy_only=False)
            shared = pc.not_equal(found.field("t"), b"").to_numpy(zero_copy_only=False)
            styled = pc.not_equal(found.field("s"), b"").to_numpy(zero_copy_only=False)
            v = pc.if_else(valid, found.field("v"), b"0").cast(pa.string()).cast(pa.int64()).to_numpy()
            strings = matched & shared & (v < self.count)
            numbers = matched & ~shared & ~styled if self.dates else matched & ~shared
            values = np.empty(n, dtype=object)
            picked = np.flatnonzero(strings)
            if len(picked):
                table = self.strings.decoded(v[picked])  # type: ignore[union-attr]
                if self.strings.too_long:  # type: ignore[union-attr]  # those go the general way, which refuses them
                    too_long = self.strings.too_long  # type: ignore[union-attr]
                    keep = np.fromiter((i not in too_long for i in v[picked].tolist()), bool, len(picked))
                    picked = picked[keep]
                    strings[:] = False
                    strings[picked] = True
                values[picked] = [table[i] for i in v[picked].tolist()]
            counted = np.flatnonzero(numbers)
            values[counted] = v[counted].tolist()
            done = strings | numbers
            empty &= ~done
            for r in np.flatnonzero(~done).tolist():
                value = values[r] = self.cell(pieces[r], batch[r])
                if value is not None:
                    empty[r] = False
            out.values.append(values.tolist())
        for r in np.flatnonzero(empty).tolist():
            raw = b"".join(flat[r * width:(r + 1) * width])
            if b"<v>" in raw or b"<is>" in raw or b"<f" in raw:
                raise NotDense(f"row {batch[r]}: cells outside the wanted columns only")  # the general path counts it
        return out

    def row(self, pieces: list[bytes], where: dict[int, int] | None, width: int, number: int, raw: bytes) -> list[Any]:
        """The wanted values of one row read as it stands (gaps between its cells, or no cells)."""
        values = []
        for k in self.wanted:
            j = (k + 1 if 0 <= k < width else None) if where is None else where.get(k)
            values.append(None if j is None else self.cell(pieces[j], number))
        if values.count(None) == len(values) and (b"<v>" in raw or b"<is>" in raw or b"<f" in raw):
            raise NotDense(f"row {number}: cells outside the wanted columns only")  # the general path counts it
        return values

    def cell(self, piece: bytes, number: int) -> Any:
        """One cell's value, as the general reader gives it; NotDense where that reader would have a word to say."""
        m = _PLAIN(piece)
        if m is not None:
            style, shared, v = m.groups()
            if shared:
                i = int(v)
                if i < self.count:
                    text = self.strings.get(i)  # type: ignore[union-attr]
                    if len(text) <= MAX_CELL_CHARS:
                        return text
            elif not (self.dates and style):
                return int(v)
        gt = piece.find(b">")
        if gt <= 0:
            raise NotDense(f"row {number}: a cell this reader does not know")
        if piece[gt - 1] == 47:  # <c r="A2"/>: an empty cell
            return None
        close = piece.rfind(b"</c>")
        if close < gt:
            raise NotDense(f"row {number}: a cell this reader does not know")
        try:
            return self.general(piece[:gt], piece[gt + 1:close], lambda: "")
        except Exception as exc:  # noqa: BLE001 - whatever the general reader refuses, it reports by row and column
            raise NotDense(f"row {number}: {exc}") from None


def _placed(pieces: list[bytes]) -> tuple[dict[int, int], int]:
    """Column -> index in `pieces` of each cell of a row with gaps, and the row's width (as the general reader places them)."""
    where: dict[int, int] = {}
    col = -1
    for j in range(1, len(pieces)):
        piece = pieces[j]
        ref = _REF.search(piece, 0, max(piece.find(b">"), 0))
        col = column_index(ref.group(1)) if ref else col + 1
        where[col] = j
    return where, max(where) + 1


__all__ = ["Columns", "NotDense", "columns", "is_sheet", "release", "rows"]
