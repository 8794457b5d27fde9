"""The reports' charts: matplotlib figures rendered to inline SVG, byte-for-byte deterministic.

Determinism: the Agg/SVG backends only, a fixed `svg.hashsalt` (clip-path ids are hashes),
no date or creator metadata, text kept as `<text>` (`svg.fonttype: none`, so no glyph
outlines that vary with the installed fonts) laid out with matplotlib's bundled DejaVu
Sans metrics, fixed sizes, vectors only (no embedded raster). Every id in a chart is
prefixed with the chart's name, so several charts can share one HTML page without id
clashes. Each SVG carries a `<title>` and `role="img"` for screen readers.

Cost: each figure is drawn once, and framed by a viewBox on the box `savefig(bbox_inches="tight")`
would crop to (same picture, same size on the page; that option draws everything twice), and
each distinct label is measured by FreeType once per process (:class:`_Renderer`).

Reading rules: every money axis starts at zero (a saving axis is centred on it), money is
labelled in thousands or millions (:func:`planner.base.fmt.board`), value labels sit
clear of their bars (offset in points, never centred on an edge).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import pickle
import re
import threading
from collections import OrderedDict
from typing import Callable, Iterator, Optional, Sequence

import matplotlib

matplotlib.use("Agg", force=False)

from contextlib import contextmanager  # noqa: E402

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.patches  # noqa: E402
import numpy as np  # noqa: E402
from markupsafe import Markup, escape  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_mixed import MixedModeRenderer  # noqa: E402
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter  # noqa: E402

from planner.base.fmt import board  # noqa: E402
from planner.base.untrusted import one_line  # noqa: E402
from planner.outputs.report.context import ReportContext  # noqa: E402

WIDTH_IN = 7.0  # fits an A4 page's text width
PAD_IN = 0.08  # white margin around everything drawn
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
    "axes.unicode_minus": True,
}

BLUE, TEAL, GREY, GREEN, RED, AMBER = "#1f4e79", "#2e86ab", "#9aa5b1", "#2e7d32", "#c62828", "#e0a100"
KIND_COLOURS = {"onprem": "#5c6f82", "azure": "#0078d4", "edge": "#e07a10"}
KIND_LABELS = {"onprem": "own data centres", "azure": "Azure", "edge": "edge sites"}
PHASE_COLOURS = ("#1f4e79", "#2e86ab", "#52a675", "#e0a100", "#8e5ea2", "#c8553d", "#5c6f82", "#17becf")
# Capacity use bands: blues in steps of 10 % up to 90 %, amber from 90 %, dark red over 100 % (more placed than the site holds).
USE_BOUNDS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 + 1e-9, 1.25]
USE_COLOURS = ["#f2f6fa", "#e1ebf4", "#cddef0", "#b5cfe6", "#98bbdb", "#77a4cd", "#568bbd", "#3a71a6", "#24588c", "#e39a2d",
               "#8b0000"]


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(RC):
        yield


def _plain(text: str) -> str:
    """Text safe from mathtext (`$` would start a formula), on one line with invisible characters shown as escapes."""
    return one_line(text).replace("$", r"\$")


def _scale(values: Sequence[float], currency: str) -> tuple[float, str]:
    """A divisor and unit for money axes: millions, thousands or units of the currency."""
    top = max((abs(v) for v in values), default=0.0)
    if top >= 2_000_000:
        return 1_000_000.0, f"million {currency}"
    if top >= 20_000:
        return 1_000.0, f"thousand {currency}"
    return 1.0, currency


def _money_axis(divisor: float, signed: bool = False) -> FuncFormatter:
    digits = 1 if divisor > 1 else 0

    def fmt(x: float, _pos: Optional[int] = None) -> str:
        text = f"{abs(x) / divisor:,.{digits}f}"
        if text.strip("0.,") == "":
            return text
        return ("\u2212" if x < 0 else "+" if signed else "") + text

    return FuncFormatter(fmt)


_TEXT_PATH = TextToPath()


@functools.lru_cache(maxsize=8192)
def _text_metrics(text: str, prop: FontProperties) -> tuple[float, float, float]:
    return _TEXT_PATH.get_text_width_height_descent(text, prop, False)


class _Renderer(RendererSVG):
    """matplotlib's SVG renderer, measuring each plain string once per process.

    matplotlib caches measurements per renderer, and every chart gets a new one: the same tick labels,
    titles and legends would go through FreeType again in every chart of every report. The key holds the
    font's properties, all fixed by `RC`, so a cached measurement is the one FreeType would give.
    """

    def get_text_width_height_descent(self, s: str, prop: FontProperties, ismath: object) -> tuple[float, float, float]:
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        return _text_metrics(s, prop.copy())  # a copy: FontProperties is mutable and hashes by its state


def _num(x: float) -> str:
    """A coordinate as matplotlib writes it in SVG (six decimals at most, no trailing zeros)."""
    return f"{x:f}".rstrip("0").rstrip(".")


_IDS = re.compile(r'\bid="([^"]+)"')
_SIZE = re.compile(r'width="[^"]*" height="[^"]*" viewBox="[^"]*"')
_BACKGROUND = re.compile(r'(<g id="patch_1">\s*<path d=")[^"]*(")')
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def _draw_svg(fig: Figure) -> str:
    """The figure drawn once, framed by a viewBox around everything drawn plus `PAD_IN`.

    The same frame as `savefig(bbox_inches="tight")`, which draws every figure twice (once to find the box,
    once to write it, moved into it); text layout dominates each draw.
    """
    FigureCanvasSVG(fig)  # as savefig would: an artist asking for the canvas gets the SVG one
    fig.set_dpi(72)  # SVG user units are points
    buf = io.StringIO()
    w_in, h_in = fig.get_size_inches()
    svg_renderer = _Renderer(w_in * 72, h_in * 72, buf, image_dpi=72, metadata=_NO_METADATA)
    renderer = MixedModeRenderer(fig, w_in, h_in, 72, svg_renderer)
    fig.draw(renderer)
    box = fig.get_tightbbox(renderer).padded(PAD_IN)  # inches from the bottom left, on the layout just drawn
    renderer.finalize()
    x0, y0, x1, y1 = (float(v) * 72 for v in box.extents)
    left, top, right, bottom = x0, h_in * 72 - y1, x1, h_in * 72 - y0  # SVG counts y down from the top
    frame = f"{_num(left)} {_num(top)} {_num(right - left)} {_num(bottom - top)}"
    svg, n = _SIZE.subn(f'width="{_num(right - left)}pt" height="{_num(bottom - top)}pt" viewBox="{frame}"', buf.getvalue(), count=1)
    # The figure's background fills the frame, which may reach past the figure (a legend below the axes).
    corners = "".join(f"{op} {_num(x)} {_num(y)} \n" for op, x, y in
                      (("M", left, bottom), ("L", right, bottom), ("L", right, top), ("L", left, top))) + "z\n"
    svg, m = _BACKGROUND.subn(lambda g: g.group(1) + corners + g.group(2), svg, count=1)
    assert n == 1 and m == 1, "matplotlib's SVG head or background changed shape"
    return svg


def _to_svg(fig: Figure, name: str, title: str) -> Markup:
    """The figure as an inline `<svg>` element (no XML prologue, no metadata, ids prefixed)."""
    svg = _draw_svg(fig)
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


def _figure(height: float) -> tuple[Figure, Axes]:
    # A Figure of its own, never pyplot's: pyplot keeps process-wide state, and two plans may render at once.
    fig = Figure(figsize=(WIDTH_IN, height))
    return fig, fig.subplots()


def _date_axis(ax: Axes, first: dt.date, last: dt.date) -> None:
    """Month ticks on calendar boundaries (January, then every step months), as many as fit."""
    months = max(1, (last.year - first.year) * 12 + last.month - first.month)
    step = 1 if months <= 8 else 2 if months <= 16 else 3 if months <= 30 else 6 if months <= 60 else 12
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))


def _label(ax: Axes, x: float, y: float, text: str, where: str, **kw: object) -> None:
    """A value label clear of its bar: `where` is right/left (horizontal bars) or above/below (columns), 3 points away."""
    offset = {"right": (3, 0), "left": (-3, 0), "above": (0, 3), "below": (0, -3)}[where]
    align = {"right": ("left", "center"), "left": ("right", "center"), "above": ("center", "bottom"), "below": ("center", "top")}[where]
    ax.annotate(text, (x, y), xytext=offset, textcoords="offset points", ha=align[0], va=align[1], fontsize=kw.pop("fontsize", 7.5),
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}, **kw)


# ----------------------------------------------------------------------------- executive


def horizon_cost(ctx: ReportContext) -> Markup:
    """Staying put against the plan as its waves land, over the horizon: run, egress and one-time cost."""
    t, h, cur = ctx.totals, ctx.horizon_months, ctx.currency
    title = f"Cost over the {h}-month horizon"
    with _style():
        fig, ax = _figure(1.9)
        labels = ["Staying put", "The plan, as the waves land"]
        run = [h * t.monthly_run_before, t.plan_run]
        egress = [h * t.monthly_egress_before, t.plan_egress]
        once = [0.0, t.one_time_cost]
        totals = [t.stay_put_horizon_cost, t.plan_cost]
        div, unit = _scale(totals, cur)
        y = [1, 0]
        ax.barh(y, run, color=BLUE, label="run cost", height=0.55)
        ax.barh(y, egress, left=run, color=TEAL, label="network egress", height=0.55)
        ax.barh(y, once, left=[r + e for r, e in zip(run, egress)], color=AMBER, label="one-time migration", height=0.55)
        for yy, total in zip(y, totals):
            _label(ax, total, yy, board(total, cur), "right", fontsize=8)
        ax.set_yticks(y, labels)
        ax.xaxis.set_major_formatter(_money_axis(div))
        ax.set_xlim(0, max(totals + [1.0]) * 1.22)
        ax.set_xlabel(f"Cost over the horizon ({unit}; the axis starts at zero)")
        ax.set_title(title, loc="left")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="upper center", ncol=3, bbox_to_anchor=(0.5, -0.42))
        return _to_svg(fig, "horizon-cost", title)


def monthly_cost(ctx: ReportContext) -> Markup:
    """Monthly run + egress cost from zero (staying put and the plan as the waves land), and the monthly saving beneath."""
    cur = ctx.currency
    title = "Monthly run cost: staying put against the plan as the waves land"
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 3.6))
        ax, bx = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.6, 1.0]})
        # Each month's value holds from its first day to the next month's: steps, closed at the horizon's end.
        xs = [r.start for r in ctx.months] + ([ctx.horizon_end + dt.timedelta(days=1)] if ctx.months else [])
        stay = [r.stay_put for r in ctx.months] + [r.stay_put for r in ctx.months[-1:]]
        planned = [r.planned for r in ctx.months] + [r.planned for r in ctx.months[-1:]]
        div, unit = _scale(stay + planned, cur)
        ax.plot(xs, stay, color=GREY, linestyle="--", linewidth=1.5, label="staying put", drawstyle="steps-post")
        ax.plot(xs, planned, color=BLUE, linewidth=2.0, label="the plan (a move counts from the day after its wave)",
                drawstyle="steps-post")
        ax.set_ylim(0, max(stay + planned + [1.0]) * 1.12)
        ax.yaxis.set_major_formatter(_money_axis(div))
        ax.set_ylabel(f"Per month ({unit})")
        ax.set_title(title, loc="left")
        ax.legend(loc="lower left", ncol=2)
        saving = [r.stay_put - r.planned for r in ctx.months]
        sdiv, sunit = _scale(saving, cur)
        width = [(b - a).days for a, b in zip(xs[:-1], xs[1:])]
        bx.bar([mdates.date2num(d) for d in xs[:-1]], saving, width=[w * 0.85 for w in width], align="edge",
               color=[GREEN if v >= 0 else RED for v in saving])
        bx.axhline(0, color="#333333", linewidth=0.8)
        low, high = min(saving + [0.0]), max(saving + [0.0])
        span = max(high - low, 1.0)
        bx.set_ylim(low - 0.12 * span if low < 0 else 0, high + 0.12 * span)
        bx.yaxis.set_major_formatter(_money_axis(sdiv, signed=True))
        bx.set_ylabel(f"Saving ({sunit})")
        bx.set_xlabel("Month (one-time migration costs are not in this chart)")
        if xs:
            _date_axis(bx, xs[0], xs[-1])
        return _to_svg(fig, "monthly-cost", title)


def cost_by_year(ctx: ReportContext) -> Markup:
    """Per year of the horizon: staying put and the plan, each split by site kind (run cost), egress and one-time cost."""
    cur = ctx.currency
    title = "Cost per year by site kind: staying put (left) and the plan (right)"
    with _style():
        fig, ax = _figure(2.8)
        n = len(ctx.years)
        xs = np.arange(n, dtype=float)
        w = 0.36
        tops = [max(y.stay_put, y.planned + y.one_time) for y in ctx.years]
        div, unit = _scale(tops, cur)
        for side, dx in (("stay", -w / 2 - 0.02), ("plan", w / 2 + 0.02)):
            bottom = np.zeros(n)
            for k, kind in enumerate(ctx.kinds):
                vals = np.array([(y.stay_run_by_kind if side == "stay" else y.run_by_kind)[k] for y in ctx.years])
                ax.bar(xs + dx, vals, w, bottom=bottom, color=KIND_COLOURS[kind], label=KIND_LABELS[kind] if side == "stay" else None)
                bottom += vals
            egress = np.array([(y.stay_egress if side == "stay" else y.planned_egress) for y in ctx.years])
            ax.bar(xs + dx, egress, w, bottom=bottom, color=TEAL, label="network egress" if side == "stay" else None)
            bottom += egress
            if side == "plan":
                once = np.array([y.one_time for y in ctx.years])
                ax.bar(xs + dx, once, w, bottom=bottom, color=AMBER, label="one-time migration")
                bottom += once
            for x, top in zip(xs + dx, bottom):
                _label(ax, x, top, "stay" if side == "stay" else "plan", "above", fontsize=7, color="#5b6675")
        ax.set_xticks(xs, [f"Year {y.number}\n{y.start:%b %Y}–{y.end:%b %Y}\n"
                           + (f"saves {board(y.saving, cur)}" if y.saving >= 0 else f"costs {board(-y.saving, cur)} more")
                           for y in ctx.years])
        ax.yaxis.set_major_formatter(_money_axis(div))
        ax.set_ylim(0, max(tops + [1.0]) * 1.15)
        ax.set_ylabel(f"Cost in the year ({unit})")
        ax.set_title(title, loc="left")
        ax.grid(axis="x", visible=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.36), ncol=5)
        return _to_svg(fig, "cost-by-year", title)


def by_country(ctx: ReportContext) -> Markup:
    """Per country of the site: workloads and run cost per month, today and after the plan."""
    cur = ctx.currency
    title = "By country: workloads and monthly run cost, today and after the plan"
    rows = sorted((r for r in ctx.by_country if r.before or r.after), key=lambda r: (-max(r.before, r.after), r.key))
    with _style():
        fig = Figure(figsize=(WIDTH_IN, 1.0 + 0.34 * max(len(rows), 1)))
        ax1, ax2 = fig.subplots(1, 2, sharey=True)
        ys = np.arange(len(rows), dtype=float)
        h = 0.38
        money_top = max([max(r.monthly_before, r.monthly_after) for r in rows] + [1.0])
        div, unit = _scale([money_top], cur)
        for ax, before, after, sub, fmt_value in (
                (ax1, [r.before for r in rows], [r.after for r in rows], "Workloads", lambda v: f"{v:,.0f}"),
                (ax2, [r.monthly_before for r in rows], [r.monthly_after for r in rows], f"Run cost per month ({unit})",
                 lambda v: board(v, cur))):
            ax.barh(ys - h / 2, before, h, color=GREY, label="today")
            ax.barh(ys + h / 2, after, h, color=BLUE, label="after the plan")
            for y, b, a in zip(ys, before, after):
                if b or ax is ax1:  # no label for no money; a country new to the estate still shows "0" workloads today
                    _label(ax, b, y - h / 2, fmt_value(b), "right", fontsize=6.5, color="#5b6675")
                if a or ax is ax1:
                    _label(ax, a, y + h / 2, fmt_value(a), "right", fontsize=6.5)
            ax.set_xlim(0, max(before + after + [1.0]) * 1.35)
            ax.set_xlabel(sub + "; from zero")
            ax.grid(axis="y", visible=False)
        ax1.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax1.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos=None: f"{x:,.0f}"))
        ax2.xaxis.set_major_formatter(_money_axis(div))
        ax2.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax1.set_yticks(ys, [_plain(r.key) for r in rows])
        ax1.set_ylim(len(rows) - 0.4, -0.6)
        ax1.set_ylabel("Country of the site")
        ax2.legend(loc="lower right")
        fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return _to_svg(fig, "by-country", title)


def capacity(ctx: ReportContext) -> Markup:
    """Own data centres and edge sites: the fullest resource's share of capacity, today and after each wave that moves something."""
    title = "Capacity use of own data centres and edge sites over the programme"
    tracks = sorted(ctx.capacity_tracks, key=lambda c: (ctx.kinds.index(c.kind), c.site))
    steps = ctx.capacity_steps
    with _style():
        fig, ax = _figure(1.3 + 0.26 * max(len(tracks), 1))
        values = np.array([c.uses for c in tracks], dtype=float).reshape(len(tracks), len(steps))
        cmap = ListedColormap(USE_COLOURS)
        norm = BoundaryNorm(USE_BOUNDS, cmap.N)
        mesh = ax.pcolormesh(np.arange(len(steps) + 1), np.arange(len(tracks) + 1), np.minimum(values, 1.2), cmap=cmap, norm=norm,
                             edgecolors="white", linewidth=1.0)
        if len(steps) <= 24:
            for i in range(len(tracks)):
                for j in range(len(steps)):
                    v = values[i, j]
                    text = ">100" if v > 1.0 + 1e-9 and round(100 * v) <= 100 else f"{100 * v:.0f}"  # over is never shown as 100
                    ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=6.5,
                            color="white" if v >= 0.5 else "#1b2430")
        ax.set_xticks(np.arange(len(steps)) + 0.5, [f"{s.label}\n{s.day:%b %Y}" for s in steps], fontsize=6.5,
                      rotation=0 if len(steps) <= 12 else 90)
        ax.set_yticks(np.arange(len(tracks)) + 0.5,
                      [_plain(f"{c.site} ({'edge' if c.kind == 'edge' else 'own'}{', closes ' + c.closes.isoformat() if c.closes else ''})")
                       for c in tracks])
        ax.set_ylim(len(tracks), 0)
        ax.grid(False)
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel("Today, then the day after each wave that moves workloads (cells: % of the fullest resource)")
        ax.set_title(title, loc="left")
        bar = fig.colorbar(mesh, ax=ax, fraction=0.035, pad=0.02, ticks=[0, 0.5, 0.9, 1.0], spacing="proportional")
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        bar.ax.tick_params(labelsize=7)
        bar.outline.set_visible(False)
        return _to_svg(fig, "capacity", title)


# ----------------------------------------------------------------------------- roadmap


def gantt(ctx: ReportContext) -> Markup:
    """The waves that move workloads as bars from first to last day, coloured by phase, with the DC closing dates."""
    title = "Migration waves by date and phase"
    waves = ctx.busy_waves
    closing = sorted((c for c in ctx.closing_sites if c.in_horizon), key=lambda c: (c.closes, c.site))
    height = 1.5 + 0.3 * max(len(waves), 1)
    with _style():
        fig, ax = _figure(height)
        phases = list(dict.fromkeys(w.phase for w in waves))
        colour = {p: PHASE_COLOURS[i % len(PHASE_COLOURS)] for i, p in enumerate(phases)}
        # The frame is the whole horizon, so the programme's shape (early, late, gaps) shows at a glance.
        lo = mdates.date2num(ctx.start)
        hi = mdates.date2num(max([ctx.horizon_end] + [w.end for w in waves]))
        pad = 0.01 * (hi - lo)
        for i, w in enumerate(waves):
            left = mdates.date2num(w.start)
            width = (w.end - w.start).days + 1
            ax.barh(i, width, left=left, height=0.62, color=colour[w.phase], edgecolor="white", linewidth=0.5)
            label = f"{w.workloads:,} workload{'s' if w.workloads != 1 else ''} · {w.group_count:,} group{'s' if w.group_count != 1 else ''}" \
                + (" · pilot" if w.pilot else "")
            if left + width > lo + 0.72 * (hi - lo):  # near the right edge: the label goes before the bar
                _label(ax, left, i, label, "left")
            else:
                _label(ax, left + width, i, label, "right")
        for k, c in enumerate(closing):
            x = mdates.date2num(c.closes)
            ax.axvline(x, color=RED, linestyle=":", linewidth=1.2)
            right = x > lo + 0.7 * (hi - lo)
            ax.annotate(f"{_plain(c.site)} closes {c.closes:%d %b %Y}", (x, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(-3 if right else 3, 3 + 10 * k), textcoords="offset points", ha="right" if right else "left",
                        va="bottom", color=RED, fontsize=7)
        ax.set_xlim(lo - pad, hi + pad)
        _date_axis(ax, ctx.start, ctx.horizon_end)
        ax.set_yticks(list(range(len(waves))), [f"Wave {w.number}" for w in waves])
        ax.set_ylim(len(waves) - 0.4, -0.6)
        ax.set_xlabel(f"The horizon, {ctx.start:%b %Y} to {ctx.horizon_end:%b %Y} (each bar runs from the wave's first to its last day)")
        ax.set_title(title, loc="left", pad=8 + 10 * len(closing))
        ax.grid(axis="y", visible=False)
        handles = [matplotlib.patches.Patch(color=colour[p], label=_plain(p)) for p in phases]
        if handles:
            # Below the axis label: about half an inch down, whatever the chart's height.
            ax.legend(handles=handles, title="Phase", loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(height - 0.9, 0.5)),
                      ncol=min(len(handles), 6), fontsize=7.5, title_fontsize=7.5)
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
        ax.fill_between(xs, ys, 0, where=[y < 0 for y in ys], color=RED, alpha=0.15, interpolate=True)
        ax.fill_between(xs, ys, 0, where=[y >= 0 for y in ys], color=GREEN, alpha=0.12, interpolate=True)
        ax.axhline(0, color="#333333", linewidth=0.8)
        if ctx.break_even is not None and xs:
            be = ctx.break_even
            at = xs[be.month]
            ax.axvline(at, color=BLUE, linestyle="--", linewidth=1.0)
            ax.annotate(f"break-even: month {be.month} ({be.start:%b %Y})", (mdates.date2num(at), 0), xytext=(6, 12),
                        textcoords="offset points", fontsize=8, color=BLUE,
                        bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
        ax.yaxis.set_major_formatter(_money_axis(div, signed=True))
        if xs:
            _date_axis(ax, xs[0], xs[-1])
        ax.set_ylabel(f"Cumulative savings ({unit})")
        ax.set_xlabel("Month")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left")
        return _to_svg(fig, "cumulative-savings", title)


# ----------------------------------------------------------------------------- compliance


def checks(ctx: ReportContext) -> Markup:
    """Per policy and rule, the share of its checks that pass, pass near the limit (borderline) and fail."""
    comp = ctx.compliance
    title = "Compliance checks per policy and rule: pass, borderline and fail"
    rows = [s for s in comp.summaries if s.governed]
    height = 1.1 + 0.26 * max(len(rows), 1)
    with _style():
        fig, ax = _figure(height)
        ys = np.arange(len(rows), dtype=float)
        total = np.array([max(s.governed, 1) for s in rows], dtype=float)
        clear = np.array([s.passed - s.borderline for s in rows]) / total
        near = np.array([s.borderline for s in rows]) / total
        fail = np.array([s.failed for s in rows]) / total
        ax.barh(ys, clear, color=GREEN, height=0.6, label="pass")
        ax.barh(ys, near, left=clear, color=AMBER, height=0.6, label="pass, borderline")
        ax.barh(ys, fail, left=clear + near, color=RED, height=0.6, label="fail")
        for y, s in zip(ys, rows):
            text = f"{s.governed:,} {s.unit}" + (f", {s.borderline:,} borderline" if s.borderline else "") + \
                (f", {s.failed:,} FAIL" if s.failed else "")
            _label(ax, 1.0, y, text, "right", fontsize=7)
        ax.set_yticks(ys, [_plain(f"residency: {s.key.split(':', 1)[1]}" if s.key.startswith("residency:") else s.label) for s in rows])
        ax.set_ylim(len(rows) - 0.4, -0.6)
        ax.set_xlim(0, 1.75)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Share of the checks (one per workload, path, site resource or group)")
        ax.set_title(title, loc="left")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.45 / max(height - 0.8, 0.5)), ncol=3, fontsize=7)
        return _to_svg(fig, "checks", title)


def monthly_emissions(ctx: ReportContext) -> Markup:
    """Monthly tCO2e from zero, staying put against the plan as its waves land (the twin of the monthly cost chart)."""
    story = ctx.carbon
    assert story is not None
    title = "Monthly emissions: staying put against the plan as the waves land"
    with _style():
        fig, ax = _figure(2.4)
        xs = [m.start for m in story.months] + ([ctx.horizon_end + dt.timedelta(days=1)] if story.months else [])
        stay = [m.stay_put for m in story.months] + [m.stay_put for m in story.months[-1:]]
        planned = [m.planned for m in story.months] + [m.planned for m in story.months[-1:]]
        ax.plot(xs, stay, color=GREY, linestyle="--", linewidth=1.5, label="staying put", drawstyle="steps-post")
        ax.plot(xs, planned, color=BLUE, linewidth=2.0, label="the plan (a move counts from the day after its wave)",
                drawstyle="steps-post")
        ax.set_ylim(0, max(stay + planned + [1e-6]) * 1.15)
        ax.set_ylabel("tCO2e per month")
        ax.set_title(title, loc="left")
        ax.legend(loc="lower left", ncol=2)
        if xs:
            _date_axis(ax, xs[0], xs[-1])
        return _to_svg(fig, "monthly-emissions", title)


CHARTS: dict[str, dict[str, Callable[[ReportContext], Markup]]] = {
    "executive": {"horizon_cost": horizon_cost, "monthly_cost": monthly_cost, "cost_by_year": cost_by_year, "by_country": by_country,
                  "capacity": capacity, "monthly_emissions": monthly_emissions},
    "roadmap": {"gantt": gantt, "cumulative_savings": cumulative_savings},
    "compliance": {"checks": checks},
}


_DRAWN: "OrderedDict[tuple[str, bytes], dict[str, Markup]]" = OrderedDict()
_DRAWN_MAX = 16
# Above this many workloads the context holds per-workload evidence arrays: digesting it costs time and memory, and
# such plans are rendered once per process anyway.
_DRAWN_UP_TO = 50_000
_DRAWN_LOCK = threading.Lock()


def charts_for(report: str, ctx: ReportContext) -> dict[str, Markup]:
    """The charts one report shows (none for an infeasible plan: there is nothing to draw; none without their data).

    Drawing costs more than everything else a report does, and the charts are a function of the context alone, so
    a process that renders the same context again (a plan, then its reports rendered again) draws them once.
    """
    if not ctx.feasible:
        return {}
    if ctx.workloads > _DRAWN_UP_TO:
        return _draw(report, ctx)
    key = (report, hashlib.sha256(pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL)).digest())
    with _DRAWN_LOCK:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return dict(_DRAWN[key])
    out = _draw(report, ctx)
    with _DRAWN_LOCK:
        _DRAWN[key] = dict(out)
        while len(_DRAWN) > _DRAWN_MAX:
            _DRAWN.popitem(last=False)
    return out


def _draw(report: str, ctx: ReportContext) -> dict[str, Markup]:
    out = {}
    for name, make in CHARTS.get(report, {}).items():
        if name == "capacity" and not ctx.capacity_tracks:
            continue
        if name == "gantt" and not ctx.busy_waves:
            continue
        if name == "monthly_emissions" and ctx.carbon is None:
            continue
        out[name] = make(ctx)
    return out


__all__ = ["CHARTS", "charts_for"]
