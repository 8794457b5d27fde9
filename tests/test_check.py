"""`planner check`, the CI gate, through the CLI: exit codes, every output format (golden files),
thresholds, waivers, stability against the baseline, and annotation escaping.

Golden files live in tests/golden/check/. After a deliberate change, regenerate them with
`PLANNER_REGEN_GOLDEN=1 python -m pytest -q -p no:cacheprovider tests/test_check.py` and review the diff.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import BASE, inventory, workload

from planner.check.findings import Finding
from planner.check.render import escape_data, escape_property, md, render_github
from planner.check.result import CheckResult
from planner.cli import main
from planner.inputs.load import load_inventory
from planner.pipeline import make_plan

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "check"
REGEN = os.environ.get("PLANNER_REGEN_GOLDEN") == "1"
TODAY = "2027-01-15"
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "junit": "xml", "github": "github"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def check(*args):
    """`planner check` quietly, with a fixed today."""
    return run("check", *args, "--today", TODAY, "--quiet")


def as_json(result) -> dict:
    return json.loads(result.stdout)


def baseline(inv: str, out: str) -> None:
    """The plan of `inv` written to `out` (the library path: `planner plan` also renders the reports, which takes longer)."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(make_plan(load_inventory(inv)).plan.to_json(), encoding="utf-8")


def base_workloads() -> list[dict]:
    return [workload("crm-db", app="crm", data=["personal-eu"], vcpu=8, memory_gb=32),
            workload("crm-app", app="crm", depends_on=[{"workload": "crm-db", "max_latency_ms": 40, "traffic_gb_month": 50}]),
            workload("web-01", app="web", current_site="az-fra"),
            workload("br-billing", app="billing", data=["personal-br"], current_site="az-sao")]


@pytest.fixture
def estate(tmp_path, monkeypatch):
    """In tmp_path (the working folder, so every path is relative): base.yaml, its plan base/plan.json, and inv.yaml,
    the pull request's inventory: web-01 now holds personal-br data (az-fra breaks residency) and new-svc is added."""
    monkeypatch.chdir(tmp_path)
    inventory(Path("."), base_workloads(), name="base.yaml")
    baseline("base.yaml", "base/plan.json")
    changed = base_workloads()
    changed[2]["data"] = ["personal-br"]
    changed.append(workload("new-svc", app="new", vcpu=4, memory_gb=8))
    inventory(Path("."), changed, name="inv.yaml")
    return tmp_path


def waivers(path: str, *entries: dict) -> str:
    Path(path).write_text(json.dumps({"waivers": list(entries)}, indent=2), encoding="utf-8")  # JSON is YAML
    return path


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file {path}; run with PLANNER_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file; if deliberate, regenerate (see module doc)"


def outputs(prefix: str, *formats: str) -> list[str]:
    """--output arguments for each format: FORMAT=FILE for some, a telling extension for others."""
    args = []
    for fmt in formats:
        file = f"out/{prefix}.{EXTENSIONS[fmt]}"
        args += ["--output", file if fmt in ("json", "markdown", "junit") else f"{fmt}={file}"]
    return args


# ------------------------------------------------------------------ exit codes and golden files

def test_exit_0_when_nothing_changed(estate):
    result = check("base.yaml", "--baseline", "base/plan.json", "--format", "json", "--fail-over", "0%")
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert doc["format"] == "hybrid-migration-check/1" and doc["verdict"] == "pass" and doc["exit_code"] == 0
    assert doc["stability"]["moved"] == 0 and doc["findings"] == [] and doc["cost"]["increase"] == 0
    assert "the baseline was planned from this very inventory" in doc["notes"]


def test_warn_every_format_golden(estate):
    """Exit 0 with a warning: the cost rose over --warn-over; a forced move (residency), an added workload, an unused waiver."""
    w = waivers("waivers.yaml", {"rule": "residency", "workload": "crm-db", "reason": "legal review LEG-7", "expires": "2027-06-30"})
    fmts = ("text", "json", "markdown", "junit", "github")
    result = check("inv.yaml", "--baseline", "base/plan.json", "--warn-over", "5%", "--fail-over", "50%", "--waivers", w,
                   *outputs("warn", *fmts))
    assert result.exit_code == 0, result.output
    assert result.stdout == Path("out/warn.txt").read_text(encoding="utf-8")  # stdout defaults to text
    for fmt in fmts:
        assert_golden(f"warn.{EXTENSIONS[fmt]}", Path(f"out/warn.{EXTENSIONS[fmt]}").read_text(encoding="utf-8"))
    doc = json.loads(Path("out/warn.json").read_text())
    assert doc["verdict"] == "warn"
    assert {f["id"]: f["status"] for f in doc["findings"]} == {
        "cost-threshold::": "new", "residency:web-01:az-fra": "resolved", "waiver-unused:crm-db:": "new"}
    ET.fromstring(Path("out/warn.xml").read_text(encoding="utf-8").split("\n", 1)[1])  # well-formed


def test_fail_every_format_golden(estate):
    """Exit 1: the cost rose over --fail-over, and the waiver that accepted it has expired (so it no longer applies)."""
    w = waivers("waivers.yaml", {"rule": "cost-threshold", "workload": "*", "reason": "FinOps accepted it (FIN-1)", "expires": "2027-01-14"})
    fmts = ("text", "json", "markdown", "junit", "github")
    result = check("inv.yaml", "--baseline", "base/plan.json", "--fail-over", "10%", "--waivers", w, "--format", "github",
                   *outputs("fail", *fmts))
    assert result.exit_code == 1, result.output
    assert result.stdout == Path("out/fail.github").read_text(encoding="utf-8")
    for fmt in fmts:
        assert_golden(f"fail.{EXTENSIONS[fmt]}", Path(f"out/fail.{EXTENSIONS[fmt]}").read_text(encoding="utf-8"))
    doc = json.loads(Path("out/fail.json").read_text())
    expired = [f for f in doc["findings"] if f["rule"] == "waiver-expired"]
    assert expired and expired[0]["file"] == "waivers.yaml" and expired[0]["line"] == 3 and expired[0]["severity"] == "error"
    assert "::error file=waivers.yaml,line=3,title=waiver-expired (new)::" in result.stdout


def test_bad_inventory_exits_2_with_annotations_golden(estate):
    broken = base_workloads()
    broken[1]["vcpu"] = "lots"
    inventory(Path("."), broken, name="broken.yaml")
    w = Path("waivers.yaml")
    w.write_text("waivers:\n  - rule: residency\n    workload: crm-db\n    expires: someday\n    reasn: typo\n", encoding="utf-8")
    fmts = ("text", "markdown", "github", "junit")
    result = check("broken.yaml", "--baseline", "base/plan.json", "--waivers", w, *outputs("error", *fmts))
    assert result.exit_code == 2
    for fmt in fmts:
        assert_golden(f"error.{EXTENSIONS[fmt]}", Path(f"out/error.{EXTENSIONS[fmt]}").read_text(encoding="utf-8"))
    github = Path("out/error.github").read_text()
    line = next(i for i, t in enumerate(Path("broken.yaml").read_text().splitlines(), 1) if "lots" in t)
    assert f"::error file=broken.yaml,line={line},title=input (new)::workloads[crm-app].vcpu" in github
    assert "file=waivers.yaml,line=5" in github and "did you mean 'reason'" in github  # the typo'd field
    assert "file=waivers.yaml,line=4" in github  # the bad date


@pytest.mark.parametrize("content, needle", [
    (None, "cannot read the plan"),
    ("{not json", "not JSON"),
    ('{"format": "something-else/1"}', "format is"),
    ('{"format": "hybrid-migration-plan/1", "status": "optimal"}', "not a valid plan"),
])
def test_unreadable_baseline_exits_2(estate, content, needle):
    if content is not None:
        Path("bad.json").write_text(content, encoding="utf-8")
    result = check("inv.yaml", "--baseline", "bad.json", "--format", "json")
    assert result.exit_code == 2
    doc = as_json(result)
    assert doc["verdict"] == "error" and doc["findings"][0]["rule"] == "baseline" and needle in doc["findings"][0]["message"]


@pytest.mark.parametrize("args", [
    ("--warn-over", "lots"),
    ("--fail-over", "-5%"),
    ("--fail-over", "1,00"),
    ("--output", "report.pdf"),
    ("--format", "html"),
    ("--today", "15/01/2027"),
])
def test_usage_errors_exit_2(estate, args):
    result = run("check", "inv.yaml", "--baseline", "base/plan.json", "--quiet", *args)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_missing_baseline_option_and_foreign_currency_exit_2(estate):
    assert run("check", "inv.yaml").exit_code == 2
    result = check("inv.yaml", "--baseline", "base/plan.json", "--fail-over", "1000 USD", "--format", "json")
    assert result.exit_code == 2 and "currency is EUR" in as_json(result)["findings"][0]["message"]


def test_infeasible_exits_1_and_points_at_the_workload(estate):
    bad = base_workloads()
    bad[0]["pin"] = "az-sao"  # personal-eu data pinned to Brazil
    inventory(Path("."), bad, name="pinned.yaml")
    result = check("pinned.yaml", "--baseline", "base/plan.json", "--format", "json", "--format", "github")
    assert result.exit_code == 1
    doc = json.loads(result.stdout[: result.stdout.index("\n::")] if "\n::" in result.stdout else result.stdout)
    assert doc["status"]["new"] == "infeasible" and doc["verdict"] == "fail"
    problem = next(f for f in doc["findings"] if f["source"] == "plan")
    assert "residency" in problem["rule"] and "pin" in problem["rule"] and problem["workload"] == "crm-db"
    line = next(i for i, t in enumerate(Path("pinned.yaml").read_text().splitlines(), 1) if "id: crm-db" in t)
    assert problem["file"] == "pinned.yaml" and problem["line"] == line
    assert f"::error file=pinned.yaml,line={line}," in result.stdout


# ------------------------------------------------------------------ thresholds

@pytest.mark.parametrize("args, verdict, code", [
    ((), "pass", 0),
    (("--warn-over", "5%"), "warn", 0),
    (("--warn-over", "30%"), "pass", 0),
    (("--fail-over", "20%"), "fail", 1),
    (("--warn-over", "5%", "--fail-over", "30%"), "warn", 0),
    (("--warn-over", "5%", "--fail-over", "20%"), "fail", 1),
    (("--warn-over", "600"), "warn", 0),
    (("--fail-over", "EUR 637.99"), "fail", 1),
    (("--fail-over", "638"), "pass", 0),      # "over" is strict: exactly the threshold passes
    (("--fail-over", "€1,000"), "pass", 0),
])
def test_thresholds_percent_and_amount(estate, args, verdict, code):
    """The re-plan costs +638.00 EUR (+26.76%) over the horizon against the baseline."""
    result = check("inv.yaml", "--baseline", "base/plan.json", "--format", "json", *args)
    doc = as_json(result)
    assert doc["cost"]["increase"] == 638.0 and abs(doc["cost"]["ratio"] - 0.267617) < 1e-6
    assert (result.exit_code, doc["verdict"]) == (code, verdict), doc["reasons"]
    if verdict != "pass":
        flag = "--fail-over" if verdict == "fail" else "--warn-over"
        assert flag in doc["cost"]["sentence"] and any(flag in r for r in doc["reasons"])


def test_a_saving_never_breaches(estate):
    result = check("base.yaml", "--baseline", "base/plan.json", "--format", "json", "--fail-over", "0")
    assert result.exit_code == 0
    # the baseline as the "new" side: the change back is a saving
    baseline("inv.yaml", "pr/plan.json")
    back = check("base.yaml", "--baseline", "pr/plan.json", "--format", "json", "--fail-over", "0%")
    assert back.exit_code == 0 and as_json(back)["cost"]["increase"] < 0


# ------------------------------------------------------------------ waivers

def test_valid_waiver_turns_a_failure_into_a_shown_waived_finding(estate):
    w = waivers("w.yaml", {"rule": "cost-threshold", "workload": "*", "reason": "Azure exit budget approved (FIN-9)", "expires": TODAY})
    result = check("inv.yaml", "--baseline", "base/plan.json", "--fail-over", "10%", "--waivers", w, "--format", "json", "--format", "markdown")
    assert result.exit_code == 0  # valid through its expiry day
    doc = json.loads(result.stdout[: result.stdout.index("\n## ")])
    waived = [f for f in doc["findings"] if f["status"] == "waived"]
    assert len(waived) == 1 and waived[0]["waiver"] == {"reason": "Azure exit budget approved (FIN-9)", "expires": TODAY}
    assert doc["verdict"] == "pass" and "⚪ waived" in result.stdout and "FIN-9" in result.stdout


def test_expired_waiver_fails_and_no_longer_applies(estate):
    w = waivers("w.yaml", {"rule": "cost-threshold", "workload": "*", "reason": "old approval", "expires": "2027-01-14"})
    result = check("inv.yaml", "--baseline", "base/plan.json", "--fail-over", "10%", "--waivers", w, "--format", "json")
    doc = as_json(result)
    assert result.exit_code == 1 and doc["verdict"] == "fail"
    statuses = {f["rule"]: (f["status"], f["severity"]) for f in doc["findings"]}
    assert statuses["cost-threshold"] == ("new", "error") and statuses["waiver-expired"] == ("new", "error")
    # an expired waiver fails even when nothing else would
    alone = check("base.yaml", "--baseline", "base/plan.json", "--waivers", w, "--format", "json")
    assert alone.exit_code == 1 and "1 waiver expired" in as_json(alone)["reasons"]


def test_waiver_matches_one_workload_of_a_finding_and_unused_is_info(estate):
    bad = base_workloads()
    bad[0]["pin"] = "az-sao"
    inventory(Path("."), bad, name="pinned.yaml")
    w = waivers("w.yaml",
                {"rule": "pin+residency", "workload": "crm-db", "reason": "known", "expires": "2027-12-31"},
                {"rule": "residency", "workload": "nobody", "site": "az-sao", "reason": "stale", "expires": "2027-12-31"})
    result = check("pinned.yaml", "--baseline", "base/plan.json", "--waivers", w, "--format", "json")
    doc = as_json(result)
    plan = [f for f in doc["findings"] if f["source"] == "plan"]
    assert [(f["rule"], f["workload"], f["status"]) for f in plan] == [("pin+residency", "crm-db", "waived")]
    unused = [f for f in doc["findings"] if f["rule"] == "waiver-unused"]
    assert [(f["workload"], f["site"], f["severity"]) for f in unused] == [("nobody", "az-sao", "info")]
    assert result.exit_code == 1 and doc["reasons"][0].startswith("the re-plan found no plan")  # waivers cannot make a plan exist
    assert doc["totals"] == {} and doc["stability"] is None


@pytest.mark.parametrize("text, needle", [
    ("waivers: {rule: x}\n", "expected a list of waivers"),
    ("waivers:\n  - rule: residency\n    workload: a\n    reason: ''\n    expires: 2027-01-01\n", "non-empty text"),
    ("waivers:\n  - {rule: r, workload: a, reason: x, expires: 2027-01-01}\n  - {rule: r, workload: a, reason: y, expires: 2027-02-01}\n",
     "a second waiver"),
    ("other: 1\n", "unknown key"),
    ("waivers: [\n", "not valid YAML"),
])
def test_bad_waiver_files_exit_2_with_lines(estate, text, needle):
    Path("w.yaml").write_text(text, encoding="utf-8")
    result = check("inv.yaml", "--baseline", "base/plan.json", "--waivers", "w.yaml", "--format", "json")
    assert result.exit_code == 2
    found = as_json(result)["findings"]
    assert any(needle in f["message"] and f["file"] == "w.yaml" for f in found), found
    assert check("inv.yaml", "--baseline", "base/plan.json", "--waivers", "missing.yaml").exit_code == 2


# ------------------------------------------------------------------ changed workloads, kept rules, churn

def test_changed_workloads_each_with_its_own_cost_delta(estate):
    """crm-db grows on its site (resized), br-billing leaves the inventory (removed), new-svc arrives (added), and
    web-01's new data class makes its site illegal (re-ruled); each with its own run and one-time cost over 12 months."""
    changed = base_workloads()
    changed[0]["vcpu"] = 12  # +4 vCPU at az-fra's 10/vCPU-month
    changed[2]["data"] = ["personal-br"]
    del changed[3]
    changed.append(workload("new-svc", app="new", vcpu=4, memory_gb=8))
    inventory(Path("."), changed, name="pr.yaml")
    result = check("pr.yaml", "--baseline", "base/plan.json", "--format", "json", "--output", "out/pr.md", "--output", "out/pr.txt")
    doc = as_json(result)
    got = {c["workload"]: (c["kind"], c["old_site"], c["new_site"], c["monthly_cost_delta"], c["horizon_cost_delta"], c["rule"])
           for c in doc["changes"]}
    assert got == {
        "crm-db": ("resized", "az-fra", "az-fra", 40.0, 480.0, None),
        "br-billing": ("removed", "az-sao", None, -20.5, -246.0, None),
        "new-svc": ("added", None, "az-sao", 40.5, 586.0, None),
        "web-01": ("re-ruled", "az-fra", "az-sao", -4.0, 52.0, "residency"),  # -4/month, +100 to move
    }
    assert [c["workload"] for c in doc["changes"]] == ["new-svc", "crm-db", "br-billing", "web-01"]  # largest delta first
    assert doc["counts"]["changed_workloads"] == 4 and "4 workloads changed" in doc["headline"]
    comment = Path("out/pr.md").read_text(encoding="utf-8")
    # changed workloads come before the moves, with their own deltas
    assert comment.index("| crm-db | resized | az-fra | +40.00 EUR | +480.00 EUR |") < comment.index("<details><summary>1 workload moves")
    assert "| br-billing | removed | az-sao | -20.50 EUR | -246.00 EUR |" in comment
    text = Path("out/pr.txt").read_text(encoding="utf-8")
    assert text.index("changed workloads (4;") < text.index("moves: 1 workload moves off the baseline")


def test_a_rule_the_change_would_have_broken_is_said_so_not_resolved(estate):
    """web-01's new data class breaks residency on its baseline site; the re-plan moves it: the outputs say the change
    would have broken the rule and what the re-plan moved to keep it, never "1 resolved"."""
    result = check("inv.yaml", "--baseline", "base/plan.json", "--format", "json", *outputs("kept", "text", "markdown", "github", "junit"))
    doc = as_json(result)
    kept = [f for f in doc["findings"] if f["averted"]]
    assert [(f["id"], f["status"]) for f in kept] == [("residency:web-01:az-fra", "resolved")]
    assert kept[0]["averted"] == {"moved": [{"workload": "web-01", "from": "az-fra", "to": "az-sao"}]}
    assert doc["counts"]["averted"] == 1
    sentence = "the change would have broken residency for web-01 on az-fra"
    assert kept[0]["message"].startswith(sentence) and kept[0]["message"].endswith("the re-plan moved web-01 to az-sao to keep it")
    for ext in ("txt", "md", "github", "xml"):
        out = Path(f"out/kept.{ext}").read_text(encoding="utf-8")
        assert sentence in out.replace("The change", "the change"), ext
        assert out.lower().count(sentence) == 1, ext  # said once
        assert "1 resolved" not in out, ext
        assert "kept by the re-plan" in out or ext in ("github", "xml"), ext
    assert "title=residency (kept)" in Path("out/kept.github").read_text()


def test_kept_rule_names_every_move_that_kept_it(tmp_path, monkeypatch):
    """x's new data class makes its site illegal; x moves and y, within 5 ms of x, follows it: the kept residency
    rule names x's move; y's move is its own (dependency-latency)."""
    monkeypatch.chdir(tmp_path)
    sites = copy.deepcopy(BASE["sites"])
    sites.append({"id": "sao-dc1", "kind": "onprem", "zone": "sao-paulo",
                  "cost": {"vcpu_month": 15.0, "memory_gb_month": 1.5, "storage_gb_month": 0.1, "egress_gb": 0.0}})
    inventory(Path("."), stability_estate("personal-eu"), name="base.yaml", sites=sites)
    baseline("base.yaml", "base/plan.json")
    inventory(Path("."), stability_estate("personal-br"), name="inv.yaml", sites=sites)
    doc = as_json(check("inv.yaml", "--baseline", "base/plan.json", "--format", "json"))
    kept = {f["id"]: f["averted"]["moved"] for f in doc["findings"] if f["averted"]}
    assert kept == {"residency:x:mad-dc1": [{"workload": "x", "from": "mad-dc1", "to": "sao-dc1"}]}
    assert {c["workload"]: c["kind"] for c in doc["changes"]} == {"x": "re-ruled"}


def test_a_tighter_dependency_budget_names_the_other_end_that_moved(tmp_path, monkeypatch):
    """api is pinned to mad-dc1; its database sits on the cheaper az-fra (30 ms away) within the 40 ms budget. The change
    tightens the budget to 10 ms: the baseline placement would break it, and the re-plan moves the database next to api."""
    monkeypatch.chdir(tmp_path)

    def estate(budget):
        return [workload("api", app="api", pin="mad-dc1", depends_on=[{"workload": "db", "max_latency_ms": budget}]),
                workload("db", app="db", current_site="az-fra")]

    inventory(Path("."), estate(40), name="base.yaml")
    baseline("base.yaml", "base/plan.json")
    inventory(Path("."), estate(10), name="inv.yaml")
    doc = as_json(check("inv.yaml", "--baseline", "base/plan.json", "--format", "json"))
    kept = [f for f in doc["findings"] if f["averted"]]
    assert [(f["rule"], f["workload"]) for f in kept] == [("dependency-latency", "api")]
    assert kept[0]["averted"]["moved"] == [{"workload": "db", "from": "az-fra", "to": "mad-dc1"}]
    assert kept[0]["message"].endswith("the re-plan moved db to mad-dc1 to keep it")
    assert {c["workload"]: c["kind"] for c in doc["changes"]} == {"api": "re-ruled"}


@pytest.mark.parametrize("args, verdict, code, level", [
    ((), "pass", 0, "pass"),
    (("--warn-over-moves", "0"), "warn", 0, "warn"),
    (("--warn-over-moves", "1"), "pass", 0, "pass"),  # "over" is strict: exactly N passes
    (("--fail-over-moves", "0"), "fail", 1, "fail"),
    (("--fail-over-moves", "1"), "pass", 0, "pass"),
    (("--warn-over-moves", "0", "--fail-over-moves", "0"), "fail", 1, "fail"),  # fail wins
    (("--warn-over-moves", "0", "--fail-over-moves", "5"), "warn", 0, "warn"),
])
def test_move_thresholds_in_every_format(estate, args, verdict, code, level):
    """One workload (web-01) moves off the baseline; new-svc is added, which does not count as a move."""
    result = check("inv.yaml", "--baseline", "base/plan.json", "--format", "json", *args,
                   *outputs("moves", "text", "markdown", "junit", "github"))
    doc = as_json(result)
    assert (result.exit_code, doc["verdict"], doc["churn"]["level"], doc["churn"]["moved"]) == (code, verdict, level, 1)
    junit = ET.fromstring(Path("out/moves.xml").read_text(encoding="utf-8").split("\n", 1)[1])
    step = next(c for c in junit.iter("testcase") if c.get("name") == "the moves off the baseline are within the thresholds")
    assert (step.find("failure") is not None) == (level == "fail")
    text, comment = Path("out/moves.txt").read_text(encoding="utf-8"), Path("out/moves.md").read_text(encoding="utf-8")
    github = Path("out/moves.github").read_text(encoding="utf-8")
    assert "  moves  1" in text
    if level == "pass":
        assert not any("move-threshold" == f["rule"] for f in doc["findings"])
        assert "over --" not in doc["churn"]["sentence"]
        return
    flag = "--fail-over-moves" if level == "fail" else "--warn-over-moves"
    sentence = f"1 workload moves off the baseline, over {flag} 0"
    assert doc["churn"]["sentence"] == sentence and sentence in doc["reasons"]
    for out in (text, comment, github):
        assert out.count(sentence) == 1  # a reason, said once
    assert f"| move-threshold | {'❌ fail' if level == 'fail' else '⚠️ warn'} (1) |" in comment
    assert f"::{'error' if verdict == 'fail' else 'warning'} title=planner check::" in github


def test_move_threshold_waived_and_skipped_without_a_plan(estate):
    w = waivers("w.yaml", {"rule": "move-threshold", "workload": "*", "reason": "planned re-homing (OPS-4)", "expires": TODAY})
    result = check("inv.yaml", "--baseline", "base/plan.json", "--fail-over-moves", "0", "--waivers", w, "--format", "json")
    doc = as_json(result)
    assert result.exit_code == 0 and [f["status"] for f in doc["findings"] if f["rule"] == "move-threshold"] == ["waived"]
    bad = base_workloads()
    bad[0]["pin"] = "az-sao"
    inventory(Path("."), bad, name="pinned.yaml")
    doc = as_json(check("pinned.yaml", "--baseline", "base/plan.json", "--fail-over-moves", "0", "--format", "json"))
    assert doc["churn"]["level"] == "skipped" and "no plan" in doc["churn"]["sentence"]
    assert run("check", "inv.yaml", "--baseline", "base/plan.json", "--warn-over-moves", "-1", "--quiet").exit_code == 2


def test_passing_rules_collapse_and_each_sentence_is_said_once(estate):
    result = check("base.yaml", "--baseline", "base/plan.json", "--format", "markdown")
    assert result.exit_code == 0
    assert "✅ 17 rules pass: pin, allowed-kinds," in result.stdout and "| Rule | Result |" not in result.stdout
    args = ("inv.yaml", "--baseline", "base/plan.json", "--warn-over", "5%")
    sentence = "horizon cost +638.00 EUR (+26.76%) is over --warn-over 5%"
    for fmt, said in (("markdown", sentence), ("text", sentence), ("github", sentence.replace("%", "%25"))):
        out = check(*args, "--format", fmt).stdout
        assert out.count(said) == 1, fmt
    comment = check(*args, "--format", "markdown").stdout
    assert "| cost-threshold | ⚠️ warn (1) |" in comment and "| pin |" not in comment


def test_annotations_are_one_short_line_with_the_nearest_fix(tmp_path, monkeypatch):
    """A workload no site admits, in an estate of 25 sites: its problem lists every site; its annotation is one line of a
    few hundred characters naming the rule, the nearest fix and where the full text is."""
    monkeypatch.chdir(tmp_path)
    sites = copy.deepcopy(BASE["sites"]) + [
        {"id": f"az-br-{i:02d}", "kind": "azure", "zone": "sao-paulo",
         "cost": {"vcpu_month": 8.0 + i, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}} for i in range(22)]
    inventory(Path("."), base_workloads(), name="base.yaml", sites=sites)
    baseline("base.yaml", "base/plan.json")
    bad = base_workloads()
    bad[0]["pin"] = "az-br-07"  # personal-eu data pinned to Brazil
    inventory(Path("."), bad, name="inv.yaml", sites=sites)
    result = check("inv.yaml", "--baseline", "base/plan.json", "--format", "github", "--format", "json", "--output", "check.md")
    github, _, body = result.stdout.partition("\n{")
    doc = json.loads("{" + body)
    problem = next(f for f in doc["findings"] if f["source"] == "plan")
    assert len(problem["message"]) > 1000  # the full text, kept whole in JSON
    line = next(x for x in github.splitlines() if "title=pin+residency" in x)
    assert len(line) < 600
    assert "Nearest fix: mad-dc1 breaks only pin for crm-db (crm-db is pinned to az-br-07); change that and crm-db can stay on mad-dc1" in line
    assert line.endswith("Full text: check.md")
    assert problem["fix"].startswith("mad-dc1 breaks only pin")
    assert "mad-dc1 breaks only pin" in Path("check.md").read_text(encoding="utf-8")  # the comment shows the fix too


# ------------------------------------------------------------------ stability

def stability_estate(x_data: str) -> list[dict]:
    """Four look-alike EU workloads tie for az-fra's two cheap slots (which two is arbitrary); x runs on-prem only, and y
    must stay within 5 ms of x."""
    ws = [workload(f"w{i}", app=f"app{i}", data=["personal-eu"]) for i in range(1, 5)]
    ws += [workload("x", app="x", data=[x_data], allowed_kinds=["onprem"]),
           workload("y", app="x", depends_on=[{"workload": "x", "max_latency_ms": 5, "traffic_gb_month": 10}])]
    return ws


def test_one_workload_change_moves_only_what_must_move(tmp_path, monkeypatch):
    """Changing x's data class makes its site illegal: x moves (residency) and y, which must stay near it, follows;
    the look-alikes keep the baseline's choice of who sits on az-fra."""
    monkeypatch.chdir(tmp_path)
    sites = copy.deepcopy(BASE["sites"])
    sites[1]["capacity"] = {"vcpu": 4}  # az-fra: room for two of the look-alikes
    sites.append({"id": "sao-dc1", "kind": "onprem", "zone": "sao-paulo",
                  "cost": {"vcpu_month": 15.0, "memory_gb_month": 1.5, "storage_gb_month": 0.1, "egress_gb": 0.0}})
    inventory(Path("."), stability_estate("personal-eu"), name="base.yaml", sites=sites)
    baseline("base.yaml", "base/plan.json")
    before = {a["workload"]: a["site"] for a in json.loads(Path("base/plan.json").read_text())["assignments"]}
    assert sum(site == "az-fra" for site in before.values()) == 2 and before["x"] == "mad-dc1"
    inventory(Path("."), stability_estate("personal-br"), name="inv.yaml", sites=sites)
    result = check("inv.yaml", "--baseline", "base/plan.json", "--format", "json", "--format", "text")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout[: result.stdout.index("\nplanner check")])
    moved = {m["workload"]: m for m in doc["stability"]["moves"]}
    assert set(moved) == {"x", "y"}, moved
    assert doc["stability"]["moved"] == 2 and doc["stability"]["by_reason"]["residency"] == 1
    assert moved["x"]["rule"] == "residency" and moved["x"]["new_site"] == "sao-dc1"
    # y follows x because of its latency budget, not for a saving
    assert moved["y"]["rule"] == "dependency-latency" and doc["stability"]["by_reason"]["dependency-latency"] == 1
    assert "2 workloads move off the baseline (" in result.stdout and "now breaks residency" in result.stdout


@pytest.mark.slow
def test_sample_estate_passes_against_its_committed_plan():
    root = HERE.parent
    result = run("check", root / "inventory", "--baseline", root / "reports" / "plan.json", "--quiet", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert doc["verdict"] == "pass" and doc["stability"]["moved"] == 0


# ------------------------------------------------------------------ renderers

def test_annotation_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    f = Finding("residency", "w:1", "s,2", "error", "100% bad\nreally, truly: bad", "verify", "inv/a,b:c.yaml", 7)
    r = CheckResult("fail", ("x",), (f,), "inv", "base.json", dt.date(2027, 1, 1), currency="EUR")
    first = render_github(r).splitlines()[0]
    assert first == "::error file=inv/a%2Cb%3Ac.yaml,line=7,title=residency (new)::100%25 bad really, truly: bad"  # one line


def test_markdown_cells_are_inert():
    assert md("<script>alert(1)</script> | *x* [l](u)\nnext") == \
        "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*x\\* \\[l\\](u) next"


def test_outputs_are_deterministic(estate):
    args = ("inv.yaml", "--baseline", "base/plan.json", "--warn-over", "5%")
    first = check(*args, "--format", "json", "--format", "junit", "--format", "markdown").stdout
    second = check(*args, "--format", "json", "--format", "junit", "--format", "markdown").stdout
    assert first == second


def test_findings_compare_by_content_identity():
    from planner.check.findings import compare

    def f(rule, w, site, msg, severity="error"):
        return Finding(rule, w, site, severity, msg, "verify", "inv.yaml", 1)

    base = [f("capacity", "", "fra", "over by 2"), f("residency", "a", "sao", "BR"), f("waves", "b", "", "late")]
    new = [f("capacity", "", "fra", "over by 5"), f("waves", "b", "", "late"), f("pin", "c", "mad", "pinned")]
    got = {x.id: (x.status, x.previous) for x in compare(base, new)}
    assert got == {"capacity::fra": ("changed", "over by 2"), "waves:b:": ("unchanged", ""), "pin:c:mad": ("new", ""),
                   "residency:a:sao": ("resolved", "")}


def test_help_documents_the_exit_codes():
    text = run("check", "--help").output
    assert "Exit codes" in text and "0  pass" in text and "1  fail" in text and "2  bad input" in text
