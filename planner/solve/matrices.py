"""The models a solver takes, as arrays: `SubModel` row by row (islands and merged groups), `Columns`
column by column (masters, built a plan at a time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

__all__ = ["Columns", "SubModel", "ranges"]


@dataclass
class SubModel:
    """One MILP as arrays (row-wise CSR): `n_x` binaries first, then `n_y` continuous columns in [0, 1]."""

    n_x: int
    n_y: int
    cost: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    # Optional general-integer columns after the y columns (class counts in a merged model): their upper bounds.
    int_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    x_upper: Optional[np.ndarray] = None  # per x column, 0 to rule it out (reduced-cost fixing); None: all 1

    @property
    def n_cols(self) -> int:
        return self.n_x + self.n_y + len(self.int_upper)

    def col_upper(self) -> np.ndarray:
        x_upper = np.ones(self.n_x) if self.x_upper is None else np.asarray(self.x_upper, dtype=float)
        return np.concatenate([x_upper, np.ones(self.n_y), np.asarray(self.int_upper, dtype=float)])

    def integer(self) -> np.ndarray:
        """Per column, whether it is integer."""
        return np.concatenate([np.ones(self.n_x, bool), np.zeros(self.n_y, bool), np.ones(len(self.int_upper), bool)])


@dataclass
class Columns:
    """An integer program column by column (CSC): every column integer in [0, upper], rows in [lower, upper]."""

    cost: np.ndarray
    upper: np.ndarray
    start: np.ndarray  # column j's entries: index/value[start[j]:start[j+1]]
    index: np.ndarray  # row numbers
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.cost)
        if len(self.upper) != n or len(self.start) != n + 1 or len(self.index) != len(self.value):
            raise ValueError(f"columns: {n} costs, {len(self.upper)} bounds, {len(self.start)} starts, "
                             f"{len(self.index)} indices, {len(self.value)} values")
        if len(self.index) and (int(self.index.min()) < 0 or int(self.index.max()) >= len(self.row_lower)):
            raise ValueError(f"columns: a row index outside 0..{len(self.row_lower) - 1}")

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @classmethod
    def build(cls, entries: "list[tuple[float, float, np.ndarray, np.ndarray]]", row_lower: np.ndarray,
              row_upper: np.ndarray) -> "Columns":
        """From (cost, upper, rows, values) per column."""
        lengths = np.array([len(r) for _, _, r, _ in entries], dtype=np.int64)
        start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        index = np.concatenate([np.asarray(r, np.int64) for _, _, r, _ in entries]) if entries else np.zeros(0, np.int64)
        value = np.concatenate([np.asarray(v, float) for _, _, _, v in entries]) if entries else np.zeros(0)
        return cls(np.array([c for c, _, _, _ in entries], dtype=float), np.array([u for _, u, _, _ in entries], dtype=float),
                   start, index, value, np.asarray(row_lower, dtype=float), np.asarray(row_upper, dtype=float))

    def take(self, cols: np.ndarray) -> "Columns":
        """The columns `cols` only (same rows)."""
        lengths = np.diff(self.start)[cols]
        entries = ranges(self.start[cols], lengths)
        start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return Columns(self.cost[cols], self.upper[cols], start, self.index[entries], self.value[entries], self.row_lower,
                       self.row_upper)

    def as_rows(self) -> SubModel:
        """The same program row by row, every column a general integer (for solvers that take rows)."""
        n = self.n_cols
        col = np.repeat(np.arange(n), np.diff(self.start))
        order = np.lexsort((col, self.index))
        counts = np.bincount(self.index, minlength=len(self.row_lower))
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return SubModel(0, 0, self.cost, self.row_lower, self.row_upper, start, col[order], self.value[order], self.upper)


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges: start[i] .. start[i] + counts[i] - 1 for each i, vectorised."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offs = np.repeat(ends - counts, counts)
    return np.repeat(np.asarray(starts, dtype=np.int64), counts) + (np.arange(total) - offs)
