"""Broken user templates: exit 2 with the template's file and line, before anything is written; templates run sandboxed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import inventory, workload

from planner import Estate, load_inventory, make_plan
from planner.cli import main
from planner.outputs.report import ReportError, render_reports

BROKEN = {
    "division by zero": ("{{ 1/0 }}", "ZeroDivisionError"),
    "bad filter arguments": ("{{ r.totals.horizon_cost|money(1, 2, 3) }}", "money()"),
    "a filter on the wrong type": ("{{ 'abc'|number }}", "ValueError"),
    "self-include": ('{% include "executive.md" %}', "include or extend each other"),
    "syntax": ("{% if %}", "template syntax error"),
    "undefined": ("{{ r.no_such_thing }}", "no_such_thing"),
    "sandbox: dunder": ("{{ r.__class__.__mro__ }}", "sandbox"),
    "sandbox: globals": ("{{ cycler.__init__.__globals__ }}", "sandbox"),
    "missing include": ('{% include "nowhere.md" %}', "nowhere.md not found"),
}


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def older(tmp_path_factory):
    """An inventory and a folder holding its plan and reports."""
    root = tmp_path_factory.mktemp("templates")
    inv = inventory(root, [workload("a"), workload("b", app="app2")])
    assert run("plan", inv, "--out", root / "reports", "--quiet").exit_code == 0
    return inv, root / "reports"


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_plan_and_report_exit_2_naming_the_template_and_write_nothing(older, tmp_path, case):
    inv, reports = older
    source, words = BROKEN[case]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "executive.md").write_text(source + "\n", encoding="utf-8")
    before = snapshot(reports)
    for args in (("plan", inv, "--out", reports), ("report", reports / "plan.json", "--inventory", inv)):
        result = run(*args, "--templates", mine, "--quiet")
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
        assert words in line and "executive.md" in line, line
        assert snapshot(reports) == before  # the older plan.json and its reports are untouched
    assert run("plan", inv, "--out", tmp_path / "new", "--templates", mine, "--quiet").exit_code == 2
    assert not (tmp_path / "new").exists()


@pytest.mark.slow
def test_a_runtime_error_names_the_template_line(older, tmp_path):
    inv, reports = older
    (tmp_path / "executive.md").write_text('{% extends "default/executive.md" %}\n{% block footer %}\nok\n{{ 1/0 }}\n{% endblock %}\n',
                                           encoding="utf-8")
    result = run("report", reports / "plan.json", "--inventory", inv, "--templates", tmp_path, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 2 and f"{tmp_path / 'executive.md'}:4:" in result.stderr, result.stderr


def test_a_template_that_is_not_utf8(older, tmp_path):
    inv, reports = older
    (tmp_path / "_status.md").write_bytes(b"\xff\xfe{{ r.status }}")  # a partial no page may reach before the solve
    result = run("plan", inv, "--out", tmp_path / "out", "--templates", tmp_path, "--quiet")
    assert result.exit_code == 2 and "_status.md" in result.stderr and "not UTF-8" in result.stderr, result.stderr
    assert "loaded" not in result.stderr and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_library_render_reports_raises_report_error_and_writes_nothing(tmp_path):
    inv_path = inventory(tmp_path, [workload("a")])
    inv = load_inventory(inv_path)
    result = make_plan(inv, estate=Estate.of(inv))
    (tmp_path / "roadmap.html").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(ReportError, match="roadmap.html"):
        render_reports(result.plan, result.estate, tmp_path / "out", template_dir=tmp_path)
    assert not (tmp_path / "out").exists()
