"""`planner diff`: moves, their reasons, cost and compliance deltas, and stable output."""

from __future__ import annotations

import json

from click.testing import CliRunner
from helpers import BASE, inventory, workload

from planner.analysis.diff import diff_plans, render_markdown, render_text
from planner.cli import main
from planner.domain.catalog import load_catalog
from planner.domain.estate import Estate
from planner.inputs.load import load_inventory
from planner.pipeline import make_plan
from planner.plan.document import read_plan


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def plan_file(tmp_path, inv, name):
    out = tmp_path / name
    result = run("plan", inv, "--out", out, "--quiet", "--no-reports")  # diff reads plan.json alone
    assert result.exit_code == 0, result.output
    return out / "plan.json"


def estate_of(path):
    cat = load_catalog()
    return Estate.of(load_inventory(path, cat), cat)


def test_identical_plans_diff_empty(tmp_path):
    inv = inventory(tmp_path, [workload("a"), workload("b", app="web", data=["personal-eu"])])
    p = plan_file(tmp_path, inv, "o")
    d = diff_plans(read_plan(p), read_plan(p), estate_of(inv))
    assert d.empty and d.moves == () and d.compliance == () and d.delta("horizon_cost") == 0.0
    result = run("diff", p, p, "--inventory", inv)
    assert result.exit_code == 0
    assert result.stdout.startswith("0 workloads move, horizon cost 0.00 EUR (+0.0%)")
    assert "no rule finding appeared or disappeared" in result.stdout


def test_residency_change_names_the_rule(tmp_path):
    old_inv = inventory(tmp_path, [workload("a", data=["personal-br"]), workload("b")], name="old.yaml")
    new_inv = inventory(tmp_path, [workload("a", data=["personal-eu"]), workload("b")], name="new.yaml")
    old_p, new_p = plan_file(tmp_path, old_inv, "old"), plan_file(tmp_path, new_inv, "new")
    d = diff_plans(read_plan(old_p), read_plan(new_p), estate_of(new_inv))
    (move,) = d.moves
    assert (move.workload, move.old_site, move.new_site, move.rule) == ("a", "az-sao", "az-fra", "residency")
    assert "az-sao now breaks residency" in move.reason and "gdpr" in move.reason and "BR" in move.reason
    assert [(c.rule, c.workload, c.site, c.change) for c in d.compliance] == [("residency", "a", "az-sao", "resolved")]
    assert d.delta("horizon_cost") == round(d.totals_new["horizon_cost"] - d.totals_old["horizon_cost"], 2)
    text = render_text(d)
    assert text.splitlines()[0].startswith("1 workload moves, horizon cost ")
    assert "RESOLVED [residency] a on az-sao" in text
    for key in d.totals_old:
        assert f"  {key}: " in text
    assert "| a | az-sao | az-fra |" in render_markdown(d)


def test_without_inventory_moves_are_listed_but_not_explained(tmp_path):
    old_inv = inventory(tmp_path, [workload("a", data=["personal-br"])], name="old.yaml")
    new_inv = inventory(tmp_path, [workload("a", data=["personal-eu"]), workload("c")], name="new.yaml")
    d = diff_plans(read_plan(plan_file(tmp_path, old_inv, "old")), read_plan(plan_file(tmp_path, new_inv, "new")))
    assert [m.workload for m in d.moves] == ["a", "c"] and d.added == ("c",) and d.removed == ()
    assert d.moves[0].reason == "" and d.moves[0].rule is None and d.compliance == () and not d.explained
    assert d.moves[1].old_site is None and d.moves[1].new_site is not None


def test_capacity_displacement_is_explained(tmp_path):
    sites = [dict(s) for s in BASE["sites"]]
    sites[0] = {**sites[0], "cost": {"vcpu_month": 1.0, "memory_gb_month": 0.1, "storage_gb_month": 0.01, "egress_gb": 0.0}}
    roomy = inventory(tmp_path, [workload("a"), workload("b")], name="roomy.yaml", sites=sites)
    sites[0] = {**sites[0], "capacity": {"vcpu": 3}}
    tight = inventory(tmp_path, [workload("a"), workload("b")], name="tight.yaml", sites=sites)
    old = make_plan(load_inventory(roomy, load_catalog())).plan
    new_estate = estate_of(tight)
    new = make_plan(new_estate.inventory, estate=new_estate).plan
    d = diff_plans(old, new, new_estate)
    (move,) = d.moves
    assert move.rule == "capacity" and move.reason.startswith("displaced from mad-dc1 to keep capacity")
    assert [(c.rule, c.site, c.change) for c in d.compliance] == [("capacity", "mad-dc1", "resolved")]


def test_json_is_versioned_and_deterministic(tmp_path):
    old_inv = inventory(tmp_path, [workload("a", data=["personal-br"]), workload("b")], name="old.yaml")
    new_inv = inventory(tmp_path, [workload("a", data=["personal-eu"]), workload("c")], name="new.yaml")
    old_p, new_p = plan_file(tmp_path, old_inv, "old"), plan_file(tmp_path, new_inv, "new")
    first = run("diff", old_p, new_p, "--inventory", new_inv, "--format", "json")
    second = run("diff", old_p, new_p, "--inventory", new_inv, "--format", "json")
    assert first.exit_code == 0 and first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert doc["format"] == "hybrid-migration-diff/1"
    assert [m["workload"] for m in doc["moves"]] == ["a", "b", "c"]
    assert doc["added"] == ["c"] and doc["removed"] == ["b"] and doc["counts"]["moves"] == 1
    # Every amount the plans state is diffed; the payback month and the yearly cash flow are no amounts.
    assert set(doc["totals"]) == set(json.loads(new_p.read_text())["totals"]) - {"payback_month", "cash_flow_by_year"}
    assert doc["totals"]["horizon_cost"]["delta"] == round(doc["totals"]["horizon_cost"]["new"] - doc["totals"]["horizon_cost"]["old"], 2)
    md = run("diff", old_p, new_p, "--format", "markdown")
    assert md.exit_code == 0 and md.stdout.startswith("### Plan diff: ")


def test_unreadable_plan_exits_2_naming_the_file(tmp_path):
    good = plan_file(tmp_path, inventory(tmp_path, [workload("a")]), "o")
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    result = run("diff", good, bad)
    assert result.exit_code == 2 and "broken.json" in result.stderr and "Traceback" not in result.output
    assert run("diff", tmp_path / "missing.json", good).exit_code == 2
