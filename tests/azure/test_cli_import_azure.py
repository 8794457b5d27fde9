"""`planner import azure`: running VMs listed through the real SDK from the stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from standin import SUBSCRIPTION, FakeCredential, StandIn, vm

import planner.inputs.azure.arm as arm
from planner.cli.imports import import_group
from planner.domain.catalog import load_catalog
from planner.inputs.importers.azure_vms import import_azure_vms
from planner.inputs.load import validate_workload
from planner.inputs.sources import FakeVmInventorySource, RunningVm


@pytest.fixture
def azure(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    monkeypatch.setenv("PLANNER_ARM_ENDPOINT", standin.url)
    monkeypatch.setattr(arm, "default_credential", lambda: FakeCredential())
    standin.vms = [
        vm("crm-web-01", "Standard_D4s_v5", data_gb=(256,), tags={"Application": "crm", "Environment": "prod"}),
        vm("crm-db-01", "Standard_E8s_v5", rg="rg-crm", data_gb=(1024, 1024), tags={"app": "crm", "env": "prod",
                                                                                     "criticality": "High"}),
        vm("jump", "Standard_B2s", region="northeurope", rg="rg-ops"),
        vm("jump", "Standard_B2s", region="westeurope", rg="rg-ops-we"),
        vm("gpu-01", "Standard_NC24ads_A100_v4", rg="rg-ml"),
    ]
    return standin


def run(*args: str) -> Result:
    return CliRunner().invoke(import_group, ["azure", *args])


def test_imports_running_vms_sized_from_the_catalogue(azure: StandIn):
    result = run("--subscription", SUBSCRIPTION, "--site", "az-{region}")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(result.stdout)
    by_id = {w["id"]: w for w in doc["workloads"]}
    assert sorted(by_id) == ["crm-db-01", "crm-web-01", "rg-ops-we.jump", "rg-ops.jump"]
    db = by_id["crm-db-01"]
    assert (db["vcpu"], db["memory_gb"], db["storage_gb"]) == (8, 64, 2176)
    assert (db["app"], db["env"], db["criticality"], db["current_site"]) == ("crm", "prod", "high", "az-westeurope")
    assert by_id["rg-ops.jump"]["current_site"] == "az-northeurope"
    assert by_id["rg-ops.jump"]["app"] == "rg-ops.jump"  # no tag: defaulted, and marked so
    assert '"rg-ops.jump"  # default' in result.stdout
    assert "Standard_NC24ads_A100_v4 is not in the VM catalogue; skipped" in result.stderr
    for w in doc["workloads"]:
        validate_workload(w)


def test_rejected_credentials_exit_2(azure: StandIn):
    azure.queue("arm", 403, {"error": {"code": "AuthorizationFailed", "message": "no read on subscription"}})
    result = run("--subscription", SUBSCRIPTION, "--site", "az-we")
    assert result.exit_code == 2
    assert "Azure rejected the credentials" in result.stderr and "HTTP 403 AuthorizationFailed" in result.stderr
    assert result.stdout == ""


def test_subscription_is_required_and_site_must_be_an_id(azure: StandIn):
    assert run("--site", "az-we").exit_code == 2
    bad = run("--subscription", SUBSCRIPTION, "--site", "not a site")
    assert bad.exit_code == 2 and "not a site id" in bad.stderr


def test_a_vm_with_unknown_disk_sizes_is_counted(tmp_path: Path):
    source = FakeVmInventorySource([RunningVm("a", "westeurope", "Standard_D2s_v5", os_disk_gb=None)])
    result = import_azure_vms(source, load_catalog(), "az-we", "test")
    assert result.workloads[0].fields["storage_gb"] == 0
    assert result.missing["storage_gb"] == {
        "VMs with a disk of unknown size: that disk counted as 0 GB, the others summed": 1}
