"""The RVTools importer on the xlsx and CSV samples and on broken workbooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.inputs.importers.common import ImportFailed
from planner.inputs.importers.rvtools import import_rvtools
from planner.inputs.load import validate_workload


def test_the_xlsx_sample_skips_templates_placeholders_and_vcls(fixtures: Path):
    result = import_rvtools(fixtures / "rvtools_export.xlsx", "mad-dc1")
    assert result.rows == 320 and len(result.workloads) == 311
    assert result.skipped == {"SRM placeholders": 3, "templates": 3, "vCLS VMs": 3}
    assert result.counts["storage from vDisk (provisioned)"] == 311
    assert result.counts["powered off (included)"] == 39
    ids = [w.fields["id"] for w in result.workloads]
    assert ids == sorted(ids) and not any(i.lower().startswith(("vcls", "tpl-")) for i in ids)
    for w in result.workloads:
        validate_workload(w.fields)


def test_mib_units_and_the_tools_os_is_preferred(fixtures: Path):
    result = import_rvtools(fixtures / "rvtools_export.xlsx", "mad-dc1")
    first = next(w for w in result.workloads if w.fields["id"] == "MEXSMSFILE001")
    # vInfo row 2: 16 CPUs, 131072 MiB; vDisk: 163840 MiB in two disks.
    assert (first.fields["vcpu"], first.fields["memory_gb"], first.fields["storage_gb"]) == (16, 128.0, 160.0)
    assert "os: Ubuntu 22.04.3 LTS" in first.note  # VMware Tools' answer, not 'Ubuntu Linux (64-bit)'
    no_tools = [w for w in result.workloads if "Other 3.x or later Linux" in w.note]
    assert no_tools, "a VM without Tools falls back to the configuration file's OS"


@pytest.mark.slow
def test_the_csv_export_gives_the_same_workloads_as_the_xlsx(fixtures: Path):
    xlsx = import_rvtools(fixtures / "rvtools_export.xlsx", "mad-dc1")
    by_file = import_rvtools(fixtures / "rvtools_csv" / "RVTools_tabvInfo.csv", "mad-dc1")
    by_folder = import_rvtools(fixtures / "rvtools_csv", "mad-dc1")
    assert [w.fields for w in by_file.workloads] == [w.fields for w in xlsx.workloads]
    assert [w.fields for w in by_folder.workloads] == [w.fields for w in xlsx.workloads]
    assert by_file.skipped == xlsx.skipped


@pytest.mark.slow
def test_in_use_storage_comes_from_vpartition(fixtures: Path):
    provisioned = import_rvtools(fixtures / "rvtools_export.xlsx", "mad-dc1")
    in_use = import_rvtools(fixtures / "rvtools_export.xlsx", "mad-dc1", storage="in-use")
    assert in_use.counts["storage from vPartition (consumed)"] == 311
    pairs = zip([w.fields["storage_gb"] for w in in_use.workloads],
                [w.fields["storage_gb"] for w in provisioned.workloads], strict=True)
    assert all(used < given for used, given in pairs)


def test_powered_off_vms_can_be_left_out(fixtures: Path):
    result = import_rvtools(fixtures / "rvtools_export.xlsx", "mad-dc1", skip_powered_off=True)
    assert result.skipped["powered off"] == 39 and len(result.workloads) == 272


def test_a_vinfo_csv_alone_falls_back_to_vinfo_sizes(fixtures: Path, tmp_path: Path):
    alone = tmp_path / "export.csv"
    alone.write_bytes((fixtures / "rvtools_csv" / "RVTools_tabvInfo.csv").read_bytes())
    result = import_rvtools(alone, "mad-dc1")
    assert result.counts["storage from vInfo Total disk capacity MiB"] == 311


def test_broken_cells_name_sheet_row_and_column(fixtures: Path):
    path = fixtures / "broken_rvtools.xlsx"
    with pytest.raises(ImportFailed) as err:
        import_rvtools(path, "mad-dc1")
    assert [str(e) for e in err.value.errors] == [
        f"{path}[vInfo]:5: column 'Memory': a formula (=B4*1024), not a value: export or paste values only",
        f"{path}[vInfo]:7: column 'CPUs': 'two' is not a number; expected a whole number of CPUs",
        f"{path}[vInfo]:9: column 'VM': duplicate VM name 'MADCRMWEB002' (first on row 3)",
    ]


def test_sizes_in_gb_are_wrong_units(fixtures: Path):
    path = fixtures / "broken_rvtools_units.xlsx"
    with pytest.raises(ImportFailed) as err:
        import_rvtools(path, "mad-dc1")
    assert [str(e) for e in err.value.errors] == [
        f"{path}[vInfo]:1: column 'Memory GB': wrong units: RVTools reports sizes in MiB; this column is in GB/TB "
        "(export again from RVTools, or give MiB in 'Memory')"]


def test_memory_that_looks_like_gb_and_missing_columns(tmp_path: Path):
    path = tmp_path / "RVTools_tabvInfo.csv"
    path.write_text("vInfoVMName,vInfoCPUs,vInfoMemory\napp01,4,16\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        import_rvtools(path, "mad-dc1")
    assert "wrong units: 16 MiB of memory looks like GB (RVTools gives MiB: 16 GB is 16384 MiB)" in str(
        err.value.errors[0])
    path.write_text("vInfoVMName,vInfoMemory\napp01,4096\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        import_rvtools(path, "mad-dc1")
    assert str(err.value.errors[0]) == (f"{path}:1: column 'CPUs': missing required column "
                                        "(also accepted: 'vInfoCPUs')")


def test_a_workbook_without_vinfo_and_a_non_workbook_are_errors(fixtures: Path, tmp_path: Path):
    from openpyxl import Workbook

    from planner.inputs.importers.table import TableError

    wb = Workbook()
    wb.active.title = "vHost"
    wb.save(tmp_path / "hosts.xlsx")
    with pytest.raises(TableError, match="no sheet 'vInfo' \\(the workbook has: vHost\\)"):
        import_rvtools(tmp_path / "hosts.xlsx", "mad-dc1")
    (tmp_path / "fake.xlsx").write_text("not a zip")
    with pytest.raises(TableError, match="not a readable xlsx workbook"):
        import_rvtools(tmp_path / "fake.xlsx", "mad-dc1")
