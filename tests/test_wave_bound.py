"""The schedule's upper bound: no schedule keeping every wave rule realises more (checked by brute force on small
estates), and the large-estate path (Lagrangian bound, guided first-fit) keeps every rule."""

from __future__ import annotations

import json

import pytest
from helpers import BASE, best_schedule, inventory, plan_capturing, plan_case, schedules, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import verify_plan
from planner.schedule.bounds import _lagrangian_bound, _upper_bound

ONPREM_COST = {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}
MOST_SCHEDULES = 20_000  # brute force only estates with at most this many window combinations


@st.composite
def estates(draw):
    """A few move groups with dependencies, sites of tight capacity (some over it today), closing sites and small waves."""
    n_sites = draw(st.integers(2, 3))
    sites = [{"id": f"dc-{j}", "kind": "onprem", "zone": "madrid", "capacity": {"vcpu": 0},
              "cost": {**ONPREM_COST, "vcpu_month": 40.0 if j == 0 else float(draw(st.sampled_from([5, 10, 60])))}}
             for j in range(n_sites)]  # most moves leave the dear dc-0 and save, a few lose
    if draw(st.booleans()):
        sites[0]["closes"] = draw(st.sampled_from(["2027-04-15", "2027-09-30"]))
    wls, load, today = [], [0] * n_sites, [0] * n_sites
    for i in range(draw(st.integers(2, 8))):
        here, there = draw(st.sampled_from([0, 0, 0, n_sites - 1])), draw(st.integers(1, n_sites - 1))
        size = draw(st.integers(1, 6))
        w = workload(f"w{i}", app=f"a{draw(st.integers(0, 3))}", env=draw(st.sampled_from(["prod", "dev"])), vcpu=size,
                     current_site=f"dc-{here}", pin=f"dc-{there}", criticality=draw(st.sampled_from(["low", "high"])),
                     migration_effort_hours=draw(st.sampled_from([4, 8, 16])))
        if i and draw(st.booleans()):
            w["depends_on"] = [{"workload": f"w{draw(st.integers(0, i - 1))}"}]
        wls.append(w)
        load[there] += size
        today[here] += size
    for j, s in enumerate(sites):  # the final placement fits; today may not, and the waves between may not
        s["capacity"]["vcpu"] = max(load[j], draw(st.integers(0, max(today[j], load[j]) + 4)))
    waves = {"first_wave_max_workloads": draw(st.integers(1, 3)), "growth_per_wave": draw(st.integers(0, 2)),
             "max_workloads": draw(st.integers(3, 6)), "pilot_waves": draw(st.integers(0, 1)),
             "max_effort_hours": draw(st.sampled_from([20, 100])), "length_days": draw(st.sampled_from([45, 60]))}
    return sites, wls, waves


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=estates(), heuristic=st.booleans())
def test_no_schedule_realises_more_than_the_bounds(tmp_path_factory, case, heuristic) -> None:
    result, seen = plan_case(tmp_path_factory, case, "bound", heuristic)
    if "units" not in seen or result.plan.status == "infeasible":
        return
    estate, units, edges, room = seen["estate"], seen["units"], seen["edges"], seen["room"]
    if schedules(units) > MOST_SCHEDULES:
        return
    best = best_schedule(estate, units, edges, lambda wave: room.placed(list(wave)).clean())
    realised = result.plan.schedule.realised_savings
    assert verify_plan(result.estate, result.plan) == []
    assert best >= realised - 0.01  # the schedule found keeps the rules the brute force checks
    assert result.plan.schedule.upper_bound >= best - 0.01
    for floor in (best, best - abs(best) - 1.0):
        bound, guide = _lagrangian_bound(estate, units, edges, room, floor)
        assert bound >= best - 1e-6, (bound, best)
        assert all(u.lo <= k <= u.hi for u, k in zip(units, guide))
    assert _upper_bound(estate, units, max(u.hi for u in units)) >= best - 1e-6


def test_the_bound_is_tight_where_prices_must_share_out_a_full_wave(tmp_path) -> None:
    """Two savers, room for one per wave: the relaxation's prices must give the richer one the first wave."""
    sites = [{"id": "dc-0", "kind": "onprem", "zone": "madrid", "cost": dict(ONPREM_COST)},
             {"id": "dc-1", "kind": "onprem", "zone": "madrid", "cost": {**ONPREM_COST, "vcpu_month": 5.0}}]
    wls = [workload("rich", app="r", vcpu=8, current_site="dc-0", pin="dc-1"),
           workload("poor", app="p", vcpu=2, current_site="dc-0", pin="dc-1")]
    scn = {**BASE["scenario"], "horizon_months": 12,
           "waves": {"first_wave_max_workloads": 1, "growth_per_wave": 0, "max_workloads": 1, "pilot_waves": 0}}
    result, seen = plan_capturing(inventory(tmp_path, wls, sites=sites, scenario=scn), heuristic=True)
    best = best_schedule(seen["estate"], seen["units"], seen["edges"], lambda wave: seen["room"].placed(list(wave)).clean())
    greedy = _upper_bound(seen["estate"], seen["units"], max(u.hi for u in seen["units"]))
    assert result.plan.schedule.realised_savings == pytest.approx(best, abs=0.01)
    assert result.plan.schedule.upper_bound == pytest.approx(best, rel=1e-3) and greedy >= best


def test_the_large_estate_path_is_deterministic_and_keeps_every_rule(tmp_path) -> None:
    wls = [workload(f"w{i}", app=f"a{i % 7}", env="prod" if i % 3 else "dev", vcpu=1 + i % 5,
                    criticality="high" if i % 11 == 0 else "medium",
                    depends_on=[{"workload": f"w{i - 1}"}] if i % 4 == 1 else []) for i in range(40)]
    scn = {**BASE["scenario"], "waves": {"first_wave_max_workloads": 4, "growth_per_wave": 3, "max_workloads": 12, "pilot_waves": 1}}
    path = inventory(tmp_path, wls, scenario=scn)
    (one, _), (two, _) = plan_capturing(path, heuristic=True), plan_capturing(path, heuristic=True)
    assert one.plan.schedule.status == "heuristic" and verify_plan(one.estate, one.plan) == []
    assert one.plan.schedule.realised_savings <= one.plan.schedule.upper_bound
    a, b = json.loads(one.plan.to_json()), json.loads(two.plan.to_json())
    a["solver"].pop("seconds"), b["solver"].pop("seconds")
    assert a == b
