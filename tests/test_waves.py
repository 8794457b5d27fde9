"""The wave schedule: every wave rule, the savings objective, explanations when no schedule exists."""

from __future__ import annotations

import copy
import datetime as dt
import json

from helpers import BASE, inventory, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import load_inventory, make_plan, verify_plan
from planner.plan.document import read_plan
from planner.schedule.waves import months_after, realised_savings

CHEAP_OLD_DC = {"id": "old-dc", "kind": "onprem", "zone": "madrid", "closes": "2027-02-15",
                "cost": {"vcpu_month": 1.0, "memory_gb_month": 0.1, "storage_gb_month": 0.01, "egress_gb": 0.0}}


def plan(tmp_path, wls, waves=None, sites=None, **scenario):
    scn = {**BASE["scenario"], "waves": {"first_wave_max_workloads": 10, "growth_per_wave": 10, "pilot_waves": 0, **(waves or {})}, **scenario}
    return make_plan(load_inventory(inventory(tmp_path, wls, sites=sites or BASE["sites"], scenario=scn)))


def waves_of(result):
    return {a.workload: a.wave for a in result.plan.assignments if a.wave is not None}


def ok(result):
    assert result.plan.status != "infeasible", result.plan.problems
    assert verify_plan(result.estate, result.plan) == []
    return waves_of(result)


def test_move_group_shares_a_wave_and_non_production_goes_first(tmp_path):
    wls = [workload("p1"), workload("p2"), workload("d1", env="dev")]
    w = ok(plan(tmp_path, wls))
    assert w["p1"] == w["p2"] and w["d1"] < w["p1"]


def test_pilot_waves_hold_no_high_criticality_app(tmp_path):
    wls = [workload("c1", app="crit", criticality="high"), workload("l1", app="low")]
    assert ok(plan(tmp_path, wls))["c1"] == 1  # without pilots it moves at once
    w = ok(plan(tmp_path, wls, waves={"pilot_waves": 2}))
    assert w["c1"] == 3 and w["l1"] == 1


def test_count_limit_ramps_up(tmp_path):
    wls = [workload(f"w{i}", app=f"a{i}") for i in range(4)]
    w = ok(plan(tmp_path, wls, waves={"first_wave_max_workloads": 1, "growth_per_wave": 1, "max_workloads": 2}))
    per = [list(w.values()).count(k) for k in (1, 2, 3)]
    assert per == [1, 2, 1]


def test_effort_limit(tmp_path):
    wls = [workload(f"w{i}", app=f"a{i}", migration_effort_hours=8) for i in range(3)]
    w = ok(plan(tmp_path, wls, waves={"max_effort_hours": 10}))
    assert sorted(w.values()) == [1, 2, 3]


def test_closing_site_forces_a_money_losing_move_early(tmp_path):
    # leaving the cheap closing site costs money every month, so the optimiser would move it last ...
    sites = BASE["sites"] + [dict(CHEAP_OLD_DC, closes="2028-06-30")]
    wls = [workload("o1", app="old", current_site="old-dc")]
    late = ok(plan(tmp_path, wls, sites=sites, horizon_months=24))
    assert late["o1"] == 18  # the last wave ending before 2028-06-30
    # ... but a closing day in February leaves only wave 1 (ends 2027-01-30)
    sites = BASE["sites"] + [CHEAP_OLD_DC]
    assert ok(plan(tmp_path, wls, sites=sites))["o1"] == 1


def test_dependency_target_never_moves_after_its_dependant(tmp_path):
    # `cheap` loses money by moving, `rich` saves a lot; rich depends on cheap, so cheap cannot wait
    sites = BASE["sites"] + [dict(CHEAP_OLD_DC, closes="2028-06-30")]
    wls = [workload("r1", app="rich", vcpu=16, depends_on=[{"workload": "c1"}]), workload("c1", app="cheap", current_site="old-dc")]
    w = ok(plan(tmp_path, wls, sites=sites, horizon_months=24))
    assert w["c1"] <= w["r1"] == 1


def test_latency_bound_dependency_moves_together(tmp_path):
    # a on mad-dc1 needs b within 5 ms; b moving first (to sao-paulo or frankfurt) would be 30+ ms away
    waves = {"first_wave_max_workloads": 1, "growth_per_wave": 1, "max_workloads": 2}
    free = [workload("a1", app="a", depends_on=[{"workload": "b1"}]), workload("b1", app="b")]
    w = ok(plan(tmp_path, free, waves=waves))
    assert w["b1"] < w["a1"]  # one per first wave: the target first
    bound = [workload("a1", app="a", depends_on=[{"workload": "b1", "max_latency_ms": 5}]), workload("b1", app="b")]
    result = plan(tmp_path, bound, waves=waves)
    w = ok(result)
    assert w["a1"] == w["b1"] == 2
    # the verifier refuses the split schedule
    doc = json.loads(result.plan.to_json())
    for a in doc["assignments"]:
        a["wave"] = 1 if a["workload"] == "b1" else 2
    doc["waves"] = [dict(doc["waves"][0], wave=1, start="2027-01-01", end="2027-01-30", workloads=["b1"], phase="2027-H1"),
                    dict(doc["waves"][1], wave=2, workloads=["a1"])]
    (tmp_path / "split.json").write_text(json.dumps(doc))
    rules = {p.rule for p in verify_plan(result.estate, read_plan(tmp_path / "split.json"))}
    assert "wave-order" in rules


def test_optimiser_realises_more_than_first_fit(tmp_path):
    # one group per wave; first-fit takes apps by name, the optimiser moves the big saving first
    wls = [workload("a1", app="a-small"), workload("z1", app="z-big", vcpu=32, memory_gb=64)]
    result = plan(tmp_path, wls, waves={"first_wave_max_workloads": 1, "growth_per_wave": 0, "max_workloads": 1})
    w = ok(result)
    assert w == {"z1": 1, "a1": 2}
    sites = {a.workload: a.site for a in result.plan.assignments}
    first_fit = realised_savings(result.estate, {"a1": 1, "z1": 2}, sites)
    assert result.plan.schedule.realised_savings > first_fit + 100


def test_schedule_block_and_phases(tmp_path):
    wls = [workload(f"w{i}", app=f"a{i}") for i in range(8)]
    result = plan(tmp_path, wls, waves={"first_wave_max_workloads": 1, "growth_per_wave": 0, "max_workloads": 1, "length_days": 30})
    ok(result)
    doc = json.loads(result.plan.to_json())
    sched = doc["schedule"]
    assert [p["phase"] for p in sched["phases"]] == ["2027-H1", "2027-H2"]  # wave 7 starts 2027-06-30
    assert sched["phases"][0]["waves"] == [1, 2, 3, 4, 5, 6, 7] and sched["phases"][1]["waves"] == [8]
    assert sched["phases"][1] == {"phase": "2027-H2", "start": "2027-07-30", "end": "2027-08-28", "waves": [8]}
    assert all(wv["phase"] == ("2027-H1" if wv["wave"] <= 7 else "2027-H2") for wv in doc["waves"])
    assert sched["status"] == "optimal" and sched["cross_wave_dependencies"] == 0
    assert 0 < sched["realised_savings"] < sched["monthly_savings"] * 12
    # round trip, and plans written before the block still read
    (tmp_path / "plan.json").write_text(result.plan.to_json())
    assert read_plan(tmp_path / "plan.json").to_json() == result.plan.to_json()
    old = copy.deepcopy(doc)
    old.pop("schedule")
    for wv in old["waves"]:
        wv.pop("phase")
    (tmp_path / "old.json").write_text(json.dumps(old))
    again = read_plan(tmp_path / "old.json")
    assert again.schedule is None and verify_plan(result.estate, again) == []
    # a misstated saving is caught
    doc["schedule"]["realised_savings"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    assert [p.rule for p in verify_plan(result.estate, read_plan(tmp_path / "bad.json"))] == ["cost"]


def test_month_convention(tmp_path):
    result = plan(tmp_path, [workload("w1")])
    est = result.estate
    assert months_after(est, 0) == 12  # a move "before day one" realises the whole horizon
    assert months_after(est, 12) == 12 * (365 - 360) / 365
    assert months_after(est, 13) == 0


def test_no_schedule_high_criticality_app_on_a_site_closing_during_the_pilots(tmp_path):
    sites = BASE["sites"] + [CHEAP_OLD_DC]
    wls = [workload("c1", app="crm", criticality="high", current_site="old-dc")]
    result = plan(tmp_path, wls, sites=sites, waves={"pilot_waves": 2})
    assert result.plan.status == "infeasible"
    (p,) = result.plan.problems
    assert p.rule == "waves" and p.workloads == ("c1",) and p.sites == ("old-dc",)
    assert "crm production cannot move before wave 3" in p.message and "pilots" in p.message and "old-dc" in p.message


def test_no_schedule_too_many_groups_before_a_closing_day(tmp_path):
    sites = BASE["sites"] + [CHEAP_OLD_DC]
    wls = [workload(f"o{i}", app=f"app{i}", current_site="old-dc") for i in range(3)]
    result = plan(tmp_path, wls, sites=sites, waves={"first_wave_max_workloads": 2, "growth_per_wave": 0, "max_workloads": 2})
    (p,) = result.plan.problems
    assert p.rule == "waves" and p.sites == ("old-dc",) and p.workloads == ("o0", "o1", "o2")
    assert p.groups == ("app0 production", "app1 production", "app2 production")  # listed beside the sentence, not in it
    assert "old-dc closes on 2027-02-15: 3 workloads must leave it" in p.message and "the waves can move 2" in p.message
    assert "waves.max_workloads and first_wave_max_workloads >= 3" in p.message and "close old-dc on or after 2027-03-02" in p.message
    # the placement stands: every workload keeps its site, none has a wave, and the verifier accepts it
    assert result.plan.status == "infeasible" and len(result.plan.assignments) == 3 and result.plan.waves == []
    assert all(a.wave is None for a in result.plan.assignments) and verify_plan(result.estate, result.plan) == []


def test_no_schedule_past_the_horizon(tmp_path):
    wls = [workload(f"w{i}", app=f"a{i}") for i in range(3)]
    result = plan(tmp_path, wls, horizon_months=2, default_migration_cost=0, waves={"first_wave_max_workloads": 1, "growth_per_wave": 0, "max_workloads": 1})
    (p,) = result.plan.problems
    assert p.rule == "waves" and "waves 1 to 1" in p.message  # wave 2 ends 2027-03-01, after the horizon


def test_no_schedule_latency_pairs_production_with_non_production(tmp_path):
    wls = [workload("a1", app="web", depends_on=[{"workload": "b1", "max_latency_ms": 5}]), workload("b1", app="batch", env="test")]
    result = plan(tmp_path, wls)
    (p,) = result.plan.problems
    assert p.rule == "wave-order" and p.workloads == ("a1", "b1")
    assert "batch non-production and web production" in p.message and "never share a wave" in p.message


def test_no_schedule_non_production_depending_on_its_production(tmp_path):
    wls = [workload("p1", app="crm"), workload("t1", app="crm", env="test", depends_on=[{"workload": "p1"}])]
    (p,) = plan(tmp_path, wls).plan.problems
    assert p.rule == "wave-order" and "t1 depends on p1" in p.message and "crm non-production moves before its production" in p.message


def test_same_inventory_same_schedule(tmp_path):
    wls = [workload(f"w{i}", app=f"a{i % 7}", env="prod" if i % 3 else "dev", vcpu=1 + i % 5,
                    criticality="high" if i % 11 == 0 else "medium",
                    depends_on=[{"workload": f"w{i - 1}"}] if i % 4 == 1 else []) for i in range(40)]
    waves = {"first_wave_max_workloads": 4, "growth_per_wave": 3, "max_workloads": 12, "pilot_waves": 1}
    first, second = plan(tmp_path, wls, waves=waves), plan(tmp_path, wls, waves=waves)
    ok(first)
    one, two = json.loads(first.plan.to_json()), json.loads(second.plan.to_json())
    one["solver"].pop("seconds"), two["solver"].pop("seconds")
    assert one == two


@st.composite
def estates(draw):
    n = draw(st.integers(1, 8))
    apps = ["a", "b", "c"]
    wls = []
    for i in range(n):
        w = workload(f"w{i}", app=draw(st.sampled_from(apps)), env=draw(st.sampled_from(["prod", "dev"])),
                     criticality=draw(st.sampled_from(["low", "high"])), vcpu=draw(st.integers(1, 8)),
                     current_site=draw(st.sampled_from(["mad-dc1", "old-dc", "az-fra"])),
                     migration_effort_hours=draw(st.sampled_from([4, 8, 16])))
        if i and draw(st.booleans()):
            dep = {"workload": f"w{draw(st.integers(0, i - 1))}"}
            if draw(st.booleans()):
                dep["max_latency_ms"] = draw(st.sampled_from([5, 40, 250]))
            w["depends_on"] = [dep]
        wls.append(w)
    closes = draw(st.sampled_from(["2027-03-15", "2027-06-30", "2030-01-01"]))
    waves = {"first_wave_max_workloads": draw(st.integers(1, 4)), "growth_per_wave": draw(st.integers(0, 2)),
             "max_workloads": draw(st.integers(4, 8)), "pilot_waves": draw(st.integers(0, 2)),
             "max_effort_hours": draw(st.sampled_from([20, 100])), "length_days": draw(st.sampled_from([14, 30, 45]))}
    return wls, dict(CHEAP_OLD_DC, closes=closes), waves


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=estates())
def test_every_schedule_verifies(tmp_path, case):
    wls, old, waves = case
    result = plan(tmp_path, wls, waves=waves, sites=BASE["sites"] + [old], horizon_months=6)
    if result.plan.status == "infeasible":
        assert result.plan.problems and all(p.message for p in result.plan.problems)
        return
    assert verify_plan(result.estate, result.plan) == []
    moved = {a.workload for a in result.plan.assignments if a.moves}
    assert set(waves_of(result)) == moved
    last = max((w.end for w in result.plan.waves), default=dt.date(2027, 1, 1))
    assert last < result.estate.scenario.horizon_end
