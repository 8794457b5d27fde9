"""The Azure Migrate CSV importer on the realistic sample and on broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.inputs.importers.azure_migrate import import_azure_migrate
from planner.inputs.importers.common import ImportFailed
from planner.inputs.load import validate_workload


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ImportFailed) as err:
        import_azure_migrate(path, "mad-dc1")
    return [str(e) for e in err.value.errors]


def test_the_sample_imports_every_server(fixtures: Path):
    result = import_azure_migrate(fixtures / "azure_migrate_servers.csv", "mad-dc1")
    assert result.rows == 300 and len(result.workloads) == 300
    ids = [w.fields["id"] for w in result.workloads]
    assert ids == sorted(ids) and len(set(ids)) == 300
    for w in result.workloads:
        validate_workload(w.fields)
        assert w.fields["current_site"] == "mad-dc1"
        assert set(w.defaulted) == {"app", "env", "criticality", "data", "users"}
    summary = result.summary("-")
    assert summary["defaults"]["app"]["workloads"] == 300
    assert summary["missing"]["cpu_util_p95"] == [{
        "workloads": sum(1 for w in result.workloads if w.fields["cpu_util_p95"] is None),
        "rule": "servers without CPU utilisation: sized by the full vCPU allocation"}]


def test_units_and_storage(fixtures: Path):
    result = import_azure_migrate(fixtures / "azure_migrate_servers.csv", "mad-dc1")
    first = next(w for w in result.workloads if w.note.startswith("source: row 2;"))
    # Row 2: 8 cores, 65536 MB, disks 1024 + 64 GB, 49.7 % CPU, 13.3 % memory.
    assert (first.fields["id"], first.fields["vcpu"], first.fields["memory_gb"], first.fields["storage_gb"]) == (
        "mex-billing-mq-001", 8, 64.0, 1088.0)
    assert (first.fields["cpu_util_p95"], first.fields["mem_util_p95"]) == (0.497, 0.133)
    assert "os: Microsoft Windows Server 2016 Standard 10.0.14393" in first.note and "ip: 10.38.29.233" in first.note


def test_bad_cells_name_file_row_and_column(fixtures: Path):
    path = fixtures / "broken_am_cells.csv"
    assert errors_of(path) == [
        f"{path}:4: column '*Cores': 'four' is not a number; expected a whole number of cores",
        f"{path}:6: column '*Memory (In MB)': wrong units: 16 MB of memory looks like GB "
        "(the column is in MB: 16 GB is 16384 MB)",
        f"{path}:8: column 'Disk 1 size (In GB)': wrong units: '2 TB' is in TB, but this column is in GB",
        f"{path}:10: column '*Server name': duplicate server name 'mad-iptv-db-002' (first on row 3)",
        f"{path}:11: column '*Memory (In MB)': a formula (=16*1024), not a value: export or paste values only",
        f"{path}:12: column 'CPU utilization percentage': '140' is not a percentage between 0 and 100",
    ]


def test_a_missing_required_column(fixtures: Path):
    path = fixtures / "broken_am_missing_column.csv"
    (only,) = errors_of(path)
    assert only.startswith(f"{path}:1: column '*Cores': missing required column (also accepted: 'Number of cores'; "
                           "the header row has: '*Server name'")


def test_memory_in_gb_is_wrong_units(fixtures: Path):
    path = fixtures / "broken_am_units_header.csv"
    assert errors_of(path) == [f"{path}:1: column '*Memory (In GB)': wrong units: Azure Migrate has memory in MB: "
                               "give MB in a column named '*Memory (In MB)' or 'Memory (in MB)'"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "servers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_headers_are_matched_loosely_and_semicolons_and_bom_are_read(tmp_path: Path):
    path = tmp_path / "servers.csv"
    path.write_bytes("\ufeffServer Name;*CORES;*memory (in mb);*OS Name;Disk 1 Size (In GB)\r\n"
                     "Web 01;4;8192;Ubuntu;100\r\n;;;;\r\n".encode("utf-8"))
    result = import_azure_migrate(path, "mad-dc1")
    (w,) = result.workloads
    assert (w.fields["id"], w.fields["vcpu"], w.fields["memory_gb"], w.fields["storage_gb"]) == ("Web-01", 4, 8.0, 100)
    assert "server: Web 01" in w.note and result.rows == 1  # the blank row is not a server


def test_missing_values_and_case_insensitive_duplicates(tmp_path: Path):
    path = write(tmp_path, "*Server name,*Cores,*Memory (In MB),*OS name\n"
                           "web-01,,4096,Linux\nWEB-01,2,4096,Linux\n,2,4096,Linux\n")
    assert [e.split(": ", 1)[1] for e in errors_of(path)] == [
        "column '*Cores': missing value (a required column)",
        "column '*Server name': duplicate server name 'WEB-01' (first on row 2)",
        "column '*Server name': missing value (a required column)",
    ]


def test_declared_disks_without_sizes_warn_and_fall_back(tmp_path: Path):
    path = write(tmp_path, "*Server name,*Cores,*Memory (In MB),*OS name,Number of disks,Storage in use (In GB),"
                           "Disk 1 size (In GB),Disk 2 size (In GB)\n"
                           "a,2,4096,Linux,2,,100,\nb,2,4096,Linux,0,40,,\nc,2,4096,Linux,,,,\n")
    result = import_azure_migrate(path, "mad-dc1")
    storage = {w.fields["id"]: w.fields["storage_gb"] for w in result.workloads}
    assert storage == {"a": 100, "b": 40, "c": 0}
    assert [str(w) for w in result.warnings] == [f"{path}:2: column 'Number of disks': 2 disks declared but "
                                                 "1 disk sizes given; storage counts the sizes given"]
    assert result.missing["storage_gb"] == {
        "servers without disk sizes: filled from 'Storage in use (In GB)'": 1,
        "servers without disk sizes: left at 0 GB, so no storage is priced or placed for them "
        "(--default-storage-gb N fills them)": 1}


def test_disk_sizes_in_other_units_are_refused(tmp_path: Path):
    path = write(tmp_path, "*Server name,*Cores,*Memory (In MB),*OS name,Disk 1 size (In MB)\na,2,4096,Linux,100\n")
    (only,) = errors_of(path)
    assert "column 'Disk 1 size (In MB)': wrong units: disk sizes are in GB" in only


def test_an_empty_file_is_an_error(tmp_path: Path):
    from planner.inputs.importers.table import TableError

    with pytest.raises(TableError, match="empty"):
        import_azure_migrate(write(tmp_path, ""), "mad-dc1")
