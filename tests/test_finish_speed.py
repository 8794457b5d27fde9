"""The shortcuts of the placement's finish and pricing stay proofs: a bound-only island answer never exceeds the island's
optimum, a MIP stopped at its target is a real solution at most that dear, and a column subset is the same columns."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import SCENARIO, competing_apps, inventory

from planner import load_inventory
from planner.domain.estate import Estate
from planner.solve.candidates import build_candidates
from planner.solve.core import build_core
from planner.solve.matrices import Columns
from planner.solve.guards import MappingError
from planner.solve.pool import BOUND_ONLY, IslandPool
from planner.solve.reduce import reduce
from planner.solve.solvers import DIRECT, Highs, columns_relaxation


def _core(tmp_path, seed: int):
    wls, sites = competing_apps(seed)
    estate = Estate.of(load_inventory(inventory(tmp_path, wls, sites=sites, scenario=SCENARIO)))
    cands = build_candidates(estate).exact(estate)
    red = reduce(estate, cands, None)
    return build_core(estate, cands, red)


def _synth_core(tmp_path, n: int, seed: int):
    from planner.inputs.synth import synth_tables

    synth_tables(tmp_path / "estate", n, seed, "parquet")
    estate = Estate.of(load_inventory(tmp_path / "estate"))
    cands = build_candidates(estate).exact(estate)
    return build_core(estate, cands, reduce(estate, cands, None))


@pytest.mark.parametrize("case", [("apps", s, 50.0) for s in range(4)] + [("synth", 1, 10_000.0)])
def test_a_bound_only_island_answer_is_below_its_optimum(tmp_path, case):
    kind, seed, spread = case
    core = _core(tmp_path, seed) if kind == "apps" else _synth_core(tmp_path, 1000, seed)
    islands = np.arange(core.n_islands)
    rng = np.random.default_rng(seed)
    # Costs moved as capacity prices move them in pricing: some columns dearer, so LPs can turn fractional
    # (the synthetic estate's islands with dependency chains do at this spread; two-workload apps never do).
    cost = core.cost + rng.uniform(0.0, spread, core.n_cols) * (core.col_site >= 0)
    pool = IslandPool(core, DIRECT, 0.0, math.inf, 1)
    try:
        exact = pool.solve(islands, cost)
        quick = pool.solve(islands, cost, lp_only=True)
    finally:
        pool.close()
    assert [a.island for a in quick] == islands.tolist()
    if kind == "synth":
        assert any(q.status == BOUND_ONLY for q in quick)
    for e, q in zip(exact, quick):
        assert e.status == "optimal"
        if q.status == BOUND_ONLY:
            assert len(q.cols) == 0 and q.bound <= e.objective + 1e-6
        else:
            assert q.status == "optimal" and abs(q.objective - e.objective) <= 1e-6 * max(1.0, abs(e.objective))


def test_an_island_mip_started_from_a_known_plan_finds_the_same_optimum(tmp_path):
    core = _synth_core(tmp_path, 1000, 1)
    islands = np.arange(core.n_islands)
    rng = np.random.default_rng(1)
    cost = core.cost + rng.uniform(0.0, 10_000.0, core.n_cols) * (core.col_site >= 0)
    pool = IslandPool(core, DIRECT, 0.0, math.inf, 1)
    try:
        cold = pool.solve(islands, core.cost)  # plans at other costs: feasible, rarely optimal at `cost`
        starts = {a.island: a.cols for a in cold}
        plain = pool.solve(islands, cost)
        warm = pool.solve(islands, cost, starts=starts)
        with pytest.raises(MappingError):
            pool.solve(islands, cost, starts={k: np.array([core.col_ptr[k + 1] - core.col_ptr[k]]) for k in islands.tolist()})
    finally:
        pool.close()
    assert [a.island for a in warm] == islands.tolist()
    for p, w in zip(plain, warm):
        assert w.status == "optimal" and w.bound <= w.objective + 1e-9
        assert abs(w.objective - p.objective) <= 1e-6 * max(1.0, abs(p.objective))


def _knapsack(n: int, seed: int) -> Columns:
    """Pick items (0/1) filling at least half the total weight, at least cost: one row."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(1, 20, n).astype(float)
    return Columns(rng.integers(1, 100, n).astype(float), np.ones(n), np.arange(n + 1), np.zeros(n, np.int64), weight,
                   np.array([weight.sum() / 2]), np.array([np.inf]))


@pytest.mark.parametrize("seed", range(5))
def test_a_mip_stopped_at_its_target_returns_a_solution_no_dearer(seed):
    model = _knapsack(40, seed)
    best = Highs().mip(model, gap=0.0)
    assert best.x is not None
    target = best.objective * 1.05
    quick = Highs().mip(model, gap=0.0, target=target)
    assert quick.x is not None
    x = np.round(quick.x)
    assert float(model.value @ x) >= model.row_lower[0] - 1e-9
    assert float(model.cost @ x) <= target + 1e-6
    assert quick.bound <= best.objective + 1e-6


def test_taking_columns_keeps_them_exactly():
    model = _knapsack(12, 3)
    cols = np.array([0, 3, 4, 11])
    part = model.take(cols)
    assert part.n_cols == 4
    for j, c in enumerate(cols.tolist()):
        assert part.cost[j] == model.cost[c] and part.upper[j] == model.upper[c]
        a, b = part.start[j], part.start[j + 1]
        ma, mb = model.start[c], model.start[c + 1]
        assert part.index[a:b].tolist() == model.index[ma:mb].tolist()
        assert part.value[a:b].tolist() == model.value[ma:mb].tolist()
    lp = columns_relaxation(model, 10_000)
    assert lp is not None and lp.col_dual is not None and len(lp.col_dual) == model.n_cols



def test_island_rows_hold_only_unit_coefficients():
    from planner.solve.core import ASSIGN, _Rows

    rows = _Rows()
    one = np.zeros(2, np.int64)
    rows.add(ASSIGN, one, np.array([0, 1]), np.array([1.0, -1.0]), np.array([0, 0]), 1.0, 1.0, np.array([0]), -1)
    with pytest.raises(ValueError, match="coefficient"):
        rows.add(ASSIGN, one, np.array([0, 1]), np.array([1.0, 2.0]), np.array([0, 0]), 1.0, 1.0, np.array([0]), -1)
    built = rows.build(1)
    assert built[5].dtype == np.float64 and built[5].tolist() == [1.0, -1.0]
