"""The reports: one headline saving, money a board and an auditor read, charts from zero, the roadmap's real shape,
compliance summarised with every check in the evidence file, names escaped, golden Markdown, user templates,
determinism, the command line, PDF pages and a real browser.

Golden files: tests/golden/{executive,roadmap,compliance}.md are rendered from tests/golden/plan.json and
tests/golden/inventory.yaml. After a deliberate change, regenerate them (and that plan) with
`PLANNER_REGEN_GOLDEN=1 python -m pytest -q -p no:cacheprovider tests/test_reports.py` and review the diff.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import BASE, REPO, inventory, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import Estate, load_inventory, make_plan, read_plan
from planner.base.fmt import amount, board, kilo, md_escape, money
from planner.cli import default_inventory, main
from planner.domain.costs import monthly_run
from planner.domain.workloads import WorkloadTable
from planner.outputs.limits import OutputLimits
from planner.outputs.limits import current as output_limits
from planner.outputs.limits import use as use_output_limits
from planner.outputs.report import (
    ReportError,
    build_context,
    render_files,
    render_reports,
    render_text,
)
from planner.outputs.report.evidence import COLUMNS, evidence_bytes
from planner.outputs.report.pdf import (
    ChromiumMissing,
    browser_check,
    find_chromium,
    fix_pdf_dates,
)

HERE = Path(__file__).parent
ROOT = HERE.parent
GOLDEN = HERE / "golden"
REGEN = os.environ.get("PLANNER_REGEN_GOLDEN") == "1"
REPORTS = ("executive", "roadmap", "compliance")
EVIDENCE = "compliance-evidence.csv"
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
    """The sample estate, its committed plan, its view-model and every report rendered from them (once for the module)."""
    estate = Estate.of(load_inventory(default_inventory()))
    plan = read_plan(ROOT / "reports" / "plan.json")
    if plan.inventory_sha256 != estate.inventory.sha256:
        pytest.fail("reports/plan.json is stale: re-run `planner plan` (it writes reports/ too)")
    ctx = build_context(plan, estate)
    rendered = {f"{r.name}.{r.ext}": r.text for r in render_text(ctx, ("html", "md"))}
    return plan, estate, rendered, ctx


def first_page(html: str) -> str:
    """An executive report's opening: everything before its first chart."""
    return html.split("<figure>")[0]


def visible(html: str) -> str:
    """The text a reader sees: no style, no SVG, no tags."""
    html = re.sub(r"<style>.*?</style>|<svg.*?</svg>|<title>.*?</title>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def with_sites(plan, moves: dict):
    """The plan with some workloads put elsewhere (the rules then judge the new placement)."""
    return dataclasses.replace(plan, assignments=[dataclasses.replace(a, site=moves[a.workload], moves=True) if a.workload in moves
                                                  else a for a in plan.assignments])


# ----------------------------------------------------------------------------- money: one headline, board and auditor


@pytest.mark.slow
def test_one_headline_saving_with_one_definition(sample):
    plan, estate, out, ctx = sample
    t = ctx.totals
    realised = plan.schedule.realised_savings
    for ext in ("html", "md"):
        text = out[f"executive.{ext}"]
        head = first_page(text) if ext == "html" else text.split("## Monthly cost")[0]
        words = visible(head) if ext == "html" else head
        assert board(t.saving, "EUR") in words and "The saving" in words
        assert "what staying put would cost over the 36 months" in words and "as its waves land" in words
        assert "one-time migration cost is included" in words
        # The optimiser's measure appears, labelled, only where the solver is explained; the scheduler's not at all.
        assert board(t.target_saving, "EUR") not in words and money(t.target_saving, "EUR") not in text
        about = text.split("About this plan")[1]
        assert "as if every move landed on day one" in about and board(t.target_saving, "EUR") in about
        assert money(realised, "EUR") not in text and board(realised, "EUR") not in text and amount(realised) not in text
    # One saving everywhere: the cash view over the horizon = the sum of the years = the end of the cumulative curve.
    assert sum(y.saving for y in ctx.years) == pytest.approx(t.saving)
    assert ctx.months[-1].cumulative == pytest.approx(t.saving)
    assert t.saving == pytest.approx(t.stay_put_horizon_cost - t.plan_cost)


@pytest.mark.slow
def test_no_internal_names_in_reader_facing_text(sample):
    _, _, out, _ = sample
    for name, text in out.items():
        words = visible(text) if name.endswith(".html") else text
        for internal in ("totals.", "horizon_cost", "monthly_run_cost", "stay_put", "realised_savings", "plan.json's", "schedule."):
            assert internal not in words, (name, internal)


def test_board_figures_in_thousands_cents_in_the_appendix(sample):
    plan, estate, out, ctx = sample
    t, p = ctx.totals, plan.totals
    for ext in ("html", "md"):
        text = out[f"executive.{ext}"]
        body, appendix = text.split("Appendix: the figures to the cent")
        for value in (t.stay_put_horizon_cost, t.plan_cost, t.monthly_after, t.monthly_before, t.one_time_cost):
            assert board(value, "EUR") in body
        assert not re.search(r"\d,\d{3}\.\d{2} EUR", body), "a board reads thousands, not cents"
        # The auditor's figures equal the plan file's to the cent.
        for value in (p["horizon_cost"], p["monthly_run_cost"], p["stay_put_monthly_run_cost"], p["monthly_egress_cost"],
                      p["one_time_cost"], plan.solver["bound"], t.stay_put_horizon_cost):
            assert amount(value) in appendix, value
        assert amount(t.saving, True) in appendix


@pytest.mark.slow
def test_changes_carry_their_sign(sample):
    _, _, out, ctx = sample
    t = ctx.totals
    egress_change = t.monthly_egress_after - t.monthly_egress_before
    run_change = t.monthly_run_after - t.monthly_run_before
    assert egress_change > 0 > run_change  # the sample has both
    for ext in ("html", "md"):
        text = out[f"executive.{ext}"]
        assert board(egress_change, "EUR", signed=True).startswith("+") and board(egress_change, "EUR", signed=True) in text
        assert board(run_change, "EUR", signed=True).startswith("-") and board(run_change, "EUR", signed=True) in text
        assert amount(egress_change, True) in text and kilo(ctx.years[-1].saving, True).startswith("+")
        assert kilo(ctx.years[-1].saving, True) in text
    roadmap = out["roadmap.md"]
    assert f"| {kilo(ctx.busy_waves[-1].cumulative_monthly_saving, True)} |" in roadmap


@given(st.floats(min_value=-5e9, max_value=5e9, allow_nan=False))
def test_board_money_rounds_to_three_figures_and_reads_back(value):
    text = board(value, "EUR")
    number, unit = re.fullmatch(r"(-?[\d,.]+)(?: (k|M|bn))? EUR", text).groups()
    scale = {"k": 1e3, "M": 1e6, "bn": 1e9, None: 1.0}[unit]
    back = float(number.replace(",", "")) * scale
    assert back == pytest.approx(value, rel=0.006, abs=0.5 * scale)
    assert not re.match(r"-?1,000(\.0)? k", text) and not re.match(r"-?1,000(\.0)? M", text)  # the unit is chosen after rounding
    signed = board(value, "EUR", signed=True)
    assert signed == (("+" + text) if value > 0 and text.strip("-0 EUR") else text)


@pytest.mark.slow
def test_a_gap_larger_than_the_saving_is_said_on_the_first_page(golden):
    plan, estate = golden
    ctx = build_context(plan, estate)
    assert not ctx.gap_exceeds_saving
    loose = dataclasses.replace(plan, status="feasible", solver={**plan.solver, "bound": plan.solver["objective"] - 3 * ctx.totals.saving,
                                                                  "gap": 0.12})
    ctx = build_context(loose, estate)
    assert ctx.gap_exceeds_saving and ctx.gap_amount == pytest.approx(3 * ctx.totals.saving)
    html, md = (r.text for r in render_text(ctx, ("html", "md"), reports=("executive",)))
    opening = first_page(html)
    assert "The saving is smaller than the solver" in opening
    assert opening.index("The saving is smaller") < opening.index('class="kpis"')  # before the figures it qualifies
    assert board(ctx.gap_amount, "EUR") in opening and board(ctx.totals.saving, "EUR") in opening
    assert "The saving is smaller than the solver" in md.split("| Saving over")[0]
    plain = render_text(build_context(plan, estate), ("html",), reports=("executive",))[0].text
    assert "The saving is smaller than the solver" not in plain


@pytest.mark.slow
def test_a_plan_dearer_than_staying_put_says_so_first(tmp_path):
    sites = [dict(s) for s in BASE["sites"]]
    sites[0] = {**sites[0], "closes": "2027-06-30"}  # everything must leave mad-dc1, for dearer sites
    sites[1] = {**sites[1], "cost": {**sites[1]["cost"], "vcpu_month": 60.0}}
    sites[2] = {**sites[2], "cost": {**sites[2]["cost"], "vcpu_month": 60.0}}
    inv = load_inventory(inventory(tmp_path, [workload("a"), workload("b", app="app2")], sites=sites))
    result = make_plan(inv)
    ctx = build_context(result.plan, result.estate)
    assert ctx.totals.saving < 0
    html, md = (r.text for r in render_text(ctx, ("html", "md"), reports=("executive",)))
    opening = visible(first_page(html))
    assert "The plan costs more than staying put" in opening and "1 data centre closes within the horizon" in opening
    assert "The plan costs more than staying put" in md and board(-ctx.totals.saving, "EUR") in md


def test_pricing_option_and_hybrid_benefit_are_stated(sample, tmp_path):
    _, _, out, _ = sample
    for ext in ("html", "md"):
        words = visible(out[f"executive.{ext}"]) if ext == "html" else out[f"executive.{ext}"]
        assert "Azure VMs at pay-as-you-go rates" in words and "Azure Hybrid Benefit is not assumed" in words
    doc = yaml.safe_load((GOLDEN / "inventory.yaml").read_text(encoding="utf-8"))
    doc["scenario"]["pricing"] = {"azure": "reserved-3y", "hybrid_benefit": True}
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    inv = load_inventory(tmp_path / "inv.yaml")
    result = make_plan(inv)
    md = render_text(build_context(result.plan, result.estate), ("md",), reports=("executive",))[0].text
    assert "Azure VMs at 3-year reservations rates" in md and "Azure Hybrid Benefit is assumed" in md
    assert "no Azure site here is priced from the VM catalogue" in md  # the golden Azure sites have their own rates


# ----------------------------------------------------------------------------- charts and pictures


def _ticks(svg: str, chart: str, axes: int, axis: str) -> tuple[tuple[float, float, float, float], dict[str, float]]:
    """The axes' frame (left, right, top, bottom) and its tick labels with their position along `axis` ("x" or "y")."""
    part = svg.split(f'id="{chart}-axes_{axes}"')[1].split(f'id="{chart}-axes_{axes + 1}"')[0]
    frame = re.search(r'<path d="M ([\d.]+) ([\d.]+) \nL ([\d.]+) [\d.]+ \nL [\d.]+ ([\d.]+) ', part)
    x0, y0, x1, y1 = (float(v) for v in frame.groups())
    ticks = {}
    for m in re.finditer(rf'id="{chart}-{axis}tick_\d+">.*?<use [^>]*x="([\d.]+)" y="([\d.]+)".*?>([^<]*)</text>', part, flags=re.S):
        ticks[m.group(3)] = float(m.group(1) if axis == "x" else m.group(2))
    return (x0, x1, min(y0, y1), max(y0, y1)), ticks


@pytest.mark.parametrize("chart, axes, axis", [("horizon-cost", 1, "x"), ("monthly-cost", 1, "y"), ("cost-by-year", 1, "y"),
                                               ("by-country", 1, "x"), ("by-country", 2, "x")])
def test_money_and_count_axes_start_at_zero(sample, chart, axes, axis):
    _, _, out, _ = sample
    svg = out["executive.html"].split(f'id="{chart}-title"')[1].split("</svg>")[0]
    (left, right, top, bottom), ticks = _ticks(svg, chart, axes, axis)
    zero = next(v for k, v in ticks.items() if k in ("0", "0.0"))
    assert zero == pytest.approx(left if axis == "x" else bottom, abs=0.01), (chart, ticks)


def test_every_chart_frames_all_its_text_on_its_background(sample):
    """Each glyph box (measured with matplotlib's own metrics) lies inside the chart's viewBox, which its background fills."""
    import html as html_lib
    import math

    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    _, _, out, _ = sample
    measure = TextToPath().get_text_width_height_descent
    svgs = [s for page in REPORTS for s in re.findall(r"<svg .*?</svg>", out[f"{page}.html"], flags=re.S)]
    assert len(svgs) == 9
    for svg in svgs:
        name = re.search(r'aria-labelledby="([^"]+)-title"', svg).group(1)
        left, top, width, height = (float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split())
        right, bottom = left + width, top + height
        size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
        assert size == tuple(f"{v:f}".rstrip("0").rstrip(".") for v in (width, height)), name  # drawn at the frame's size
        background = re.search(rf'id="{name}-patch_1">\s*<path d="([^"]+)"', svg).group(1)
        corners = [tuple(float(v) for v in p.split()) for p in re.findall(r"[ML] ([-\d.]+ [-\d.]+)", background)]
        assert {round(x, 3) for x, _ in corners} == {round(left, 3), round(right, 3)}, name
        assert {round(y, 3) for _, y in corners} == {round(top, 3), round(bottom, 3)}, name
        texts = re.findall(r"<text ([^>]*)>([^<]*)</text>", svg)
        assert texts, name
        for attrs, raw in texts:
            text = html_lib.unescape(raw)
            size = float(re.search(r"font-size: ([\d.]+)px", attrs).group(1))
            bold = re.search(r"font-weight: (\d+|bold)", attrs)
            anchor = (re.search(r"text-anchor: (\w+)", attrs) or [None, "start"])[1]
            at = re.search(r'x="([-\d.]+)" y="([-\d.]+)"', attrs) or re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", attrs)
            x, y = float(at.group(1)), float(at.group(2))
            angle = math.radians(float((re.search(r"rotate\(([-\d.]+)", attrs) or [None, "0"])[1]))
            w, h, d = measure(text, FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal"), False)
            start = {"start": 0.0, "middle": -w / 2, "end": -w}[anchor]
            along, up = (math.cos(angle), math.sin(angle)), (math.sin(angle), -math.cos(angle))
            for s in (start, start + w):
                for t in (-d, h - d):
                    px, py = x + s * along[0] + t * up[0], y + s * along[1] + t * up[1]
                    assert left <= px <= right and top <= py <= bottom, (name, text, (px, py), (left, top, right, bottom))


@pytest.mark.slow
def test_executive_pictures_by_country_capacity_and_kind(sample):
    plan, estate, out, ctx = sample
    site = plan.site_of
    today = Counter(estate.site_country(estate.site_by_id[w.current_site]) for w in estate.workloads)
    after = Counter(estate.site_country(estate.site_by_id[site[w.id]]) for w in estate.workloads)
    assert {r.key: (r.before, r.after) for r in ctx.by_country if r.before or r.after} == {c: (today[c], after[c]) for c in today | after}
    money_today = Counter()
    for w in estate.workloads:
        money_today[estate.site_country(estate.site_by_id[w.current_site])] += monthly_run(estate, w, estate.site_by_id[w.current_site]).monthly
    for r in ctx.by_country:
        assert r.monthly_before == pytest.approx(money_today[r.key])
    html = out["executive.html"]
    for label in ("By country: workloads and monthly run cost", "Capacity use of own data centres and edge sites",
                  "Cost per year by site kind"):
        assert label in html, label
    # Capacity over the programme, recomputed workload by workload, step by step.
    waves = {w.number: w for w in plan.waves}
    own = {t.site: t for t in ctx.capacity_tracks}
    assert set(own) == {s.id for s in estate.sites if s.kind.value in ("onprem", "edge") and s.capacity is not None}
    placed = {w.id: w.current_site for w in estate.workloads}
    for k, step in enumerate(ctx.capacity_steps):
        if step.wave:
            placed.update({wid: site[wid] for wid in waves[step.wave].workloads})
        for sid, track in own.items():
            s = estate.site_by_id[sid]
            uses = [sum(getattr(w, res) for w in estate.workloads if placed[w.id] == sid) / getattr(s.capacity, res)
                    for res in ("vcpu", "memory_gb", "storage_gb") if getattr(s.capacity, res)]
            assert track.uses[k] == pytest.approx(max(uses), abs=1e-5), (sid, step)
    over = [t.site for t in ctx.capacity_tracks if t.peak > 1.0]
    # waves keep capacity between them: a site is over it during the programme only if it already was today
    assert all(t.uses[0] > 1.0 for t in ctx.capacity_tracks if t.peak > 1.0)
    assert all(f"{s} holds more than its capacity during the programme" in html for s in over)
    # Cost per year by site kind: the plan's run cost as the waves land, split by kind, adds up.
    assert sum(sum(y.run_by_kind) for y in ctx.years) == pytest.approx(ctx.totals.plan_run, rel=1e-6)
    stay_kind = Counter()
    for w in estate.workloads:
        stay_kind[estate.site_by_id[w.current_site].kind.value] += monthly_run(estate, w, estate.site_by_id[w.current_site]).monthly
    for y in ctx.years:
        assert y.stay_run_by_kind == pytest.approx(tuple(y.months * stay_kind[k] for k in ctx.kinds))


def test_charts_label_values_beside_bars_and_years_with_their_saving(sample):
    _, _, out, ctx = sample
    svg = out["executive.html"].split('id="cost-by-year-title"')[1].split("</svg>")[0]
    for y in ctx.years:
        words = f"saves {board(y.saving, 'EUR')}" if y.saving >= 0 else f"costs {board(-y.saving, 'EUR')} more"
        assert words in svg  # the year's saving is in its axis label, not on a bar
    assert ctx.years[0].saving < 0  # the first year's one-time costs make it a loss in the sample


# ----------------------------------------------------------------------------- roadmap


def test_gantt_shows_the_waves_that_move_and_closing_sites_inside_the_horizon(golden):
    plan, estate = golden
    ctx = build_context(plan, estate)
    empty = [w.number for w in ctx.waves if w.empty]
    assert empty == [1] and [w.number for w in ctx.busy_waves] == [2, 3, 4]
    html, md = (r.text for r in render_text(ctx, ("html", "md"), reports=("roadmap",)))
    gantt = html.split('id="gantt-title"')[1].split("</svg>")[0]
    assert "Wave 1<" not in gantt and all(f">Wave {n}<" in gantt for n in (2, 3, 4))
    assert "0 workloads" not in html and "0 workloads" not in md
    assert "Nothing moves in wave 1 (2027-01-01 to 2027-01-30)" in visible(html) and "Nothing moves in wave 1" in md
    # lon-dc1 closes on 2027-09-30: its marker lies between the axis' first and last date.
    assert "lon-dc1 closes 30 Sep 2027" in gantt
    (left, right, _, _), ticks = _ticks(gantt, "gantt", 1, "x")
    line = re.search(r'id="gantt-line2d_\d+">\s*<path d="M ([\d.]+) [\d.]+ \nL \1 [\d.]+ \n" clip-path="[^"]*" style="[^"]*stroke: #c62828', gantt)
    assert line and left < float(line.group(1)) < right
    for w in ctx.busy_waves:  # every label sits clear of its bar: offset text, never centred on the bar's end
        assert f"{w.workloads} workload" in gantt


def test_roadmap_tables_keep_ids_and_phases_whole(sample):
    _, _, out, _ = sample
    html = out["roadmap.html"]
    assert re.search(r"td\.id, span\.id, \.nowrap, td\.date, td\.phase \{ white-space: nowrap; \}", html)
    assert re.search(r"td\.ids span \{ white-space: nowrap; \}", html)
    assert re.findall(r'<td class="phase">2027-H1</td>', html)
    groups = re.findall(r'<td class="ids">(.*?)</td>', html)
    assert groups and all(re.fullmatch(r"(<span>[^<]+</span>(, )?)+", g) for g in groups)  # a list breaks between items only


def test_roadmap_lists_are_capped_and_say_how_many_more(sample):
    plan, estate, _, _ = sample
    with use_output_limits(OutputLimits(listed_moves=2, listed_groups=1)):
        ctx = build_context(plan, estate, verify=False)
        md = render_text(ctx, ("md",), reports=("roadmap",))[0].text
    moves = sum(a.moves for a in plan.assignments)
    assert len(ctx.moves) == 2 and ctx.moves_total == moves
    assert f"The first 2 of {moves} moves" in md and "`planner export plan.json`" in md
    wave = next(w for w in ctx.busy_waves if w.group_count > 1)
    assert len(wave.groups) == 1 and f"And {wave.group_count - 1} smaller move group" in md


# ----------------------------------------------------------------------------- compliance: summary and evidence


def _allowed(estate, pol) -> set:
    """A policy's countries read straight from the shipped presets file and the inventory (not through the planner's rules)."""
    written = set(estate.expand_countries(pol.allowed_countries)) if pol.allowed_countries is not None else None
    if pol.preset is None:
        return written or set()
    presets = yaml.safe_load((REPO / "planner" / "data" / "residency_presets.yaml").read_text(encoding="utf-8"))["presets"]
    law = set(presets[pol.preset]["allowed_countries"])
    return law if written is None else law & written


def independent_checks(estate, plan):
    """Every per-workload check, worked out workload by workload with Workload objects (not the report's arrays)."""
    site_of = plan.site_of
    wave_of = {wid: wv for wv in plan.waves for wid in wv.workloads}
    rows = []
    for pol in sorted(estate.inventory.policies, key=lambda p: p.id):
        for w in estate.workloads:
            if pol.data_class in w.data:
                s = estate.site_by_id[site_of[w.id]]
                ok = estate.site_country(s) in _allowed(estate, pol)
                rows.append((w.id, "residency", pol.id, pol.data_class, s.id, ok, False))
    for w in estate.workloads:
        s = estate.site_by_id[site_of[w.id]]
        for u in w.users:
            ms = estate.latency(s.zone, u.zone)
            rows.append((w.id, "user-latency", "", f"users in {u.zone}, {u.max_latency_ms:g} ms", s.id, ms <= u.max_latency_ms,
                         ms <= u.max_latency_ms and ms >= 0.8 * u.max_latency_ms))
    for w in estate.workloads:
        s = estate.site_by_id[site_of[w.id]]
        for d in w.depends_on:
            if d.max_latency_ms is not None:
                ms = estate.latency(s.zone, estate.site_by_id[site_of[d.workload]].zone)
                rows.append((w.id, "dependency-latency", "", d.workload, s.id, ms <= d.max_latency_ms,
                             ms <= d.max_latency_ms and ms >= 0.8 * d.max_latency_ms))
    for w in estate.workloads:
        s = estate.site_by_id[site_of[w.id]]
        if w.requires:
            rows.append((w.id, "certification", "", ", ".join(sorted(w.requires)), s.id, set(w.requires) <= set(s.certifications), False))
    for w in estate.workloads:
        if w.pin:
            rows.append((w.id, "pin", "", f"pinned to {w.pin}", site_of[w.id], site_of[w.id] == w.pin, False))
    for w in estate.workloads:
        if w.allowed_kinds:
            s = estate.site_by_id[site_of[w.id]]
            kinds = [k for k in ("onprem", "azure", "edge") if k in {x.value for x in w.allowed_kinds}]
            rows.append((w.id, "allowed-kinds", "", ", ".join(kinds) + " only", s.id, s.kind in w.allowed_kinds, False))
    for w in estate.workloads:
        old = estate.site_by_id[w.current_site]
        if old.closes is not None and old.closes < estate.scenario.horizon_end:
            wave = wave_of.get(w.id)
            ok = site_of[w.id] != old.id and wave is not None and wave.end < old.closes
            rows.append((w.id, "site-closing", "", f"leave {old.id} by {old.closes}", site_of[w.id], ok, False))
    return rows


def evidence_rows(estate, ctx):
    name, data, count = evidence_bytes(estate, ctx.blocks)
    assert name == EVIDENCE
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(table) == count == ctx.compliance.evidence_rows
    return table


def assert_summary_and_evidence_agree(estate, plan):
    ctx = build_context(plan, estate, verify=False)
    expected = independent_checks(estate, plan)
    table = evidence_rows(estate, ctx)
    assert [(r["workload"], r["check"], r["policy"], r["requirement"], r["site"], r["result"] == "pass", r["borderline"] == "true")
            for r in table] == expected
    for r in table:
        s = estate.site_by_id[r["site"]]
        assert (r["site_kind"], r["site_country"], r["site_zone"]) == (s.kind.value, estate.site_country(s), s.zone)
        assert r["evidence"] and (r["result"] == "pass" or r["workload"] in r["evidence"] or r["site"] in r["evidence"]
                                  or r["check"] == "dependency-latency")
    c = ctx.compliance
    by_key = {f"residency:{p.id}": p.summary for p in c.policies}
    by_key.update({s.key: s for s in (c.user_latency, c.dependency_latency, c.certifications, c.pins, c.allowed_kinds, c.site_exits)})
    for key, s in by_key.items():
        mine = [e for e in expected if (f"residency:{e[2]}" if e[1] == "residency" else e[1]) == key]
        assert (s.governed, s.passed, s.failed, s.borderline) == (len(mine), sum(e[5] for e in mine), sum(not e[5] for e in mine),
                                                                   sum(e[6] for e in mine)), key
        assert [r.item for r in s.failing] == [e[0] for e in mine if not e[5]][:output_limits().listed_checks]
    return ctx


def test_compliance_summary_and_evidence_agree_with_a_per_workload_list(sample, golden):
    plan, estate, out, _ = sample
    ctx = assert_summary_and_evidence_agree(estate, plan)
    assert ctx.compliance.failed == 0 and ctx.compliance.borderline > 0
    plan, estate = golden
    broken = with_sites(plan, {"pay-db-01": "sao-dc1", "crm-db-01": "az-lon", "selfcare-uk-01": "lon-dc1", "ran-mec-01": "mad-dc1"})
    ctx = assert_summary_and_evidence_agree(estate, broken)
    c = ctx.compliance
    assert c.failed >= 6 and {p.id: p.failed for p in c.policies}["gdpr"] == 2
    md = render_text(ctx, ("md",), reports=("compliance",))[0].text
    gdpr = md.split("### gdpr:")[1].split("\n### ")[0]
    assert "**2 failing checks**" in gdpr and "sao-dc1 is in BR" in gdpr and "| sao-dc1 | onprem | BR | 1 | **FAIL** |" in gdpr
    assert "requires PCI-DSS, which sao-dc1 does not hold" in md and "pinned to edge-mad" in md
    assert "selfcare-uk-01" in md.split("## Data-centre exits")[1].split("\n## ")[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_evidence_agrees_with_the_per_workload_list_on_any_placement(golden, data):
    plan, estate = golden
    sites = [s.id for s in estate.sites]
    moves = {a.workload: data.draw(st.sampled_from(sites)) for a in plan.assignments}
    assert_summary_and_evidence_agree(estate, with_sites(plan, moves))


def test_compliance_lists_failures_capped_with_counts(golden):
    plan, estate = golden
    broken = with_sites(plan, {"pay-db-01": "sao-dc1", "crm-db-01": "sao-dc1", "crm-app-01": "sao-dc1"})
    with use_output_limits(OutputLimits(listed_checks=1)):
        ctx = build_context(broken, estate)
        html = render_text(ctx, ("html",), reports=("compliance",))[0].text
    gdpr = next(p for p in ctx.compliance.policies if p.id == "gdpr")
    assert gdpr.failed == 3 and len(gdpr.summary.failing) == 1
    assert "3 failing checks</span>; the first 1 by workload" in html
    assert "Every check, passing or not, with its evidence" in html and EVIDENCE in html


def test_evidence_is_parquet_when_too_long_for_a_spreadsheet(golden):
    import pyarrow.parquet as pq

    plan, estate = golden
    csv_rows = evidence_rows(estate, build_context(plan, estate))
    with use_output_limits(OutputLimits(evidence_csv_rows=3)):
        ctx = build_context(plan, estate)
        name, data, count = evidence_bytes(estate, ctx.blocks)
        again = evidence_bytes(estate, ctx.blocks)[1]
    assert ctx.compliance.evidence_file == "compliance-evidence.parquet"
    assert name == "compliance-evidence.parquet" and data[:4] == b"PAR1" and count == len(csv_rows)
    table = pq.read_table(io.BytesIO(data)).to_pylist()
    assert list(table[0]) == list(COLUMNS)
    assert [(r["workload"], r["check"], r["result"], r["evidence"]) for r in table] == \
        [(r["workload"], r["check"], r["result"], r["evidence"]) for r in csv_rows]
    assert again == data  # the same plan, the same bytes


def test_context_is_built_on_arrays_not_workload_objects(sample, monkeypatch):
    plan, estate, _, _ = sample
    made = Counter()
    real = WorkloadTable.workload

    def counting(self, i):
        made["workloads"] += 1
        return real(self, i)

    monkeypatch.setattr(WorkloadTable, "workload", counting)
    build_context(plan, estate, verify=False)
    assert made["workloads"] <= 2  # one probe for the rules' messages: never one per workload


# ----------------------------------------------------------------------------- escaping


@pytest.mark.slow
def test_names_from_the_inventory_are_text_in_html_markdown_and_the_evidence_file(tmp_path):
    doc = yaml.safe_load((GOLDEN / "inventory.yaml").read_text(encoding="utf-8"))
    doc["policies"][0]["name"] = f"{EVIL} | *bold* [link](http://x)"
    for site in doc["sites"]:
        site["name"] = '<img src=x onerror="alert(2)">'
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    inv = load_inventory(tmp_path / "inv.yaml")
    # Ids are validated (no markup possible), so rename a workload behind the validator: defence in depth.
    table = inv.workloads
    renamed = tuple(EVIL if w == "crm-app-dev-01" else ("=cmd|' /C calc'!A0" if w == "br-portal-01" else w) for w in table.ids)
    inv = inv.model_copy(update={"workloads": dataclasses.replace(table, ids=renamed, _index={})})
    result = make_plan(inv)
    assert any(a.workload == EVIL and a.moves for a in result.plan.assignments)
    files = render_reports(result.plan, result.estate, tmp_path / "out", footer='ACME "quoted" </style><script>x</script>')
    assert len(files) == 7
    html = {p.name: p.read_text(encoding="utf-8") for p in files if p.suffix == ".html"}
    md = {p.name: p.read_text(encoding="utf-8") for p in files if p.suffix == ".md"}
    for text in html.values():
        assert "<script" not in text and "<img" not in text
        assert text.count("</style>") == len(re.findall(r"<style[ >]", text))  # the footer cannot end the page's style
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html["roadmap.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | *bold* [link](http://x)" in html["compliance.html"]
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html["roadmap.html"]
    for text in md.values():
        assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md["roadmap.md"]
    # the bare URL is broken by a zero-width space too, so GitHub does not link it (planner.base.untrusted)
    assert r"&lt;script&gt;alert(1)&lt;/script&gt; \| \*bold\* \[link\](http&#8203;://x)" in md["compliance.md"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / EVIDENCE).read_text(encoding="utf-8"))))
    assert "'=cmd|' /C calc'!A0" in {r["workload"] for r in rows}  # a spreadsheet never evaluates a cell


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
    plan, estate, rendered, _ = sample
    for name, text in sorted(rendered.items()):
        committed = ROOT / "reports" / name
        assert committed.read_bytes() == text.encode("utf-8"), f"reports/{name} is stale: run `planner report reports/plan.json`"
    files = render_files(plan, estate, formats=("md",))
    assert (ROOT / "reports" / EVIDENCE).read_bytes() == files[EVIDENCE], f"reports/{EVIDENCE} is stale"


@pytest.mark.slow
def test_same_plan_same_bytes(golden, tmp_path):
    plan, estate = golden
    a = render_reports(plan, estate, tmp_path / "a")
    b = render_reports(plan, estate, tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b] and EVIDENCE in [p.name for p in a]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


@pytest.mark.slow
def test_html_is_self_contained_with_real_charts(golden):
    plan, estate = golden
    out = {r.name: r.text for r in render_text(build_context(plan, estate), ("html",))}
    for name, text in out.items():
        assert "@page" in text and "size: A4" in text and "Content-Security-Policy" in text
        assert not re.search(r"""(src|href)=["']?(https?:|//)""", text), name  # nothing to fetch: opens offline
        assert "<image" not in text  # vectors only
        ids = re.findall(r'\bid="([^"]+)"', text)
        assert len(ids) == len(set(ids)), name
    exec_ = out["executive"]
    assert exec_.count("<svg") == 5 and out["roadmap"].count("<svg") == 2 and out["compliance"].count("<svg") == 1  # 5 with the emissions chart; no own site has a capacity
    for label in ("Cost over the 24-month horizon", "EUR; the axis starts at zero", "Per month (", "Saving (",
                  "Workloads; from zero", "Country of the site", "Cost per year by site kind"):
        assert label in exec_, label
    for label in ("Migration waves by date and phase", "Wave 3", "Cumulative savings (", "break-even: month"):
        assert label in out["roadmap"], label
    assert "<title" in exec_ and 'role="img"' in exec_


def test_every_long_table_keeps_its_first_rows_with_its_header(sample):
    _, _, out, _ = sample
    for name in ("executive.html", "roadmap.html", "compliance.html"):
        html = out[name]
        assert "tbody.keep { break-inside: avoid; page-break-inside: avoid; }" in html
        for table in re.findall(r"<table( class=\"short\")?>(.*?)</table>", html, flags=re.S):
            short, body = table
            rows = body.count("<tr>") - 1  # the header row
            if short or rows <= 3:
                continue
            bodies = re.findall(r'<tbody( class="keep")?>(.*?)</tbody>', body, flags=re.S)
            assert bodies[0][0] and bodies[0][1].count("<tr>") == 3, (name, body[:200])  # the first three rows stay together
            if rows >= 6:
                assert bodies[-1][0] and bodies[-1][1].count("<tr>") == 2, (name, body[-300:])  # and so do the last two


# ----------------------------------------------------------------------------- templates


@pytest.mark.slow
def test_user_templates_extend_the_built_in_ones(golden, tmp_path):
    plan, estate = golden
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "executive.html").write_text(
        '{% extends "default/executive.html" %}{% block title %}ACME board pack{% endblock %}'
        '{% block footer %}<footer>ACME confidential: {{ r.totals.saving|board }}</footer>{% endblock %}', encoding="utf-8")
    (mine / "_style.html").write_text('{% include "default/_style.html" %}<style>h1 { color: #ACME00; }</style>', encoding="utf-8")
    (mine / "executive.md").write_text('{% extends "default/executive.md" %}{% block footer %}\nACME {{ r.status }}\n{% endblock %}',
                                       encoding="utf-8")
    files = {p.name: p.read_bytes() for p in render_reports(plan, estate, tmp_path / "out", template_dir=mine)}
    exec_ = files["executive.html"].decode()
    ctx = build_context(plan, estate)
    assert "<title>ACME board pack ·" in exec_ and "Monthly cost, before and after" in exec_
    assert f"ACME confidential: {board(ctx.totals.saving, 'EUR')}" in exec_ and "made by hybrid-migration-planner" not in exec_
    assert "#ACME00" in exec_ and "#ACME00" in files["roadmap.html"].decode()  # a replaced partial restyles every page
    assert files["executive.md"].decode().rstrip().endswith("ACME optimal") and "## Monthly cost" in files["executive.md"].decode()


@pytest.mark.slow
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


@pytest.mark.slow
def test_planner_report_cli(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_bytes((GOLDEN / "plan.json").read_bytes())
    result = run("report", plan, "--inventory", GOLDEN / "inventory.yaml", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["plan.json", EVIDENCE] + [f"{n}.{e}" for n in REPORTS for e in ("html", "md")])
    assert (tmp_path / "executive.md").read_text() == (GOLDEN / "executive.md").read_text()
    result = run("report", plan, "--inventory", GOLDEN / "inventory.yaml", "--out", tmp_path / "md", "--format", "md", "--quiet")
    assert result.exit_code == 0 and sorted(p.name for p in (tmp_path / "md").iterdir()) == sorted([EVIDENCE] + [f"{n}.md" for n in REPORTS])
    wrong = run("report", plan, "--out", tmp_path / "wrong")  # the sample inventory: not what this plan was made from
    assert wrong.exit_code == 2 and "different inventory" in wrong.output and not (tmp_path / "wrong").exists()
    assert run("report", tmp_path / "nope.json", "--inventory", GOLDEN / "inventory.yaml").exit_code == 2
    nochrome = run("report", plan, "--inventory", GOLDEN / "inventory.yaml", "--out", tmp_path / "pdf", "--format", "pdf",
                   PLANNER_CHROMIUM=str(tmp_path / "no-chromium"))
    assert nochrome.exit_code == 2 and "PDF output needs Chromium" in nochrome.output and not (tmp_path / "pdf").exists()
    long = run("report", plan, "--inventory", GOLDEN / "inventory.yaml", "--out", tmp_path / "long", "--footer", "x" * 201)
    assert long.exit_code == 2 and "--footer is 201 characters long" in long.output and not (tmp_path / "long").exists()


@pytest.mark.slow
def test_planner_plan_writes_the_reports_and_evidence_beside_plan_json(tmp_path):
    result = run("plan", GOLDEN / "inventory.yaml", "--out", tmp_path / "o", "--quiet", "--footer", "ACME Telecom · Confidential")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "o").iterdir()} == {"plan.json", EVIDENCE} | {f"{n}.{e}" for n in REPORTS for e in ("html", "md")}
    assert "ACME Telecom · Confidential" in (tmp_path / "o" / "executive.html").read_text()
    assert "ACME Telecom · Confidential" in (tmp_path / "o" / "roadmap.md").read_text()
    assert run("plan", GOLDEN / "inventory.yaml", "--out", tmp_path / "o", "--quiet", "--no-reports").exit_code == 0
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["plan.json"]  # the older plan's evidence went with its reports


@pytest.mark.slow
def test_infeasible_plan_gets_an_executive_summary_that_says_why_and_no_evidence(tmp_path):
    doc = yaml.safe_load((GOLDEN / "inventory.yaml").read_text(encoding="utf-8"))
    assert run("plan", GOLDEN / "inventory.yaml", "--out", tmp_path / "o", "--quiet").exit_code == 0
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
    assert not (tmp_path / "o" / EVIDENCE).exists()  # nothing to audit, and the feasible plan's evidence is gone


# ----------------------------------------------------------------------------- PDF and a real browser


def _chromium():
    try:
        return find_chromium()
    except ChromiumMissing:
        return None


needs_chromium = pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed: apt-get install chromium, or set PLANNER_CHROMIUM")


def test_pdf_dates_are_the_plans():
    pdf = b"%PDF-1.4\n/CreationDate (D:20261201121324+00'00')\n/ModDate (D:20261201121324+00'00')>>"
    import datetime as dt

    fixed = fix_pdf_dates(pdf, dt.date(2027, 1, 1))
    assert fixed == pdf.replace(b"20261201121324", b"20270101000000") and len(fixed) == len(pdf)


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_reports_render_in_chromium_and_print_to_pdf(sample, tmp_path):
    _, _, rendered, _ = sample
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


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_pdf_pages_carry_numbers_the_plans_date_and_the_organisations_footer(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    plan = tmp_path / "plan.json"
    plan.write_bytes((ROOT / "reports" / "plan.json").read_bytes())
    args = ("report", plan, "--out", tmp_path / "a", "--format", "pdf", "--footer", "ACME Telecom · Confidential", "--quiet")
    assert run(*args).exit_code == 0
    for name in REPORTS:
        pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in pypdf.PdfReader(tmp_path / "a" / f"{name}.pdf").pages]
        assert len(pages) > 1, name
        for k, text in enumerate(pages, 1):
            assert f"Page {k} of {len(pages)}" in text, (name, k)
            assert "ACME Telecom · Confidential" in text and "plan for the programme starting 2027-01-01" in text, (name, k)
    # No table breaks after its first row: the first three moves sit on one page.
    moves = build_context(read_plan(plan), Estate.of(load_inventory(default_inventory()))).moves[:3]
    pages = [p.extract_text() for p in pypdf.PdfReader(tmp_path / "a" / "roadmap.pdf").pages]
    assert len({next(k for k, t in enumerate(pages) if f" {m.workload} " in t.replace("\n", " ")) for m in moves}) == 1
    # Nothing from the clock: the same plan prints the same bytes.
    assert run(*args[:3], tmp_path / "b", *args[4:]).exit_code == 0
    for name in REPORTS:
        assert (tmp_path / "a" / f"{name}.pdf").read_bytes() == (tmp_path / "b" / f"{name}.pdf").read_bytes(), name
