"""An estate too large for the memory a plan may use stops with a clear message, before it runs out, and writes nothing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import inventory, workload

from planner import load_inventory, make_plan
from planner.base.errors import EstateTooLarge
from planner.cli import main

SCENARIO = {"start": "2027-01-01", "horizon_months": 12, "currency": "EUR", "default_migration_cost": 100}


def _estate(tmp_path, memory_gb):
    wls = [workload(f"w{i}", app=f"a{i % 3}") for i in range(6)]
    return inventory(tmp_path, wls, scenario={**SCENARIO, "solver": {"memory_gb": memory_gb}})


def test_a_plan_over_its_memory_budget_stops_naming_the_stage_and_size(tmp_path):
    with pytest.raises(EstateTooLarge) as err:
        make_plan(load_inventory(_estate(tmp_path, 0.001)))
    assert err.value.stage == "the admissible placements"
    assert "6 workloads over 3 sites" in str(err.value)
    assert "scenario.solver.memory_gb" in str(err.value)


def test_the_cli_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", str(_estate(tmp_path, 0.001)), "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "too large for this machine's memory" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_check_reports_the_stop_as_an_error(tmp_path):
    good = _estate(tmp_path / "a", 100.0) if (tmp_path / "a").mkdir() is None else None
    base = tmp_path / "base"
    assert CliRunner().invoke(main, ["plan", str(good), "--out", str(base), "--quiet", "--no-reports"]).exit_code == 0
    tight = _estate(tmp_path, 0.001)
    result = CliRunner().invoke(main, ["check", str(tight), "--baseline", str(base / "plan.json")])
    assert result.exit_code == 2, result.output
    assert "too large for this machine's memory" in result.output


def test_a_generous_budget_plans_as_before(tmp_path):
    result = make_plan(load_inventory(_estate(tmp_path, 64.0)))
    assert result.plan.status == "optimal"
