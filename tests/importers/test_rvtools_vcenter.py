"""An RVTools 4.x export as it really comes: one vCenter, several datacenters and clusters,
vInfo's full 93 columns, inaccessible VMs with empty CPU and memory cells."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner, Result

from planner.cli.imports import import_group
from planner.inputs.importers.common import ImportFailed, ImportResult, workload_id
from planner.inputs.importers.rvtools import import_rvtools
from planner.inputs.importers.sites import TemplateError
from planner.inputs.load import validate_workload

SAMPLE = "rvtools_vcenter.xlsx"


def run(*args: str) -> Result:
    return CliRunner().invoke(import_group, ["rvtools", *args])


@pytest.fixture(scope="module")
def vms(make_fixtures: ModuleType) -> dict[str, dict[str, object]]:
    """The generator's VMs by workload id (their vInfo row, disks and OS family): the truth to compare against."""
    return {workload_id(str(vm["vinfo"]["VM"])): vm for vm in make_fixtures.rvtools_full_vms(460)}


@pytest.fixture(scope="module")
def plain(fixtures: Path) -> ImportResult:
    """The sample imported onto one site (read once: it is a 460-VM workbook)."""
    return import_rvtools(fixtures / SAMPLE, "bcn-dc1")


@pytest.mark.slow
def test_each_vm_gets_the_site_of_its_datacenter_and_cluster(fixtures: Path, vms: dict[str, dict[str, object]]):
    result = import_rvtools(fixtures / SAMPLE, "{datacenter}-{cluster}")
    sites = {w.fields["current_site"] for w in result.workloads}
    assert sites == {"dc-madrid-cl-mad-prod-01", "dc-madrid-cl-mad-dev", "dc-barcelona-cl-bcn-01",
                     "edge-sevilla-edge-svq"}
    for w in result.workloads:
        validate_workload(w.fields)
        info = vms[w.fields["id"]]["vinfo"]
        assert isinstance(info, dict)
        expected = f"{info['Datacenter']}-{info['Cluster']}".lower().replace(" ", "-")
        assert w.fields["current_site"] == expected
    per_site = {k.removeprefix("on site "): n for k, n in result.counts.items() if k.startswith("on site ")}
    assert sum(per_site.values()) == len(result.workloads) and set(per_site) == sites


@pytest.mark.slow
def test_a_host_template_and_text_around_the_placeholders(fixtures: Path):
    result = import_rvtools(fixtures / SAMPLE, "MAD/{host}")
    assert all(w.fields["current_site"].startswith("MAD/esx") for w in result.workloads)
    assert "MAD/esx01.cl-mad-prod01.corp.example" in {w.fields["current_site"] for w in result.workloads}


@pytest.mark.slow
def test_inaccessible_vms_are_skipped_with_a_warning_naming_row_and_vm(
    fixtures: Path, make_fixtures: ModuleType, vms: dict[str, dict[str, object]], plain: ImportResult
):
    path, result = fixtures / SAMPLE, plain
    every = make_fixtures.INACCESSIBLE_EVERY
    rows = [i + 1 for i in range(every, 461, every)]  # VM i is on row i + 1
    assert result.skipped["without CPU or memory figures"] == len(rows) == 4
    skipped = [w for w in result.warnings if "has no CPU or memory figures" in w.message]
    assert [w.row for w in skipped] == rows
    name = next(str(vm["vinfo"]["VM"]) for vm in vms.values() if vm["vinfo"]["Connection state"] == "inaccessible")
    assert f"{path}[vInfo]:{rows[0]}: column 'CPUs': VM {name!r} has no CPU or memory figures (connection state: " \
           "inaccessible); skipped" in [str(w) for w in skipped]
    assert result.rows == 460
    assert len(result.workloads) + sum(result.skipped.values()) == 460


@pytest.mark.slow
def test_strict_makes_them_errors(fixtures: Path, tmp_path: Path):
    out = tmp_path / "bcn.yaml"
    result = run(str(fixtures / SAMPLE), "--site", "bcn-dc1", "--strict", "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 4 and all("(--strict makes this an error)" in e for e in errors)
    assert result.stderr.endswith("Error: 4 error(s) in the input; nothing written\n")


def test_one_vm_without_figures_no_longer_refuses_the_file(tmp_path: Path):
    path = tmp_path / "RVTools_tabvInfo.csv"
    path.write_text("vInfoVMName,vInfoPowerstate,vInfoConnectionState,vInfoCPUs,vInfoMemory,vInfoOS\n"
                    "app01,poweredOn,connected,2,4096,Ubuntu Linux (64-bit)\n"
                    "ghost01,poweredOff,orphaned,,,\n"
                    "half01,poweredOn,connected,4,,Microsoft Windows Server 2019 (64-bit)\n", encoding="utf-8")
    result = import_rvtools(path, "mad-dc1")
    assert [w.fields["id"] for w in result.workloads] == ["app01"]
    assert [str(w) for w in result.warnings] == [
        f"{path}:3: column 'vInfoCPUs': VM 'ghost01' has no CPU or memory figures (connection state: orphaned); "
        "skipped",
        f"{path}:4: column 'vInfoMemory': VM 'half01' has no memory figure; skipped",
    ]


def test_os_from_the_tools_else_the_configuration_file(plain: ImportResult, vms: dict[str, dict[str, object]]):
    result = plain
    families = {w.fields.get("os") for w in result.workloads}
    assert families == {"windows", "linux", None}
    for w in result.workloads:
        assert w.fields.get("os") == vms[w.fields["id"]]["family"]
    unknown = [w for w in result.warnings if "cannot tell Windows from Linux" in w.message]
    assert unknown and result.counts["os left out (cannot tell Windows from Linux)"] == len(unknown)
    assert any(w.column == "OS according to the VMware Tools" and "'FreeBSD 13.2-RELEASE'" in w.message
               for w in unknown)
    assert any(w.column == "OS according to the configuration file" and "'Other (64-bit)'" in w.message
               for w in unknown)


def test_names_with_spaces_and_accents_and_the_formula_column(plain: ImportResult):
    result = plain
    w = next(w for w in result.workloads if w.fields["id"] == "Servidor-Contabilidad-n01")
    assert "vm: Servidor Contabilidad ñ01" in w.note and "host: esx" in w.note
    # vInfo ends with an architect's formula column ('Memory GiB (calc)'): not read, so not refused.
    assert result.counts["storage from vDisk (provisioned)"] == len(result.workloads)


def test_placeholders_are_checked(fixtures: Path, tmp_path: Path):
    with pytest.raises(TemplateError, match=r"unknown placeholder \{region\}.*known: \{datacenter\}, \{cluster\}, "):
        import_rvtools(fixtures / SAMPLE, "az-{region}")
    bad = run(str(fixtures / SAMPLE), "--site", "{datacentre}-{cluster}")
    assert bad.exit_code == 2 and "unknown placeholder {datacentre}" in bad.stderr and bad.stdout == ""
    assert run(str(fixtures / SAMPLE), "--site", "{cluster").exit_code == 2
    path = tmp_path / "RVTools_tabvInfo.csv"
    path.write_text("vInfoVMName,vInfoCPUs,vInfoMemory,vInfoDataCenter\napp01,2,4096,DC1\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        import_rvtools(path, "{datacenter}-{cluster}")
    assert [str(e) for e in err.value.errors] == [
        f"{path}:1: column 'Cluster': missing column: the site template '{{datacenter}}-{{cluster}}' uses {{cluster}} "
        "(also accepted: 'vInfoCluster')"]


def test_a_vm_on_a_standalone_host_has_no_cluster(tmp_path: Path):
    path = tmp_path / "RVTools_tabvInfo.csv"
    path.write_text("vInfoVMName,vInfoCPUs,vInfoMemory,vInfoDataCenter,vInfoCluster,vInfoHost\n"
                    "app01,2,4096,Edge Sevilla,,esx01.svq\napp02,2,4096,Edge Sevilla,EDGE,esx02.svq\n",
                    encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        import_rvtools(path, "{datacenter}-{cluster}")
    assert [str(e) for e in err.value.errors] == [
        f"{path}:2: column 'vInfoCluster': empty, but the site template '{{datacenter}}-{{cluster}}' uses {{cluster}} "
        "(a VM on a standalone host has no cluster: use {host} or {datacenter})"]
    by_host = import_rvtools(path, "{datacenter}-{host}")
    assert [w.fields["current_site"] for w in by_host.workloads] == ["edge-sevilla-esx01.svq", "edge-sevilla-esx02.svq"]


@pytest.mark.slow
def test_the_summary_lists_sites_and_skips(fixtures: Path):
    result = run(str(fixtures / SAMPLE), "--site", "{datacenter}-{cluster}", "--format", "json")
    assert result.exit_code == 0
    summary = json.loads(result.stderr)
    assert summary["skipped"] == {"SRM placeholders": 5, "templates": 4, "vCLS VMs": 4,
                                  "without CPU or memory figures": 4}
    assert summary["counts"]["on site dc-madrid-cl-mad-dev"] > 0
    assert summary["counts"]["powered off (included)"] > 0
