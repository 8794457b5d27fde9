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
from typing import Any

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


def columns(table: Table, wanted: Sequence[int]) -> Iterator[tuple[int, list[Any]]]:
    """(row number, the values of the `wanted` columns) of every data row; None where a row has no such cell.

    A wanted column below 0 is one the sheet does not have: always None.
    """
    rows = table.rows
    if not isinstance(rows, _SheetRows):
        raise NotDense("not a workbook sheet")
    with open_input(rows.path) as fh:
        book = XlsxBook(fh, one_line(rows.path), decoder=rows.book)
        decoder = book.decoder()
        strings = decoder.strings
        n_strings = len(strings) if strings is not None else 0
        known = strings.cache if strings is not None else {}  # the strings decoded so far, read without a call
        general = decoder.value
        dates = bool(decoder.dates)
        blank: list[Any] = [None] * len(wanted)
        spanned = 0
        for number, raw in book.raw_rows(rows.sheet, rows.origin):
            if number == 1:
                continue
            pieces = raw.split(b"<c ")
            width = len(pieces) - 1
            if width <= 0:
                if raw.strip():
                    raise NotDense(f"row {number}: cells this reader does not know")
                yield number, list(blank)
                continue
            if pieces[0].strip():
                raise NotDense(f"row {number}: cells this reader does not know")
            last = pieces[-1]
            at = last.find(_REF_AT)
            end = last.find(b'"', at + 3)
            letters = last[at + 3:end].rstrip(b"0123456789")
            where: dict[int, int] | None = None  # column -> piece, for a row with gaps between its cells
            if at < 0 or not letters.isalpha() or column_index(letters) != width - 1:
                where, width = _placed(pieces)
            spanned += width
            if width > MAX_COLUMNS or spanned > MAX_CELLS:
                raise NotDense("past a limit: the general reader says which")
            values = []
            for k in wanted:
                j = (k + 1 if 0 <= k < width else None) if where is None else where.get(k)
                if j is None:
                    values.append(None)
                    continue
                piece = pieces[j]
                m = _PLAIN(piece)
                if m is not None:
                    style, shared, v = m.groups()
                    if shared:
                        i = int(v)
                        if i < n_strings:
                            text = known.get(i) or strings.get(i)  # type: ignore[union-attr]
                            if len(text) <= MAX_CELL_CHARS:
                                values.append(text)
                                continue
                    elif not (dates and style):
                        values.append(int(v))
                        continue
                gt = piece.find(b">")
                if gt <= 0:
                    raise NotDense(f"row {number}: a cell this reader does not know")
                if piece[gt - 1] == 47:  # <c r="A2"/>: an empty cell
                    values.append(None)
                    continue
                close = piece.rfind(b"</c>")
                if close < gt:
                    raise NotDense(f"row {number}: a cell this reader does not know")
                attrs, inner = piece[:gt], piece[gt + 1:close]
                try:
                    values.append(general(attrs, inner, lambda: ""))
                except Exception as exc:  # noqa: BLE001 - whatever the general reader refuses, it reports by row and column
                    raise NotDense(f"row {number}: {exc}") from None
            if values.count(None) == len(values) and (b"<v>" in raw or b"<is>" in raw or b"<f" in raw):
                raise NotDense(f"row {number}: cells outside the wanted columns only")  # the general path counts it
            yield number, values


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


__all__ = ["NotDense", "columns", "is_sheet"]
