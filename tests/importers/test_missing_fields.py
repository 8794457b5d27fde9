"""A field the plan needs that the source lacks (storage, utilisation) is filled by a stated rule, never a silent 0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from planner.cli.imports import import_group
from planner.inputs.importers import import_azure_migrate, import_rvtools

ZERO_RULE = ("servers without disk sizes: left at 0 GB, so no storage is priced or placed for them "
             "(--default-storage-gb N fills them)")


def _run(*args: str):
    return CliRunner().invoke(import_group, list(args))


def test_the_discovery_report_says_it_has_no_disk_sizes_and_how_storage_was_filled(fixtures: Path, tmp_path: Path):
    out = tmp_path / "workloads.csv"
    plain = _run("azure-migrate", str(fixtures / "azure_migrate_discovery.xlsx"), "--site", "mad-dc1", "--out", str(out))
    assert plain.exit_code == 0, plain.output
    assert f"storage_gb: 420 {ZERO_RULE}\n" in plain.stderr
    assert "cpu_util_p95: 420 servers without CPU utilisation: sized by the full vCPU allocation\n" in plain.stderr

    filled = _run("azure-migrate", str(fixtures / "azure_migrate_discovery.xlsx"), "--site", "mad-dc1",
                  "--default-storage-gb", "100", "--format", "json")
    assert filled.exit_code == 0, filled.stderr
    summary = json.loads(filled.stderr)
    assert summary["missing"]["storage_gb"] == [
        {"workloads": 420, "rule": "servers without disk sizes: left at the default of 100 GB (--default-storage-gb)"}]
    assert summary["missing"]["mem_util_p95"][0]["workloads"] == 420
    assert filled.stdout.count("storage_gb: 100\n") == 420


def test_disk_sizes_when_given_fill_nothing(fixtures: Path):
    result = import_azure_migrate(fixtures / "azure_migrate_assessment.xlsx", "mad-dc1")
    assert "storage_gb" not in result.missing  # every assessed server has Storage (in GB)
    measured = sum(1 for w in result.workloads if w.fields["mem_util_p95"] is not None)
    assert 0 < measured < len(result.workloads)
    assert result.missing["mem_util_p95"] == {
        "servers without memory utilisation: sized by the full memory allocation": len(result.workloads) - measured}


def test_rvtools_states_that_every_vm_is_sized_by_its_allocation(fixtures: Path):
    result = import_rvtools(fixtures / "rvtools_export.xlsx", "bcn")
    n = len(result.workloads)
    assert result.missing == {
        "cpu_util_p95": {"VMs without CPU utilisation (RVTools has none): sized by the full vCPU allocation": n},
        "mem_util_p95": {"VMs without memory utilisation (RVTools has none): sized by the full memory allocation": n},
    }
    assert result.counts["storage from vDisk (provisioned)"] == n


def test_rvtools_without_a_vdisk_tab_fills_storage_from_vinfo(fixtures: Path, tmp_path: Path):
    shutil.copy(fixtures / "rvtools_csv" / "RVTools_tabvInfo.csv", tmp_path / "RVTools_tabvInfo.csv")
    result = import_rvtools(tmp_path / "RVTools_tabvInfo.csv", "bcn")
    assert result.missing["storage_gb"] == {
        "VMs (no vDisk tab): filled from vInfo's Total disk capacity MiB": len(result.workloads)}
    assert all(w.fields["storage_gb"] > 0 for w in result.workloads)


def _vinfo(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "RVTools_tabvInfo.csv"
    path.write_text("VM,CPUs,Memory,Provisioned MiB,In Use MiB\n" + rows, encoding="utf-8")
    return path


def test_rvtools_in_use_falls_back_step_by_step(tmp_path: Path):
    path = _vinfo(tmp_path, "a,2,4096,10240,2048\nb,2,4096,10240,\nc,2,4096,,\n")
    (tmp_path / "RVTools_tabvPartition.csv").write_text("VM,Consumed MiB\nz,1\n", encoding="utf-8")
    (tmp_path / "RVTools_tabvDisk.csv").write_text("VM,Capacity MiB\nb,51200\n", encoding="utf-8")
    result = import_rvtools(path, "bcn", storage="in-use", default_storage_gb=30)
    storage = {w.fields["id"]: w.fields["storage_gb"] for w in result.workloads}
    assert storage == {"a": 2.0, "b": 50.0, "c": 30.0}
    assert result.missing["storage_gb"] == {
        "VMs without vPartition rows: filled from vInfo's In Use MiB": 1,
        "VMs without vPartition rows: filled from provisioned disks (vDisk)": 1,
        "VMs without disk sizes: left at the default of 30 GB (--default-storage-gb)": 1,
    }


def test_a_vm_without_any_disk_figure_is_counted_at_zero(tmp_path: Path):
    result = import_rvtools(_vinfo(tmp_path, "a,2,4096,,\nb,2,4096,2048,\n"), "bcn")
    assert {w.fields["id"]: w.fields["storage_gb"] for w in result.workloads} == {"a": 0.0, "b": 2.0}
    assert result.missing["storage_gb"] == {
        "VMs (no vDisk tab): filled from vInfo's Provisioned MiB": 1,
        "VMs without disk sizes: left at 0 GB, so no storage is priced or placed for them "
        "(--default-storage-gb N fills them)": 1,
    }


def test_a_hostile_column_name_in_a_rule_is_escaped(tmp_path: Path):
    header = "Storage in use (In GB)\u202e\x1b"
    path = tmp_path / "servers.csv"
    path.write_text(f"*Server name,*Cores,*Memory (In MB),*OS name,Disk 1 size (In GB),{header}\n"
                    "a,2,4096,Linux,,40\n", encoding="utf-8")
    result = _run("azure-migrate", str(path), "--site", "mad-dc1", "--out", str(tmp_path / "a.yaml"))
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stderr.splitlines() if x.startswith("storage_gb: 1 "))
    assert "\u202e" not in line and "\x1b" not in line
    assert "\\u202e" in line and "\\x1b" in line
    as_json = _run("azure-migrate", str(path), "--site", "mad-dc1", "--format", "json", "--out", str(tmp_path / "b.yaml"))
    assert "\u202e" not in as_json.stderr and "\x1b" not in as_json.stderr
    rule = json.loads(as_json.stderr)["missing"]["storage_gb"][0]["rule"]
    assert rule == f"servers without disk sizes: filled from {header!r}"


def test_a_negative_default_is_a_usage_error(fixtures: Path):
    result = _run("rvtools", str(fixtures / "rvtools_export.xlsx"), "--site", "bcn", "--default-storage-gb", "-1")
    assert result.exit_code == 2 and "--default-storage-gb" in result.output
