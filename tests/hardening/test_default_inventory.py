"""`planner plan` with no INVENTORY plans ./inventory when it exists (and says so), else the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import inventory, workload

from planner import load_inventory
from planner.cli import default_inventory, main


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def planned_sha(out: Path) -> str:
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))["inventory_sha256"]


def test_plan_without_an_argument_uses_the_local_inventory_folder(tmp_path, monkeypatch):
    (tmp_path / "inventory").mkdir()
    inventory(tmp_path / "inventory", [workload("local-01")])
    monkeypatch.chdir(tmp_path)
    result = run("plan", "--no-reports")
    assert result.exit_code == 0, result.output
    assert "no inventory given: reading ./inventory" in result.stderr
    assert planned_sha(tmp_path / "reports") == load_inventory(tmp_path / "inventory").sha256
    quiet = run("plan", "--no-reports", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.slow
def test_plan_without_an_argument_and_no_local_inventory_plans_the_sample(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("plan", "--no-reports", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "no ./inventory here: reading the bundled sample estate" in result.stderr
    assert planned_sha(tmp_path / "out") == load_inventory(default_inventory()).sha256
