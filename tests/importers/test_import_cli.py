"""`planner import azure-migrate | rvtools` through click: outputs, summaries, errors, scale."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from click.testing import CliRunner, Result

from planner.cli.imports import import_group
from planner.inputs.load import validate_workload


def run(*args: str) -> Result:
    return CliRunner().invoke(import_group, list(args))


@pytest.mark.slow
def test_yaml_on_stdout_summary_on_stderr(fixtures: Path):
    result = run("azure-migrate", str(fixtures / "azure_migrate_servers.csv"), "--site", "mad-dc1")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(result.stdout)
    assert list(doc) == ["workloads"] and len(doc["workloads"]) == 300
    for w in doc["workloads"]:
        validate_workload(w)
    assert result.stdout.count("  # default") == 5 * 300
    assert result.stderr.startswith(f"imported 300 workloads from {fixtures / 'azure_migrate_servers.csv'}")
    assert "defaults to review" in result.stderr and "app: 300 workloads" in result.stderr


@pytest.mark.slow
def test_out_is_written_whole_and_the_same_every_time(fixtures: Path, tmp_path: Path):
    out = tmp_path / "imported.yaml"
    first = run("rvtools", str(fixtures / "rvtools_export.xlsx"), "--site", "mad-dc1", "--out", str(out))
    assert first.exit_code == 0, first.output
    assert first.stdout == "" and "-> " + str(out) in first.stderr
    text = out.read_text()
    again = run("rvtools", str(fixtures / "rvtools_export.xlsx"), "--site", "mad-dc1", "--out", str(out))
    assert again.exit_code == 0 and out.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imported.yaml"]
    assert "skipped: 3 SRM placeholders, 3 templates, 3 vCLS VMs" in first.stderr


def test_json_summary(fixtures: Path):
    result = run("rvtools", str(fixtures / "rvtools_csv"), "--site", "mad-dc1", "--format", "json")
    assert result.exit_code == 0
    summary = json.loads(result.stderr)
    assert summary["format"] == "planner-import-summary/1" and summary["workloads"] == 311
    assert summary["skipped"] == {"SRM placeholders": 3, "templates": 3, "vCLS VMs": 3}
    assert set(summary["defaults"]) == {"app", "criticality", "data", "env", "users"}


def test_errors_exit_2_and_nothing_is_written(fixtures: Path, tmp_path: Path):
    out = tmp_path / "imported.yaml"
    out.write_text("previous")
    result = run("azure-migrate", str(fixtures / "broken_am_cells.csv"), "--site", "mad-dc1", "--out", str(out))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 7 and lines[0].startswith("error: ") and ":4: column '*Cores'" in lines[0]
    assert lines[-1] == "Error: 6 error(s) in the input; nothing written"
    assert out.read_text() == "previous" and result.stdout == ""


def test_json_errors(fixtures: Path):
    result = run("rvtools", str(fixtures / "broken_rvtools.xlsx"), "--site", "mad-dc1", "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stderr[: result.stderr.rindex("}") + 1])
    assert [(e["row"], e["column"]) for e in doc["errors"]] == [(5, "Memory"), (7, "CPUs"), (9, "VM")]


def test_usage_errors(fixtures: Path, tmp_path: Path):
    assert run("azure-migrate", str(fixtures / "azure_migrate_servers.csv")).exit_code == 2  # no --site
    bad_site = run("azure-migrate", str(fixtures / "azure_migrate_servers.csv"), "--site", "mad dc1")
    assert bad_site.exit_code == 2 and "not a site id" in bad_site.stderr
    assert run("azure-migrate", str(tmp_path / "missing.csv"), "--site", "x").exit_code == 2
    # A workbook saved under a .csv name is read as the workbook it is; RVTools' sheets are not Azure Migrate's.
    binary = tmp_path / "servers.csv"
    binary.write_bytes((fixtures / "rvtools_export.xlsx").read_bytes())
    unreadable = run("azure-migrate", str(binary), "--site", "x")
    assert unreadable.exit_code == 2 and unreadable.stderr == (
        f"Error: {binary}: no sheet lists servers the way Azure Migrate does (a server or machine name, cores and "
        "memory in MB); the workbook has: vInfo, vDisk, vPartition\n")
    # A missing output folder is created, as `planner plan --out` does (one atomic writer for all commands).
    new_dir = run("azure-migrate", str(fixtures / "azure_migrate_servers.csv"), "--site", "x",
                  "--out", str(tmp_path / "new" / "out.yaml"))
    assert new_dir.exit_code == 0 and (tmp_path / "new" / "out.yaml").read_text().count("- id:") == 300


@pytest.mark.slow
def test_twenty_thousand_rows(make_fixtures: ModuleType, tmp_path: Path):
    # How fast is for the benchmark to say; this test checks what 20k rows must do.
    rows = list(make_fixtures.azure_migrate_rows(20_000, seed=3))
    big = tmp_path / "big.csv"
    make_fixtures.write_azure_migrate(big, rows)
    result = run("azure-migrate", str(big), "--site", "mad-dc1", "--out", str(tmp_path / "big.yaml"))
    assert result.exit_code == 0, result.output
    assert "imported 20000 workloads" in result.stderr
    assert (tmp_path / "big.yaml").read_text().count("\n  - id: ") == 20_000

    rows[19_000][2] = "lots"  # one bad cell deep in the file is found and named
    make_fixtures.write_azure_migrate(big, rows)
    failed = run("azure-migrate", str(big), "--site", "mad-dc1")
    assert failed.exit_code == 2 and f"{big}:19002: column '*Cores': 'lots' is not a number" in failed.stderr


@pytest.mark.slow
def test_twenty_thousand_rvtools_rows(make_fixtures: ModuleType, tmp_path: Path):
    vinfo, vdisk, vpart = make_fixtures.rvtools_rows(20_000, seed=5)
    make_fixtures.write_rvtools_csv(tmp_path, vinfo, vdisk, vpart)
    result = run("rvtools", str(tmp_path), "--site", "{datacenter}", "--out", str(tmp_path / "workloads.parquet"),
                 "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stderr)
    assert summary["rows"] == 20_000 and summary["workloads"] + sum(summary["skipped"].values()) == 20_000
    assert summary["counts"]["storage from vDisk (provisioned)"] == summary["workloads"]
    sites = {k for k in summary["counts"] if k.startswith("on site ")}
    assert sites == {"on site dc-mad", "on site dc-sao", "on site dc-mex"}
