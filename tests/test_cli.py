"""The command line: exit codes, outputs, atomic writes and determinism."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import inventory, workload

from planner.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.slow
def test_plan_verify_and_determinism(tmp_path):
    inv = inventory(tmp_path, [workload("a", anti_affinity="g"), workload("b", anti_affinity="g"),
                               workload("c", app="web", depends_on=[{"workload": "a", "max_latency_ms": 40, "traffic_gb_month": 5}])])
    first = run("plan", inv, "--out", tmp_path / "o1", "--quiet")
    assert first.exit_code == 0, first.output
    assert first.output.startswith("optimal:")
    second = run("plan", inv, "--out", tmp_path / "o2", "--quiet", "--no-reports")  # plan.json is compared, not the reports
    assert second.exit_code == 0
    doc1 = json.loads((tmp_path / "o1" / "plan.json").read_text())
    doc2 = json.loads((tmp_path / "o2" / "plan.json").read_text())
    doc1["solver"].pop("seconds"), doc2["solver"].pop("seconds")
    assert doc1 == doc2
    assert doc1["format"] == "hybrid-migration-plan/1" and doc1["status"] == "optimal"
    assert run("verify", inv, tmp_path / "o1" / "plan.json").exit_code == 0


def test_verify_catches_a_tampered_plan(tmp_path):
    inv = inventory(tmp_path, [workload("a", data=["personal-eu"])])
    assert run("plan", inv, "--out", tmp_path, "--quiet", "--no-reports").exit_code == 0
    doc = json.loads((tmp_path / "plan.json").read_text())
    doc["assignments"][0]["site"] = "az-sao"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    result = run("verify", inv, tmp_path / "bad.json", "--format", "json")
    assert result.exit_code == 1
    rules = {p["rule"] for p in json.loads(result.output)["problems"]}
    assert "residency" in rules and "cost" in rules


def test_infeasible_exits_1_and_explains(tmp_path):
    inv = inventory(tmp_path, [workload("a", data=["personal-eu"], pin="az-sao")])
    result = run("plan", inv, "--out", tmp_path / "o", "--quiet")
    assert result.exit_code == 1
    doc = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert doc["status"] == "infeasible" and doc["problems"][0]["workloads"] == ["a"]
    assert "pin" in doc["problems"][0]["rule"] and "residency" in doc["problems"][0]["rule"]


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    inv = inventory(tmp_path, [workload("a", vcpu="lots")])
    result = CliRunner().invoke(main, ["plan", str(inv), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "workloads[a].vcpu" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    assert CliRunner().invoke(main, ["validate", str(inv)]).exit_code == 2
    assert CliRunner().invoke(main, ["plan", "--gap", "7"]).exit_code == 2
    assert CliRunner().invoke(main, ["verify", str(inventory(tmp_path, [workload("b")], name="ok.yaml")), str(inv)]).exit_code == 2


def test_validate_json(tmp_path):
    result = run("validate", inventory(tmp_path, [workload("a")]), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["workloads"] == 1


def commands(group, path=("planner",)):
    """Every leaf command of the CLI with its path: ("planner", "import", "rvtools"), cmd."""
    import click

    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from commands(cmd, path + (name,))
        else:
            yield path + (name,), cmd


def test_the_commands_page_documents_every_command_and_option():
    """Every command and subcommand has a row in docs/reference/commands.md naming each of its options."""
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "reference" / "commands.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in page.splitlines() if line.startswith("| `planner ")}
    for path, cmd in commands(main):
        name = " ".join(path)
        usage = next((u for u in rows if u == name or u.startswith(name + " ")), None)
        assert usage is not None, f"no row for {name} in docs/reference/commands.md"
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in usage, f"{name} {opt} missing from its row in docs/reference/commands.md"
    for opt in (o for p in main.params for o in p.opts if o.startswith("--")):
        assert f"planner {opt}" in page, opt


def test_validate_blames_a_broken_catalogue_not_the_inventory(tmp_path):
    inv = inventory(tmp_path, [workload("a")])
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"format": "nope"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(inv), "--catalog", str(catalog)])
    assert result.exit_code == 2
    assert f"1 problem(s) in {catalog}" in result.stderr and f"problem(s) in {inv}" not in result.stderr
