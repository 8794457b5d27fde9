"""Azure Migrate's discovery report and assessment workbooks, as Azure Migrate Export writes them."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner, Result

from planner.cli.imports import import_group
from planner.inputs.importers.azure_migrate import import_azure_migrate
from planner.inputs.importers.common import ImportFailed, workload_id
from planner.inputs.importers.table import TableError
from planner.inputs.load import validate_workload


def run(*args: str) -> Result:
    return CliRunner().invoke(import_group, ["azure-migrate", *args])


@pytest.fixture(scope="module")
def servers(make_fixtures: ModuleType) -> dict[str, dict[str, object]]:
    """What the generator put in the workbooks, by workload id: the truth to compare against."""
    return {workload_id(str(s["name"])): s for s in make_fixtures.am_servers(420)}


def test_the_discovery_report_is_read_from_its_sheet(fixtures: Path, servers: dict[str, dict[str, object]]):
    result = import_azure_migrate(fixtures / "azure_migrate_discovery.xlsx", "mad-dc1")
    assert result.origin == f"{fixtures / 'azure_migrate_discovery.xlsx'}[Discovery_Report]"
    assert result.rows == 420 and len(result.workloads) == 420
    off = sum(1 for s in servers.values() if s["power"] == "OFF")
    assert off > 0 and result.counts["powered off (included)"] == off
    assert result.missing["storage_gb"] == {  # the report lists disks, not their sizes
        "servers without disk sizes: left at 0 GB, so no storage is priced or placed for them "
        "(--default-storage-gb N fills them)": 420}
    for w in result.workloads:
        validate_workload(w.fields)
        truth = servers[w.fields["id"]]
        assert (w.fields["vcpu"], w.fields["memory_gb"]) == (truth["cores"], float(truth["memory"]) / 1024)  # type: ignore[arg-type]
        assert w.fields.get("os") == truth["family"]
        assert w.fields["env"] == (str(truth["env"]).lower() or "prod")
        assert ("env" in w.defaulted) == (truth["env"] == "")


def test_environment_os_and_power_reach_the_yaml(fixtures: Path):
    result = run(str(fixtures / "azure_migrate_discovery.xlsx"), "--site", "mad-dc1")
    assert result.exit_code == 0, result.output
    assert '    env: "dev"\n' in result.stdout and '    env: "prod"  # default\n' in result.stdout
    assert '    os: "windows"\n' in result.stdout and '    os: "linux"\n' in result.stdout
    assert "; powered off\n" in result.stdout
    assert "os windows: " in result.stderr and "os left out (cannot tell Windows from Linux): " in result.stderr
    assert "column 'Operating System': server " in result.stderr
    assert "cannot tell Windows from Linux by the OS 'FreeBSD 13.1-RELEASE'" in result.stderr


def test_powered_off_servers_can_be_left_out(fixtures: Path, servers: dict[str, dict[str, object]]):
    result = import_azure_migrate(fixtures / "azure_migrate_discovery.xlsx", "mad-dc1", skip_powered_off=True)
    off = sum(1 for s in servers.values() if s["power"] == "OFF")
    assert result.skipped == {"powered off": off} and len(result.workloads) == 420 - off


def test_the_assessment_reads_the_sheet_with_every_server(fixtures: Path, servers: dict[str, dict[str, object]]):
    path = fixtures / "azure_migrate_assessment.xlsx"
    result = import_azure_migrate(path, "mad-dc1")
    assert result.origin.endswith("[All_VM_IaaS_Server_Rehost_Perf]") and len(result.workloads) == 360
    (note,) = [str(w) for w in result.warnings if w.row == 0]
    assert note == (f"{path}[All_VM_IaaS_Server_Rehost_Perf]: read sheet 'All_VM_IaaS_Server_Rehost_Perf'; 3 other "
                    "sheet(s) list servers too ('VM_IaaS_Server_Rehost_Perf', 'SQL_IaaS_Server_Rehost_Perf', "
                    "'VM_IaaS_Server_Rehost_As-is'): --sheet NAME imports one of them instead")
    for w in result.workloads:
        truth = servers[w.fields["id"]]
        assert w.fields["storage_gb"] == sum(truth["disks"])  # type: ignore[arg-type]
        expected = None if truth["cpu"] is None else round(float(truth["cpu"]) / 100, 4)  # type: ignore[arg-type]
        assert w.fields["cpu_util_p95"] == expected
    unmeasured = sum(1 for w in result.workloads if w.fields["cpu_util_p95"] is None)
    assert unmeasured > 0 and result.missing["cpu_util_p95"] == {
        "servers without CPU utilisation: sized by the full vCPU allocation": unmeasured}


def test_the_architects_formula_columns_are_ignored(fixtures: Path):
    from openpyxl import load_workbook

    wb = load_workbook(fixtures / "azure_migrate_assessment.xlsx", read_only=True)
    last = next(wb["All_VM_IaaS_Server_Rehost_Perf"].iter_rows(min_row=2, max_row=2, values_only=True))[-1]
    wb.close()
    assert str(last).startswith("=")  # the fixture does hold a formula, in a column no importer reads
    assert len(import_azure_migrate(fixtures / "azure_migrate_assessment.xlsx", "x").workloads) == 360


def test_another_sheet_by_name(fixtures: Path, make_fixtures: ModuleType):
    path = fixtures / "azure_migrate_assessment.xlsx"
    sql = import_azure_migrate(path, "mad-dc1", sheet="sql_iaas_server_rehost_perf")  # the name's case does not matter
    assert sql.origin.endswith("[SQL_IaaS_Server_Rehost_Perf]")
    assert not any(w.row == 0 for w in sql.warnings)  # asked for by name: no note about the other sheets
    assessed = make_fixtures.am_servers(420)[:360]
    assert sorted(w.fields["id"] for w in sql.workloads) == sorted(
        workload_id(str(s["name"])) for s in assessed if s["sql"])
    as_is = import_azure_migrate(path, "mad-dc1", sheet="VM_IaaS_Server_Rehost_As-is")
    assert all(w.fields["cpu_util_p95"] is None for w in as_is.workloads)  # the As-is sheet has no utilisation
    with pytest.raises(TableError, match=r"no sheet 'Assessment' \(the workbook has: Properties, All_VM_IaaS_"):
        import_azure_migrate(path, "mad-dc1", sheet="Assessment")
    with pytest.raises(TableError, match="--sheet 'x' is for an xlsx workbook, but this is a CSV file"):
        import_azure_migrate(fixtures / "azure_migrate_servers.csv", "mad-dc1", sheet="x")


def test_older_header_spellings_give_the_same_servers(fixtures: Path):
    old = import_azure_migrate(fixtures / "azure_migrate_assessment_old.xlsx", "mad-dc1")
    new = import_azure_migrate(fixtures / "azure_migrate_assessment.xlsx", "mad-dc1", sheet="VM_IaaS_Server_Rehost_Perf")
    assert old.origin.endswith("[VM_IaaS_Server_Rehost_Perf]")  # Perf (utilisation) over As-is, by the headers
    assert len(old.workloads) > 200
    by_id = {w.fields["id"]: w.fields for w in new.workloads}
    for w in old.workloads:
        assert w.fields == by_id[w.fields["id"]]


def test_bad_cells_in_a_workbook(fixtures: Path):
    path = fixtures / "broken_am_workbook.xlsx"
    with pytest.raises(ImportFailed) as err:
        import_azure_migrate(path, "mad-dc1")
    sheet = f"{path}[Discovery_Report]"
    assert [str(e) for e in err.value.errors] == [
        f"{sheet}:4: column 'Cores': a formula (=2*4), not a value: export or paste values only",
        f"{sheet}:6: column 'Memory (in MB)': wrong units: 16 MB of memory looks like GB (the column is in MB: "
        "16 GB is 16384 MB)",
        f"{sheet}:8: column 'Machine Name': duplicate server name 'SCL-HR-MON-002' (first on row 3)",
        f"{sheet}:9: column 'Cores': 'eight' is not a number; expected a whole number of cores",
    ]


def test_unreadable_workbooks_exit_2_naming_the_file_and_nothing_is_written(fixtures: Path, tmp_path: Path):
    out = tmp_path / "imported.yaml"
    truncated = tmp_path / "report.xlsx"
    truncated.write_bytes((fixtures / "azure_migrate_discovery.xlsx").read_bytes()[:5000])
    result = run(str(truncated), "--site", "mad-dc1", "--out", str(out))
    assert result.exit_code == 2 and result.stderr.startswith(f"Error: {truncated}: not a readable xlsx workbook (")
    legacy = tmp_path / "report.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    result = run(str(legacy), "--site", "mad-dc1", "--out", str(out))
    assert result.exit_code == 2 and result.stderr == (
        f"Error: {legacy}: a legacy .xls or password-protected workbook, which cannot be read: save it in Excel as "
        ".xlsx (without a password)\n")
    from openpyxl import Workbook

    broken_xml = tmp_path / "broken.xlsx"
    wb = Workbook()
    wb.active.title = "Servers\x1b"  # openpyxl writes it; no XML parser reads it back
    wb.save(broken_xml)
    result = run(str(broken_xml), "--site", "mad-dc1", "--out", str(out))
    assert result.exit_code == 2 and result.stderr.startswith(
        f"Error: {broken_xml}: not a readable xlsx workbook (ParseError: not well-formed")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xlsx", "report.xls", "report.xlsx"]


def test_a_workbook_without_a_server_sheet_names_its_sheets(tmp_path: Path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Properties"
    wb.active.append(["Property", "Value"])
    wb.create_sheet("vCenter_Host_Report").append(["vCenters", "Hosts"])
    wb.save(tmp_path / "report.xlsx")
    result = run(str(tmp_path / "report.xlsx"), "--site", "mad-dc1")
    assert result.exit_code == 2 and result.stderr == (
        f"Error: {tmp_path / 'report.xlsx'}: no sheet lists servers the way Azure Migrate does (a server or machine "
        "name, cores and memory in MB); the workbook has: Properties, vCenter_Host_Report\n")


def test_a_sheet_with_memory_in_gb_is_chosen_and_refused_for_its_units(tmp_path: Path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Servers"
    wb.active.append(["Machine Name", "Cores", "Memory (in GB)", "Operating System"])
    wb.active.append(["web01", 2, 8, "Ubuntu 22.04"])
    wb.save(tmp_path / "servers.xlsx")
    with pytest.raises(ImportFailed) as err:
        import_azure_migrate(tmp_path / "servers.xlsx", "mad-dc1")
    assert [str(e) for e in err.value.errors] == [
        f"{tmp_path / 'servers.xlsx'}[Servers]:1: column 'Memory (in GB)': wrong units: Azure Migrate has memory in "
        "MB: give MB in a column named '*Memory (In MB)' or 'Memory (in MB)'"]


@pytest.mark.parametrize(
    "header",
    [
        ["*Server name", "*Cores", "*Memory (In MB)", "*OS name"],
        ["Machine Name", "Cores", "Memory (in MB)", "Operating System"],
        ["machine_name", "CORES", "memory in mb", "operating-system"],
        ["  Server Name ", "*cores", "Memory (MiB)", "OS"],
    ],
)
def test_header_spellings_across_versions(tmp_path: Path, header: list[str]):
    path = tmp_path / "servers.csv"
    path.write_text(",".join(header) + "\nweb01,2,8192,Windows Server 2019 Standard\n", encoding="utf-8")
    (w,) = import_azure_migrate(path, "mad-dc1").workloads
    assert (w.fields["vcpu"], w.fields["memory_gb"], w.fields["os"]) == (2, 8.0, "windows")


def test_without_an_os_column_os_is_left_out_with_one_warning(tmp_path: Path):
    path = tmp_path / "servers.csv"
    path.write_text("Server name,Cores,Memory (MB)\na,2,4096\nb,2,4096\n", encoding="utf-8")
    result = import_azure_migrate(path, "mad-dc1")
    assert all("os" not in w.fields for w in result.workloads)
    assert [str(w) for w in result.warnings] == [f"{path}:1: no OS column (*OS name or Operating System): os left "
                                                 "out for every server (the planner prices them as linux)"]


def test_sheet_and_skip_powered_off_on_the_command_line(fixtures: Path):
    result = run(str(fixtures / "azure_migrate_discovery.xlsx"), "--site", "mad-dc1", "--sheet", "Discovery_Report",
                 "--skip-powered-off", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"source": "' + str(fixtures / "azure_migrate_discovery.xlsx") + '[Discovery_Report]"' in result.stderr
    assert '"powered off": ' in result.stderr and "; powered off" not in result.stdout
    missing = run(str(fixtures / "azure_migrate_discovery.xlsx"), "--site", "mad-dc1", "--sheet", "Servers")
    assert missing.exit_code == 2 and "no sheet 'Servers' (the workbook has: Properties, Discovery_Report, " \
                                      "vCenter_Host_Report)" in missing.stderr
