"""Hostile files at the importers' door: every message escaped, every file bounded before it is read.

Workbooks are built here, as the few bytes of XML an attacker would write, so each test costs what its
input costs; limits are lowered through the module constants the environment variables set, so a test
bounded by bytes, rows or cells never needs a large file.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import HOSTILE, MARKER, assert_no_live_commands, inline_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.inputs.importers import (
    azure_migrate,
    import_azure_migrate,
    import_rvtools,
    table,
    xlsx,
)
from planner.inputs.importers.table import TableError, Workbook

VINFO = ["VM", "Powerstate", "Template", "CPUs", "Memory", "Provisioned MiB", "OS according to the configuration file",
         "Datacenter", "Cluster", "Host"]


def vinfo_row(name: str, cpus: object = 2, memory: object = 4096) -> list:
    return [name, "poweredOn", "False", cpus, memory, 40960, "Ubuntu Linux (64-bit)", "DC1", "CL1", "esx01"]


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def csv_text(rows: list[list]) -> str:
    def cell(v: object) -> str:
        s = str(v)
        return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n\r') else s

    return "".join(",".join(cell(v) for v in row) + "\n" for row in rows)


def workbook(path: Path, sheets: dict[str, str], strings: bytes = b"", level: int = 6, styles: str = "") -> Path:
    """A minimal xlsx: each sheet's rows as raw `<row>` XML, shared strings as raw `<si>` XML, styles.xml as given."""
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    rels = "".join(f'<Relationship Id="rId{i}" Type="{rel}worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    if strings:
        rels += f'<Relationship Id="rIdS" Type="{rel}sharedStrings" Target="sharedStrings.xml"/>'
    if styles:
        rels += f'<Relationship Id="rIdT" Type="{rel}styles" Target="styles.xml"/>'
    names = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheets, 1))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("_rels/.rels", f'<Relationships><Relationship Id="rId1" Type="{rel}officeDocument" Target="xl/workbook.xml"/>'
                                  "</Relationships>")
        z.writestr("xl/workbook.xml", f'<workbook {ns} xmlns:r="{rel[:-15]}"><sheets>{names}</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f"<Relationships>{rels}</Relationships>")
        for i, rows in enumerate(sheets.values(), 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f"<worksheet {ns}><sheetData>{rows}</sheetData></worksheet>")
        if styles:
            z.writestr("xl/styles.xml", styles)
        if strings:
            z.writestr("xl/sharedStrings.xml", b"<sst " + ns.encode() + b">" + strings + b"</sst>")
    return path




# ----------------------------------------------------------------------------------- one escaping path

def test_an_import_error_holding_workflow_commands_and_escapes_stays_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "servers.csv"
    path.write_text(csv_text([["Server name", "Cores", "Memory (In MB)", "OS name"],
                              ["=HYPERLINK(1)\n::add-mask::s3cret\n::error ::" + MARKER, 2, 4096, HOSTILE],
                              ["web\x1b]0;title\x07", "two\n::error::x", 4096, "linux"]]), encoding="utf-8")
    for fmt in ("text", "json"):
        result = run("import", "azure-migrate", path, "--site", "dc1", "--format", fmt)
        assert result.exit_code == 2
        assert MARKER in result.stderr or "HYPERLINK" in result.stderr
        assert_no_live_commands(result.stdout + result.stderr, f"import errors ({fmt})")


def test_the_import_summary_escapes_file_names_and_cells(tmp_path: Path) -> None:
    name = "x\n::error::pwned\x1b[31m ##[warning]-vInfo.csv"
    path = tmp_path / name
    path.write_text(csv_text([VINFO, vinfo_row("vm1\n::error::" + MARKER + "\x1b[2J"), vinfo_row("vm2\u009b31m")]),
                    encoding="utf-8")
    out = tmp_path / "out.yaml"
    result = run("import", "rvtools", path, "--site", "dc1", "--out", out)
    assert result.exit_code == 0, result.output
    assert "pwned" in result.stderr
    assert_no_live_commands(result.stderr, "import summary")
    written = out.read_text(encoding="utf-8")
    assert_no_live_commands(written, "imported YAML")
    assert "\u009b" not in written  # a C1 CSI never reaches the YAML the planner reads back
    assert run("validate", out).exit_code in (0, 2)  # readable YAML (no topology: 2 for missing sites, never a crash)


def test_export_and_usage_errors_escape_paths(tmp_path: Path) -> None:
    hostile = tmp_path / "##[error]x\n::error::y\x1b.json"
    for args in (["export", hostile], ["import", "rvtools", hostile, "--site", "dc1"], ["report", hostile],
                 ["import", "rvtools", tmp_path, "--site", "dc1", "--out", tmp_path / "a\x1b##[error]::x.txt"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert_no_live_commands(result.output, " ".join(map(str, args[:2])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40))
def test_any_vm_name_leaves_no_live_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / "h-vInfo.csv"
    path.write_text(csv_text([VINFO, vinfo_row(name + "\n::error::z"), vinfo_row("ok-" + name, cpus=name)]), encoding="utf-8")
    result = run("import", "rvtools", path, "--site", "dc1")
    assert result.exit_code in (0, 2) and "Traceback" not in result.output
    assert_no_live_commands(result.stderr, "import summary")


# ----------------------------------------------------------------------------------- files that are not files

def test_a_named_pipe_or_a_folder_is_refused_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "servers-vInfo.csv"
    os.mkfifo(fifo)
    for importer in ("rvtools", "azure-migrate"):
        result = run("import", importer, fifo, "--site", "dc1")
        assert result.exit_code == 2 and "named pipe" in result.stderr, result.output
    with pytest.raises(TableError, match="a folder"):
        table.read_csv(tmp_path)


def test_an_input_larger_than_its_limit_is_refused_naming_the_setting(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "servers.csv"
    path.write_text(csv_text([["Server name", "Cores", "Memory (In MB)"]] + [[f"s{i}", 2, 4096] for i in range(100)]))
    monkeypatch.setattr(table, "MAX_BYTES", 200)
    with pytest.raises(TableError, match="PLANNER_IMPORT_MAX_BYTES"):
        import_azure_migrate(path, "dc1")


def test_links_leaving_an_inventory_folder_and_pipes_in_it_are_problems(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "topology.yaml").write_text((Path(__file__).parents[1] / "fixtures" / "tiny.yaml").read_text())
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    (inv / "secret.yaml").symlink_to(secret)
    (inv / "root").symlink_to("/")
    os.mkfifo(inv / "pipe.yaml")
    result = run("validate", inv)
    assert result.exit_code == 2
    assert "a link to a file outside" in result.stderr and "hunter2" not in result.output
    assert "a link to a folder" in result.stderr and "named pipe" in result.stderr


# ----------------------------------------------------------------------------------- workbooks

def test_a_claimed_dimension_costs_nothing_only_cells_present_are_read(tmp_path: Path) -> None:
    corner = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = workbook(tmp_path / "corner.xlsx", {"vInfo": corner})
    result = run("import", "rvtools", path, "--site", "dc1")
    assert result.exit_code == 2 and "missing required column" in result.stderr
    result = run("import", "azure-migrate", path, "--site", "dc1")
    assert result.exit_code == 2 and "no sheet lists servers" in result.stderr


def test_cells_rows_and_columns_are_capped(tmp_path: Path, monkeypatch) -> None:
    rows = inline_row(1, VINFO) + "".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(2, 40))
    path = workbook(tmp_path / "wide.xlsx", {"vInfo": rows})
    monkeypatch.setattr(xlsx, "MAX_CELLS", 100_000)
    with pytest.raises(TableError, match="PLANNER_IMPORT_MAX_CELLS"):
        import_rvtools(path, "dc1")
    monkeypatch.setattr(xlsx, "MAX_ROWS", 10)
    with pytest.raises(TableError, match="at most 10 rows"):
        import_rvtools(workbook(tmp_path / "long.xlsx", {"vInfo": inline_row(1, VINFO) + inline_row(11, vinfo_row("a"))}), "dc1")
    beyond = workbook(tmp_path / "beyond.xlsx", {"vInfo": inline_row(1, VINFO) + '<row r="2"><c r="XFE2"><v>1</v></c></row>'})
    with pytest.raises(TableError, match="at most 16,384 columns"):
        import_rvtools(beyond, "dc1")


def test_zip_bombs_are_refused_from_the_directory_before_inflating(tmp_path: Path, monkeypatch) -> None:
    header = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    bomb = workbook(tmp_path / "bomb.xlsx", {"vInfo": header}, b"<si><t>" + b"a" * (17 << 20) + b"</t></si>", level=9)
    assert bomb.stat().st_size < 100_000
    result = run("import", "rvtools", bomb, "--site", "dc1")
    assert result.exit_code == 2 and "zip bomb" in result.stderr and "sharedStrings.xml" in result.stderr
    monkeypatch.setattr(xlsx, "MAX_STRINGS_BYTES", 1000)
    small = workbook(tmp_path / "strings.xlsx", {"vInfo": header}, b"<si><t>x</t></si>" * 100)
    with pytest.raises(TableError, match="PLANNER_IMPORT_MAX_STRINGS_BYTES"):
        import_rvtools(small, "dc1")


def test_a_workbook_with_an_entity_declaration_is_not_expanded(tmp_path: Path) -> None:
    path = workbook(tmp_path / "laughs.xlsx", {"vInfo": inline_row(1, VINFO) + inline_row(2, vinfo_row("a"))},
                    styles='<!DOCTYPE s [<!ENTITY a "aaaaaaaa">]><styleSheet>&a;</styleSheet>')
    with pytest.raises(TableError, match="DOCTYPE"):
        import_rvtools(path, "dc1")


CELLS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                  st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda x: abs(x) < 1e300),
                  st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=30),
                  st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=6))
def test_cells_read_as_openpyxl_writes_them(tmp_path: Path, rows: list[list]) -> None:
    from openpyxl import Workbook as Book
    from openpyxl import load_workbook

    path = tmp_path / "cells.xlsx"
    book = Book()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["h"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    expected = [tuple(r) for r in load_workbook(path, read_only=True)["Data"].iter_rows(values_only=True)][1:]
    with Workbook(path) as wb:
        got = [(n, tuple(cells)) for n, cells in wb.table("Data").rows]
    width = max(len(r) for r in expected) if expected else 0
    got_rows = {n: list(cells) + [None] * (width - len(cells)) for n, cells in got}
    for n, row in enumerate(expected, start=2):
        assert tuple(got_rows.get(n, [None] * width)) == tuple(list(row) + [None] * (width - len(row))), n


# ----------------------------------------------------------------------------------- messages that blame the right thing

def test_utf16_csv_is_read_as_utf16(tmp_path: Path) -> None:
    path = tmp_path / "servers.csv"
    path.write_bytes("Server name\tCores\tMemory (In MB)\r\nweb01\t2\t4096\r\n".encode("utf-16"))
    (w,) = import_azure_migrate(path, "dc1").workloads
    assert w.fields["id"] == "web01" and w.fields["vcpu"] == 2


def test_an_unterminated_quote_is_named_where_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "servers.csv"
    path.write_text('Server name,Cores,Memory (In MB)\nweb01,2,4096\n"web02,2,4096\nweb03,2,4096\n', encoding="utf-8")
    with pytest.raises(TableError, match=r"servers.csv:3: a quote opened on line 3 is never closed"):
        import_azure_migrate(path, "dc1")


def test_a_million_column_header_gives_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n", encoding="utf-8")
    result = run("import", "azure-migrate", path, "--site", "dc1")
    assert result.exit_code == 2 and "100,000 columns" in result.stderr and len(result.stderr) < 1000


def test_a_header_listing_in_a_message_is_truncated() -> None:
    listing = azure_migrate._listing([f"column {i}" for i in range(5000)])
    assert listing.endswith("and 4,970 more") and len(listing) < 1000


def test_an_impossible_vcpu_count_is_blamed_on_the_cpu_column(tmp_path: Path) -> None:
    path = tmp_path / "v-vInfo.csv"
    path.write_text(csv_text([VINFO, vinfo_row("vm1", cpus=10_000_000)]), encoding="utf-8")
    result = run("import", "rvtools", path, "--site", "dc1")
    assert result.exit_code == 2 and "column 'CPUs'" in result.stderr and "vcpu" in result.stderr


def test_an_importer_stops_after_its_error_limit(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv_text([["Server name", "Cores", "Memory (In MB)"]] + [[f"s{i}", "x", 4096] for i in range(3000)]))
    result = run("import", "azure-migrate", path, "--site", "dc1", "--format", "json")
    assert result.exit_code == 2 and "stopped after 1,000 errors" in result.stderr
