"""The proof over the full model: dominance drops only entries that can never be better, and the bound holds."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import inventory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import Limits, load_inventory, use_limits
from planner.domain.estate import Estate
from planner.solve import proof
from planner.solve.candidates import build_candidates
from planner.solve.core import build_core
from planner.solve.reduce import active_dependencies, reduce

# Two sites in each of two zones (the only place dominance can act), one in a third.
SITES = [
    {"id": "mad-dc1", "kind": "onprem", "zone": "madrid", "capacity": {"vcpu": 6},
     "cost": {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}},
    {"id": "mad-dc2", "kind": "onprem", "zone": "madrid",
     "cost": {"vcpu_month": 21.0, "memory_gb_month": 1.5, "storage_gb_month": 0.1, "egress_gb": 0.2}},
    {"id": "az-fra", "kind": "azure", "zone": "frankfurt", "capacity": {"vcpu": 5},
     "cost": {"vcpu_month": 10.0, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}},
    {"id": "az-fra2", "kind": "azure", "zone": "frankfurt",
     "cost": {"vcpu_month": 10.5, "memory_gb_month": 1.2, "storage_gb_month": 0.05, "egress_gb": 0.02}},
    {"id": "az-sao", "kind": "azure", "zone": "sao-paulo",
     "cost": {"vcpu_month": 8.0, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}},
]


@st.composite
def coupled_estates(draw):
    n = draw(st.integers(2, 7))
    wls = []
    for i in range(n):
        w = {"id": f"w{i}", "app": "a", "env": "prod", "vcpu": draw(st.integers(1, 3)), "memory_gb": draw(st.integers(1, 8)),
             "current_site": draw(st.sampled_from([s["id"] for s in SITES]))}
        if draw(st.integers(0, 4)) == 0:
            w["data"] = ["personal-eu"]
        if draw(st.integers(0, 5)) == 0:
            w["anti_affinity"] = "g"
        if i:
            dep = {"workload": f"w{draw(st.integers(0, i - 1))}", "traffic_gb_month": draw(st.sampled_from([0, 0, 10, 400]))}
            if draw(st.booleans()):
                dep["max_latency_ms"] = draw(st.sampled_from([5, 40]))
            w["depends_on"] = [dep]
        wls.append(w)
    price = draw(st.lists(st.sampled_from([0.0, 0.5, 3.0, 40.0]), min_size=6, max_size=6))
    return wls, price


def _bound(estate: Estate, price_draw: list[float], deadline: float = float("inf")) -> tuple[np.ndarray, proof.FullBound]:
    full = build_candidates(estate, compact=True)
    assert not full.problems
    cands = full.exact(estate)
    red = reduce(estate, cands, None, deps=active_dependencies(estate, full))
    core = build_core(estate, cands, red)
    price = np.array((price_draw * 2)[:len(red.capacity)], dtype=float)
    kept = np.zeros(len(full.site), dtype=bool)  # nothing modelled: every entry the plans use is named
    known = np.full(core.n_islands, -np.inf)  # no restricted bound: every island is solved
    return price, proof.full_bound(estate, full, kept, red, core, price, known, "highs", 0.0, deadline, 1)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=coupled_estates())
def test_dominance_never_changes_an_islands_value(tmp_path, case):
    wls, price_draw = case
    path = inventory(tmp_path, wls, sites=SITES, scenario={"start": "2027-01-01", "horizon_months": 12,
                                                           "default_migration_cost": 100})
    inv = load_inventory(path)
    if build_candidates(Estate.of(inv), compact=True).problems:
        return
    _, with_dominance = _bound(Estate.of(inv), price_draw)
    with use_limits(Limits(dominance=False)):
        _, without = _bound(Estate.of(inv), price_draw)
    assert np.allclose(with_dominance.island_bound, without.island_bound, rtol=1e-7, atol=1e-6)
    assert with_dominance.entries + with_dominance.dominated == without.entries
    with use_limits(Limits(proof_chunk_entries=1)):  # one island per chunk
        _, chunked = _bound(Estate.of(inv), price_draw)
    assert np.allclose(chunked.island_bound, with_dominance.island_bound, rtol=1e-7, atol=1e-6)


def test_dominance_drops_a_dearer_site_in_the_same_zone(tmp_path):
    wls = [{"id": "w0", "app": "a", "env": "prod", "vcpu": 2, "memory_gb": 4, "current_site": "mad-dc1"},
           {"id": "w1", "app": "a", "env": "prod", "vcpu": 2, "memory_gb": 4, "current_site": "mad-dc1",
            "depends_on": [{"workload": "w0", "max_latency_ms": 5}]}]
    estate = Estate.of(load_inventory(inventory(tmp_path, wls, sites=SITES, scenario={
        "start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100})))
    _, fb = _bound(estate, [0.0] * 6)
    assert fb.dominated > 0
    assert fb.add.size > 0  # nothing was modelled: the islands' full plans are named


def test_islands_stopped_by_the_clock_keep_a_floor_below_their_value(tmp_path):
    wls = [{"id": f"w{i}", "app": "a", "env": "prod", "vcpu": 2, "memory_gb": 4, "current_site": "mad-dc1",
            **({"depends_on": [{"workload": f"w{i - 1}", "max_latency_ms": 40, "traffic_gb_month": 400}]} if i else {})}
           for i in range(5)]
    estate = Estate.of(load_inventory(inventory(tmp_path, wls, sites=SITES, scenario={
        "start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100})))
    _, solved = _bound(estate, [3.0] * 6)
    _, stopped = _bound(estate, [3.0] * 6, deadline=float("-inf"))  # the clock has stopped before any island
    assert np.isfinite(stopped.island_bound).all()
    assert (stopped.island_bound <= solved.island_bound + 1e-6).all()
    assert (stopped.island_bound > 0).all()
