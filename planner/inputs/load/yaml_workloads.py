"""The `workloads:` lists of YAML files as typed rows, each value with the line it was written on.

Only the shape and type of each value are checked here (a number is a number, an id an id);
bounds, duplicates and references are checked once for every source in :mod:`planner.inputs.load.assemble`.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable

import numpy as np

from planner.base.errors import Issue
from planner.inputs.load.rows import Interned, Issues, Rows, Source
from planner.inputs.load.schema import (
    DEP_NUM,
    DEP_TEXT,
    DEPENDENCY_FIELDS,
    SPECS,
    USER_FIELDS,
    USER_NUM,
    USER_TEXT,
    WORKLOAD_FIELDS,
    WORKLOAD_NUM,
    WORKLOAD_TEXT,
    Bad,
    a_kind,
    coerce,
)
from planner.inputs.yamlio import LineDict, LineList

_FIELDS = tuple(f.name for f in WORKLOAD_FIELDS)
_DEP_FIELDS = tuple(f.name for f in DEPENDENCY_FIELDS)
_USER_FIELDS = tuple(f.name for f in USER_FIELDS)
# A typo (vpcu, madird, onprme, kidn) scores 0.75 or more; below are other words that share letters
# (colour for country, mad-dc1 for sao-dc1), which would send the reader to the wrong place.
_SUGGEST_CUTOFF = 0.75
_MAX_SUGGESTED = 1000  # no name we could suggest is longer than an id (200) by much


class _Builder:
    """Columns of one kind of row, filled item by item."""

    def __init__(self, file: str, text: tuple[str, ...], num: tuple[str, ...], shown: dict[str, str]):
        self.text_names, self.num_names = text, num
        self.text: dict[str, list[Any]] = {c: [] for c in text}
        self.num: dict[str, list[float]] = {c: [] for c in num}
        self.bad: list[bool] = []
        self.source = Source(file, "yaml", shown=shown)
        self.source.lines = {c: [] for c in (*text, *num, "")}

    def start(self, label: str, line: int) -> int:
        for c in self.text_names:
            self.text[c].append(None)
            self.source.lines[c].append(0)
        for c in self.num_names:
            self.num[c].append(np.nan)
            self.source.lines[c].append(0)
        self.bad.append(False)
        self.source.labels.append(label)
        self.source.lines[""].append(line)
        return len(self.bad) - 1

    def put(self, row: int, column: str, value: Any, line: int) -> None:
        (self.num if column in self.num else self.text)[column][row] = value
        self.source.lines[column][row] = line

    def rows(self) -> Rows:
        n = len(self.bad)
        return Rows(n, {c: Interned.of(v) for c, v in self.text.items()},
                    {c: np.array(v, dtype=float) for c, v in self.num.items()}, np.zeros(n, np.int32), np.arange(n, dtype=np.int64),
                    [self.source], np.array(self.bad, dtype=bool))


def read_yaml_workloads(chunks: Iterable[tuple[str, Any, int]], issues: Issues) -> tuple[list[Rows], list[Rows], list[Rows]]:
    """Workload, dependency and user rows of every `workloads:` chunk (file, value, line); problems go to `issues`."""
    out: tuple[list[Rows], list[Rows], list[Rows]] = ([], [], [])
    for file, value, line in chunks:
        if value is None:
            continue
        if not isinstance(value, LineList):
            issues.add(Issue(file, line, "workloads", f"expected a list of workloads, got {a_kind(value)}"))
            continue
        w = _Builder(file, WORKLOAD_TEXT, WORKLOAD_NUM, {})
        d = _Builder(file, DEP_TEXT, DEP_NUM, {"target": "workload", "source": ""})
        u = _Builder(file, USER_TEXT, USER_NUM, {"workload": ""})
        for index, raw in enumerate(value):
            _item(file, index, raw, value.lines[index], w, d, u, issues)
        for rows, built in zip(out, (w, d, u)):
            rows.append(built.rows())
    return out


def _item(file: str, index: int, raw: Any, line: int, w: _Builder, d: _Builder, u: _Builder, issues: Issues) -> None:
    if not isinstance(raw, LineDict):
        label = f"workloads[{index}]"
        row = w.start(label, line)
        w.bad[row] = True
        issues.add(w.source.issue(row, "", f"expected a mapping with fields ({', '.join(_FIELDS)}), got {a_kind(raw)}"))
        return
    ident = raw.get("id")
    label = f"workloads[{ident}]" if isinstance(ident, str) and ident else f"workloads[{index}]"
    row = w.start(label, line)
    wid = ident if isinstance(ident, str) else None
    for key, val in raw.items():
        kline = raw.lines[key]
        spec = SPECS.get(key)
        if spec is None:
            w.bad[row] = True
            issues.add(Issue(file, kline, f"{label}.{key}", f"unknown field{suggest(str(key), _FIELDS)} (allowed: {', '.join(_FIELDS)})"))
            continue
        if spec.kind == "users":
            _nested(val, kline, f"{label}.users", wid, u, USER_FIELDS, issues, w, row)
            continue
        if spec.kind == "dependencies":
            _nested(val, kline, f"{label}.depends_on", wid, d, DEPENDENCY_FIELDS, issues, w, row)
            continue
        if val is None and not spec.required:
            continue
        try:
            w.put(row, key, coerce(spec, val), _value_line(val, kline))
        except Bad as exc:
            w.bad[row] = True
            w.source.lines[key][row] = kline
            issues.add(w.source.issue(row, key, str(exc)))
    for spec in WORKLOAD_FIELDS:
        if spec.required and spec.name not in raw:
            w.bad[row] = True
            issues.add(w.source.issue(row, spec.name, "required field is missing"))


def _nested(val: Any, line: int, label: str, wid: Any, b: _Builder, fields: tuple, issues: Issues, w: _Builder, wrow: int) -> None:
    """A workload's users or depends_on list, as rows of their own (`source`/`workload` is the workload's id)."""
    if val is None:
        return
    if not isinstance(val, LineList):
        w.bad[wrow] = True
        issues.add(Issue(w.source.file, line, label, f"expected a list of mappings, got {a_kind(val)}"))
        return
    names = tuple(f.name for f in fields)
    owner = "source" if "source" in b.text_names else "workload"
    for i, item in enumerate(val):
        iline = val.lines[i]
        row = b.start(f"{label}[{i}]", iline)
        b.put(row, owner, wid, iline)
        b.bad[row] = wid is None  # the workload's own id is missing or broken, and said so
        if not isinstance(item, LineDict):
            b.bad[row] = True
            issues.add(b.source.issue(row, "", f"expected a mapping with fields ({', '.join(names)}), got {a_kind(item)}"))
            continue
        for key, v in item.items():
            spec = next((f for f in fields if f.name == key), None)
            kline = item.lines[key]
            if spec is None:
                b.bad[row] = True
                issues.add(Issue(b.source.file, kline, f"{label}[{i}].{key}", f"unknown field{suggest(str(key), names)} (allowed: {', '.join(names)})"))
                continue
            column = "target" if (key == "workload" and owner == "source") else key
            if v is None and not spec.required:
                continue
            try:
                b.put(row, column, coerce(spec, v), kline)
            except Bad as exc:
                b.bad[row] = True
                b.source.lines[column][row] = kline
                issues.add(b.source.issue(row, column, str(exc)))
        for spec in fields:
            if spec.required and spec.name not in item:
                b.bad[row] = True
                column = "target" if (spec.name == "workload" and owner == "source") else spec.name
                issues.add(b.source.issue(row, column, "required field is missing"))


def _value_line(val: Any, key_line: int) -> int:
    return getattr(val, "line", 0) or key_line




def suggest(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest of `choices`, or nothing."""
    if len(word) > _MAX_SUGGESTED:  # difflib indexes every character of `word`: a megabyte of text would cost a gigabyte
        return ""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=_SUGGEST_CUTOFF)
    return f"; did you mean '{close[0]}'?" if close else ""
