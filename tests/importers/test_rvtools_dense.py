"""A plain RVTools sheet is read as columns (no object per cell, row or VM) with exactly the general reader's result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from planner.inputs.importers import dense, import_rvtools, render_yaml
from planner.inputs.importers.common import ImportFailed, WorkloadColumns
from planner.inputs.importers.workload_table import workload_columns


def _outcome(path: Path, site: str, **options: Any) -> tuple[Any, ...]:
    try:
        result = import_rvtools(path, site, **options)
    except ImportFailed as exc:
        return ("failed", [str(e) for e in exc.errors])
    return (isinstance(result.workloads, WorkloadColumns), render_yaml(result, "cmd"),
            json.dumps(result.summary("out"), sort_keys=True), workload_columns(result))


def _both(path: Path, site: str, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    fast = _outcome(path, site, **options)
    with monkeypatch.context() as m:
        m.setattr(dense, "is_sheet", lambda table: False)
        general = _outcome(path, site, **options)
    return fast, general


@pytest.mark.parametrize("name", ["rvtools_export.xlsx", "rvtools_vcenter.xlsx"])
@pytest.mark.parametrize("options", [{}, {"storage": "in-use"}, {"skip_powered_off": True}, {"default_storage_gb": 50.0}])
def test_real_format_exports_take_the_columnar_path_with_the_same_result(
    fixtures: Path, name: str, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    fast, general = _both(fixtures / name, "{datacenter}-{cluster}", monkeypatch, **options)
    assert fast[0] is True and general[0] is False  # the sheet was read as columns, and the other way for comparison
    assert fast[1:] == general[1:]


def test_an_export_with_errors_is_reported_the_general_way(fixtures: Path, monkeypatch: pytest.MonkeyPatch):
    fast, general = _both(fixtures / "broken_rvtools.xlsx", "dc1", monkeypatch)
    assert fast[0] == "failed" and fast == general


HEAD = ["VM", "Powerstate", "Template", "CPUs", "Memory", "Provisioned MiB", "Datacenter", "Cluster",
        "OS according to the VMware Tools", "Connection state"]
NAMES = st.sampled_from(["web-01", "db.02", "Web 03", "vCLS-1", "vCLS (2)", "DUP", "dup", "", "  ", "=A1", "año-04",
                         "x-", "::error::x", "a\u202eb"])
CELLS = {
    "Powerstate": st.sampled_from(["poweredOn", "poweredOff", None]),
    "Template": st.sampled_from([False, True, "False", None]),
    "CPUs": st.sampled_from([2, 4, 0, None, 2.0, "4", "two", 2.5, -1]),
    "Memory": st.sampled_from([4096, 8192.5, 0, None, 16, "16 GB", "8,192", float("nan")]),
    "Provisioned MiB": st.sampled_from([40960, None, 1024.5, -5, "=B2"]),
    "Datacenter": st.sampled_from(["DC1", "DC Madrid", "", None]),
    "Cluster": st.sampled_from(["CL1", "", None]),
    "OS according to the VMware Tools": st.sampled_from(["Ubuntu Linux (64-bit)", "Microsoft Windows Server 2019", "Other", None]),
    "Connection state": st.sampled_from(["connected", "orphaned", None]),
}
ROW = st.fixed_dictionaries({"VM": NAMES, **CELLS})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=6), gap=st.booleans(), batch=st.sampled_from([1, 2, 3, 8192]))
def test_any_sheet_gives_the_general_readers_result(rows: list[dict[str, Any]], gap: bool, batch: int, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dense, "_BATCH", batch)  # rows decoded a few at a time: every batch boundary is crossed
    book = Workbook()
    sheet = book.active
    sheet.title = "vInfo"
    sheet.append(HEAD)
    for row in rows:
        sheet.append([row.get(h) for h in HEAD])
    if gap:
        sheet.append([None] * len(HEAD))  # an empty row between rows: a sheet with gaps
        sheet.append([rows[0]["VM"] + "z" if isinstance(rows[0]["VM"], str) else "z", None, None, 2, 4096])
    path = tmp_path / "rv.xlsx"
    book.save(path)
    for site in ("dc1", "{datacenter}-{cluster}"):
        fast, general = _both(path, site, monkeypatch)
        assert fast[1:] == general[1:]


def _sheet_xml(rows: list[str]) -> str:
    body = "".join(f'<row r="{n}">{cells}</row>' for n, cells in enumerate(rows, start=1))
    return ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{body}</sheetData></worksheet>")


def _workbook(path: Path, rows: list[str], strings: list[str], styles: str = "") -> None:
    """A vInfo sheet written cell by cell, as an export writes it (shared strings, one cell per column)."""
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{rel[:-len("officeDocument/2006/relationships")]}package/2006/'
                   f'relationships"><Relationship Id="r1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                   "</Relationships>")
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                   '<sheet name="vInfo" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
                   f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", _sheet_xml(rows))
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}">' + "".join(strings) + "</sst>")
        z.writestr("xl/styles.xml", f'<styleSheet xmlns="{main}">{styles}</styleSheet>')


def test_rows_of_changing_widths_odd_cells_and_strings_give_the_general_readers_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    head = ["VM", "CPUs", "Memory", "Datacenter", "Cluster", "OS according to the VMware Tools", "Custom"]
    strings = [f"<si><t>{h}</t></si>" for h in head] + [
        "<si><t>web-01</t></si>", "<si><t>DC1</t></si>", "<si><t>CL1</t></si>", "<si><t>Ubuntu Linux (64-bit)</t></si>",
        "<si><t>R&amp;D-02</t></si>", '<si><r><t>rich</t></r><r><t>-03</t></r></si>', "<si><t>x_x0041_-04</t></si>",
        "<si><t>db-05</t></si>\n", "<si><t/></si>"]
    s = {name: i for i, name in enumerate(["VM", "CPUs", "Memory", "Datacenter", "Cluster", "OS", "Custom", "web-01",
                                            "DC1", "CL1", "Ubuntu", "R&D-02", "rich-03", "xA-04", "db-05", "empty"])}

    def row(n: int, name: str, *more: str, memory: str = "<v>4096</v>", style: str = "") -> str:
        cells = [f'<c r="A{n}" t="s"><v>{s[name]}</v></c>', f'<c r="B{n}"><v>2</v></c>',
                 f'<c r="C{n}"{style}>{memory}</c>', f'<c r="D{n}" t="s"><v>{s["DC1"]}</v></c>',
                 f'<c r="E{n}" t="s"><v>{s["CL1"]}</v></c>', f'<c r="F{n}" t="s"><v>{s["Ubuntu"]}</v></c>']
        return "".join(cells) + "".join(more)

    header = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(len(head)))
    rows = [header, row(2, "web-01"), row(3, "R&D-02", '<c r="G3"><v>7</v></c>'), row(4, "rich-03"),
            row(5, "xA-04", '<c r="G5" t="s"><v>15</v></c>'), row(6, "db-05", memory="<v>8192.5</v>")]
    strings.append("<si><t>web-07</t></si>")
    s["web-07"] = len(strings) - 1
    rows.append(row(7, "web-07"))
    path = tmp_path / "rv.xlsx"
    dates = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
    _workbook(path, rows, strings, dates)
    for batch in (1, 2, 8192):
        monkeypatch.setattr(dense, "_BATCH", batch)
        fast, general = _both(path, "{datacenter}-{cluster}", monkeypatch)
        assert fast[0] is True and fast[1:] == general[1:]  # rows that change width stay on the columnar path
    for last in (row(7, "empty"), row(7, "web-01"), row(7, "web-07", style=' s="1"')):  # no name, a twin, a date
        _workbook(path, rows[:-1] + [last], strings, dates)
        fast, general = _both(path, "{datacenter}-{cluster}", monkeypatch)
        assert fast == general and fast[0] == "failed"
