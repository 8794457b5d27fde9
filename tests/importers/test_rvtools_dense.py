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
@given(rows=st.lists(ROW, min_size=1, max_size=6), gap=st.booleans())
def test_any_sheet_gives_the_general_readers_result(rows: list[dict[str, Any]], gap: bool, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
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
