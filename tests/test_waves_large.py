"""The wave stage's bulk paths give what their one-at-a-time forms gave: each unit's capacity changes, summed for all
units at once, equal a re-count of its workloads; the Lagrangian bound's children-into-parents sums, one indexed
addition per sibling rank, equal `np.add.at` bit for bit; the leavers a pull tries, picked on columns, are those
sorting them one by one picks; and a schedule that waits for room keeps the rule."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import BASE, RESOURCES, breaks, capacity_estates, inventory, plan_capturing, plan_case, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from planner.schedule.bounds import _sibling_ranks
from planner.schedule.heuristic import _first_leavers

HYPOTHESIS = settings(max_examples=15, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@HYPOTHESIS
@given(case=capacity_estates())
def test_each_units_changes_equal_a_recount_of_its_workloads(tmp_path_factory, case) -> None:
    result, seen = plan_case(tmp_path_factory, case, "room")
    if "units" not in seen:
        return
    estate, units, room = seen["estate"], seen["units"], seen["room"]
    site_of = {a.workload: a.site for a in result.plan.assignments}
    column = {estate.sites[int(j)].id: c for c, j in enumerate(room.sites.tolist())}
    assert len(room.touch) == len(units)
    for i, unit in enumerate(units):
        delta: dict[int, list[float]] = {}
        arrive: dict[int, list[int]] = {}
        for w in unit.members:  # sizes are multiples of 1/4: any order of sums is exact
            size = [float(getattr(w, r)) for r in RESOURCES]
            if w.current_site in column:
                row = delta.setdefault(column[w.current_site], [0.0] * 3)
                row[:] = [x - s for x, s in zip(row, size)]
                arrive.setdefault(column[w.current_site], [0] * 3)
            if site_of.get(w.id) in column:
                c = column[site_of[w.id]]
                row = delta.setdefault(c, [0.0] * 3)
                row[:] = [x + s for x, s in zip(row, size)]
                arrive[c] = [n + (s > 0) for n, s in zip(arrive.setdefault(c, [0] * 3), size)]
        cols, d, a = room.touch[i]
        assert cols.tolist() == sorted(delta)
        assert d.tolist() == [delta[c] for c in sorted(delta)]
        assert a.tolist() == [arrive[c] for c in sorted(delta)]
        assert room.touch_cols[i] == sorted(delta)
        assert room.leave_cols[i] == [c for c in sorted(delta) if min(delta[c]) < 0]
        assert room.arrive_cols[i] == [c for c in sorted(delta) if max(arrive[c]) > 0]
        assert room.wait_cols[i] == (room.arrive_cols[i] or room.touch_cols[i])


@settings(max_examples=80, deadline=None)
@given(data=st.data(), units=st.integers(1, 30), waves=st.integers(1, 8), n=st.integers(0, 10))
def test_the_leavers_a_pull_tries_are_those_sorting_them_one_by_one_gives(data, units, waves, n) -> None:
    wave = data.draw(st.lists(st.integers(1, waves), min_size=units, max_size=units))
    # few distinct savings and months, so that equal losses (and -0.0 against 0.0) are common
    saving = data.draw(st.lists(st.sampled_from([-3.5, -1.0, 0.0, 0.1, 2.0, 1e9 / 3]), min_size=units, max_size=units))
    months = [0.0] + data.draw(st.lists(st.sampled_from([0.5, 1.0, 35.9, 1.0 / 3]), min_size=waves, max_size=waves))
    keys = data.draw(st.lists(st.sampled_from([("a",), ("b",), ("a", "x")]), min_size=units, max_size=units))
    lists = data.draw(st.lists(st.lists(st.integers(0, units - 1), unique=True), max_size=3))
    i, k = data.draw(st.integers(0, units - 1)), data.draw(st.integers(0, waves))
    key_rank = np.empty(units, dtype=np.int64)
    key_rank[sorted(range(units), key=lambda j: (keys[j], j))] = np.arange(units)
    near = {j for js in lists for j in js if wave[j] > k}
    near.discard(i)
    expected = sorted(near, key=lambda j: (-(saving[j] * (months[k] - months[wave[j]])), keys[j], j))[:n]
    cand = np.unique(np.array([j for js in lists for j in js], dtype=np.int64))  # the leavers of every list, once each
    got = _first_leavers(cand, i, k, n, np.array(wave, dtype=np.int64), np.array(saving), np.array(months), key_rank)
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(0, 40), targets=st.integers(1, 6))
def test_sums_by_sibling_rank_equal_add_at_bit_for_bit(data, n, targets) -> None:
    par = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, targets - 1)))
    x = data.draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(-1e6, 1e6, allow_nan=False) | st.just(-np.inf)))
    start = data.draw(hnp.arrays(np.float64, (targets, 3), elements=st.floats(-1e6, 1e6, allow_nan=False)))
    expected = start.copy()
    np.add.at(expected, par, x)
    got = start.copy()
    for at in _sibling_ranks(par):
        assert len(set(par[at].tolist())) == len(at)  # distinct targets: a plain indexed addition adds each once
        got[par[at]] += x[at]
    assert got.tobytes() == expected.tobytes()


@HYPOTHESIS
@given(case=capacity_estates())
def test_a_large_schedule_is_the_same_whether_its_parts_ran_side_by_side_or_in_turn(tmp_path_factory, case) -> None:
    """Above the MILP's size the first-fits, and the improvement beside the Lagrangian bound, may run in a forked
    process: one worker or two, the schedule, its bound and its status are the same."""
    import json

    import planner.schedule.waves as waves_module
    from planner import load_inventory, make_plan

    sites, wls, waves = case
    out = []
    for threads in (1, 2):
        scn = {**BASE["scenario"], "horizon_months": 12, "waves": waves, "solver": {"threads": threads}}
        path = inventory(tmp_path_factory.mktemp(f"threads{threads}"), wls, sites=sites, scenario=scn)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(waves_module, "MILP_MAX_UNITS", 0)
            doc = json.loads(make_plan(load_inventory(path)).plan.to_json())
        doc["solver"]["seconds"] = 0.0
        doc.pop("inventory_sha256")  # the two scenarios differ in their threads
        out.append(doc)
    assert out[0] == out[1]


def test_units_waiting_for_room_queue_by_deadline_and_keep_capacity(tmp_path) -> None:
    """Arrivals into a full site wait for its leavers; the scheduler on the large-estate path keeps capacity between
    waves and moves every workload."""
    cost = {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}
    sites = [{"id": "dc-0", "kind": "onprem", "zone": "madrid", "cost": {**cost, "vcpu_month": 60.0},
              "capacity": {"vcpu": 6}},
             {"id": "dc-1", "kind": "onprem", "zone": "madrid", "cost": {**cost, "vcpu_month": 5.0},
              "capacity": {"vcpu": 6}}]
    wls = [workload(f"l{i}", app=f"l{i}", vcpu=2, memory_gb=1, storage_gb=0, current_site="dc-1", pin="dc-0",
                    migration_effort_hours=4) for i in range(3)]
    wls += [workload(f"a{i}", app=f"a{i}", vcpu=2, memory_gb=1, storage_gb=0, current_site="dc-0", pin="dc-1",
                     migration_effort_hours=4) for i in range(3)]
    scn = {**BASE["scenario"], "horizon_months": 12,
           "waves": {"first_wave_max_workloads": 2, "growth_per_wave": 0, "max_workloads": 2, "pilot_waves": 0,
                     "max_effort_hours": 100, "length_days": 30}}
    result, seen = plan_capturing(inventory(tmp_path, wls, sites=sites, scenario=scn))
    assert "units" in seen and result.plan.waves
    site_of = {a.workload: a.site for a in result.plan.assignments}
    wave_of = {wid: w.number for w in result.plan.waves for wid in w.workloads}
    assert sorted(wave_of) == sorted(w["id"] for w in wls)
    assert not breaks(result.estate, site_of, wave_of, {"dc-0", "dc-1"}, max(wave_of.values()))
