"""Typed columns of workload, dependency and user rows, each row knowing where it was written.

Every source (a YAML file's `workloads:` list, a CSV or a Parquet table) becomes :class:`Rows`:
numbers as float arrays (NaN: not given), repeated strings and lists as :class:`Interned`
codes. Sources are concatenated before the checks that span them (duplicates, references),
and an error about row i is told in the words of its own source (`file:line: workloads[w1].vcpu`
for YAML, `file:row: column 'vcpu'` for a table) by :class:`Source`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable, Optional, Sequence

import numpy as np

from planner.base.errors import Issue

MAX_ISSUES_PER_FILE = 1000


@dataclass
class Interned:
    """A column of repeated values: `codes[i]` indexes `values` (-1: not given)."""

    codes: np.ndarray
    values: list[Any]

    @classmethod
    def of(cls, items: Sequence[Optional[Hashable]]) -> "Interned":
        """Intern a Python sequence (None: not given)."""
        index: dict[Any, int] = {}
        codes = np.fromiter((-1 if v is None else index.setdefault(v, len(index)) for v in items), dtype=np.int32, count=len(items))
        return cls(codes, list(index))

    @classmethod
    def absent(cls, n: int) -> "Interned":
        return cls(np.full(n, -1, dtype=np.int32), [])

    def value(self, i: int) -> Any:
        c = int(self.codes[i])
        return self.values[c] if c >= 0 else None


def concat_interned(parts: Sequence[Interned]) -> Interned:
    """One column from several, the values interned again across them."""
    index: dict[Any, int] = {}
    out = []
    for part in parts:
        remap = np.array([index.setdefault(v, len(index)) for v in part.values] + [-1], dtype=np.int32)
        out.append(remap[part.codes])  # code -1 picks the trailing -1
    codes = np.concatenate(out) if out else np.zeros(0, dtype=np.int32)
    return Interned(codes, list(index))


@dataclass
class Source:
    """One file's rows of one kind, and how to name a row and a column of it in an error.

    `shown` maps a column's internal name to the name a person wrote (a dependency's target is
    `workload` in YAML and `depends_on` in a table).
    """

    file: str
    style: str  # yaml | csv | parquet
    labels: list[str] = field(default_factory=list)  # yaml: `workloads[w1]` per row
    lines: dict[str, list[int]] = field(default_factory=dict)  # yaml: per column, the line of each row's value; "" the item's
    first: int = 1  # tables: the number a person sees for the first data row (CSV 2: the header is row 1)
    shown: dict[str, str] = field(default_factory=dict)

    def issue(self, row: int, column: str, message: str) -> Issue:
        name = self.shown.get(column, column)
        if self.style == "yaml":
            lines = self.lines.get(column) or self.lines[""]
            line = lines[row] or self.lines[""][row]
            return Issue(self.file, line, f"{self.labels[row]}.{name}" if name else self.labels[row], message)
        where = f"column '{name}'" if name else ""
        if self.style == "csv":
            return Issue(self.file, self.first + row, where, message)
        return Issue(self.file, 0, where, message, row=self.first + row)

    def file_issue(self, column: str, message: str) -> Issue:
        """A problem with the whole file or a whole column (its header row for CSV)."""
        name = self.shown.get(column, column)
        where = f"column '{name}'" if (name and self.style != "yaml") else name
        return Issue(self.file, 1 if self.style == "csv" else 0, where, message)


@dataclass
class Rows:
    """Typed columns of one kind of row (workloads, dependencies or users) from one or more sources."""

    n: int
    text: dict[str, Interned]
    num: dict[str, np.ndarray]
    source: np.ndarray  # per row, its index into `sources`
    row: np.ndarray  # per row, its number within its source (0-based)
    sources: list[Source]
    bad: np.ndarray  # rows already found broken: left out of the checks that need whole rows

    @classmethod
    def empty(cls, text: Sequence[str], num: Sequence[str]) -> "Rows":
        return cls(0, {c: Interned.absent(0) for c in text}, {c: np.zeros(0) for c in num}, np.zeros(0, np.int32),
                   np.zeros(0, np.int64), [], np.zeros(0, dtype=bool))

    def issue(self, i: int, column: str, message: str) -> Issue:
        return self.sources[int(self.source[i])].issue(int(self.row[i]), column, message)


def concat_rows(parts: Sequence[Rows], text: Sequence[str], num: Sequence[str]) -> Rows:
    """Rows of several sources as one, sources renumbered."""
    parts = [p for p in parts if p.n]
    if not parts:
        return Rows.empty(text, num)
    sources: list[Source] = []
    src = []
    for p in parts:
        src.append(p.source + len(sources))
        sources.extend(p.sources)
    return Rows(
        n=sum(p.n for p in parts),
        text={c: concat_interned([p.text[c] for p in parts]) for c in text},
        num={c: np.concatenate([p.num[c] for p in parts]) for c in num},
        source=np.concatenate(src).astype(np.int32),
        row=np.concatenate([p.row for p in parts]),
        sources=sources,
        bad=np.concatenate([p.bad for p in parts]),
    )


class Issues:
    """Problems found so far, at most :data:`MAX_ISSUES_PER_FILE` told per file (the rest counted)."""

    def __init__(self) -> None:
        self.items: list[Issue] = []
        self._per_file: dict[str, int] = {}

    def add(self, issue: Issue) -> None:
        n = self._per_file.get(issue.file, 0) + 1
        self._per_file[issue.file] = n
        if n <= MAX_ISSUES_PER_FILE:
            self.items.append(issue)

    def extend(self, issues: Sequence[Issue]) -> None:
        for i in issues:
            self.add(i)

    def __bool__(self) -> bool:
        return bool(self.items)

    def all(self) -> list[Issue]:
        """Every problem told, plus one line per file whose further problems were only counted."""
        out = list(self.items)
        for file, n in sorted(self._per_file.items()):
            if n > MAX_ISSUES_PER_FILE:
                out.append(Issue(file, 0, "", f"... and {n - MAX_ISSUES_PER_FILE} more problem(s) in this file, "
                                              f"not listed (the first {MAX_ISSUES_PER_FILE} are above)"))
        return out
