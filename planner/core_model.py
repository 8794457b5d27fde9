"""The placement MILP as plain arrays: what the solver builds, splits, and hands to HiGHS or CBC."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class CoreModel:
    """The MILP over the coupled core, as arrays (row-wise sparse matrix)."""

    n_x: int
    n_y: int
    cost: np.ndarray
    row_lower: list[float]
    row_upper: list[float]
    start: list[int]
    index: list[np.ndarray]
    value: list[np.ndarray]
    entries: np.ndarray  # candidate entry of each x column
    n_z: int = 0  # binary columns after the y columns (used by the infeasibility diagnosis)
    row_tags: list[tuple] = field(default_factory=list)  # what each non-assignment row stands for

    def add_row(self, lower: float, upper: float, cols: np.ndarray, vals: np.ndarray, tag: tuple) -> None:
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.index.append(np.asarray(cols, dtype=np.int32))
        self.value.append(np.asarray(vals, dtype=float))
        self.row_tags.append(tag)
