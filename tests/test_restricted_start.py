"""A restricted start keeps the sites a short capacity sends workloads to, and a model grown after the proof
starts from the prices it ended with."""

from __future__ import annotations

import pytest
from helpers import BASE, inventory

from planner import Limits, load_inventory, make_plan, use_limits, verify_plan


def _short_cheap_site(tmp_path, apps: int = 30, cheap_vcpu: int = 40, spare: int = 0):
    """`apps` two-workload apps on mad-dc1; az-sao is cheapest but holds only `cheap_vcpu` vCPU; `spare` more sites
    in Frankfurt, each dearer than the last."""
    wls = []
    for a in range(apps):
        wls.append({"id": f"a{a}-db", "app": f"a{a}", "env": "prod", "vcpu": 2, "memory_gb": 4, "storage_gb": 10,
                    "current_site": "mad-dc1", "migration_cost": 10})
        wls.append({"id": f"a{a}-web", "app": f"a{a}", "env": "prod", "vcpu": 2, "memory_gb": 4, "storage_gb": 10,
                    "current_site": "mad-dc1", "migration_cost": 10,
                    "depends_on": [{"workload": f"a{a}-db", "traffic_gb_month": 50 + a}]})
    sites = [dict(s) for s in BASE["sites"]]
    sites[2] = {**sites[2], "capacity": {"vcpu": cheap_vcpu}}
    fra = sites[1]
    sites += [{**fra, "id": f"az-fra{k + 2}", "cost": {**fra["cost"], "vcpu_month": 10.0 + k + 1}} for k in range(spare)]
    return load_inventory(inventory(tmp_path, wls, sites=sites, scenario={
        "start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100, "solver": {"gap": 0}}))


def _plan(inv, keep: int = 1):
    said: list[str] = []
    with use_limits(Limits(restrict_from=0.0, restrict_min_entries=0, keep=keep)):
        restricted = make_plan(inv, progress=said.append)
    return restricted, said


def test_the_sites_a_short_capacity_sends_workloads_to_are_modelled_from_the_start(tmp_path):
    inv = _short_cheap_site(tmp_path)
    restricted, said = _plan(inv)
    full = make_plan(inv)
    assert any("the cheapest of" in m for m in said)  # the model did start restricted
    assert not [m for m in said if "placing again" in m]  # ... and one solve was enough: nothing left out could help
    assert verify_plan(restricted.estate, restricted.plan) == []
    assert restricted.plan.status == full.plan.status == "optimal"
    assert restricted.plan.totals["horizon_cost"] == pytest.approx(full.plan.totals["horizon_cost"], abs=0.02)
    on = {}
    for a in restricted.plan.assignments:
        on[a.site] = on.get(a.site, 0) + 1
    assert 0 < on.get("az-sao", 0) <= 20 and on.get("az-fra", 0) > 0  # the short site is full, the rest went next door


def test_a_model_grown_for_what_the_start_cannot_see_reaches_the_full_models_optimum(tmp_path):
    # Each tier of an app is cheapest on a site of its own (vCPU, memory, storage), and their traffic is dear: all
    # together on az-mid, second everywhere, is best. A start from each one's cheapest site and its neighbours' cannot
    # see az-mid, so the proof names it and the model grows, pricing from where the last one ended.
    def tier(wid, vcpu, mem, disk, **more):
        return {"id": wid, "app": wid.split("-")[0], "env": "prod", "vcpu": vcpu, "memory_gb": mem, "storage_gb": disk,
                "current_site": "mad-dc1", "migration_cost": 10, **more}
    wls = []
    for a in range(6):
        wls += [tier(f"a{a}-cpu", 16, 1, 10), tier(f"a{a}-mem", 1, 64, 10, depends_on=[
                    {"workload": f"a{a}-cpu", "traffic_gb_month": 5000}]),
                tier(f"a{a}-disk", 1, 1, 4000, depends_on=[{"workload": f"a{a}-mem", "traffic_gb_month": 5000}])]
    dear = {"vcpu_month": 40.0, "memory_gb_month": 4.0, "storage_gb_month": 0.4, "egress_gb": 0.1}

    def site(sid, **cost):
        return {"id": sid, "kind": "azure", "zone": "frankfurt", "cost": {**dear, **cost}}
    sites = [{**BASE["sites"][0], "cost": {"vcpu_month": 90.0, "memory_gb_month": 9.0, "storage_gb_month": 0.9,
                                           "egress_gb": 0.1}},
             site("az-cpu", vcpu_month=5.0), site("az-mem", memory_gb_month=0.5), site("az-disk", storage_gb_month=0.05),
             site("az-mid", vcpu_month=12.0, memory_gb_month=1.2, storage_gb_month=0.12)]
    inv = load_inventory(inventory(tmp_path, wls, sites=sites, scenario={
        "start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100, "solver": {"gap": 0}}))
    restricted, said = _plan(inv)
    full = make_plan(inv)
    assert [m for m in said if "placing again" in m]
    assert verify_plan(restricted.estate, restricted.plan) == []
    assert {a.site for a in full.plan.assignments} == {"az-mid"}  # the case is what it says
    # Grown to every admissible placement, the model is the full one: its own proof holds, to the gap asked (0).
    assert restricted.plan.status == full.plan.status == "optimal"
    assert restricted.plan.totals["horizon_cost"] == pytest.approx(full.plan.totals["horizon_cost"], abs=0.02)


class _Said:
    """A progress callback that also keeps the solver's detail lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, message: str) -> None:
        self.lines.append(message)

    def detail(self, message: str) -> None:
        self.lines.append(message)


@pytest.mark.parametrize("gap", [0.0, 0.02])
def test_the_full_model_proof_stops_once_the_gap_is_proven_and_stays_a_bound(tmp_path, gap):
    inv = _short_cheap_site(tmp_path, apps=30, cheap_vcpu=40, spare=3)
    best = make_plan(inv).plan.totals["horizon_cost"]  # the scenario asks for a zero gap: this is the optimum
    said = _Said()
    with use_limits(Limits(restrict_from=0.0, restrict_min_entries=0, keep=1, proof_chunk_entries=8)):
        scenario = inv.scenario.model_copy(update={"solver": inv.scenario.solver.model_copy(update={"gap": gap})})
        result = make_plan(inv.model_copy(update={"scenario": scenario}), progress=said)
    assert verify_plan(result.estate, result.plan) == []
    assert result.plan.solver["bound"] <= best + 0.02  # a bound, however early the proof stopped
    stopped = [m for m in said.lines if "the gap was proven before" in m]
    if gap:
        assert stopped and result.plan.status == "optimal" and result.plan.solver["gap"] <= gap
    else:  # with no gap to spare every island is checked
        assert not stopped and [m for m in said.lines if "groups of linked workloads checked" in m]
