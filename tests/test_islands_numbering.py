"""Islands are the connected components of the coupling graph, numbered as scipy's `connected_components` numbers
them (by each component's first workload): the plan's island order, and so its bytes, depend on that numbering."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from planner.solve.reduce import components


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(0, 60))
def test_component_labels_are_scipys(data, n) -> None:
    node = st.integers(0, max(n - 1, 0))
    edges = data.draw(st.lists(st.tuples(node, node), max_size=3 * n)) if n else []
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    expected = connected_components(coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)), directed=False)[1]
    got = components(n, a, b)
    assert got.dtype == expected.dtype
    assert got.tolist() == expected.tolist()


def test_long_chains_in_any_order_are_one_component_each() -> None:
    rng = np.random.default_rng(7)
    n = 50_000
    order = rng.permutation(n)
    half = n // 2  # two chains, each visiting its nodes in a random order
    a = np.concatenate([order[: half - 1], order[half:-1]])
    b = np.concatenate([order[1:half], order[half + 1:]])
    got = components(n, a, b)
    first = min(order[:half].min(), order[half:].min())
    assert set(got.tolist()) == {0, 1}
    assert got[first] == 0
    assert len(set(got[order[:half]].tolist())) == 1 and len(set(got[order[half:]].tolist())) == 1
