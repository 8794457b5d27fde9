"""`planner network`: measured Azure latency as inventory YAML, reproducible from Microsoft's published table."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import BASE, workload

from planner import load_inventory, make_plan, verify_plan
from planner.cli import main

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def test_the_yaml_plans_and_a_budget_follows_the_measured_figure(tmp_path):
    out = CliRunner().invoke(main, ["network", "westeurope", "northeurope", "brazilsouth"])
    assert out.exit_code == 0, out.output
    net = yaml.safe_load(out.stdout)
    assert {z["id"]: z["country"] for z in net["zones"]} == {"westeurope": "NL", "northeurope": "IE", "brazilsouth": "BR"}
    ms = {(a, b): v for a, b, v in net["latency_ms"]}
    assert ms[("northeurope", "westeurope")] == 17 and ms[("brazilsouth", "westeurope")] == 185
    doc = {**BASE, "zones": net["zones"], "latency_ms": net["latency_ms"], "policies": [], "countries": {},
           "sites": [{"id": "az-we", "kind": "azure", "zone": "westeurope", "cost": {"vcpu_month": 10.0}},
                     {"id": "az-ne", "kind": "azure", "zone": "northeurope", "cost": {"vcpu_month": 5.0}}],
           "workloads": [workload("api", current_site="az-we", users=[{"zone": "westeurope", "max_latency_ms": 16}]),
                         workload("batch", current_site="az-we", users=[{"zone": "westeurope", "max_latency_ms": 17}])]}
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = make_plan(load_inventory(path))
    sites = {a.workload: a.site for a in result.plan.assignments}
    assert sites == {"api": "az-we", "batch": "az-ne"}  # 17 ms measured: a 16 ms budget keeps api in West Europe
    assert verify_plan(result.estate, result.plan) == []


def test_p95_is_never_below_p50_and_names_its_source():
    p50 = yaml.safe_load(CliRunner().invoke(main, ["network", "spaincentral", "swedencentral", "uksouth"]).stdout)
    p95_out = CliRunner().invoke(main, ["network", "spaincentral", "swedencentral", "uksouth", "--percentile", "p95"]).stdout
    p95 = yaml.safe_load(p95_out)
    assert all(b[2] >= a[2] for a, b in zip(p50["latency_ms"], p95["latency_ms"]))
    assert "(P95, ms)" in p95_out.splitlines()[0] and "2026-07-30" in p95_out.splitlines()[0]


def test_an_unknown_region_is_a_usage_error_with_suggestions(tmp_path):
    out = CliRunner().invoke(main, ["network", "westeurop", "--out", str(tmp_path / "n.yaml")])
    assert out.exit_code == 2 and "did you mean westeurope" in out.output and "Traceback" not in out.output
    assert not (tmp_path / "n.yaml").exists()
    assert CliRunner().invoke(main, ["network"]).exit_code == 2


@pytest.mark.skipif(not REALDATA.is_dir(), reason="Microsoft's published tables are not beside the checkout")
def test_the_shipped_tables_are_what_the_published_data_gives(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("derive_network", Path(__file__).resolve().parents[1] / "tools" / "derive_network.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(tool, "OUT", tmp_path)
    tool.main(REALDATA)
    shipped = Path(__file__).resolve().parents[1] / "planner" / "data"
    for name in ("azure_regions.csv", "azure_latency.csv"):
        assert (tmp_path / name).read_text() == (shipped / name).read_text(), name
