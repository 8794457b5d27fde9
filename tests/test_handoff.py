"""The hand-off: `planner export --format azure-waves` (Azure Migrate wave resources as an ARM template) and
`--format tracker` (a CSV a tracker imports), read back with a schema's required fields and Python's csv reader."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import BASE, inventory, workload

from planner.cli import main
from planner.outputs.handoff import GroupRow, machines_query, tracker_csv

# Microsoft.Migrate/migrateProjects/waves (ARM template reference): required on the resource and in its properties
RESOURCE_REQUIRED = ("type", "apiVersion", "name", "properties")
PROPERTIES_REQUIRED = ("displayName", "plannedStartDate", "arg")
TEMPLATE_REQUIRED = ("$schema", "contentVersion", "resources")


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("handoff")
    old = {"id": "old-dc", "kind": "onprem", "zone": "madrid", "closes": "2027-06-30",
           "cost": {"vcpu_month": 30.0, "memory_gb_month": 3.0, "storage_gb_month": 0.2, "egress_gb": 0.0}}
    wls = [workload("crm-db-01", app="crm", current_site="old-dc"), workload("crm-app-01", app="crm", current_site="old-dc",
                                                                          depends_on=[{"workload": "crm-db-01"}]),
           workload("crm-app-t1", app="crm", env="test", current_site="old-dc"),
           workload("web-01", app="web", current_site="old-dc", depends_on=[{"workload": "crm-db-01"}])]
    scenario = {**BASE["scenario"], "waves": {"first_wave_max_workloads": 2, "growth_per_wave": 2, "pilot_waves": 0}}
    inv = inventory(tmp, wls, sites=BASE["sites"] + [old], scenario=scenario)
    out = tmp / "out"
    run = CliRunner().invoke(main, ["plan", str(inv), "--out", str(out), "--no-reports", "--quiet"])
    assert run.exit_code == 0, run.output
    return inv, out / "plan.json"


def test_azure_waves_is_an_arm_template_of_wave_resources(planned) -> None:
    inv, plan_path = planned
    out = plan_path.parent / "waves.json"
    run = CliRunner().invoke(main, ["export", str(plan_path), "--inventory", str(inv), "--format", "azure-waves", "--out", str(out),
                                    "--quiet"])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text())
    assert all(k in doc for k in TEMPLATE_REQUIRED) and "migrateProjectName" in doc["parameters"]
    plan = json.loads(plan_path.read_text())
    busy = [w for w in plan["waves"] if w["workloads"]]
    assert len(doc["resources"]) == len(busy) >= 2
    for res, wave in zip(doc["resources"], busy):
        assert all(k in res for k in RESOURCE_REQUIRED)
        assert res["type"] == "Microsoft.Migrate/migrateProjects/waves" and res["apiVersion"]
        props = res["properties"]
        assert all(k in props for k in PROPERTIES_REQUIRED) and props["arg"]["query"]
        assert props["plannedStartDate"] == wave["start"] and props["plannedCompletionDate"] == wave["end"]
        assert dt.date.fromisoformat(props["plannedStartDate"]) <= dt.date.fromisoformat(props["plannedCompletionDate"])
        for wid in wave["workloads"]:
            assert machines_query((wid,)).split("(")[1].split(")")[0] in props["arg"]["query"]
    assert out.read_bytes() == out.read_bytes()  # written whole; same plan, same bytes:
    again = plan_path.parent / "again.json"
    CliRunner().invoke(main, ["export", str(plan_path), "--inventory", str(inv), "--format", "azure-waves", "--out", str(again), "--quiet"])
    assert again.read_bytes() == out.read_bytes()


def test_query_quotes_untrusted_names() -> None:
    assert machines_query(("web-o'brien", "a\\b")) == ("migrateresources | where properties.displayName in~ ('a\\\\b', 'web-o\\'brien') "
                                                        "| project id, name, properties.displayName")


def test_tracker_has_a_row_per_move_group_per_wave(planned) -> None:
    inv, plan_path = planned
    out = plan_path.parent / "tracker.csv"
    run = CliRunner().invoke(main, ["export", str(plan_path), "--inventory", str(inv), "--format", "tracker", "--out", str(out), "--quiet"])
    assert run.exit_code == 0, run.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert {r["Move group"] for r in rows} == {"crm production", "crm non-production", "web production"}
    by = {r["Move group"]: r for r in rows}
    crm = by["crm production"]
    assert crm["Workloads"] == "crm-app-01; crm-db-01" and crm["Workload count"] == "2"
    assert crm["Depends on"] == "crm non-production" and "after its non-production group" in crm["Reasons"]
    assert "leaves old-dc before it closes on 2027-06-30" in crm["Reasons"]
    assert int(by["crm non-production"]["Wave"]) < int(crm["Wave"])
    assert by["web production"]["Depends on"] == "crm production" and "no earlier than what it depends on" in by["web production"]["Reasons"]
    plan = json.loads(plan_path.read_text())
    dates = {str(w["wave"]): (w["start"], w["end"]) for w in plan["waves"]}
    assert all((r["Start date"], r["Due date"]) == dates[r["Wave"]] for r in rows)


def test_tracker_cells_never_start_a_formula() -> None:
    row = GroupRow(1, dt.date(2027, 1, 1), dt.date(2027, 1, 30), "=HYPERLINK(1)", True, ("-x", "@y"), ("+z",), ("=1+1",))
    (parsed,) = list(csv.DictReader(io.StringIO(tracker_csv([row]), newline="")))
    assert parsed["App"] == "'=HYPERLINK(1)" and parsed["Workloads"] == "'-x; @y" and parsed["Depends on"] == "'+z"
    assert parsed["Reasons"] == "'=1+1"
    assert all(not v.startswith(("=", "+", "-", "@")) for v in parsed.values())


def test_a_plan_without_waves_has_nothing_to_hand_off(tmp_path: Path) -> None:
    old = {"id": "old-dc", "kind": "onprem", "zone": "madrid", "closes": "2027-01-20",
           "cost": {"vcpu_month": 30.0, "memory_gb_month": 3.0, "storage_gb_month": 0.2, "egress_gb": 0.0}}
    inv = inventory(tmp_path, [workload("w1", current_site="old-dc")], sites=BASE["sites"] + [old])
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["plan", str(inv), "--out", str(out), "--no-reports", "--quiet"]).exit_code == 1
    run = CliRunner().invoke(main, ["export", str(out / "plan.json"), "--inventory", str(inv), "--format", "tracker", "--quiet"])
    assert run.exit_code == 2 and "no waves to hand off" in run.output and not (out / "tracker.csv").exists()
