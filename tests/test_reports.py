"""The reports: numbers equal the plan's, names are escaped, golden Markdown, user templates, determinism, CLI, browser.

Golden files: tests/golden/{executive,roadmap,compliance}.md are rendered from tests/golden/plan.json and
tests/golden/inventory.yaml. After a deliberate change, regenerate them (and that plan) with
`PLANNER_REGEN_GOLDEN=1 python -m pytest -q -p no:cacheprovider tests/test_reports.py` and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner import Estate, load_inventory, make_plan, read_plan
from planner.cli import default_inventory, main
from planner.costs import monthly_egress
from planner.report import ReportError, build_context, render_reports, render_text
from planner.report.fmt import md_escape, money
from planner.report.pdf import browser_check, find_chromium, ChromiumMissing

HERE = Path(__file__).parent
ROOT = HERE.parent
GOLDEN = HERE / "golden"
REGEN = os.environ.get("PLANNER_REGEN_GOLDEN") == "1"
REPORTS = ("executive", "roadmap", "compliance")
EVIL = "<script>alert(1)</script>"


def run(*args, **env):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env=env or None)


@pytest.fixture(scope="module")
def golden():
    """The golden estate and its committed plan (re-planned first with PLANNER_REGEN_GOLDEN=1)."""
    inv = load_inventory(GOLDEN / "inventory.yaml")
    estate = Estate.of(inv)
    if REGEN:
        doc = json.loads(make_plan(inv, estate=estate).plan.to_json())
        doc["solver"]["seconds"] = 0.0  # the only wall-clock value: keep the golden plan's bytes stable
        (GOLDEN / "plan.json").write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return read_plan(GOLDEN / "plan.json"), estate


@pytest.fixture(scope="module")
def sample():
    """The sample estate, its committed plan, and every report rendered from them (once for the module)."""
    estate = Estate.of(load_inventory(default_inventory()))
    plan = read_plan(ROOT / "reports" / "plan.json")
    if plan.inventory_sha256 != estate.inventory.sha256:
        pytest.fail("reports/plan.json is stale: re-run `planner plan` (it writes reports/ too)")
    rendered = {f"{r.name}.{r.ext}": r.text for r in render_text(build_context(plan, estate), ("html", "md"))}
    return plan, estate, rendered


# ----------------------------------------------------------------------------- content


def test_report_numbers_equal_the_plan(sample):
    plan, estate, out = sample
    t, cur, h = plan.totals, estate.scenario.currency, estate.scenario.horizon_months
    stay_egress = monthly_egress(estate, {w.id: w.current_site for w in estate.workloads})
    stay_horizon = h * (t["stay_put_monthly_run_cost"] + stay_egress)
    moves = sum(a.moves for a in plan.assignments)
    for ext in ("html", "md"):
        text = out[f"executive.{ext}"]
        for amount in (t["horizon_cost"], stay_horizon, stay_horizon - t["horizon_cost"], t["monthly_run_cost"],
                       t["stay_put_monthly_run_cost"], t["monthly_egress_cost"], t["one_time_cost"]):
            assert money(amount, cur) in text, (ext, amount)
        assert f"{moves}</strong> of {len(plan.assignments)} workloads" in text or f"**{moves}** of {len(plan.assignments)} workloads" in text
        assert f"{len(plan.waves)}</strong> waves" in text or f"**{len(plan.waves)}** waves" in text
        assert money(plan.solver["objective"], cur) in text
    roadmap = out["roadmap.md"]
    for w in plan.waves:
        row = next(line for line in roadmap.splitlines() if re.match(rf"\| {w.number}( \(pilot\))? \|", line))
        assert f"| {w.start.isoformat()} | {w.end.isoformat()} | {len(w.workloads):,} |" in row
    every_move = roadmap.split("## Every move")[1].split("## Sites")[0]
    moved = {a.workload: a for a in plan.assignments if a.moves}
    rows = [line.split(" | ") for line in every_move.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert {r[1]: (int(r[0][2:]), r[5]) for r in rows} == {a.workload: (a.wave, a.site) for a in moved.values()}


def test_compliance_lists_every_governed_workload_with_its_site(sample):
    plan, estate, out = sample
    site = plan.site_of
    text = out["compliance.md"]
    for pol in estate.inventory.policies:
        section = text.split(f"### {md_escape(pol.id)}: ")[1].split("\n### ")[0].split("\n## ")[0]
        rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
        expected = {w.id: site[w.id] for w in estate.workloads if pol.data_class in w.data}
        assert {r[0][2:]: r[1] for r in rows} == expected, pol.id
        for r in rows:
            assert r[3] == estate.site_country(estate.site_by_id[r[1]]) and r[4] == "PASS"
    assert "data lives only in countries that every policy on its data classes allows" in text  # Rule.RESIDENCY.text
    assert "independent verification" in text.lower() and "found **no problem**" in text


def test_compliance_marks_a_breach_as_fail_with_the_rules_words(golden):
    plan, estate = golden
    bad = dataclasses.replace(plan, assignments=[dataclasses.replace(a, site="sao-dc1") if a.workload == "pay-db-01" else a
                                                 for a in plan.assignments])
    ctx = build_context(bad, estate)
    gdpr = next(p for p in ctx.compliance.policies if p.id == "gdpr")
    row = next(r for r in gdpr.rows if r.workload == "pay-db-01")
    assert not row.passed and row.country == "BR" and "gdpr" in row.evidence and "sao-dc1 is in BR" in row.evidence
    cert = next(r for r in ctx.compliance.certifications.rows if r.workload == "pay-db-01")
    assert not cert.passed and "PCI-DSS" in cert.evidence
    assert ctx.compliance.failed >= 2 and ctx.compliance.verification
    md = render_text(ctx, ("md",), reports=("compliance",))[0].text
    assert "**FAIL**" in md


def test_money_over_time_is_consistent(golden):
    plan, estate = golden
    ctx = build_context(plan, estate)
    t = ctx.totals
    assert t.horizon_cost == plan.totals["horizon_cost"] and t.monthly_run_after == plan.totals["monthly_run_cost"]
    assert len(ctx.months) == estate.scenario.horizon_months
    assert sum(y.saving for y in ctx.years) == pytest.approx(t.phased_savings)
    assert ctx.months[-1].cumulative == pytest.approx(t.phased_savings)
    assert sum(m.one_time for m in ctx.months) == pytest.approx(t.one_time_cost)
    assert ctx.months[-1].planned == pytest.approx(t.monthly_after, abs=0.05)  # every wave has landed
    assert ctx.break_even is not None and ctx.months[ctx.break_even.month - 1].cumulative >= 0
    assert ctx.months[ctx.break_even.month - 2].cumulative < 0
    assert ctx.waves[-1].cumulative_monthly_saving == pytest.approx(t.monthly_saving, abs=0.05)


def test_view_model_tolerates_plans_without_phases_or_schedule(golden):
    plan, estate = golden
    old = dataclasses.replace(plan, waves=[dataclasses.replace(w, phase=None) if hasattr(w, "phase") else w for w in plan.waves])
    if hasattr(old, "schedule"):
        old = dataclasses.replace(old, schedule=None)
    ctx = build_context(old, estate)
    assert [p.name for p in ctx.phases] == ["2027-H1"] and ctx.realised_savings is None
    assert render_text(ctx, ("md",), reports=("roadmap",))[0].text


# ----------------------------------------------------------------------------- escaping


def test_names_from_the_inventory_are_text_in_html_and_markdown(tmp_path):
    doc = yaml.safe_load((GOLDEN / "inventory.yaml").read_text(encoding="utf-8"))
    doc["policies"][0]["name"] = f"{EVIL} | *bold* [link](http://x)"
    for site in doc["sites"]:
        site["name"] = '<img src=x onerror="alert(2)">'
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    inv = load_inventory(tmp_path / "inv.yaml")
    # Ids are validated (no markup possible), so rename a workload behind the validator: defence in depth.
    table = inv.workloads
    renamed = tuple(EVIL if w == "crm-app-dev-01" else w for w in table.ids)
    inv = inv.model_copy(update={"workloads": dataclasses.replace(table, ids=renamed, _index={})})
    result = make_plan(inv)
    assert any(a.workload == EVIL and a.moves for a in result.plan.assignments)
    files = render_reports(result.plan, result.estate, tmp_path / "out")
    assert len(files) == 6
    html = {p.name: p.read_text(encoding="utf-8") for p in files if p.suffix == ".html"}
    md = {p.name: p.read_text(encoding="utf-8") for p in files if p.suffix == ".md"}
    for text in html.values():
        assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html["roadmap.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | *bold* [link](http://x)" in html["compliance.html"]
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html["roadmap.html"]
    for text in md.values():
        assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md["roadmap.md"]
    # the bare URL is broken by a zero-width space too, so GitHub does not link it (planner.untrusted)
    assert r"&lt;script&gt;alert(1)&lt;/script&gt; \| \*bold\* \[link\](http&#8203;://x)" in md["compliance.md"]


# ----------------------------------------------------------------------------- golden files, determinism


def test_golden_markdown(golden):
    plan, estate = golden
    rendered = render_text(build_context(plan, estate), ("md",))
    for r in rendered:
        path = GOLDEN / f"{r.name}.md"
        if REGEN:
            path.write_text(r.text, encoding="utf-8")
        assert path.exists(), f"{path} missing: run with PLANNER_REGEN_GOLDEN=1"
        assert r.text == path.read_text(encoding="utf-8"), f"{path.name} differs from a fresh render; PLANNER_REGEN_GOLDEN=1 regenerates it"


def test_committed_reports_are_a_fresh_render(sample):
    _, _, rendered = sample
    for name, text in sorted(rendered.items()):
        committed = ROOT / "reports" / name
        assert committed.read_bytes() == text.encode("utf-8"), f"reports/{name} is stale: run `planner report reports/plan.json`"


def test_same_plan_same_bytes(golden, tmp_path):
    plan, estate = golden
    a = render_reports(plan, estate, tmp_path / "a")
    b = render_reports(plan, estate, tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_html_is_self_contained_with_real_charts(golden):
    plan, estate = golden
    out = {r.name: r.text for r in render_text(build_context(plan, estate), ("html",))}
    for name, text in out.items():
        assert "@page" in text and "size: A4" in text and "Content-Security-Policy" in text
        assert not re.search(r"""(src|href)=["']?(https?:|//)""", text), name  # nothing to fetch: opens offline
        ids = re.findall(r'\bid="([^"]+)"', text)
        assert len(ids) == len(set(ids)), name
    exec_ = out["executive"]
    assert exec_.count("<svg") == 4 and out["roadmap"].count("<svg") == 2 and out["compliance"].count("<svg") == 1
    for label in ("Cost over the 24-month horizon", "Cost over the horizon (thousand EUR)", "Run + egress per month (EUR)", "Saving (EUR)",
                  "Workloads", "Country of the site"):
        assert label in exec_, label
    for label in ("Migration waves by date and phase", "Wave 3", "Cumulative savings (EUR)", "break-even: month 9"):
        assert label in out["roadmap"], label
    assert "<title" in exec_ and 'role="img"' in exec_


# ----------------------------------------------------------------------------- templates


def test_user_templates_extend_the_built_in_ones(golden, tmp_path):
    plan, estate = golden
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "executive.html").write_text(
        '{% extends "default/executive.html" %}{% block title %}ACME board pack{% endblock %}'
        '{% block footer %}<footer>ACME confidential: {{ r.totals.horizon_cost|money }}</footer>{% endblock %}', encoding="utf-8")
    (mine / "_style.html").write_text('{% include "default/_style.html" %}<style>h1 { color: #ACME00; }</style>', encoding="utf-8")
    (mine / "executive.md").write_text('{% extends "default/executive.md" %}{% block footer %}\nACME {{ r.status }}\n{% endblock %}',
                                       encoding="utf-8")
    files = {p.name: p.read_text(encoding="utf-8") for p in render_reports(plan, estate, tmp_path / "out", template_dir=mine)}
    exec_ = files["executive.html"]
    assert "<title>ACME board pack ·" in exec_ and "Monthly cost, before and after" in exec_
    assert f"ACME confidential: {money(plan.totals['horizon_cost'], 'EUR')}" in exec_ and "Rendered from plan.json" not in exec_
    assert "#ACME00" in exec_ and "#ACME00" in files["roadmap.html"]  # a replaced partial restyles every page
    assert files["executive.md"].rstrip().endswith("ACME optimal") and "## Monthly cost" in files["executive.md"]


def test_undefined_values_fail_loudly(golden, tmp_path):
    plan, estate = golden
    (tmp_path / "roadmap.md").write_text("{{ r.totals.no_such_total }}", encoding="utf-8")
    with pytest.raises(ReportError, match="no_such_total"):
        render_reports(plan, estate, tmp_path / "out", template_dir=tmp_path, formats=["md"])
    assert not (tmp_path / "out" / "roadmap.md").exists()
    result = run("report", GOLDEN / "plan.json", "--inventory", GOLDEN / "inventory.yaml", "--templates", tmp_path,
                 "--out", tmp_path / "cli")
    assert result.exit_code == 2 and "no_such_total" in result.output and "Traceback" not in result.output


# ----------------------------------------------------------------------------- command line


def test_planner_report_cli(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_bytes((GOLDEN / "plan.json").read_bytes())
    result = run("report", plan, "--inventory", GOLDEN / "inventory.yaml", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["plan.json"] + [f"{n}.{e}" for n in REPORTS for e in ("html", "md")])
    assert (tmp_path / "executive.md").read_text() == (GOLDEN / "executive.md").read_text()
    result = run("report", plan, "--inventory", GOLDEN / "inventory.yaml", "--out", tmp_path / "md", "--format", "md", "--quiet")
    assert result.exit_code == 0 and sorted(p.name for p in (tmp_path / "md").iterdir()) == [f"{n}.md" for n in sorted(REPORTS)]
    wrong = run("report", plan, "--out", tmp_path / "wrong")  # the sample inventory: not what this plan was made from
    assert wrong.exit_code == 2 and "different inventory" in wrong.output and not (tmp_path / "wrong").exists()
    assert run("report", tmp_path / "nope.json", "--inventory", GOLDEN / "inventory.yaml").exit_code == 2
    nochrome = run("report", plan, "--inventory", GOLDEN / "inventory.yaml", "--out", tmp_path / "pdf", "--format", "pdf",
                   PLANNER_CHROMIUM=str(tmp_path / "no-chromium"))
    assert nochrome.exit_code == 2 and "PDF output needs Chromium" in nochrome.output and not (tmp_path / "pdf").exists()


def test_planner_plan_writes_the_reports_beside_plan_json(tmp_path):
    result = run("plan", GOLDEN / "inventory.yaml", "--out", tmp_path / "o", "--quiet")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "o").iterdir()} == {"plan.json"} | {f"{n}.{e}" for n in REPORTS for e in ("html", "md")}
    assert run("plan", GOLDEN / "inventory.yaml", "--out", tmp_path / "n", "--quiet", "--no-reports").exit_code == 0
    assert [p.name for p in (tmp_path / "n").iterdir()] == ["plan.json"]


def test_infeasible_plan_gets_an_executive_summary_that_says_why(tmp_path):
    doc = yaml.safe_load((GOLDEN / "inventory.yaml").read_text(encoding="utf-8"))
    doc["workloads"][0]["pin"] = "sao-dc1"  # personal-eu data pinned to Brazil
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = run("plan", tmp_path / "inv.yaml", "--out", tmp_path / "o", "--quiet")
    assert result.exit_code == 1
    problems = json.loads((tmp_path / "o" / "plan.json").read_text())["problems"]
    for ext in ("html", "md"):
        text = (tmp_path / "o" / f"executive.{ext}").read_text()
        assert "No plan exists for this inventory" in text and "crm-db-01" in text
        assert (md_escape(problems[0]["message"]) if ext == "md" else "") in text
        assert "No plan exists" in (tmp_path / "o" / f"roadmap.{ext}").read_text()


# ----------------------------------------------------------------------------- a real browser


def _chromium():
    try:
        return find_chromium()
    except ChromiumMissing:
        return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_reports_render_in_chromium_and_print_to_pdf(sample, tmp_path):
    _, _, rendered = sample
    for name in REPORTS:
        page = tmp_path / f"{name}.html"
        page.write_text(rendered[f"{name}.html"], encoding="utf-8")
        check = browser_check(page, tmp_path / f"{name}.pdf")
        assert check.returncode == 0 and check.pdf_ok, name
        assert check.console == (), f"{name}: {check.console}"
        assert b"/MediaBox [0 0 594.9" in (tmp_path / f"{name}.pdf").read_bytes()  # A4
    # The check is not vacuous: a script error (or any blocked resource) shows up.
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><title>x</title><script>throw new Error('boom')</script>", encoding="utf-8")
    assert any("boom" in line for line in browser_check(broken, tmp_path / "broken.pdf").console)
