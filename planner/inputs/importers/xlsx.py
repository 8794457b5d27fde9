"""A streaming reader of .xlsx sheets that bounds what a workbook can cost before it is opened.

The zip directory is read first: every part's uncompressed size is checked against its limit
and against its compressed size (a zip bomb inflates hundreds of times), so nothing large is
inflated blindly. Sheets are then streamed row by row from their XML, with no regard for the
`dimension` a sheet claims (`A1:XFD1048576` costs nothing); only the rows and cells actually
present are read, and each cell is decoded only when an importer asks for it, so a million-row
RVTools export costs its XML's inflation and a scan, not a Python object per cell. Shared
strings stay as one block of bytes with an offset per string.

Values read as openpyxl reads them with `data_only=False`: numbers (int or float), dates for
date-formatted numbers, booleans, text, and a formula as its `=...` text.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from typing import Any, BinaryIO, Callable, Iterator, Optional, Sequence
from xml.etree import ElementTree as ET

import numpy as np

from planner.base.errors import PlannerError
from planner.inputs.load.files import env_limit

# Limits (see docs/reference/safety.md); each environment variable raises its limit.
MAX_XML_BYTES = env_limit("PLANNER_IMPORT_MAX_XML_BYTES", 8 << 30)  # one sheet's XML, uncompressed
MAX_STRINGS_BYTES = env_limit("PLANNER_IMPORT_MAX_STRINGS_BYTES", 512 << 20)  # the shared strings' XML, uncompressed
MAX_RATIO = env_limit("PLANNER_IMPORT_MAX_ZIP_RATIO", 100)  # uncompressed / compressed, for parts over _RATIO_FROM
MAX_CELLS = env_limit("PLANNER_IMPORT_MAX_CELLS", 400_000_000)  # cells spanned by the rows read, empty ones included
MAX_ROWS = env_limit("PLANNER_IMPORT_MAX_ROWS", 2_000_000)
MAX_COLUMNS = 16_384  # Excel's own limit (column XFD)
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell's text
_RATIO_FROM = 16 << 20  # small parts may compress as well as they like
_SMALL_PART = 16 << 20  # workbook.xml, its relationships, styles.xml: read whole and parsed
_CHUNK = 1 << 22


class TableError(PlannerError, ValueError):
    """A file that cannot (or may not) be read as a table at all; the message names the file and says why."""


XlsxError = TableError


# ------------------------------------------------------------------------------------------- text

_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#\d+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML's escape for characters XML cannot carry


def _entity(m: "re.Match[str]") -> str:
    name = m.group(1)
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
    return _NAMED[name]


def _xml_text(raw: bytes) -> str:
    s = raw.decode("utf-8", errors="replace")
    if "&" in s:
        s = _ENTITY.sub(_entity, s)
    if "_x" in s:
        s = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), s)
    return s


_T = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>|<(?:\w+:)?t(?:\s[^>]*)?/>", re.S)
_RPH = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)  # phonetic runs are not the cell's text


def _rich_text(raw: bytes) -> str:
    if b"rPh" in raw:
        raw = _RPH.sub(b"", raw)
    return "".join(_xml_text(m.group(1) or b"") for m in _T.finditer(raw))


# ------------------------------------------------------------------------------------------ parts

_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError)


class _Parts:
    """The zip's directory, checked: each part read only through :meth:`open` or :meth:`read`, within its limit."""

    def __init__(self, file: BinaryIO, shown: str):
        self.shown = shown
        try:
            self.zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise XlsxError(f"{shown}: not a readable xlsx workbook ({exc.__class__.__name__}: {exc})") from None
        self.info = {i.filename.lstrip("/"): i for i in self.zip.infolist()}

    def _check(self, name: str, limit: int, setting: str) -> zipfile.ZipInfo:
        info = self.info.get(name)
        if info is None:
            raise XlsxError(f"{self.shown}: not a readable xlsx workbook (KeyError: no part {name!r})")
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > limit:
            raise XlsxError(f"{self.shown}: part {name} would inflate to {size:,} bytes, more than the {limit:,} allowed"
                            f"{f' (raise it with {setting})' if setting else ''}; nothing was read")
        if size > _RATIO_FROM and size > MAX_RATIO * packed:
            raise XlsxError(f"{self.shown}: part {name} would inflate from {packed:,} to {size:,} bytes ({size // packed:,} "
                            f"times): a zip bomb or a damaged workbook, refused (a real export compresses far less; "
                            f"PLANNER_IMPORT_MAX_ZIP_RATIO={MAX_RATIO} is the limit)")
        return info

    def _damaged(self, name: str, exc: BaseException) -> XlsxError:
        return XlsxError(f"{self.shown}: not a readable xlsx workbook ({exc.__class__.__name__} in {name}: {exc})")

    def read(self, name: str, limit: int = _SMALL_PART, setting: str = "") -> bytes:
        info = self._check(name, limit, setting)
        try:
            with self.zip.open(info) as fh:
                data = fh.read(limit + 1)
        except _ZIP_ERRORS as exc:
            raise self._damaged(name, exc) from None
        if len(data) > limit:  # the directory lied about the size
            raise XlsxError(f"{self.shown}: part {name} inflates beyond its declared size; a damaged workbook")
        return data

    def open(self, name: str, limit: int, setting: str) -> Iterator[bytes]:
        info = self._check(name, limit, setting)
        seen = 0
        try:
            with self.zip.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    seen += len(chunk)
                    if seen > limit:
                        raise XlsxError(f"{self.shown}: part {name} inflates beyond its declared size; a damaged workbook")
                    yield chunk
        except _ZIP_ERRORS as exc:
            raise self._damaged(name, exc) from None

    def has(self, name: str) -> bool:
        return name in self.info


def _parse(data: bytes, what: str) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # no entity expansion in a workbook's XML
        raise ET.ParseError(f"{what}: a DOCTYPE, which no workbook has")
    return ET.fromstring(data)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el: ET.Element, name: str) -> Optional[str]:
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value
    return None


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = base.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _rels(parts: _Parts, part: str) -> dict[str, str]:
    folder, _, name = part.rpartition("/")
    rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    if not parts.has(rels):
        return {}
    out = {}
    for el in _parse(parts.read(rels), rels).iter():
        if _local(el.tag) == "Relationship" and el.get("Id") and el.get("Target"):
            out[el.get("Id", "")] = _resolve(part, el.get("Target", ""))
    return out


# ----------------------------------------------------------------------------------------- strings

_STRING_CACHE = 200_000
_SI = re.compile(rb"<(?:\w+:)?si(?:\s[^>]*)?/?>")


class _Strings:
    """The shared strings as one block of bytes and an offset per string; each decoded when asked for."""

    def __init__(self, data: bytes):
        self.data = data
        if b":si" not in data and data.count(b"<si") == data.count(b"<si>"):  # every entry opens `<si>`: split, no regex
            sizes = np.fromiter(map(len, data.split(b"<si>")), dtype=np.int64)
            starts = np.cumsum(sizes[:-1] + 4) - 4
        else:
            starts = np.fromiter((m.start() for m in _SI.finditer(data)), dtype=np.int64)
        self.starts = starts
        self.ends = np.append(starts[1:], len(data)) if len(starts) else starts
        self.cache: dict[int, str] = {}  # hosts, clusters, OS names: the strings read again and again
        self._decoded: Optional[list[Optional[str]]] = None  # see decoded()
        self._entries: Any = None
        self.too_long: set[int] = set()  # strings past MAX_CELL_CHARS among those decoded()

    def __len__(self) -> int:
        return len(self.starts)

    def get(self, i: int) -> str:
        hit = self.cache.get(i)
        if hit is not None:
            return hit
        if not 0 <= i < len(self.starts):
            raise IndexError(i)
        entry = self.data[int(self.starts[i]):int(self.ends[i])]
        if entry[:7] == b"<si><t>" and entry.count(b"<") == 4:  # plain text, as most writers write it
            value = _xml_text(entry[7:entry.index(b"<", 7)])
        else:
            value = _rich_text(entry)
        if len(self.cache) < _STRING_CACHE:
            self.cache[i] = value
        return value

    def decoded(self, wanted: "np.ndarray") -> list[Optional[str]]:
        """A list of every string, holding at least those numbered in `wanted` (each decoded once, the others None).

        Plain `<si><t>text</t></si>` strings are decoded by Arrow, and only where :meth:`get` would give the same
        text (no markup, entity or `_xHHHH_` escape inside, valid UTF-8); any other through :meth:`get`.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._decoded is None:
            offsets = np.append(self.starts, len(self.data)).astype(np.int64)
            self._entries = pa.LargeBinaryArray.from_buffers(  # over `data` itself: nothing copied
                pa.large_binary(), len(self.starts), [None, pa.py_buffer(offsets), pa.py_buffer(self.data)])
            self._decoded = [None] * len(self.starts)
        table = self._decoded
        missing = np.array([i for i in np.unique(wanted).tolist() if table[i] is None], dtype=np.int64)
        if not len(missing):
            return table
        entries = self._entries.take(missing)
        inner = pc.binary_slice(entries, 7, -9)
        plain = pc.and_(pc.starts_with(entries, "<si><t>"), pc.ends_with(entries, "</t></si>"))
        for mark in ("<", "&", "_x"):
            plain = pc.and_(plain, pc.invert(pc.match_substring(inner, mark)))
        easy = pc.fill_null(plain, False).to_numpy(zero_copy_only=False)
        try:
            texts = inner.cast(pa.large_string()).to_pylist()
        except pa.ArrowInvalid:  # a string that is not UTF-8: each of these read the general way
            easy[:] = False
            texts = []
        for k, i in enumerate(missing.tolist()):
            value = table[i] = texts[k] if easy[k] else self.get(i)
            if len(value) > MAX_CELL_CHARS:  # type: ignore[arg-type]
                self.too_long.add(i)
        return table

    def release(self) -> None:
        """Forget what :meth:`decoded` holds (a million addresses and names at most); it is rebuilt when asked again."""
        self._decoded, self._entries = None, None


# --------------------------------------------------------------------------------------- date styles

def _date_styles(parts: _Parts, name: Optional[str]) -> frozenset[int]:
    """Indices of the cell formats that show a number as a date or time."""
    if not name or not parts.has(name):
        return frozenset()
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    root = _parse(parts.read(name), name)
    custom = {}
    for el in root.iter():
        if _local(el.tag) == "numFmt" and el.get("numFmtId", "").isdigit():
            custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
    dates = set()
    for el in root.iter():
        if _local(el.tag) != "cellXfs":
            continue
        for i, xf in enumerate(x for x in el if _local(x.tag) == "xf"):
            fid = xf.get("numFmtId", "0")
            code = custom.get(int(fid)) if fid.isdigit() else None
            if code is None and fid.isdigit():
                code = BUILTIN_FORMATS.get(int(fid), "")
            if code and is_date_format(code):
                dates.add(i)
        break
    return frozenset(dates)


# ------------------------------------------------------------------------------------------ cells

_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})(\d*)["']""")
_ROWNUM = re.compile(rb"""\br\s*=\s*["'](\d{1,9})["']""")
_TYPE = re.compile(rb"""\bt\s*=\s*["'](\w+)["']""")
_STYLE = re.compile(rb"""\bs\s*=\s*["'](\d{1,9})["']""")
_V = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>", re.S)
_F = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_IS = re.compile(rb"<(?:\w+:)?is\b.*?</(?:\w+:)?is>", re.S)
_ROW_START = re.compile(rb"<(?:\w+:)?row\b")
_MAX_ROW_BYTES = 256 << 20
_FIRST_DAY = dt.datetime(1899, 12, 30)


def column_index(letters: bytes) -> int:
    """`A` -> 0, `XFD` -> 16383."""
    n = 0
    for c in letters.upper():
        n = n * 26 + (c - 64)
    return n - 1


class _Book:
    """What decoding a cell needs: the shared strings and which styles are dates."""

    def __init__(self, shown: str, strings: Optional[_Strings], dates: frozenset[int]):
        self.shown = shown
        self.strings = strings
        self.dates = dates

    def value(self, attrs: bytes, inner: bytes, where: Callable[[], str]) -> Any:
        if not inner:
            return None
        if b"<f" in inner or b":f" in inner:
            formula = _F.search(inner)
            if formula:
                return "=" + (_xml_text(formula.group(1)) if formula.group(1) else "")
        if b"t=" in attrs:
            t = _TYPE.search(attrs)
            kind = t.group(1) if t else b"n"
        else:
            kind = b"n"
        if kind == b"inlineStr":
            found = _IS.search(inner)
            return self._text(_rich_text(found.group()) if found else "", where)
        if inner[:3] == b"<v>" and inner[-4:] == b"</v>":  # how nearly every writer writes a value
            raw = inner[3:-4]
        else:
            v = _V.search(inner)
            if v is None:
                return None
            raw = v.group(1)
        if kind == b"s":
            if self.strings is not None and raw.isdigit() and int(raw) < len(self.strings):
                return self._text(self.strings.get(int(raw)), where)
            raise XlsxError(f"{self.shown}{where()}: a shared string that the workbook does not hold")
        if kind in (b"str", b"e"):
            return self._text(_xml_text(raw), where)
        if kind == b"b":
            return raw.strip() in (b"1", b"true")
        if kind == b"d":
            try:
                return dt.datetime.fromisoformat(_xml_text(raw).strip())
            except ValueError:
                return _xml_text(raw)
        number: Any
        if raw.isdigit():
            number = int(raw)
        else:
            text = raw.strip()
            try:
                number = int(text) if text.lstrip(b"-+").isdigit() else float(text)
            except ValueError:
                return self._text(_xml_text(raw), where)
        if self.dates and b"s=" in attrs:
            style = _STYLE.search(attrs)
            if style and int(style.group(1)) in self.dates:
                try:
                    return _FIRST_DAY + dt.timedelta(days=float(number))
                except (OverflowError, ValueError):
                    return number
        return number

    def _text(self, s: str, where: Callable[[], str]) -> str:
        if len(s) > MAX_CELL_CHARS:
            raise XlsxError(f"{self.shown}{where()}: a cell of {len(s):,} characters; a cell holds at most "
                            f"{MAX_CELL_CHARS:,} (Excel's own limit)")
        return s


class XlsxRow(Sequence[Any]):
    """One row's cells, decoded when read: index i is column i (None where the row has no cell)."""

    __slots__ = ("_book", "_cells", "_at", "_width", "_number", "_header", "_memo")

    def __init__(self, book: _Book, cells: list[tuple[bytes, bytes]], at: Optional[dict[int, int]], width: int,
                 number: int, header: Sequence[str]):
        self._book, self._cells, self._at, self._width, self._number, self._header = book, cells, at, width, number, header
        self._memo: dict[int, Any] = {}  # an importer reads some cells several times

    def __len__(self) -> int:
        return self._width

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._width))]
        if i < 0:
            i += self._width
        if not 0 <= i < self._width:
            raise IndexError(i)
        if i in self._memo:
            return self._memo[i]
        k = i if self._at is None else self._at.get(i)
        if k is None:
            return None
        attrs, inner = self._cells[k]
        value = self._memo[i] = self._book.value(attrs, inner, lambda: self._where(i))
        return value

    def _where(self, i: int) -> str:
        name = self._header[i] if i < len(self._header) and self._header[i] else f"column {i + 1}"
        return f":{self._number}: column {name!r}"


def _cells(raw: bytes, shown: str, number: int) -> tuple[list[tuple[bytes, bytes]], Optional[dict[int, int]], int]:
    """A row's cells, where each sits (None: one cell per column from A), and the row's width."""
    cells = _CELL.findall(raw) if raw else []
    if not cells:
        return cells, None, 0
    last = _REF.search(cells[-1][0])
    width = column_index(last.group(1)) + 1 if last else len(cells)
    if width == len(cells):
        return cells, None, width  # the usual dense row: cell k is column k
    at: dict[int, int] = {}
    col = -1
    for k, (attrs, _) in enumerate(cells):
        ref = _REF.search(attrs)
        col = column_index(ref.group(1)) if ref else col + 1
        at[col] = k
    width = max(at) + 1
    return cells, at, width


# ------------------------------------------------------------------------------------------ book

class XlsxBook:
    """An xlsx workbook read from an open file: its sheet names, and each sheet's rows streamed."""

    def __init__(self, file: BinaryIO, shown: str, decoder: "Optional[XlsxBook]" = None):
        """`decoder`: the same workbook opened before, whose shared strings and styles are reused rather than read again."""
        self.shown = shown
        self.parts = _Parts(file, shown)
        try:
            main = self._main()
            rels = _rels(self.parts, main)
            root = _parse(self.parts.read(main), main)
        except (ET.ParseError, KeyError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise XlsxError(f"{shown}: not a readable xlsx workbook ({exc.__class__.__name__}: {exc})") from None
        self.sheets: dict[str, str] = {}
        for el in root.iter():
            if _local(el.tag) == "sheet":
                rid = _attr(el, "id")
                name = el.get("name", "")
                if rid in rels and name not in self.sheets:
                    self.sheets[name] = rels[rid]
        self.sheetnames = list(self.sheets)
        self._strings_part = next((t for t in rels.values() if t.lower().endswith("sharedstrings.xml")), None)
        self._styles_part = next((t for t in rels.values() if t.lower().endswith("styles.xml")), None)
        self._book: Optional[_Book] = decoder._decoder() if decoder is not None else None

    def _main(self) -> str:
        rels = {}
        if self.parts.has("_rels/.rels"):
            root = _parse(self.parts.read("_rels/.rels"), "_rels/.rels")
            for el in root.iter():
                if _local(el.tag) == "Relationship" and el.get("Type", "").endswith("/officeDocument"):
                    rels["main"] = _resolve("", el.get("Target", ""))
        return rels.get("main", "xl/workbook.xml")

    def _decoder(self) -> _Book:
        if self._book is None:
            try:
                dates = _date_styles(self.parts, self._styles_part)
            except ET.ParseError as exc:
                raise XlsxError(f"{self.shown}: not a readable xlsx workbook (ParseError: {exc})") from None
            strings = None
            if self._strings_part and self.parts.has(self._strings_part):
                strings = _Strings(self.parts.read(self._strings_part, MAX_STRINGS_BYTES, "PLANNER_IMPORT_MAX_STRINGS_BYTES"))
            self._book = _Book(self.shown, strings, dates)
        return self._book

    def rows(self, sheet: str, origin: str) -> Iterator[tuple[int, Sequence[Any]]]:
        """(row number, cells) for every row the sheet holds, in order; the header row's cells decoded."""
        book = self._decoder()
        part = self.sheets[sheet]
        header: list[str] = []  # filled in place from row 1, so every row's messages can name its columns
        spanned = 0
        previous = 0
        rest = b""
        for chunk in self.parts.open(part, MAX_XML_BYTES, "PLANNER_IMPORT_MAX_XML_BYTES"):
            buffer = rest + chunk
            starts = [m.start() for m in _ROW_START.finditer(buffer)]
            cut = starts[-1] if starts else 0  # whatever comes before the last row's start is whole rows
            whole, rest = buffer[:cut], buffer[cut:]
            if len(rest) > _MAX_ROW_BYTES:
                raise XlsxError(f"{origin}: a row of more than {_MAX_ROW_BYTES:,} bytes of XML; a damaged or hostile sheet")
            for number, row in self._parse_rows(whole, book, origin, previous, header):
                previous = number
                spanned += len(row)
                if spanned > MAX_CELLS:
                    raise XlsxError(f"{origin}: more than {MAX_CELLS:,} cells by row {number:,}, empty ones between "
                                    f"cells included; raise PLANNER_IMPORT_MAX_CELLS to read it")
                if number == 1:
                    header[:] = ["" if h is None else str(h).strip() for h in row]
                yield number, row
        for number, row in self._parse_rows(rest, book, origin, previous, header):
            if number == 1:
                header[:] = ["" if h is None else str(h).strip() for h in row]
            yield number, row

    def _parse_rows(self, whole: bytes, book: _Book, origin: str, previous: int,
                    header: Sequence[str]) -> Iterator[tuple[int, XlsxRow]]:
        for number, raw in _numbered(whole, origin, previous):
            cells, at, width = _cells(raw, origin, number)
            if width > MAX_COLUMNS:
                raise XlsxError(f"{origin}:{number}: a cell in column {width:,}; a sheet has at most {MAX_COLUMNS:,} columns")
            yield number, XlsxRow(book, cells, at, width, number, header)

    def raw_rows(self, sheet: str, origin: str) -> Iterator[tuple[int, bytes]]:
        """(row number, the row's inner XML) for every row, in order, within the same bounds as :meth:`rows`.

        For a reader that decodes only the cells it needs (see :mod:`planner.inputs.importers.dense`); the
        cells-spanned and columns limits are that reader's to check, as it is the one that counts cells.
        """
        part = self.sheets[sheet]
        previous = 0
        rest = b""
        for chunk in self.parts.open(part, MAX_XML_BYTES, "PLANNER_IMPORT_MAX_XML_BYTES"):
            buffer = rest + chunk
            plain = b":row" not in buffer  # no namespace prefix: rows found by plain search, not a regex
            if plain:
                cut = max(buffer.rfind(b"<row"), 0)
            else:
                starts = [m.start() for m in _ROW_START.finditer(buffer)]
                cut = starts[-1] if starts else 0
            whole, rest = buffer[:cut], buffer[cut:]
            if len(rest) > _MAX_ROW_BYTES:
                raise XlsxError(f"{origin}: a row of more than {_MAX_ROW_BYTES:,} bytes of XML; a damaged or hostile sheet")
            for number, raw in (_split_rows if plain else _numbered)(whole, origin, previous):
                previous = number
                yield number, raw
        yield from _numbered(rest, origin, previous)

    def decoder(self) -> "_Book":
        """The shared strings and date styles that decode this workbook's cells."""
        return self._decoder()


def _split_rows(whole: bytes, origin: str, previous: int) -> Iterator[tuple[int, bytes]]:
    """:func:`_numbered` for rows written `<row ...>...</row>` without a prefix, found by splitting, not a regex."""
    for seg in whole.split(b"</row>"):
        start = seg.find(b"<row")
        if start < 0:
            continue
        gt = seg.find(b">", start)
        if gt < 0 or seg[gt - 1] == 47 or seg.find(b"<row", start + 4) >= 0:  # an empty `<row/>` among them
            for number, raw in _numbered(seg + b"</row>", origin, previous):
                previous = number
                yield number, raw
            continue
        num = _ROWNUM.search(seg, start, gt)
        number = int(num.group(1)) if num else previous + 1
        if number <= previous:
            raise XlsxError(f"{origin}: row {number} comes after row {previous}; a damaged sheet")
        if number > MAX_ROWS:
            raise XlsxError(f"{origin}: a row numbered {number:,}; at most {MAX_ROWS:,} rows are read "
                            f"(raise PLANNER_IMPORT_MAX_ROWS)")
        previous = number
        yield number, seg[gt + 1:]


def _numbered(whole: bytes, origin: str, previous: int) -> Iterator[tuple[int, bytes]]:
    """(number, inner XML) of each row in `whole`, numbers checked to rise and to stay within :data:`MAX_ROWS`."""
    for m in _ROW.finditer(whole):
        num = _ROWNUM.search(m.group(1))
        number = int(num.group(1)) if num else previous + 1
        if number <= previous:
            raise XlsxError(f"{origin}: row {number} comes after row {previous}; a damaged sheet")
        if number > MAX_ROWS:
            raise XlsxError(f"{origin}: a row numbered {number:,}; at most {MAX_ROWS:,} rows are read "
                            f"(raise PLANNER_IMPORT_MAX_ROWS)")
        previous = number
        yield number, m.group(2) or b""


__all__ = ["MAX_CELLS", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_RATIO", "MAX_ROWS", "MAX_STRINGS_BYTES", "MAX_XML_BYTES",
           "TableError", "XlsxBook", "XlsxError", "XlsxRow", "column_index"]
