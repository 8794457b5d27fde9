"""Small builders for inventories written for one test case."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "zones": [{"id": "madrid", "country": "ES"}, {"id": "frankfurt", "country": "DE"}, {"id": "sao-paulo", "country": "BR"}],
    "latency_ms": [["madrid", "frankfurt", 30], ["madrid", "sao-paulo", 190], ["frankfurt", "sao-paulo", 200]],
    "countries": {"EU": ["ES", "DE", "FR", "PT"]},
    "policies": [{"id": "gdpr", "name": "GDPR", "data_class": "personal-eu", "allowed_countries": ["EU"]},
                 {"id": "lgpd", "name": "LGPD", "data_class": "personal-br", "allowed_countries": ["BR"]}],
    "sites": [
        {"id": "mad-dc1", "kind": "onprem", "zone": "madrid",
         "cost": {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}},
        {"id": "az-fra", "kind": "azure", "zone": "frankfurt",
         "cost": {"vcpu_month": 10.0, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}},
        {"id": "az-sao", "kind": "azure", "zone": "sao-paulo",
         "cost": {"vcpu_month": 8.0, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}},
    ],
    "workloads": [],
    "scenario": {"start": "2027-01-01", "horizon_months": 12, "currency": "EUR", "default_migration_cost": 100},
}


def workload(wid: str, **fields: Any) -> dict[str, Any]:
    """A small production workload on mad-dc1, with `fields` overriding."""
    w = {"id": wid, "app": fields.pop("app", "app1"), "env": "prod", "vcpu": 2, "memory_gb": 4, "storage_gb": 10, "current_site": "mad-dc1"}
    w.update(fields)
    return w


def inventory(tmp_path: Path, workloads: list[dict[str, Any]], name: str = "inv.yaml", **sections: Any) -> Path:
    """Write BASE with `workloads` and section overrides to a YAML file; return its path."""
    doc = copy.deepcopy(BASE)
    doc["workloads"] = workloads
    doc.update(sections)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def sites_of(plan: Any) -> dict[str, str]:
    """Workload id to site id of a plan."""
    return {a.workload: a.site for a in plan.assignments}


BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name: str) -> Any:
    """A module of bench/ (scripts, not a package), imported with bench/ on sys.path as the scripts see it."""
    import importlib
    import sys

    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)
