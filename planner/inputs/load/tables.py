"""Workloads, dependencies and users tables (CSV or Parquet) read as typed rows, vectorised.

pyarrow reads the file in blocks; every column is checked per block as an array (numbers by a
pattern, ids by a pattern, list cells split once per distinct cell), so no Python runs per
row. Errors name the file, the row as a person sees it (CSV: the spreadsheet row, the header
being row 1; Parquet: `row N`, the first data row being 1) and the column, as
`file:row: column 'x': message`. A file that is not a table at all, or whose header is wrong,
is one error and is not read further, so a huge file of garbage costs little.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from planner.base.bounded import open_regular
from planner.base.errors import Issue
from planner.inputs.load.files import InventoryFile
from planner.inputs.load.rows import (
    MAX_ISSUES_PER_FILE,
    Interned,
    Issues,
    Rows,
    Source,
    concat_rows,
)
from planner.inputs.load.schema import (
    DEP_NUM,
    DEP_SPECS,
    DEP_TEXT,
    SPECS,
    USER_NUM,
    USER_SPECS,
    USER_TEXT,
    WORKLOAD_NUM,
    WORKLOAD_TEXT,
    FieldSpec,
    text_problem,
)
from planner.inputs.load.yaml_workloads import suggest
from planner.inputs.table_format import LIST_SEPARATOR, REQUIRED

_NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
_BLOCK = 1 << 24  # bytes per CSV block: memory stays bounded whatever the file's size
_BATCH = 1 << 16  # rows per Parquet batch


@dataclass(frozen=True)
class _Kind:
    """How a table kind's columns map to the typed rows' columns."""

    text: tuple[str, ...]
    num: tuple[str, ...]
    specs: dict[str, FieldSpec]
    rename: dict[str, str]  # table column -> typed column

    def columns(self) -> tuple[str, ...]:
        back = {v: k for k, v in self.rename.items()}
        return tuple(back.get(c, c) for c in (*self.text, *self.num))


_KINDS = {
    "workloads": _Kind(WORKLOAD_TEXT, WORKLOAD_NUM, SPECS, {}),
    "dependencies": _Kind(DEP_TEXT, DEP_NUM, DEP_SPECS, {"workload": "source", "depends_on": "target"}),
    "users": _Kind(USER_TEXT, USER_NUM, USER_SPECS, {}),
}


def read_tables(files: list[InventoryFile], issues: Issues) -> dict[str, list[Rows]]:
    """Typed rows of every table file, by kind (`workloads`, `dependencies`, `users`)."""
    out: dict[str, list[Rows]] = {k: [] for k in _KINDS}
    for f in files:
        if f.kind in _KINDS:
            rows = _read(f, _KINDS[f.kind], issues)
            if rows is not None:
                out[f.kind].append(rows)
    return out


@dataclass
class _Reading:
    """One file being read: its source, the blocks typed so far, and its problems."""

    source: Source
    kind: _Kind
    issues: Issues
    blocks: list[Rows] = field(default_factory=list)
    rows_seen: int = 0
    errors: int = 0

    def add(self, issue: Issue) -> None:
        self.errors += 1
        self.issues.add(issue)


def _read(f: InventoryFile, kind: _Kind, issues: Issues) -> Optional[Rows]:
    parquet = f.path.suffix.lower() == ".parquet"
    shown = {typed: col for col, typed in kind.rename.items()}
    source = Source(f.shown, "parquet" if parquet else "csv", first=1 if parquet else 2, shown=shown)
    reading = _Reading(source, kind, issues)
    try:
        ok = _read_parquet(f, reading) if parquet else _read_csv(f, reading)
    except OSError as exc:
        issues.add(Issue(f.shown, 0, "", f"cannot read the file ({exc.strerror or exc})"))
        return None
    if not ok:
        return None
    return concat_rows(reading.blocks, kind.text, kind.num)


def _header(f: InventoryFile, names: list[str], reading: _Reading) -> Optional[list[str]]:
    """The header's columns checked against the kind's: unknown, duplicate and missing required columns are errors."""
    allowed = reading.kind.columns()
    problems = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"column '{name}' appears twice")
        seen.add(name)
        if name not in allowed:
            problems.append(f"unknown column '{name}'{suggest(name, allowed)} (allowed: {', '.join(allowed)})")
    missing = [c for c in REQUIRED[f.kind] if c not in seen]
    if missing:
        problems.append(f"required column(s) missing: {', '.join(missing)}")
    for p in problems:
        reading.add(Issue(f.shown, 1 if reading.source.style == "csv" else 0, "header", p))
    return None if problems else names


# ----------------------------------------------------------------------------------------------- CSV


def _read_csv(f: InventoryFile, reading: _Reading) -> bool:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open_regular(f.path, 1 << 62) as fh:  # no byte cap: rows stream and problems stop the read
        head = fh.read(1 << 16)
    if not head.strip():
        reading.add(Issue(f.shown, 1, "", "the file is empty; a table starts with its header row"))
        return False
    try:
        first = head.decode("utf-8-sig", errors="strict").splitlines()[0] if b"\n" in head or len(head) < (1 << 16) else None
    except UnicodeDecodeError:
        first = None
    if first is None:
        reading.add(Issue(f.shown, 1, "", "the first row is not UTF-8 text, or longer than 64 KiB: this is not a CSV table "
                                            "(save it as UTF-8 CSV with a header row)"))
        return False
    names = next(csv.reader([first]), [])
    if _header(f, names, reading) is None:
        return False

    def on_invalid(row: Any) -> str:
        reading.add(Issue(f.shown, row.number or 0, "", f"expected {row.expected_columns} cells, found {row.actual_columns}"))
        return "skip" if reading.errors < MAX_ISSUES_PER_FILE else "error"

    try:
        reader = pacsv.open_csv(
            f.path,
            read_options=pacsv.ReadOptions(block_size=_BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
        for batch in reader:
            _block(batch, reading)
            if reading.errors >= MAX_ISSUES_PER_FILE:
                break
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        line = _bad_utf8_line(f) if "UTF8" in str(exc) else 0
        if line:
            reading.add(Issue(f.shown, line, "", "the file is not UTF-8 text here; save it as UTF-8"))
        elif reading.errors < MAX_ISSUES_PER_FILE:
            reading.add(Issue(f.shown, 0, "", f"not a readable CSV table ({str(exc).splitlines()[0][:200]})"))
        return False
    return True


def _stopped(f: InventoryFile, reading: _Reading) -> None:
    reading.issues.add(Issue(f.shown, 0, "", f"reading stopped after {reading.rows_seen:,} rows: more than "
                                             f"{MAX_ISSUES_PER_FILE:,} problems; the rest of the file was not read"))


def _bad_utf8_line(f: InventoryFile) -> int:
    """The line of the first byte that is not UTF-8 (read in chunks, so any size is fine)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open_regular(f.path, 1 << 62) as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk[: exc.start].count(b"\n")
            line += chunk.count(b"\n")
    return 0


# ------------------------------------------------------------------------------------------- Parquet


def _read_parquet(f: InventoryFile, reading: _Reading) -> bool:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(f.path)
        names = list(pf.schema_arrow.names)
    except (pa.ArrowException, OSError, ValueError) as exc:
        reading.add(Issue(f.shown, 0, "", f"not a Parquet file, or a truncated one ({str(exc).splitlines()[0][:200]})"))
        return False
    if _header(f, names, reading) is None:
        return False
    for name in names:
        typ = pf.schema_arrow.field(name).type
        problem = _type_problem(reading.kind, reading.kind.rename.get(name, name), typ)
        if problem:
            reading.add(Issue(f.shown, 0, f"column '{name}'", problem))
    if reading.errors:
        return False
    try:
        for batch in pf.iter_batches(batch_size=_BATCH, use_threads=False):
            _block(batch, reading)
            if reading.errors >= MAX_ISSUES_PER_FILE:
                if reading.rows_seen < pf.metadata.num_rows:
                    _stopped(f, reading)
                break
    except (pa.ArrowException, OSError, ValueError) as exc:
        reading.add(Issue(f.shown, 0, "", f"the Parquet file cannot be read to its end ({str(exc).splitlines()[0][:200]})"))
        return False
    return True


def _type_problem(kind: _Kind, column: str, typ: Any) -> str:
    import pyarrow as pa

    if pa.types.is_null(typ):
        return ""
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    text = pa.types.is_string(typ) or pa.types.is_large_string(typ)
    if column in kind.num:
        if text or pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
            return ""
        return f"holds {typ} values; expected numbers"
    spec = kind.specs[column]
    if spec.is_list and (pa.types.is_list(typ) or pa.types.is_large_list(typ)):
        inner = typ.value_type
        return "" if pa.types.is_string(inner) or pa.types.is_large_string(inner) else f"holds lists of {inner}; expected lists of text"
    return "" if text else f"holds {typ} values; expected text"


# ---------------------------------------------------------------------------------------- one block


def _block(batch: Any, reading: _Reading) -> None:
    """Type one block of rows; its problems go to the reading."""
    kind = reading.kind
    n = batch.num_rows
    bad = np.zeros(n, dtype=bool)
    text: dict[str, Interned] = {}
    num: dict[str, np.ndarray] = {}
    base = reading.rows_seen
    names = {kind.rename.get(c, c): c for c in batch.schema.names}

    def issue(i: int, column: str, message: str) -> None:
        bad[i] = True
        reading.add(reading.source.issue(base + i, column, message))

    for column in kind.text:
        arr = batch.column(names[column]) if column in names else None
        text[column] = _text(arr, n, kind.specs[column], column, issue)
    for column in kind.num:
        arr = batch.column(names[column]) if column in names else None
        num[column] = _number(arr, n, column, issue)
    reading.blocks.append(Rows(n, text, num, np.zeros(n, np.int32), np.arange(base, base + n, dtype=np.int64),
                               [reading.source], bad))
    reading.rows_seen += n
    # Rows without a required value are told later, with every other check of values; counted here so that a file of
    # millions of empty rows stops being read after the first block, as one of broken cells does.
    missing = np.zeros(n, dtype=bool)
    for column, spec in kind.specs.items():
        if spec.required and column in text:
            missing |= text[column].codes < 0
        elif spec.required and column in num:
            missing |= np.isnan(num[column])
    reading.errors += int(np.count_nonzero(missing & ~bad))


def _strings(arr: Any) -> Any:
    """A column as a string array with empty cells as nulls (lists joined by the list separator)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        arr = pc.binary_join(arr, LIST_SEPARATOR)
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _text(arr: Any, n: int, spec: FieldSpec, column: str, issue: Any) -> Interned:
    """A text, id, choice or list column as interned values; each distinct value checked once."""
    if arr is None:
        return Interned.absent(n)
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(_strings(arr))
    if hasattr(enc, "combine_chunks"):
        enc = enc.combine_chunks()
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    cells = enc.dictionary.to_pylist()
    values: list[Any] = []
    broken: dict[int, str] = {}
    for k, cell in enumerate(cells):
        if spec.is_list:
            items = sorted({x.strip() for x in cell.split(LIST_SEPARATOR) if x.strip()})
            problems = [text_problem(spec, x) for x in items]
            problem = next((f"{x!r}: {p}" for x, p in zip(items, problems) if p), "")
            values.append(tuple(items))
        else:
            problem = text_problem(spec, cell)
            values.append(cell)
        if problem:
            broken[k] = problem
    if broken:
        for k, problem in broken.items():
            for i in np.nonzero(codes == k)[0].tolist():
                issue(i, column, problem)
        codes = np.where(np.isin(codes, list(broken)), -1, codes).astype(np.int32)
    return Interned(codes, values)


def _number(arr: Any, n: int, column: str, issue: Any) -> np.ndarray:
    """A number column as floats (NaN: empty); a cell that is not a number is an error."""
    if arr is None:
        return np.full(n, np.nan)
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_null(arr.type):
        return np.full(n, np.nan)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        cells = _strings(arr)
        ok = pc.match_substring_regex(cells, _NUMBER).fill_null(True).to_numpy(zero_copy_only=False)
        for i in np.nonzero(~ok)[0].tolist():
            issue(i, column, f"{_cell(cells[i].as_py())} is not a number")
        cells = pc.if_else(pa.array(ok), cells, pa.scalar(None, pa.string()))
        arr = pc.cast(pc.utf8_trim_whitespace(cells), pa.float64())
    else:
        arr = pc.cast(arr, pa.float64(), safe=False)
    return arr.fill_null(np.nan).to_numpy(zero_copy_only=False).astype(float)


def _cell(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["read_tables"]
