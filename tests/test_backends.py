"""Any solver PuLP knows plans through the same islands and bounds: HiGHS direct, HiGHS through PuLP and CBC agree."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import REPO, SCENARIO, competing_apps, inventory

from planner import load_inventory, make_plan, verify_plan
from planner.cli import main
from planner.domain.model import SolverSettings
from planner.solve.solvers import available_backends


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_direct_highs_pulp_highs_and_cbc_find_the_same_optimum(tmp_path, seed):
    wls, sites = competing_apps(seed)
    inv = load_inventory(inventory(tmp_path, wls, sites=sites, scenario=SCENARIO))
    costs = {}
    for backend in [b for b in ("highs", "HiGHS", "cbc") if b in available_backends()]:
        result = make_plan(inv, SolverSettings(backend=backend, gap=0.0))
        assert result.plan.status == "optimal", backend
        assert verify_plan(result.estate, result.plan) == []
        costs[backend] = result.plan.totals["horizon_cost"]
    assert len(costs) >= 2 and len(set(costs.values())) == 1, costs


def test_an_unknown_or_missing_backend_is_a_usage_error(tmp_path):
    wls, sites = competing_apps(0)
    path = inventory(tmp_path, wls, sites=sites, scenario=SCENARIO)
    result = CliRunner().invoke(main, ["plan", str(path), "--backend", "NOSUCH", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2 and "unknown solver 'NOSUCH'" in result.output and "available here" in result.output
    assert not (tmp_path / "o").exists()
    # An inventory means the same on every machine: whether its solver is installed is asked when planning.
    bad = inventory(tmp_path, wls, name="bad.yaml", sites=sites, scenario={**SCENARIO, "solver": {"backend": "NOSUCH"}})
    assert CliRunner().invoke(main, ["validate", str(bad)]).exit_code == 0
    result = CliRunner().invoke(main, ["plan", str(bad), "--out", str(tmp_path / "o2"), "--quiet"])
    assert result.exit_code == 2 and "solver.backend" in result.output and "unknown solver 'NOSUCH'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o2").exists()


def test_cbc_without_its_extra_names_the_extra(tmp_path):
    """CBC is an optional extra: asking for it where it is not installed says how to get it (exit 2, nothing written)."""
    result = CliRunner().invoke(main, ["plan", str(REPO / "inventory"), "--out", str(tmp_path / "o"), "--backend", "cbc"],
                                env={"PATH": ""})
    assert result.exit_code == 2, result.output
    assert "hybrid-migration-planner[cbc]" in result.output and not (tmp_path / "o").exists()
