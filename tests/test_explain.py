"""`planner explain`: why a workload sits where it does, and what every other site would cost or break."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers import BASE, inventory, workload

from planner.cli import main

ROOT = Path(__file__).parent.parent
SAMPLE = ["--inventory", ROOT / "inventory", "--plan", ROOT / "reports" / "plan.json"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def explain_json(wid, *args):
    result = run("explain", wid, *(args or SAMPLE), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "hybrid-migration-explain/1" and doc["workload"] == wid
    return doc


def rules_of(option, key="breaks"):
    return {f["rule"] for f in option[key]}


def test_pinned_mainframe_stays_and_every_other_site_breaks_the_pin():
    doc = explain_json("mainframe-lpar-prd-01")
    assert doc["site"] == "mad-dc1" and doc["moves"] is False
    assert all("pin" in rules_of(o) for o in doc["alternatives"])
    assert any(r.startswith("pin rules out") for r in doc["reasons"])
    assert doc["chosen"]["breaks"] == [] and doc["chosen"]["blocked_by"] == []


def test_upf_stays_at_the_edge_for_latency_and_its_twin_blocks_the_other_edge_site():
    doc = explain_json("core5g-upf-mad-prd-01")
    assert doc["chosen"]["kind"] == "edge"
    by_site = {o["site"]: o for o in doc["alternatives"]}
    assert {"allowed-kinds", "user-latency"} <= rules_of(by_site["az-spaincentral"])
    assert "user-latency" in rules_of(by_site["mad-dc1"])
    twin = next(o for o in doc["alternatives"] if o["status"] == "blocked")
    assert rules_of(twin, "blocked_by") == {"anti-affinity"}
    assert "core5g-upf-mad-prd-02" in twin["blocked_by"][0]["message"]


def test_lgpd_workload_stays_in_brazil():
    doc = explain_json("crm-br-web-prd-01")
    assert doc["chosen"]["country"] == "BR"
    europe = [o for o in doc["alternatives"] if o["country"] != "BR"]
    assert europe and all("residency" in rules_of(o) for o in europe)
    assert any("lgpd" in f["message"] for f in europe[0]["breaks"])
    admissible = [o["horizon_cost"] for o in doc["alternatives"] if o["status"] == "admissible"]
    assert admissible == sorted(admissible)
    text = run("explain", "crm-br-web-prd-01", *SAMPLE).stdout
    assert "residency rules out" in text and "sites it may never use:" in text


def test_unknown_workload_exits_2_with_a_suggestion():
    result = run("explain", "mainframe-lpar-prd-1", *SAMPLE)
    assert result.exit_code == 2
    assert "did you mean mainframe-lpar-prd-01" in result.stderr


def test_cheaper_site_blocked_by_capacity_is_named(tmp_path):
    sites = [dict(s) for s in BASE["sites"]]
    sites[0] = {**sites[0], "capacity": {"vcpu": 3},
                "cost": {"vcpu_month": 1.0, "memory_gb_month": 0.1, "storage_gb_month": 0.01, "egress_gb": 0.0}}
    inv = inventory(tmp_path, [workload("a"), workload("b")], sites=sites)
    assert run("plan", inv, "--out", tmp_path, "--quiet", "--no-reports").exit_code == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    mover = next(a["workload"] for a in plan["assignments"] if a["moves"])
    doc = explain_json(mover, "--inventory", inv, "--plan", tmp_path / "plan.json")
    mad = next(o for o in doc["alternatives"] if o["site"] == "mad-dc1")
    assert mad["status"] == "blocked" and rules_of(mad, "blocked_by") == {"capacity"} and mad["extra_cost"] < 0
    assert any("mad-dc1 would be" in r and "not available: capacity" in r for r in doc["reasons"])
    costs = [o["horizon_cost"] for o in doc["alternatives"] if o["status"] == "admissible"]
    assert costs == sorted(costs)


def test_stale_plan_warns_but_explains(tmp_path):
    inv = inventory(tmp_path, [workload("a"), workload("b", app="web")])
    assert run("plan", inv, "--out", tmp_path, "--quiet", "--no-reports").exit_code == 0
    changed = inventory(tmp_path, [workload("a", memory_gb=6), workload("b", app="web")], name="changed.yaml")
    result = run("explain", "a", "--inventory", changed, "--plan", tmp_path / "plan.json")
    assert result.exit_code == 0
    assert "may be stale" in result.stderr and result.stdout.startswith("a -> ")
