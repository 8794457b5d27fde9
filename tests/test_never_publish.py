"""No plan is published that the planner's own verifier rejects: a wrong placement slipped in behind the solver
makes `plan`, `check` and `compare` exit 3, write nothing, say it is the planner's fault and leave a bug report."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import tempfile
from pathlib import Path
from typing import Callable, NoReturn

import numpy as np
import pytest
from click.testing import CliRunner, Result
from helpers import BASE, inventory, sites_of, workload

import planner.pipeline as pipeline
from planner import load_inventory, make_plan, read_plan, verify_plan
from planner.base.errors import PlannerFault, PlanRejected
from planner.domain.estate import Estate

BUNDLE = ["findings.json", "plan.json"]


def cli(*args: object) -> Result:
    from planner.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder for this test alone, so its bug reports can be counted."""
    root = tmp_path / "system-tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def tight_estate(folder: Path) -> Path:
    """Two workloads with EU personal data (so Madrid or Frankfurt), and room on az-fra for crm-db alone."""
    sites = copy.deepcopy(BASE["sites"])
    sites[1]["capacity"] = {"vcpu": 4}
    return inventory(folder, [workload("crm-db", app="crm", vcpu=4, data=["personal-eu"]),
                              workload("web-01", app="web", vcpu=2, data=["personal-eu"])], sites=sites)


def overfill(monkeypatch: pytest.MonkeyPatch, only: Callable[[Estate], bool] = lambda _e: True) -> None:
    """The solver's answer with web-01 put on az-fra beside crm-db: a real entry of its own, so costs and waves add up
    and only az-fra's capacity breaks."""
    real = pipeline.solve

    def solve(estate, settings=None, progress=None, baseline=None):  # noqa: ANN001, ANN202 - solve's own signature
        placement = real(estate, settings, progress, baseline=baseline)
        if not only(estate):
            return placement
        cands = placement.candidates
        i, j = estate.workload_index["web-01"], estate.site_index["az-fra"]
        entries = np.arange(len(cands.site))[cands.of(i)]
        entry = entries[cands.site[entries] == j]
        assert len(entry) == 1, "the fixture keeps az-fra among web-01's admissible sites"
        choice = placement.choice.copy()
        choice[i] = entry[0]
        return dataclasses.replace(placement, choice=choice)

    monkeypatch.setattr(pipeline, "solve", solve)


def bundles(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith("planner-fault-"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_fault_message(stderr: str, bundle: Path, rules: str = "capacity: 1 (1 finding)") -> None:
    assert "this is a fault of the planner, not of the inventory" in stderr
    assert f"rules broken: {rules}" in stderr
    assert "workloads: crm-db, web-01" in stderr
    assert f"bug report: {bundle} " in stderr


def assert_bundle(bundle: Path, estate: Estate) -> None:
    """Exactly the rejected plan.json and findings.json; the plan is the wrong one, and the verifier says so again."""
    assert sorted(p.name for p in bundle.iterdir()) == BUNDLE
    findings = json.loads((bundle / "findings.json").read_text(encoding="utf-8"))
    assert findings["format"] == "hybrid-migration-findings/1"
    assert [(f["rule"], f["workloads"], f["sites"]) for f in findings["findings"]] == [("capacity", ["crm-db", "web-01"], ["az-fra"])]
    assert "az-fra holds 6 vcpu, over its capacity of 4" in findings["findings"][0]["message"]
    plan = read_plan(bundle / "plan.json")
    assert sites_of(plan) == {"crm-db": "az-fra", "web-01": "az-fra"}
    assert plan.to_json() == (bundle / "plan.json").read_text(encoding="utf-8")  # as the plan writer writes it
    assert [p.to_json() for p in verify_plan(estate, plan)] == findings["findings"]


def test_a_normal_plan_exits_0_verified_and_leaves_no_bug_report(tmp_path: Path, temp_root: Path) -> None:
    inv = tight_estate(tmp_path)
    result = cli("plan", inv, "--out", tmp_path / "out", "--no-reports")
    assert result.exit_code == 0, result.output
    assert "checking every rule of the plan independently (2 assignments)" in result.stderr
    plan = read_plan(tmp_path / "out" / "plan.json")
    assert plan.status == "optimal" and sites_of(plan) == {"crm-db": "az-fra", "web-01": "mad-dc1"}
    assert verify_plan(Estate.of(load_inventory(inv)), plan) == []
    assert cli("verify", inv, tmp_path / "out" / "plan.json").exit_code == 0
    assert bundles(temp_root) == []


def test_plan_exits_3_creates_no_output_folder_and_leaves_a_bug_report(tmp_path: Path, temp_root: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    inv = tight_estate(tmp_path)
    overfill(monkeypatch)
    out = tmp_path / "out"
    result = cli("plan", inv, "--out", out)
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    [bundle] = bundles(temp_root)
    assert_fault_message(result.stderr, bundle)
    assert f"nothing was written to {out}" in result.stderr
    assert not out.exists()
    assert_bundle(bundle, Estate.of(load_inventory(inv)))


@pytest.mark.slow
def test_plan_exits_3_and_an_existing_output_folder_stays_byte_for_byte(tmp_path: Path, temp_root: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    inv = tight_estate(tmp_path)
    out = tmp_path / "out"
    assert cli("plan", inv, "--out", out).exit_code == 0
    before = snapshot(out)
    assert "plan.json" in before and "executive.html" in before
    overfill(monkeypatch)
    for extra in ((), ("--no-reports",), ("--format", "json")):
        result = cli("plan", inv, "--out", out, *extra)
        assert result.exit_code == 3, result.output
        assert snapshot(out) == before
        assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no staging folder or temporary file left either
    assert len(bundles(temp_root)) == 3


def test_check_fails_the_build_with_exit_3_in_every_output(tmp_path: Path, temp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inv = tight_estate(tmp_path)
    assert cli("plan", inv, "--out", tmp_path / "base", "--no-reports").exit_code == 0
    overfill(monkeypatch)
    outputs = tmp_path / "ci"
    result = cli("check", inv, "--baseline", tmp_path / "base" / "plan.json", "--format", "json",
                 "--output", f"text={outputs / 'check.txt'}", "--output", f"junit={outputs / 'check.xml'}",
                 "--output", f"markdown={outputs / 'check.md'}", "--output", f"github={outputs / 'check.github'}")
    assert result.exit_code == 3, result.output
    [bundle] = bundles(temp_root)
    assert_fault_message(result.stderr, bundle)
    doc = json.loads(result.stdout)
    assert (doc["verdict"], doc["exit_code"]) == ("fault", 3)
    assert [(f["rule"], f["source"], f["status"]) for f in doc["findings"]] == [("capacity", "verify", "new")]
    text = (outputs / "check.txt").read_text(encoding="utf-8")
    assert "FAULT: the planner's own verifier rejected its re-plan (capacity: 1)" in text and text.rstrip().endswith("(exit 3)")
    junit = (outputs / "check.xml").read_text(encoding="utf-8")
    assert 'name="a plan exists"' in junit and 'type="planner-fault"' in junit and 'failures="0"' not in junit
    assert "a fault of the planner, not of the inventory" in (outputs / "check.md").read_text(encoding="utf-8")
    assert (outputs / "check.github").read_text(encoding="utf-8").startswith("::error title=planner check::FAULT:")
    assert_bundle(bundle, Estate.of(load_inventory(inv)))


@pytest.mark.slow
def test_compare_exits_3_when_one_scenario_is_rejected_and_writes_nothing(tmp_path: Path, temp_root: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    inv = tight_estate(tmp_path)
    scenario = tmp_path / "bigger-web.yaml"
    scenario.write_text("name: A larger web server\nworkloads:\n  - {id: web-01, memory_gb: 8}\n", encoding="utf-8")
    base_sha = load_inventory(inv).sha256
    overfill(monkeypatch, only=lambda estate: estate.inventory.sha256 != base_sha)  # the base plans well; the scenario does not
    out = tmp_path / "comparison"
    result = cli("compare", inv, "--scenario", scenario, "--out", out, "--workers", "1")
    assert result.exit_code == 3, result.output
    [bundle] = bundles(temp_root)
    assert "error: scenario bigger-web: planner fault:" in result.stderr
    assert_fault_message(result.stderr, bundle)
    assert not out.exists()
    assert sorted(p.name for p in bundle.iterdir()) == BUNDLE

    out.mkdir()
    (out / "notes.txt").write_text("kept\n", encoding="utf-8")
    before = snapshot(out)
    assert cli("compare", inv, "--scenario", scenario, "--out", out, "--workers", "1").exit_code == 3
    assert snapshot(out) == before and sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_make_plan_raises_plan_rejected_for_a_residency_breach(tmp_path: Path, temp_root: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real = pipeline.build_plan

    def build_plan(estate, placement, schedule):  # noqa: ANN001, ANN202 - build_plan's own signature
        plan = real(estate, placement, schedule)
        plan.assignments = [dataclasses.replace(a, site="az-sao") if a.workload == "web-01" else a for a in plan.assignments]
        return plan

    monkeypatch.setattr(pipeline, "build_plan", build_plan)
    with pytest.raises(PlanRejected) as caught:
        make_plan(load_inventory(tight_estate(tmp_path)))
    fault = caught.value
    assert isinstance(fault, PlannerFault)
    assert "residency" in fault.rule_counts() and fault.workloads()[0] == "web-01"
    assert any(p.rule == "residency" and p.workloads == ("web-01",) and p.sites == ("az-sao",) for p in fault.findings)
    assert fault.plan is not None and sites_of(fault.plan)["web-01"] == "az-sao"
    assert [Path(fault.bundle)] == bundles(temp_root)
    assert sorted(p.name for p in Path(fault.bundle).iterdir()) == BUNDLE
    sent = pickle.loads(pickle.dumps(fault))  # as a compare worker sends it back: without the plan, which the bundle holds
    assert (sent.findings, sent.bundle, sent.plan) == (fault.findings, fault.bundle, None)


def test_optimal_with_a_gap_above_the_one_asked_for_is_rejected(tmp_path: Path, temp_root: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = pipeline.solve
    monkeypatch.setattr(pipeline, "solve", lambda *a, **k: dataclasses.replace(real(*a, **k), gap=0.25))
    with pytest.raises(PlanRejected) as caught:
        make_plan(load_inventory(tight_estate(tmp_path)))
    assert caught.value.rule_counts() == {"status": 1}
    assert "the plan says optimal, but its gap (25.000000%)" in caught.value.findings[0].message


def test_a_fault_before_any_plan_exits_3_without_a_bug_report(tmp_path: Path, temp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object, **_k: object) -> NoReturn:
        raise PlannerFault("class counts: class 0 places 3 of its 2 members")

    monkeypatch.setattr(pipeline, "solve", broken)
    out = tmp_path / "out"
    result = cli("plan", tight_estate(tmp_path), "--out", out)
    assert result.exit_code == 3, result.output
    assert "planner fault: class counts: class 0 places 3 of its 2 members; this is a fault of the planner, not of the inventory" \
        in result.stderr
    assert not out.exists() and bundles(temp_root) == []


def test_untrusted_text_in_the_message_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tmp\x1b[2J\n::error::boom"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    overfill(monkeypatch)
    result = cli("plan", tight_estate(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 3
    assert "\x1b" not in result.stderr and "tmp\\x1b[2J\\n::error::boom" in result.stderr
    assert not any(line.lstrip().startswith("::") for line in result.stderr.splitlines())
