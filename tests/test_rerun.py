"""Planning an unchanged inventory again leaves plan.json and its reports as they are (solver.seconds aside)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import inventory, workload

from planner.cli import main
from planner.rerun import same_plan

ROOT = Path(__file__).parent.parent


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_the_first_readme_command_leaves_the_committed_sample_output_unchanged(tmp_path, monkeypatch):
    """`planner plan` in a checkout: inventory/ into reports/, whose committed plan.json was made by an earlier run."""
    shutil.copytree(ROOT / "inventory", tmp_path / "inventory")
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    monkeypatch.chdir(tmp_path)
    before = snapshot(Path("reports"))
    result = run("plan")
    assert result.exit_code == 0, result.output
    assert snapshot(Path("reports")) == before  # same bytes, not even rewritten
    assert "left reports as it is" in result.stderr and result.stdout.rstrip().endswith("reports/plan.json unchanged")


@pytest.mark.slow
def test_only_seconds_differ_keeps_the_file_and_a_real_change_rewrites_it(tmp_path):
    inv = inventory(tmp_path, [workload("a"), workload("b", app="web")])
    out = tmp_path / "out"
    assert run("plan", inv, "--out", out, "--quiet").exit_code == 0
    plan = out / "plan.json"
    doc = json.loads(plan.read_text())
    doc["solver"]["seconds"] = 123.456  # as if the first run had been slow
    plan.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    before = snapshot(out)
    again = run("plan", inv, "--out", out, "--format", "json", "--quiet")
    assert again.exit_code == 0 and json.loads(again.stdout)["unchanged"] is True
    assert snapshot(out) == before

    inventory(tmp_path, [workload("a"), workload("b", app="web", vcpu=3)])  # b grows: another plan
    changed = run("plan", inv, "--out", out, "--format", "json", "--quiet")
    assert json.loads(changed.stdout)["unchanged"] is False
    assert json.loads(plan.read_text())["solver"]["seconds"] != 123.456
    assert snapshot(out)["executive.md"][0] != before["executive.md"][0]


@pytest.mark.slow
def test_the_same_plan_with_other_reports_keeps_plan_json_and_writes_the_reports(tmp_path):
    """--no-reports on an unchanged plan removes the old reports; plan.json keeps its bytes."""
    inv = inventory(tmp_path, [workload("a")])
    out = tmp_path / "out"
    assert run("plan", inv, "--out", out, "--quiet").exit_code == 0
    plan_bytes = (out / "plan.json").read_bytes()
    result = run("plan", inv, "--out", out, "--no-reports")
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["plan.json"] and (out / "plan.json").read_bytes() == plan_bytes
    assert "solver.seconds kept" in result.stderr


def test_same_plan_compares_every_byte_but_the_seconds(tmp_path):
    path = tmp_path / "plan.json"
    old = (ROOT / "reports" / "plan.json").read_bytes()
    path.write_bytes(old)
    doc = json.loads(old)
    seconds = doc["solver"]["seconds"]
    assert same_plan(path, old) == old
    assert same_plan(path, old.replace(f'"seconds": {seconds}'.encode(), b'"seconds": 9999.5')) == old
    doc["totals"]["horizon_cost"] += 0.01
    other = (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    assert same_plan(path, other) is None
    assert same_plan(tmp_path / "missing.json", old) is None
