"""A restricted start keeps the sites a short capacity sends workloads to, and a model grown after the proof
starts from the prices it ended with."""

from __future__ import annotations

import pytest
from helpers import BASE, inventory

from planner import Limits, load_inventory, make_plan, use_limits, verify_plan


def _short_cheap_site(tmp_path, apps: int = 30, cheap_vcpu: int = 40):
    """`apps` two-workload apps on mad-dc1; az-sao is cheapest but holds only `cheap_vcpu` vCPU."""
    wls = []
    for a in range(apps):
        wls.append({"id": f"a{a}-db", "app": f"a{a}", "env": "prod", "vcpu": 2, "memory_gb": 4, "storage_gb": 10,
                    "current_site": "mad-dc1", "migration_cost": 10})
        wls.append({"id": f"a{a}-web", "app": f"a{a}", "env": "prod", "vcpu": 2, "memory_gb": 4, "storage_gb": 10,
                    "current_site": "mad-dc1", "migration_cost": 10,
                    "depends_on": [{"workload": f"a{a}-db", "traffic_gb_month": 50 + a}]})
    sites = [dict(s) for s in BASE["sites"]]
    sites[2] = {**sites[2], "capacity": {"vcpu": cheap_vcpu}}
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


def test_a_model_grown_for_what_the_guess_cannot_see_reaches_the_full_models_optimum(tmp_path):
    # Each app's database is cheapest at az-fra (memory), its front end at az-sao (vCPU), and their traffic is dear:
    # together is best, on a site one of them does not rank first. The couplings-free guess cannot see that, so the
    # proof names the missing placements and the model grows, pricing from where the last one ended.
    wls = []
    for a in range(8):
        wls.append({"id": f"a{a}-db", "app": f"a{a}", "env": "prod", "vcpu": 1, "memory_gb": 16, "storage_gb": 10,
                    "current_site": "mad-dc1", "migration_cost": 10})
        wls.append({"id": f"a{a}-web", "app": f"a{a}", "env": "prod", "vcpu": 4, "memory_gb": 1, "storage_gb": 10,
                    "current_site": "mad-dc1", "migration_cost": 10,
                    "depends_on": [{"workload": f"a{a}-db", "traffic_gb_month": 3000}]})
    sites = [dict(s) for s in BASE["sites"]]
    sites[1] = {**sites[1], "cost": {**sites[1]["cost"], "memory_gb_month": 0.5}, "capacity": {"vcpu": 24}}
    sites[2] = {**sites[2], "capacity": {"vcpu": 24}}
    inv = load_inventory(inventory(tmp_path, wls, sites=sites, scenario={
        "start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100, "solver": {"gap": 0}}))
    restricted, said = _plan(inv)
    full = make_plan(inv)
    assert [m for m in said if "placing again" in m]
    assert verify_plan(restricted.estate, restricted.plan) == []
    # Grown to every admissible placement, the model is the full one: its own proof holds, to the gap asked (0).
    assert restricted.plan.status == full.plan.status == "optimal"
    assert restricted.plan.totals["horizon_cost"] == pytest.approx(full.plan.totals["horizon_cost"], abs=0.02)
