"""The reports' charts: matplotlib figures rendered to inline SVG, byte-for-byte deterministic.

Determinism: the Agg/SVG backends only, a fixed `svg.hashsalt` (clip-path ids are hashes),
no date or creator metadata, text kept as `<text>` (`svg.fonttype: none`, so no glyph
outlines that vary with the installed fonts) laid out with matplotlib's bundled DejaVu
Sans metrics, fixed sizes. Every id in a chart is prefixed with the chart's name, so
several charts can share one HTML page without id clashes. Each SVG carries a `<title>`
and `role="img"` for screen readers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Callable, Iterator, Optional, Sequence

import matplotlib

matplotlib.use("Agg", force=False)

from contextlib import contextmanager  # noqa: E402

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from markupsafe import Markup, escape  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from .context import ReportContext  # noqa: E402

WIDTH_IN = 7.0  # fits an A4 page's text width
RC = {
    "svg.hashsalt": "hybrid-migration-planner",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": 72,
    "savefig.dpi": 72,
    "path.simplify": False,
    "text.usetex": False,
    "axes.formatter.use_mathtext": False,
}

BLUE, TEAL, GREY, GREEN, RED, AMBER = "#1f4e79", "#2e86ab", "#9aa5b1", "#2e7d32", "#c62828", "#e0a100"
KIND_COLOURS = {"onprem": "#5c6f82", "azure": "#0078d4", "edge": "#e07a10"}
PHASE_COLOURS = ("#1f4e79", "#2e86ab", "#52a675", "#e0a100", "#8e5ea2", "#c8553d", "#5c6f82", "#17becf")


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(RC):
        yield


def _plain(text: str) -> str:
    """Text safe from mathtext: `$` would start a formula."""
    return str(text).replace("$", r"\$")


def _scale(values: Sequence[float], currency: str) -> tuple[float, str]:
    """A divisor and unit for money axes: millions, thousands or units of the currency."""
    top = max((abs(v) for v in values), default=0.0)
    if top >= 2_000_000:
        return 1_000_000.0, f"million {currency}"
    if top >= 20_000:
        return 1_000.0, f"thousand {currency}"
    return 1.0, currency


def _money_axis(divisor: float) -> FuncFormatter:
    digits = 1 if divisor > 1 else 0

    def fmt(x: float, _pos: Optional[int] = None) -> str:
        return f"{x / divisor:,.{digits}f}".replace("-", "\u2212")

    return FuncFormatter(fmt)


def _short_money(x: float, currency: str) -> str:
    if abs(x) >= 1_000_000:
        return f"{x / 1_000_000:,.2f} M {currency}"
    if abs(x) >= 10_000:
        return f"{x / 1_000:,.0f} k {currency}"
    return f"{x:,.0f} {currency}"


_IDS = re.compile(r'\bid="([^"]+)"')


def _to_svg(fig: Figure, name: str, title: str) -> Markup:
    """The figure as an inline `<svg>` element (no XML prologue, no metadata, ids prefixed)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}, bbox_inches="tight",
                pad_inches=0.08)
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    ids = sorted(set(_IDS.findall(svg)), key=len, reverse=True)
    for old in ids:
        new = f"{name}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"url(#{old})", f"url(#{new})") \
                 .replace(f'xlink:href="#{old}"', f'xlink:href="#{new}"').replace(f'href="#{old}"', f'href="#{new}"')
    head_end = svg.index(">") + 1
    head = svg[:head_end].replace("<svg ", f'<svg role="img" aria-labelledby="{name}-title" class="chart" ', 1)
    svg = head + f'\n <title id="{name}-title">{escape(title)}</title>' + svg[head_end:]
    return Markup(svg.strip() + "\n")


def _figure(height: float) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height))
    return fig, ax


def _date_axis(ax: plt.Axes, first: dt.date, last: dt.date) -> None:
    months = max(1, (last.year - first.year) * 12 + last.month - first.month)
    step = 1 if months <= 8 else 2 if months <= 16 else 3 if months <= 30 else 6 if months <= 60 else 12
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))


# ----------------------------------------------------------------------------- executive


def horizon_cost(ctx: ReportContext) -> Markup:
    """Staying put against the plan over the horizon, split into run, egress and one-time cost."""
    t, h, cur = ctx.totals, ctx.horizon_months, ctx.currency
    title = f"Cost over the {h}-month horizon"
    with _style():
        fig, ax = _figure(2.2)
        labels = ["Staying put", "The plan"]
        run = [h * t.monthly_run_before, h * t.monthly_run_after]
        egress = [h * t.monthly_egress_before, h * t.monthly_egress_after]
        once = [0.0, t.one_time_cost]
        totals = [t.stay_put_horizon_cost, t.horizon_cost]
        div, unit = _scale(totals, cur)
        y = [1, 0]
        ax.barh(y, run, color=BLUE, label="run cost", height=0.55)
        ax.barh(y, egress, left=run, color=TEAL, label="network egress", height=0.55)
        ax.barh(y, once, left=[r + e for r, e in zip(run, egress)], color=AMBER, label="one-time migration", height=0.55)
        for yy, total in zip(y, totals):
            ax.text(total, yy, "  " + _short_money(total, cur), va="center", ha="left", fontsize=8)
        ax.set_yticks(y, labels)
        ax.xaxis.set_major_formatter(_money_axis(div))
        ax.set_xlim(0, max(totals + [1.0]) * 1.25)
        ax.set_xlabel(f"Cost over the horizon ({unit})")
        ax.set_title(title, loc="left")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="upper center", ncol=3, bbox_to_anchor=(0.5, -0.34))
        return _to_svg(fig, "horizon-cost", title)


def monthly_cost(ctx: ReportContext) -> Markup:
    """Monthly run + egress cost over the horizon: staying put, and the plan as the waves land."""
    cur = ctx.currency
    title = "Monthly run cost: staying put against the plan as the waves land"
    with _style():
        fig, ax = _figure(2.6)
        # Each month's value holds from its first day to the next month's: steps, closed at the horizon's end.
        xs = [r.start for r in ctx.months] + ([ctx.horizon_end + dt.timedelta(days=1)] if ctx.months else [])
        stay = [r.stay_put for r in ctx.months] + [r.stay_put for r in ctx.months[-1:]]
        planned = [r.planned for r in ctx.months] + [r.planned for r in ctx.months[-1:]]
        div, unit = _scale(stay + planned, cur)
        ax.plot(xs, stay, color=GREY, linestyle="--", linewidth=1.5, label="staying put", drawstyle="steps-post")
        ax.plot(xs, planned, color=BLUE, linewidth=2.0, label="the plan (moves count from the end of their wave)", drawstyle="steps-post")
        low = min(stay + planned) if xs else 0.0
        high = max(stay + planned) if xs else 1.0
        pad = max((high - low) * 0.25, high * 0.02, 1.0)
        ax.set_ylim(max(0.0, low - pad), high + pad)
        ax.yaxis.set_major_formatter(_money_axis(div))
        if xs:
            _date_axis(ax, xs[0], xs[-1])
        ax.set_ylabel(f"Run + egress per month ({unit})")
        ax.set_xlabel("Month")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2)
        return _to_svg(fig, "monthly-cost", title)


def savings_by_year(ctx: ReportContext) -> Markup:
    """Savings against staying put per year of the horizon, one-time costs included."""
    cur = ctx.currency
    title = "Savings against staying put, by year (one-time costs included)"
    with _style():
        fig, ax = _figure(2.4)
        labels = [f"Year {y.number}\n{y.start:%b %Y}–{y.end:%b %Y}" for y in ctx.years]
        values = [y.saving for y in ctx.years]
        div, unit = _scale(values, cur)
        xs = list(range(len(values)))
        ax.bar(xs, values, color=[GREEN if v >= 0 else RED for v in values], width=0.55)
        for x, v in zip(xs, values):
            ax.text(x, v, _short_money(v, cur), ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.set_xticks(xs, labels)
        ax.yaxis.set_major_formatter(_money_axis(div))
        top = max(values + [0.0])
        bottom = min(values + [0.0])
        span = max(top - bottom, 1.0)
        ax.set_ylim(bottom - 0.15 * span if bottom < 0 else 0, top + 0.18 * span)
        ax.set_ylabel(f"Saving ({unit})")
        ax.set_xlabel("Year of the horizon")
        ax.set_title(title, loc="left")
        ax.grid(axis="x", visible=False)
        return _to_svg(fig, "savings-by-year", title)


def placement(ctx: ReportContext) -> Markup:
    """Workload counts by site kind and by country, before and after the plan."""
    title = "Where the workloads run: today and after the plan"
    with _style():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(WIDTH_IN, 2.6), gridspec_kw={"width_ratios": [1, 2]})
        for ax, rows, sub in ((ax1, ctx.by_kind, "by site kind"), (ax2, [r for r in ctx.by_country if r.before or r.after], "by country")):
            xs = list(range(len(rows)))
            before = [r.before for r in rows]
            after = [r.after for r in rows]
            ax.bar([x - 0.2 for x in xs], before, width=0.4, color=GREY, label="today")
            ax.bar([x + 0.2 for x in xs], after, width=0.4, color=BLUE, label="after the plan")
            for x, b, a in zip(xs, before, after):
                ax.text(x - 0.2, b, f"{b:,}", ha="center", va="bottom", fontsize=7)
                ax.text(x + 0.2, a, f"{a:,}", ha="center", va="bottom", fontsize=7)
            ax.set_xticks(xs, [_plain(r.key) for r in rows])
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylim(0, max(before + after + [1]) * 1.15)
            ax.set_ylabel("Workloads")
            ax.set_xlabel("Site kind" if ax is ax1 else "Country of the site")
            ax.set_title(sub, loc="left", fontsize=9, fontweight="normal")
            ax.grid(axis="x", visible=False)
        ax2.legend(loc="upper right")
        fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return _to_svg(fig, "placement", title)


# ----------------------------------------------------------------------------- roadmap


def gantt(ctx: ReportContext) -> Markup:
    """Waves as bars from first to last day, coloured by phase, with DC closing dates nearby."""
    title = "Migration waves by date and phase"
    waves = ctx.waves
    with _style():
        fig, ax = _figure(min(9.0, 1.2 + 0.32 * max(len(waves), 1)))
        phases = list(dict.fromkeys(w.phase for w in waves))
        colour = {p: PHASE_COLOURS[i % len(PHASE_COLOURS)] for i, p in enumerate(phases)}
        for i, w in enumerate(waves):
            left = mdates.date2num(w.start)
            width = (w.end - w.start).days + 1
            ax.barh(i, width, left=left, height=0.6, color=colour[w.phase], edgecolor="white", linewidth=0.5)
            label = f" {w.workloads:,} workload{'s' if w.workloads != 1 else ''}" + (" (pilot)" if w.pilot else "")
            ax.text(left + width, i, label, va="center", ha="left", fontsize=7.5)
        handles = [matplotlib.patches.Patch(color=colour[p], label=_plain(p)) for p in phases]
        if waves:
            first, last = waves[0].start, waves[-1].end
            lo = mdates.date2num(first) - 5
            hi = mdates.date2num(last) + max(30, 0.25 * ((last - first).days + 1))
            for c in ctx.closing_sites:
                x = mdates.date2num(c.closes)
                if c.in_horizon and lo <= x <= hi:
                    ax.axvline(x, color=RED, linestyle=":", linewidth=1.2)
                    ax.text(x, len(waves) - 0.4, f" {_plain(c.site)} closes", color=RED, fontsize=7, va="bottom")
            ax.set_xlim(lo, hi)
            _date_axis(ax, first, last)
        ax.set_yticks(list(range(len(waves))), [f"Wave {w.number}" for w in waves])
        ax.set_ylim(len(waves) - 0.4, -0.6)
        ax.set_xlabel("Date (each bar runs from the wave's first to its last day)")
        ax.set_ylabel("Wave")
        ax.set_title(title, loc="left")
        ax.grid(axis="y", visible=False)
        if handles:
            ax.legend(handles=handles, title="Phase", loc="lower left", fontsize=7.5, title_fontsize=7.5)
        return _to_svg(fig, "gantt", title)


def cumulative_savings(ctx: ReportContext) -> Markup:
    """Cumulative savings against staying put at the end of each month, with the break-even month."""
    cur = ctx.currency
    title = "Cumulative savings against staying put"
    with _style():
        fig, ax = _figure(2.6)
        # Cumulative savings at the end of each month (plotted at the first day of the next), from 0 at the start.
        ends = [r.start for r in ctx.months[1:]] + ([ctx.horizon_end + dt.timedelta(days=1)] if ctx.months else [])
        xs = [ctx.start] + ends
        ys = [0.0] + [r.cumulative for r in ctx.months]
        div, unit = _scale(ys, cur)
        ax.plot(xs, ys, color=GREEN, linewidth=2.0, marker="o", markersize=2.5, label="cumulative savings (end of month)")
        ax.fill_between(xs, ys, 0, where=[y < 0 for y in ys], color=RED, alpha=0.15, step=None, interpolate=True)
        ax.fill_between(xs, ys, 0, where=[y >= 0 for y in ys], color=GREEN, alpha=0.12, interpolate=True)
        ax.axhline(0, color="#333333", linewidth=0.8)
        if ctx.break_even is not None and xs:
            be = ctx.break_even
            at = xs[be.month]
            ax.axvline(at, color=BLUE, linestyle="--", linewidth=1.0)
            ax.annotate(f"break-even: month {be.month} ({be.start:%b %Y})", (mdates.date2num(at), 0), xytext=(6, 12),
                        textcoords="offset points", fontsize=8, color=BLUE)
        ax.yaxis.set_major_formatter(_money_axis(div))
        if xs:
            _date_axis(ax, xs[0], xs[-1])
        ax.set_ylabel(f"Cumulative savings ({unit})")
        ax.set_xlabel("Month")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left")
        return _to_svg(fig, "cumulative-savings", title)


# ----------------------------------------------------------------------------- compliance


def checks(ctx: ReportContext) -> Markup:
    """Passed and failed checks per policy and per rule."""
    comp = ctx.compliance
    title = "Compliance checks passed and failed, per policy and rule"
    rows = [(f"policy {p.id}", p.passed, p.failed) for p in comp.policies]
    rows += [(s.rule, s.passed, s.failed) for s in (comp.user_latency, comp.dependency_latency, comp.certifications, comp.site_exits)]
    with _style():
        fig, ax = _figure(1.0 + 0.26 * len(rows))
        ys = list(range(len(rows)))
        passed = [r[1] for r in rows]
        failed = [r[2] for r in rows]
        ax.barh(ys, passed, color=GREEN, height=0.6, label="pass")
        ax.barh(ys, failed, left=passed, color=RED, height=0.6, label="fail")
        for y, p, f in zip(ys, passed, failed):
            ax.text(p + f, y, f"  {p:,} pass" + (f", {f:,} FAIL" if f else ""), va="center", fontsize=7.5)
        ax.set_yticks(ys, [_plain(r[0]) for r in rows])
        ax.set_ylim(len(rows) - 0.4, -0.6)
        ax.set_xlim(0, max([p + f for p, f in zip(passed, failed)] + [1]) * 1.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Checks (one per workload and rule)")
        ax.set_title(title, loc="left")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")
        return _to_svg(fig, "checks", title)


CHARTS: dict[str, dict[str, Callable[[ReportContext], Markup]]] = {
    "executive": {"horizon_cost": horizon_cost, "monthly_cost": monthly_cost, "savings_by_year": savings_by_year,
                  "placement": placement},
    "roadmap": {"gantt": gantt, "cumulative_savings": cumulative_savings},
    "compliance": {"checks": checks},
}


def charts_for(report: str, ctx: ReportContext) -> dict[str, Markup]:
    """The charts one report shows (none for an infeasible plan: there is nothing to draw)."""
    if not ctx.feasible:
        return {}
    return {name: make(ctx) for name, make in CHARTS.get(report, {}).items()}


__all__ = ["CHARTS", "charts_for"]
