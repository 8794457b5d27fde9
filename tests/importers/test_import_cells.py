"""Cell parsing shared by the importers: numbers, units, formulas, percentages, ids."""

from __future__ import annotations

import datetime as dt

import pytest

from planner.inputs.importers.common import (
    CellError,
    amount,
    count,
    flag,
    norm_header,
    number,
    percent,
    whole,
    workload_id,
)


@pytest.mark.parametrize(
    ("cell", "unit", "value"),
    [
        ("16384", "MB", 16384.0), (" 8 ", None, 8.0), (4, None, 4.0), (2.5, None, 2.5), ("16,384", "MB", 16384.0),
        ("45,5", None, 45.5), ("1,234,567.5", None, 1234567.5), ("16384 MB", "MB", 16384.0),
        ("16384MiB", "MB", 16384.0), ("512 GB", "GB", 512.0), ("45%", "%", 45.0), ("", None, None), (None, None, None),
    ],
)  # fmt: skip
def test_numbers(cell: object, unit: str, value: object):
    assert number(cell, unit) == value


@pytest.mark.parametrize(
    ("cell", "unit", "message"),
    [
        ("four", None, "'four' is not a number"),
        ("16 GB", "MB", "wrong units: '16 GB' is in GB, but this column is in MB"),
        ("2 TB", "GB", "wrong units: '2 TB' is in TB"),
        ("12 GB", None, "is in GB, but this column is a plain number"),
        ("12 parsecs", "GB", "unknown unit 'parsecs'"),
        ("=A2*1024", "MB", "a formula (=A2*1024), not a value"),
        (True, None, "True is not a number"),
        (dt.date(2026, 1, 4), None, "a date (2026-01-04), not a number"),
        ("nan", None, "is not a number"),
    ],
)
def test_bad_numbers(cell: object, unit: str, message: str):
    with pytest.raises(CellError) as err:
        number(cell, unit)
    assert message in str(err.value)


def test_whole_counts_amounts_and_percentages():
    assert whole("8", "cores") == 8 and whole(8.0, "cores") == 8
    with pytest.raises(CellError, match="not a positive whole number of cores"):
        whole("2.5", "cores")
    with pytest.raises(CellError, match="not a positive whole number of cores"):
        whole("0", "cores")
    with pytest.raises(CellError, match="'x' is not a number; expected a whole number of cores"):
        whole("x", "cores")
    assert count("0", "disks") == 0
    with pytest.raises(CellError, match="expected an amount in MB"):
        amount("lots", "MB")
    assert percent("45.5") == 0.455 and percent("100") == 1.0 and percent("") is None
    with pytest.raises(CellError, match="between 0 and 100"):
        percent("140")
    with pytest.raises(CellError, match="between 0 and 100"):
        percent("-1")


def test_flags():
    assert flag(True) and flag("True") and flag("yes") and not flag("False") and not flag(None) and not flag("")


@pytest.mark.parametrize(
    ("name", "wid"),
    [("web-01", "web-01"), ("SQL Server (prod) 01", "SQL-Server-prod-01"), ("db01.corp.local", "db01.corp.local"),
     ("__tmp", "tmp"), ("ñandú-01", "nandu-01"), ("Zürich DB", "Zurich-DB"), ("***", "")],
)
def test_workload_ids(name: str, wid: str):
    assert workload_id(name) == wid


@pytest.mark.parametrize(
    "spellings",
    [("*Memory (In MB)", "Memory (in MB)", "memory_in_mb", "  MEMORY  (IN  MB) "),
     ("*Server name", "Server Name", "server-name", "SERVER_NAME"),
     ("CPU Utilization (in %)", "cpu utilization in %", "CPU_Utilization_(In_%)")],
)
def test_headers_match_ignoring_case_spacing_punctuation_and_the_star(spellings: tuple[str, ...]):
    assert len({norm_header(s) for s in spellings}) == 1
    assert norm_header("Free %") != norm_header("Free")
