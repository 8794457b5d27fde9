"""Importer -> plan -> verify on the shipped sample files: imported YAML is a working inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.cli.imports import import_group

ESTATE = {
    "zones": [{"id": "madrid", "country": "ES"}],
    "policies": [{"id": "gdpr", "name": "GDPR", "data_class": "personal-eu", "allowed_countries": ["ES"]}],
    "sites": [
        {"id": "mad-dc1", "kind": "onprem", "zone": "madrid", "closes": "2028-06-30",
         "cost": {"vcpu_month": 25.0, "memory_gb_month": 2.5, "storage_gb_month": 0.08, "egress_gb": 0.01}},
        {"id": "az-spaincentral", "kind": "azure", "region": "spaincentral", "zone": "madrid"},
    ],
    "scenario": {"start": "2027-01-01", "horizon_months": 36, "solver": {"time_limit_s": 60}},
}


@pytest.mark.parametrize(
    ("importer", "sample"),
    [("azure-migrate", "azure_migrate_servers.csv"), ("azure-migrate", "azure_migrate_discovery.xlsx"),
     ("rvtools", "rvtools_export.xlsx")],
)
@pytest.mark.slow
def test_an_imported_estate_plans_and_verifies(fixtures: Path, tmp_path: Path, importer: str, sample: str):
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "estate.yaml").write_text(yaml.safe_dump(ESTATE), encoding="utf-8")
    imported = CliRunner().invoke(import_group, [importer, str(fixtures / sample), "--site", "mad-dc1",
                                                 "--out", str(inventory / "workloads.yaml")])
    assert imported.exit_code == 0, imported.output

    out = tmp_path / "out"
    planned = CliRunner().invoke(main, ["plan", str(inventory), "--out", str(out), "--quiet", "--no-reports"])
    assert planned.exit_code == 0, planned.output
    plan = json.loads((out / "plan.json").read_text())
    assert plan["status"] in ("optimal", "feasible")
    workloads = yaml.safe_load((inventory / "workloads.yaml").read_text())["workloads"]
    assert sorted(a["workload"] for a in plan["assignments"]) == sorted(w["id"] for w in workloads)
    # The data centre closes: everything moves to Azure, priced per catalogue VM size.
    assert {a["site"] for a in plan["assignments"]} == {"az-spaincentral"}
    assert all(a["sku"] for a in plan["assignments"])

    verified = CliRunner().invoke(main, ["verify", str(inventory), str(out / "plan.json")])
    assert verified.exit_code == 0, verified.output
