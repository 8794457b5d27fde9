"""Every output of check, plan, explain, validate (and diff) on an inventory full of workflow commands, links and mentions.

The hostile text sits in every free-text field (names, certifications, `requires`, a waiver's
reason), in ids that are valid but look like URLs, in a file name, and in an id the loader
rejects. Each test first proves the text reached the output, then that nothing in it is live.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import BASE, workload
from hostile import HOSTILE, MARKER, assert_markdown_inert, assert_no_live_commands

from planner.cli import main

FILE_NAME = "apps\n::error::filename.yaml"  # a file name is untrusted text too


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_inventory(root: Path, requires: bool, infeasible: bool = False) -> Path:
    """A folder inventory: hostile names and certifications; web-01 requires HOSTILE when `requires` (only mad-dc1 holds it)."""
    doc = copy.deepcopy(BASE)
    doc["zones"][0]["name"] = HOSTILE
    doc["policies"][0]["name"] = "GDPR " + HOSTILE
    doc["policies"][0]["description"] = HOSTILE
    for site in doc["sites"]:
        site["name"] = HOSTILE
    doc["sites"][0]["certifications"] = [HOSTILE]
    needs = ([HOSTILE + " (nobody holds this)"] if infeasible else [HOSTILE]) if requires else []
    apps = {"workloads": [workload("web-01", requires=needs, data=["personal-eu"]), workload("db-01", app="app2"),
                          workload("https://evil.example/a", app="app3"), workload("www.evil.example", app="app4")]}
    doc.pop("workloads")
    root.mkdir(parents=True, exist_ok=True)
    (root / "base.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    (root / FILE_NAME).write_text(yaml.safe_dump(apps, sort_keys=False), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """A baseline planned without the requirement, the inventory with it, its plan, and a waivers file."""
    root = tmp_path_factory.mktemp("hostile")
    before = write_inventory(root / "before" / "inventory", requires=False)
    after = write_inventory(root / "after" / "inventory", requires=True)
    assert invoke("plan", before, "--out", root / "base", "--quiet", "--no-reports").exit_code == 0
    waivers = root / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [{"rule": "capacity", "workload": "db-01", "reason": HOSTILE,
                                                    "expires": "2099-01-01"}]}), encoding="utf-8")
    return root, before, after, waivers


def _stderr(result) -> str:
    return result.stderr or ""


def test_check_every_format(estate):
    root, _, after, waivers = estate
    out = root / "check"
    out.mkdir(exist_ok=True)
    args = ["check", after, "--baseline", root / "base" / "plan.json", "--waivers", waivers, "--today", "2027-01-01", "--quiet"]
    for fmt, ext in (("text", "txt"), ("json", "json"), ("markdown", "md"), ("junit", "xml")):
        result = invoke(*args, "--format", fmt, "--output", f"{fmt}={out / ('check.' + ext)}")
        assert result.exit_code in (0, 1), result.output
        for text, what in ((result.stdout, f"check --format {fmt}"), ((out / f"check.{ext}").read_text(encoding="utf-8"), f"check.{ext}")):
            assert MARKER in text, what
            assert_no_live_commands(text, what)
        assert_no_live_commands(_stderr(result), f"check --format {fmt} stderr")
        if fmt == "markdown":
            assert "octocat" in result.stdout and "evil" in result.stdout
            assert_markdown_inert(result.stdout, "check --format markdown")
        if fmt == "json":  # the same data for a JSON reader
            doc = json.loads(result.stdout)
            assert any(HOSTILE in f["message"] for f in doc["findings"])


def test_check_github_annotations_are_only_ours(estate):
    root, _, after, waivers = estate
    result = invoke("check", after, "--baseline", root / "base" / "plan.json", "--waivers", waivers, "--today", "2027-01-01",
                    "--quiet", "--format", "github")
    lines = re.split(r"\r\n|\r|\n", result.stdout.rstrip("\n"))
    doc = json.loads(invoke("check", after, "--baseline", root / "base" / "plan.json", "--waivers", waivers, "--today",
                            "2027-01-01", "--quiet", "--format", "json").stdout)
    assert len(lines) == len(doc["findings"]) + 1  # one annotation per finding and the summary: no line of the data split off
    assert MARKER in result.stdout
    for line in lines:
        assert re.match(r"::(error|warning|notice) [^:]*::", line), line
        assert "\x1b" not in line and "\u202e" not in line


@pytest.mark.slow
def test_plan_outputs_and_reports(estate, tmp_path):
    _, _, after, _ = estate
    for fmt in ("text", "json"):
        result = invoke("plan", after, "--out", tmp_path / fmt / "out\n::error::dir", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "::error::dir" in _stderr(result)  # the hostile --out path reached the progress lines
        assert_no_live_commands(result.stdout, f"plan --format {fmt}")
        assert_no_live_commands(_stderr(result), f"plan --format {fmt} stderr")
    reports = tmp_path / "text" / "out\n::error::dir"
    for md in sorted(reports.glob("*.md")):
        text = md.read_text(encoding="utf-8")
        assert_no_live_commands(text, md.name)
        assert_markdown_inert(text, md.name)
    compliance = (reports / "compliance.md").read_text(encoding="utf-8")
    assert "octocat" in compliance and MARKER in compliance
    for page in sorted(reports.glob("*.html")):
        assert_no_live_commands(page.read_text(encoding="utf-8"), page.name)


@pytest.mark.slow
def test_plan_without_a_plan_prints_the_problems_inert(tmp_path):
    inv = write_inventory(tmp_path / "inventory", requires=True, infeasible=True)
    for fmt in ("text", "json"):
        result = invoke("plan", inv, "--out", tmp_path / fmt, "--format", fmt, "--quiet")
        assert result.exit_code == 1, result.output
        assert MARKER in result.stdout or "pwned" in json.dumps(json.loads(result.stdout))
        assert_no_live_commands(result.stdout, f"plan (no plan) --format {fmt}")
    executive = (tmp_path / "text" / "executive.md").read_text(encoding="utf-8")
    assert MARKER in executive
    assert_markdown_inert(executive, "executive.md of an infeasible plan")


def test_explain_text_and_json(estate, tmp_path):
    _, _, after, _ = estate
    assert invoke("plan", after, "--out", tmp_path, "--quiet", "--no-reports").exit_code == 0
    for fmt in ("text", "json"):
        result = invoke("explain", "web-01", "--inventory", after, "--plan", tmp_path / "plan.json", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert MARKER in result.stdout
        assert_no_live_commands(result.stdout, f"explain --format {fmt}")
        assert_no_live_commands(_stderr(result), f"explain --format {fmt} stderr")


def test_validate_a_rejected_id_with_a_newline(tmp_path):
    inv = write_inventory(tmp_path / "inventory", requires=True)
    (tmp_path / "inventory" / "bad.yaml").write_text(yaml.safe_dump({"workloads": [
        workload("bad\n::error::id", app="x"), workload("ok-01", app=HOSTILE, vcpu=HOSTILE)]}), encoding="utf-8")
    text = invoke("validate", inv)
    assert text.exit_code == 2
    assert "::error::id" in _stderr(text) and MARKER in _stderr(text)
    assert_no_live_commands(text.stdout + _stderr(text), "validate")
    as_json = invoke("validate", inv, "--format", "json")
    assert as_json.exit_code == 2 and "::error::id" in as_json.stdout
    assert_no_live_commands(as_json.stdout, "validate --format json")
    assert any("bad\n::error::id" in i["field"] for i in json.loads(as_json.stdout)["issues"])  # the data is intact


def test_diff_text_and_markdown(estate, tmp_path):
    root, _, after, _ = estate
    assert invoke("plan", after, "--out", tmp_path, "--quiet", "--no-reports").exit_code == 0
    for fmt in ("text", "markdown", "json"):
        result = invoke("diff", root / "base" / "plan.json", tmp_path / "plan.json", "--inventory", after, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert MARKER in result.stdout
        assert_no_live_commands(result.stdout, f"diff --format {fmt}")
        if fmt == "markdown":
            assert_markdown_inert(result.stdout, "diff --format markdown")
