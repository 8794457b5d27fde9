"""Every plan of a random small estate keeps every rule and is as cheap as brute force finds."""

from __future__ import annotations

import itertools

from helpers import BASE, inventory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import load_inventory, make_plan, verify_plan
from planner.domain.costs import monthly_egress, monthly_run
from planner.domain.rules import violations

SITES = ["mad-dc1", "az-fra", "az-sao"]


@st.composite
def estates(draw):
    n = draw(st.integers(1, 5))
    wls = []
    for i in range(n):
        w = {"id": f"w{i}", "app": draw(st.sampled_from(["a", "b"])), "env": draw(st.sampled_from(["prod", "dev"])),
             "vcpu": draw(st.integers(1, 4)), "memory_gb": draw(st.integers(1, 8)), "current_site": draw(st.sampled_from(SITES))}
        if draw(st.booleans()):
            w["data"] = [draw(st.sampled_from(["personal-eu", "personal-br"]))]
        if draw(st.integers(0, 3)) == 0:
            w["anti_affinity"] = "g"
        if i and draw(st.booleans()):
            dep = {"workload": f"w{draw(st.integers(0, i - 1))}", "traffic_gb_month": draw(st.integers(0, 500))}
            if draw(st.booleans()):
                dep["max_latency_ms"] = draw(st.sampled_from([5, 40, 250]))
            w["depends_on"] = [dep]
        wls.append(w)
    caps = [draw(st.one_of(st.none(), st.integers(2, 10))) for _ in SITES]
    sites = [dict(s) for s in BASE["sites"]]
    for s, cap in zip(sites, caps):
        if cap is not None:
            s["capacity"] = {"vcpu": cap}
    return wls, sites


def brute_force(estate):
    best = None
    ws = estate.workloads
    for combo in itertools.product(estate.sites, repeat=len(ws)):
        site_of = {w.id: s.id for w, s in zip(ws, combo)}
        if any(violations(estate, w, s) for w, s in zip(ws, combo)):
            continue
        load = {}
        for w, s in zip(ws, combo):
            load[s.id] = load.get(s.id, 0) + w.vcpu
        if any(s.capacity and s.capacity.vcpu is not None and load.get(s.id, 0) > s.capacity.vcpu for s in estate.sites):
            continue
        groups = [site_of[w.id] for w in ws if w.anti_affinity]
        if len(groups) != len(set(groups)):
            continue
        if any(d.max_latency_ms is not None and estate.latency(estate.site_by_id[site_of[w.id]].zone, estate.site_by_id[site_of[d.workload]].zone) > d.max_latency_ms
               for w in ws for d in w.depends_on):
            continue
        cost = sum(12 * monthly_run(estate, w, s).monthly + estate.one_time(w, s) for w, s in zip(ws, combo)) + 12 * monthly_egress(estate, site_of)
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=estates())
def test_plans_are_valid_and_optimal(tmp_path, case):
    wls, sites = case
    result = make_plan(load_inventory(inventory(tmp_path, wls, sites=sites, scenario={
        "start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100, "solver": {"gap": 0}})))
    best = brute_force(result.estate)
    if best is None:
        assert result.plan.status == "infeasible" and result.plan.problems
        return
    if result.plan.status == "infeasible":  # only the wave rules may refuse a placement brute force accepts
        assert all(p.rule in ("waves", "wave-order") for p in result.plan.problems)
        return
    assert verify_plan(result.estate, result.plan) == []
    assert abs(result.plan.totals["horizon_cost"] - best) < 0.02
