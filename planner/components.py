"""Split the placement MILP into independent pieces that the solver can prove one at a time.

Dependencies and anti-affinity groups couple workloads tightly, but in a real estate
they form many small islands (an app and its neighbours); only site capacity reaches
across them. Solving one model for the whole estate makes the branch-and-bound prove
one global gap over thousands of unrelated decisions; solving each island alone is
exact and orders of magnitude faster. Capacity rows are split per island here, which is
a relaxation; the solver merges islands that overfill a site and solves again (see
`solver.solve`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core_model import CoreModel


def connected_labels(n: int, edges_a: np.ndarray, edges_b: np.ndarray) -> np.ndarray:
    """Component label (the smallest member) of each of `n` nodes joined by the given edges."""
    label = np.arange(n, dtype=np.int64)
    if len(edges_a) == 0:
        return label
    a = np.asarray(edges_a, dtype=np.int64)
    b = np.asarray(edges_b, dtype=np.int64)
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping: follow labels to their own label
        while True:
            nxt = new[new]
            if np.array_equal(nxt, new):
                break
            new = nxt
        if np.array_equal(new, label):
            return label
        label = new


@dataclass
class Split:
    """The core's rows and columns assigned to islands, ready to cut out one sub-model per island."""

    x_label: np.ndarray  # island of each x column
    y_label: np.ndarray  # island of each y (egress) column
    row_label: np.ndarray  # island of each row that lies inside one island; -1 for capacity rows
    capacity_rows: list[int]  # rows that may span islands


def split_core(core: CoreModel, col_workload: np.ndarray, workload_label: np.ndarray) -> Split:
    """Assign every column and every non-capacity row of `core` to the island of its workloads."""
    x_label = workload_label[col_workload]
    y_label = np.full(core.n_y, -1, dtype=np.int64)
    row_label = np.full(len(core.row_lower), -1, dtype=np.int64)
    capacity_rows = []
    for r, (tag, cols) in enumerate(zip(core.row_tags, core.index)):
        if tag[0] == "capacity":
            capacity_rows.append(r)
            continue
        xs = cols[cols < core.n_x]
        lab = x_label[xs[0]]
        row_label[r] = lab
        ys = cols[cols >= core.n_x]
        if len(ys):
            y_label[ys - core.n_x] = lab
    return Split(x_label, y_label, row_label, capacity_rows)


class Groups:
    """Islands gathered into groups (islands merged because they share a full site), each cut out as a sub-model."""

    def __init__(self, core: CoreModel, split: Split, group_of_label: np.ndarray):
        self.core = core
        self.split = split
        self.group_of = group_of_label
        xg = group_of_label[split.x_label]
        yg = group_of_label[split.y_label] if core.n_y else np.zeros(0, np.int64)
        self.ids = np.unique(xg)
        self._x = _buckets(xg)
        self._y = _buckets(yg)
        rows = np.nonzero(split.row_label >= 0)[0]
        self._rows = _buckets(group_of_label[split.row_label[rows]], rows)
        # Capacity rows cut per group once, so building every sub-model stays linear overall.
        self._cap: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        for r in split.capacity_rows:
            cols, vals = core.index[r], core.value[r]
            g = xg[cols]
            order = np.argsort(g, kind="stable")
            keys, starts = np.unique(g[order], return_index=True)
            ends = np.append(starts[1:], len(order))
            for key, a, b in zip(keys.tolist(), starts.tolist(), ends.tolist()):
                part = order[a:b]
                self._cap.setdefault(key, []).append((r, cols[part], vals[part]))

    def columns(self, group: int) -> tuple[np.ndarray, np.ndarray]:
        """The global x and y columns of one group, ascending."""
        return self._x.get(group, np.zeros(0, np.int64)), self._y.get(group, np.zeros(0, np.int64))

    def model(self, group: int) -> tuple[CoreModel, np.ndarray, np.ndarray]:
        """The MILP of one group, with the global x and y columns it holds (in local column order)."""
        core = self.core
        xcols, ycols = self.columns(group)
        glob = np.concatenate([xcols, core.n_x + ycols])  # ascending: x columns come before y columns

        def loc(cols: np.ndarray) -> np.ndarray:
            return np.searchsorted(glob, cols)

        cost = core.cost[glob]
        sub = CoreModel(len(xcols), len(ycols), cost, [], [], [], [], [], core.entries[xcols])
        for r in self._rows.get(group, np.zeros(0, np.int64)).tolist():
            sub.add_row(core.row_lower[r], core.row_upper[r], loc(core.index[r]), core.value[r], core.row_tags[r])
        for r, cols, vals in self._cap.get(group, []):
            sub.add_row(core.row_lower[r], core.row_upper[r], loc(cols), vals, core.row_tags[r])
        return sub, xcols, ycols


def _buckets(keys: np.ndarray, values: np.ndarray | None = None) -> dict[int, np.ndarray]:
    """Group `values` (default: positions) by `keys`, each bucket in ascending order."""
    values = np.arange(len(keys)) if values is None else values
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    ks, starts = np.unique(keys[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    return {int(k): values[order[a:b]] for k, a, b in zip(ks.tolist(), starts.tolist(), ends.tolist())}
