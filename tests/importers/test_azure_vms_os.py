"""`planner import azure`: os from the OS disk's type, and the {region} site template."""

from __future__ import annotations

import pytest

from planner.domain.catalog import load_catalog
from planner.inputs.importers.azure_vms import import_azure_vms
from planner.inputs.importers.sites import TemplateError
from planner.inputs.sources import FakeVmInventorySource, RunningVm


def test_os_comes_from_the_os_disk_type():
    source = FakeVmInventorySource([
        RunningVm("web", "westeurope", "Standard_D2s_v5", id="/vm/web", os_type="Linux"),
        RunningVm("sql", "westeurope", "Standard_D2s_v5", id="/vm/sql", os_type="Windows"),
        RunningVm("odd", "northeurope", "Standard_D2s_v5", id="/vm/odd", os_type=""),
    ])
    result = import_azure_vms(source, load_catalog(), "az-{region}", "subscription s")
    by_id = {w.fields["id"]: w.fields for w in result.workloads}
    assert (by_id["web"]["os"], by_id["sql"]["os"], "os" in by_id["odd"]) == ("linux", "windows", False)
    assert by_id["odd"]["current_site"] == "az-northeurope"
    assert [str(w) for w in result.warnings] == [
        "subscription s: VM /vm/odd: no OS given: os left out (the planner prices it as linux; add os: windows if it is)"]
    assert (result.counts["os linux"], result.counts["os windows"]) == (1, 1)


def test_only_the_region_placeholder():
    with pytest.raises(TemplateError, match=r"unknown placeholder \{cluster\}"):
        import_azure_vms(FakeVmInventorySource([]), load_catalog(), "az-{cluster}", "s")
