"""`--out FILE.csv|FILE.parquet`: the workloads table instead of YAML, same fields, same bytes each run."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner, Result

from planner.cli.imports import import_group
from planner.inputs.importers.workload_table import IMPORTED_FIELDS
from planner.inputs.table_format import WORKLOAD_COLUMNS


def run(*args: str) -> Result:
    return CliRunner().invoke(import_group, list(args))


def yaml_workloads(fixtures: Path, *args: str) -> list[dict[str, object]]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return yaml.safe_load(result.stdout)["workloads"]


@pytest.mark.parametrize(
    "args",
    [("azure-migrate", "azure_migrate_discovery.xlsx", "--site", "mad-dc1"),
     ("rvtools", "rvtools_vcenter.xlsx", "--site", "{datacenter}-{cluster}")],
)
@pytest.mark.slow
def test_parquet_holds_what_the_yaml_holds(fixtures: Path, tmp_path: Path, args: tuple[str, ...]):
    importer, sample, *rest = args
    out = tmp_path / "workloads-imported.parquet"
    written = run(importer, str(fixtures / sample), *rest, "--out", str(out))
    assert written.exit_code == 0, written.output
    assert written.stdout == "" and f"-> {out}" in written.stderr and "note:" not in written.stderr
    table = pq.read_table(out)
    assert table.column_names == [c for c in WORKLOAD_COLUMNS if c in IMPORTED_FIELDS]
    rows = table.to_pylist()
    expected = yaml_workloads(fixtures, importer, str(fixtures / sample), *rest)
    assert len(rows) == len(expected) > 300
    for row, w in zip(rows, expected, strict=True):
        assert {k: v for k, v in row.items() if v is not None} == {k: v for k, v in w.items() if k != "users"}
    assert {r["os"] for r in rows} == {"linux", "windows", None}

    first = out.read_bytes()
    again = run(importer, str(fixtures / sample), *rest, "--out", str(out))
    assert again.exit_code == 0 and out.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_csv_table(fixtures: Path, tmp_path: Path):
    out = tmp_path / "workloads.csv"
    result = run("azure-migrate", str(fixtures / "azure_migrate_servers.csv"), "--site", "mad-dc1", "--out", str(out))
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 300 and list(rows[0]) == [c for c in WORKLOAD_COLUMNS if c in IMPORTED_FIELDS]
    first = next(r for r in rows if r["id"] == "mex-billing-mq-001")
    assert (first["vcpu"], first["memory_gb"], first["os"], first["data"]) == ("8", "64", "windows", "")
    assert "defaults to review" in result.stderr  # the marks a table cannot hold are still counted


def test_a_table_not_named_workloads_gets_a_reminder(fixtures: Path, tmp_path: Path):
    out = tmp_path / "bcn.parquet"
    result = run("rvtools", str(fixtures / "rvtools_export.xlsx"), "--site", "bcn-dc1", "--out", str(out))
    assert result.exit_code == 0 and out.exists()
    assert result.stderr.endswith("note: an inventory folder reads workloads tables named workloads*.parquet; "
                                  "rename bcn.parquet to be read\n")


def test_other_suffixes_are_usage_errors_and_errors_write_nothing(fixtures: Path, tmp_path: Path):
    bad = run("rvtools", str(fixtures / "rvtools_export.xlsx"), "--site", "x", "--out", str(tmp_path / "w.json"))
    assert bad.exit_code == 2 and "name a .yaml or .yml file (inventory YAML), or a .csv or .parquet" in bad.stderr
    out = tmp_path / "workloads.parquet"
    failed = run("rvtools", str(fixtures / "broken_rvtools.xlsx"), "--site", "x", "--out", str(out))
    assert failed.exit_code == 2 and not out.exists() and list(tmp_path.iterdir()) == []
