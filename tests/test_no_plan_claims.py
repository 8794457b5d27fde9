""""No plan" is a claim that needs a proof: when the search for the rules that collide stops before it proves
any must give, the plan says none was found (status unknown), never that none exists."""

from __future__ import annotations

from helpers import inventory, workload

from planner import load_inventory, make_plan
from planner.solve import diagnose, solvers


def _two_for_one_seat(tmp_path):
    """Two Brazilian-data workloads, one admissible site with room for one: no plan exists."""
    sites = [{"id": "az-sao", "kind": "azure", "zone": "sao-paulo", "capacity": {"vcpu": 2},
              "cost": {"vcpu_month": 8.0, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}},
             {"id": "mad-dc1", "kind": "onprem", "zone": "madrid",
              "cost": {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}}]
    wls = [workload(f"w{i}", data=["personal-br"], anti_affinity="g" if i < 2 else None) for i in range(3)]
    for w in wls:
        if w["anti_affinity"] is None:
            del w["anti_affinity"]
    wls[2]["current_site"] = "mad-dc1"
    return load_inventory(inventory(tmp_path, wls, sites=sites))


def test_a_proven_collision_is_named(tmp_path):
    plan = make_plan(_two_for_one_seat(tmp_path)).plan
    assert plan.status == "infeasible"
    assert plan.problems and all(p.rule != "time-limit" for p in plan.problems)


def test_an_unproven_collision_is_not_called_no_plan(tmp_path, monkeypatch):
    class StopsEarly(solvers.Highs):
        def mip(self, *args, **kwargs):
            res = super().mip(*args, **kwargs)
            # The same incumbent, but as a search stopped before its bound rose above zero.
            return solvers.Result(solvers.Status.FEASIBLE, res.x, res.objective, 0.0) if res.x is not None else res

    monkeypatch.setattr(diagnose, "solver", lambda name: StopsEarly())
    plan = make_plan(_two_for_one_seat(tmp_path)).plan
    assert plan.status == "unknown"
    assert [p.rule for p in plan.problems] == ["time-limit"]
    assert "did not prove that none exists" in plan.problems[0].message
    assert plan.solver["objective"] is None and plan.solver["bound"] is None
