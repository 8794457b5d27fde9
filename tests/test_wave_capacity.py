"""Capacity between waves: after every wave no site holds more than its capacity (unless it already did and the
wave brings it nothing); the scheduler orders moves so leavers free room first, the verifier checks it, and a
placement whose waves cannot keep it (or a closing date) is published without waves."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers import BASE, inventory, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import load_inventory, make_plan, verify_plan
from planner.cli import main

ONPREM_COST = {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}


def dc(sid: str, vcpu: float, **fields) -> dict:
    return {"id": sid, "kind": "onprem", "zone": "madrid", "capacity": {"vcpu": vcpu}, "cost": dict(ONPREM_COST), **fields}


def scenario(**waves) -> dict:
    return {**BASE["scenario"], "waves": {"first_wave_max_workloads": 10, "growth_per_wave": 10, "pilot_waves": 0, **waves}}


def loads_after_waves(result) -> dict[str, list[float]]:
    """vCPU on every site today and after each wave, re-derived from the plan (not from the scheduler)."""
    est, plan = result.estate, result.plan
    site = {a.workload: a.site for a in plan.assignments}
    wl = {w.id: w for w in est.inventory.workloads}
    load = {s.id: 0.0 for s in est.sites}
    for w in wl.values():
        load[w.current_site] += w.vcpu
    out = {s: [v] for s, v in load.items()}
    for wave in sorted(plan.waves, key=lambda w: w.number):
        for wid in wave.workloads:
            load[wl[wid].current_site] -= wl[wid].vcpu
            load[site[wid]] += wl[wid].vcpu
        for s, v in load.items():
            out[s].append(v)
    return out


def test_leavers_free_room_before_arrivals_need_it(tmp_path: Path) -> None:
    # dc-a is full today; `newcomer` must come in from the closing dc-old and `leaver` must go to dc-b: it goes first
    sites = [dc("dc-a", 10), dc("dc-b", 100), dc("dc-old", 100, closes="2027-06-30")]
    wls = [workload("leaver", app="l", vcpu=8, current_site="dc-a", pin="dc-b"),
           workload("newcomer", app="n", vcpu=6, current_site="dc-old", pin="dc-a"),
           workload("stay", app="s", vcpu=2, current_site="dc-a")]
    result = make_plan(load_inventory(inventory(tmp_path, wls, sites=sites, scenario=scenario(first_wave_max_workloads=1, growth_per_wave=0))))
    assert result.plan.status == "optimal", result.plan.problems
    wave = {a.workload: a.wave for a in result.plan.assignments}
    assert wave["leaver"] < wave["newcomer"]
    assert max(loads_after_waves(result)["dc-a"]) <= 10
    assert verify_plan(result.estate, result.plan) == []


def test_a_swap_of_full_sites_moves_in_one_wave(tmp_path: Path) -> None:
    sites = [dc("dc-a", 10), dc("dc-b", 10)]
    wls = [workload("x", app="x", vcpu=8, current_site="dc-a", pin="dc-b"),
           workload("y", app="y", vcpu=8, current_site="dc-b", pin="dc-a")]
    result = make_plan(load_inventory(inventory(tmp_path, wls, sites=sites, scenario=scenario())))
    wave = {a.workload: a.wave for a in result.plan.assignments}
    assert result.plan.status == "optimal" and wave["x"] == wave["y"]


def test_no_order_keeps_capacity_names_site_wave_shortfall_and_fix(tmp_path: Path) -> None:
    # the swap above, but production and non-production never share a wave: no order exists
    sites = [dc("dc-a", 10), dc("dc-b", 10)]
    wls = [workload("x", app="x", vcpu=8, current_site="dc-a", pin="dc-b"),
           workload("y", app="y", env="dev", vcpu=8, current_site="dc-b", pin="dc-a")]
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["plan", str(inventory(tmp_path, wls, sites=sites, scenario=scenario())), "--out", str(out),
                                    "--no-reports", "--quiet"])
    assert run.exit_code == 1, run.output
    doc = json.loads((out / "plan.json").read_text())
    assert doc["status"] == "infeasible" and doc["waves"] == [] and len(doc["assignments"]) == 2
    (p,) = doc["problems"]
    assert p["rule"] == "wave-capacity" and len(p["message"]) < 400
    assert "dc-b would hold 16 vCPU, 6 over its capacity of 10" in p["message"]
    assert "more vCPU from" in p["message"] and "move after wave" in p["message"]
    assert p["sites"] == ["dc-b"]


def test_a_site_over_capacity_today_may_only_shrink(tmp_path: Path) -> None:
    # dc-a holds 12 of its 10 vCPU today; one workload leaves and another arrives: the arrival waits until it fits
    sites = [dc("dc-a", 10), dc("dc-b", 100)]
    wls = [workload("big", app="b", vcpu=6, current_site="dc-a", pin="dc-b"),
           workload("rest", app="r", vcpu=6, current_site="dc-a"),
           workload("in", app="i", vcpu=3, current_site="dc-b", pin="dc-a")]
    result = make_plan(load_inventory(inventory(tmp_path, wls, sites=sites, scenario=scenario())))
    wave = {a.workload: a.wave for a in result.plan.assignments}
    assert result.plan.status == "optimal" and wave["big"] <= wave["in"]
    assert verify_plan(result.estate, result.plan) == []


def test_verify_rejects_waves_in_the_wrong_order(tmp_path: Path) -> None:
    sites = [dc("dc-a", 10), dc("dc-b", 100), dc("dc-old", 100, closes="2027-06-30")]
    wls = [workload("leaver", app="l", vcpu=8, current_site="dc-a", pin="dc-b"),
           workload("newcomer", app="n", vcpu=6, current_site="dc-old", pin="dc-a")]
    inv = inventory(tmp_path, wls, sites=sites, scenario=scenario(first_wave_max_workloads=1, growth_per_wave=0))
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["plan", str(inv), "--out", str(out), "--no-reports", "--quiet"]).exit_code == 0
    doc = json.loads((out / "plan.json").read_text())
    first, second = sorted(doc["waves"], key=lambda w: w["wave"])[:2]
    first["workloads"], second["workloads"] = second["workloads"], first["workloads"]
    for a in doc["assignments"]:
        a["wave"] = {"leaver": second["wave"], "newcomer": first["wave"]}.get(a["workload"], a["wave"])
    (out / "bad.json").write_text(json.dumps(doc))
    run = CliRunner().invoke(main, ["verify", str(inv), str(out / "bad.json")])
    assert run.exit_code == 1
    assert "[wave-capacity] after wave 1 dc-a holds 14 vCPU, 4 over its capacity of 10" in run.output


def test_a_wave_longer_than_the_horizon_is_bad_input(tmp_path: Path) -> None:
    inv = inventory(tmp_path, [workload("w")], scenario={**BASE["scenario"], "waves": {"length_days": 400}})
    run = CliRunner().invoke(main, ["plan", str(inv), "--out", str(tmp_path / "out"), "--quiet"])
    assert run.exit_code == 2 and "scenario.waves.length_days" in run.output and "longer than the 12-month horizon" in run.output
    assert not (tmp_path / "out" / "plan.json").exists()


def test_zero_workloads_a_wave_is_bad_input(tmp_path: Path) -> None:
    inv = inventory(tmp_path, [workload("w")], scenario={**BASE["scenario"], "waves": {"max_workloads": 0}})
    run = CliRunner().invoke(main, ["validate", str(inv)])
    assert run.exit_code == 2 and "scenario.waves.max_workloads" in run.output


def test_a_deadline_the_waves_cannot_meet_keeps_the_placement(tmp_path: Path) -> None:
    old = dc("dc-old", 1000, closes="2027-03-31")
    wls = [workload(f"w{i:02d}", app=f"app{i // 3}", current_site="dc-old") for i in range(30)]
    inv = inventory(tmp_path, wls, sites=BASE["sites"] + [old], scenario=scenario(first_wave_max_workloads=5, growth_per_wave=5))
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["plan", str(inv), "--out", str(out), "--quiet"])
    assert run.exit_code == 1, run.output
    doc = json.loads((out / "plan.json").read_text())
    assert doc["status"] == "infeasible" and doc["waves"] == [] and "schedule" not in doc
    assert len(doc["assignments"]) == 30 and all(a["site"] != "dc-old" and a["wave"] is None for a in doc["assignments"])
    assert doc["totals"]["horizon_cost"] > 0 and doc["solver"]["objective"] == doc["totals"]["horizon_cost"]
    (p,) = doc["problems"]
    assert len(p["message"]) < 300 and p["sites"] == ["dc-old"] and len(p["groups"]) == 10
    assert p["message"].startswith("dc-old closes on 2027-03-31: 30 workloads must leave it")
    assert "the waves can move 15" in p["message"] and "waves.growth_per_wave >= 20 or waves.first_wave_max_workloads >= 13" in p["message"]
    assert "app1" not in p["message"]
    assert CliRunner().invoke(main, ["verify", str(inv), str(out / "plan.json")]).exit_code == 0
    roadmap = (out / "roadmap.md").read_text()
    assert "The placement holds, but its waves cannot meet every rule" in roadmap and "dc-old closes on 2027-03-31" in roadmap
    assert "The placement holds" in (out / "executive.md").read_text()


@st.composite
def estates(draw):
    n_sites = draw(st.integers(2, 3))
    caps = [draw(st.integers(8, 30)) for _ in range(n_sites)]
    sites = [dc(f"dc-{j}", caps[j]) for j in range(n_sites)]
    wls, load = [], [0] * n_sites
    for i in range(draw(st.integers(2, 9))):
        here, there = draw(st.integers(0, n_sites - 1)), draw(st.integers(0, n_sites - 1))
        size = draw(st.integers(1, 6))
        wls.append(workload(f"w{i}", app=f"a{draw(st.integers(0, 4))}", env=draw(st.sampled_from(["prod", "dev"])), vcpu=size,
                            current_site=f"dc-{here}", pin=f"dc-{there}"))
        load[there] += size
    for j, s in enumerate(sites):  # the final placement fits; today may not
        s["capacity"]["vcpu"] = max(caps[j], load[j])
    return sites, wls


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(estates())
def test_every_schedule_keeps_capacity_between_waves(tmp_path_factory, estate) -> None:
    sites, wls = estate
    path = inventory(tmp_path_factory.mktemp("cap"), wls, sites=sites, scenario=scenario(first_wave_max_workloads=2, growth_per_wave=1))
    result = make_plan(load_inventory(path))  # the verifier inside rejects any interim breach as the planner's fault
    if result.plan.status == "infeasible":
        assert result.plan.problems and result.plan.waves == []
        return
    cap = {s["id"]: s["capacity"]["vcpu"] for s in sites}
    for site, track in loads_after_waves(result).items():
        for before, after in zip(track, track[1:]):
            assert after <= cap[site] or (before > cap[site] and after <= before), (site, track)


def test_a_money_losing_leaver_goes_late_with_the_arrivals_that_need_its_room(tmp_path: Path) -> None:
    # `loser` leaves the cheap, full dc-cheap for a dearer site; `saver` must leave the closing dc-old for dc-cheap and
    # can only come in once `loser` has gone. Each month `loser` has gone costs more than `saver` there saves, so the
    # best schedule moves both in `saver`'s last wave before the closing, not as early as they fit, on either path.
    from helpers import best_schedule, plan_capturing

    dear = {**ONPREM_COST, "vcpu_month": 40.0}
    sites = [dc("dc-cheap", 4, cost={**ONPREM_COST, "vcpu_month": 5.0}), dc("dc-dear", 100, cost=dear),
             dc("dc-old", 100, cost=dear, closes="2027-09-30")]
    wls = [workload("loser", app="l", vcpu=4, current_site="dc-cheap", pin="dc-dear"),
           workload("saver", app="s", vcpu=2, current_site="dc-old", pin="dc-cheap")]
    scn = {**scenario(length_days=90), "horizon_months": 12}
    for heuristic in (True, False):
        (tmp_path / str(heuristic)).mkdir()
        result, seen = plan_capturing(inventory(tmp_path / str(heuristic), wls, sites=sites, scenario=scn), heuristic)
        assert result.plan.status == "optimal", result.plan.problems
        room = seen["room"]
        best = best_schedule(seen["estate"], seen["units"], seen["edges"], lambda wave: room.placed(list(wave)).clean())
        assert abs(result.plan.schedule.realised_savings - best) <= 0.01, (heuristic, result.plan.schedule.realised_savings, best)
        wave = {a.workload: a.wave for a in result.plan.assignments}
        assert wave["loser"] == wave["saver"] > 1
        assert verify_plan(result.estate, result.plan) == []
