"""The comparison's charts as inline SVG, written by hand: fast, byte-for-byte deterministic, no fonts measured.

- horizon cost by scenario, split into run, egress and one-time (horizontal stacked bars);
- cumulative savings of every scenario on one axis (the cash view, month by month);
- placement by site kind per scenario (stacked bars of workload counts);
- with two plans or more, horizon cost against emissions, the non-dominated plans joined.

Every label is untrusted text (scenario ids and names come from file names and overlays):
it is escaped for HTML and has invisible characters shown (:func:`planner.base.untrusted.html_finalize`).
Each SVG has `role="img"`, a `<title>` and ids prefixed with its name.
"""

from __future__ import annotations

import math
from typing import Sequence

from markupsafe import Markup

from planner.base.untrusted import html_finalize
from planner.compare.model import Comparison
from planner.compare.pareto import ParetoRow

WIDTH = 680
LABEL_W = 150  # the left column of scenario labels
BAR_H, BAR_GAP = 18, 8
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
PARTS = (("run", "Run", "#1f4e79"), ("egress", "Egress", "#2e86ab"), ("one_time", "One-time", "#e0a100"))
KINDS = (("onprem", "Own data centres", "#5c6f82"), ("azure", "Azure", "#0078d4"), ("edge", "Edge", "#e07a10"))
LINES = ("#1f4e79", "#c8553d", "#2e7d32", "#8e5ea2", "#e0a100", "#17becf", "#5c6f82", "#d62728", "#52a675", "#9467bd")
DASHES = ("", "6 3", "2 2", "8 3 2 3")


def _t(value: object) -> str:
    return str(html_finalize(value))


def _n(x: float) -> str:
    """A coordinate: one decimal, no `-0`."""
    return f"{round(x, 1) + 0.0:g}"


def _short(x: float, currency: str) -> str:
    if abs(x) >= 1_000_000:
        return f"{x / 1_000_000:,.2f} M {currency}"
    if abs(x) >= 10_000:
        return f"{x / 1_000:,.0f} k {currency}"
    return f"{x:,.0f} {currency}"


def _label(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(low / step) * step
    out = []
    x = first
    while x <= high + step * 0.001:
        out.append(round(x, 6) + 0.0)
        x += step
    return out


def _svg(name: str, title: str, height: float, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{name}-title" class="chart" '
            f'viewBox="0 0 {WIDTH} {_n(height)}" width="{WIDTH}" height="{_n(height)}" {FONT} font-size="11">')
    return Markup("\n".join([head, f'<title id="{name}-title">{_t(title)}</title>', *body, "</svg>"]))


def _legend(items: Sequence[tuple[str, str]], y: float, x0: float = LABEL_W) -> list[str]:
    out, x = [], x0
    for label, colour in items:
        out.append(f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{_n(x + 14)}" y="{_n(y)}">{_t(label)}</text>')
        x += 24 + 6.5 * len(label)
    return out


def horizon_cost(c: Comparison) -> Markup:
    """Horizon cost of each scenario with a plan, split into run, egress and one-time; staying put marked."""
    rows = c.scenarios
    currency = c.base.figures.currency
    top = max([s.figures.horizon_cost or 0.0 for s in rows] + [s.figures.stay_put_cost for s in rows] + [1.0])
    plot_w = WIDTH - LABEL_W - 90
    height = 34 + len(rows) * (BAR_H + BAR_GAP) + 40
    body: list[str] = []
    for tick in _ticks(0.0, top):
        x = LABEL_W + plot_w * tick / top
        if tick <= top * 1.0001:
            body.append(f'<line x1="{_n(x)}" y1="14" x2="{_n(x)}" y2="{_n(height - 44)}" stroke="#dddddd"/>')
            body.append(f'<text x="{_n(x)}" y="{_n(height - 32)}" text-anchor="middle" fill="#5b6675">{_t(_short(tick, currency))}</text>')
    for k, s in enumerate(rows):
        y = 18 + k * (BAR_H + BAR_GAP)
        f = s.figures
        star = " ★" if s.id == c.cheapest else ""
        body.append(f'<text x="{LABEL_W - 6}" y="{_n(y + 13)}" text-anchor="end">{_t(_label(s.id) + star)}</text>')
        if not f.has_plan:
            body.append(f'<text x="{LABEL_W + 4}" y="{_n(y + 13)}" fill="#c62828">no plan: {_t(f.status)}</text>')
            continue
        x = float(LABEL_W)
        for key, label, colour in PARTS:
            value = {"run": f.horizon_run_cost, "egress": f.horizon_egress_cost, "one_time": f.one_time_cost}[key] or 0.0
            w = plot_w * value / top
            if w > 0:
                body.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{BAR_H}" fill="{colour}">'
                            f'<title>{_t(s.id)}: {label} {_t(_short(value, currency))}</title></rect>')
            x += w
        body.append(f'<text x="{_n(x + 5)}" y="{_n(y + 13)}">{_t(_short(f.horizon_cost or 0.0, currency))}</text>')
        stay = LABEL_W + plot_w * f.stay_put_cost / top
        body.append(f'<line x1="{_n(stay)}" y1="{_n(y - 3)}" x2="{_n(stay)}" y2="{_n(y + BAR_H + 3)}" stroke="#c62828" stroke-width="2.5">'
                    f'<title>{_t(s.id)}: staying put {_t(_short(f.stay_put_cost, currency))}</title></line>')
    body += _legend([(label, colour) for _, label, colour in PARTS] + [("Staying put", "#c62828")], height - 10)
    return _svg("cmp-horizon", f"Horizon cost by scenario ({currency}): run, egress and one-time; the red mark is staying put",
                height, body)


def savings_curves(c: Comparison) -> Markup:
    """Cumulative savings against staying put, month by month, one line per scenario with a plan."""
    rows = [s for s in c.scenarios if s.figures.has_plan and s.figures.cumulative_savings]
    currency = c.base.figures.currency
    months = max([len(s.figures.cumulative_savings) for s in rows] + [1])
    values = [v for s in rows for v in s.figures.cumulative_savings] + [0.0]
    low, high = min(values), max(values)
    if high - low < 1:
        high = low + 1
    left, right, top_y, plot_h = 70.0, WIDTH - 20.0, 14.0, 200.0
    legend_rows = math.ceil(len(rows) / 4) if rows else 1
    height = top_y + plot_h + 34 + 16 * legend_rows

    def px(m: int) -> float:
        return left + (right - left) * (m - 1) / max(1, months - 1)

    def py(v: float) -> float:
        return top_y + plot_h * (high - v) / (high - low)

    body: list[str] = []
    for tick in _ticks(low, high):
        if low - 1e-9 <= tick <= high + 1e-9:
            body.append(f'<line x1="{_n(left)}" y1="{_n(py(tick))}" x2="{_n(right)}" y2="{_n(py(tick))}" stroke="#dddddd"/>')
            body.append(f'<text x="{_n(left - 5)}" y="{_n(py(tick) + 4)}" text-anchor="end" fill="#5b6675">{_t(_short(tick, currency))}</text>')
    body.append(f'<line x1="{_n(left)}" y1="{_n(py(0.0))}" x2="{_n(right)}" y2="{_n(py(0.0))}" stroke="#1b2430" stroke-width="1.2"/>')
    step = max(1, months // 6)
    for m in range(1, months + 1, step):
        body.append(f'<text x="{_n(px(m))}" y="{_n(top_y + plot_h + 14)}" text-anchor="middle" fill="#5b6675">month {m}</text>')
    for k, s in enumerate(rows):
        colour, dash = LINES[k % len(LINES)], DASHES[(k // len(LINES)) % len(DASHES)]
        points = " ".join(f"{_n(px(m + 1))},{_n(py(v))}" for m, v in enumerate(s.figures.cumulative_savings))
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        width = 2.6 if s.id == c.cheapest else 1.6
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="{width}"{extra}>'
                    f'<title>{_t(s.id)}</title></polyline>')
        lx = 20 + (k % 4) * 165
        ly = top_y + plot_h + 34 + 16 * (k // 4)
        body.append(f'<line x1="{lx}" y1="{_n(ly - 4)}" x2="{lx + 18}" y2="{_n(ly - 4)}" stroke="{colour}" stroke-width="2.4"{extra}/>')
        body.append(f'<text x="{lx + 23}" y="{_n(ly)}">{_t(_label(s.id, 20))}</text>')
    return _svg("cmp-savings", f"Cumulative savings against staying put ({currency}), month by month, every scenario", height, body)


def placement(c: Comparison) -> Markup:
    """Workloads by site kind after each scenario's plan (today's placement where it has none)."""
    rows = c.scenarios
    plot_w = WIDTH - LABEL_W - 20
    height = 18 + len(rows) * (BAR_H + BAR_GAP) + 30
    body: list[str] = []
    for k, s in enumerate(rows):
        y = 14 + k * (BAR_H + BAR_GAP)
        counts = dict(s.figures.by_kind)
        total = sum(counts.values()) or 1
        faded = "" if s.figures.has_plan else ' opacity="0.4"'  # no plan: today's placement, faded
        body.append(f'<text x="{LABEL_W - 6}" y="{_n(y + 13)}" text-anchor="end">{_t(_label(s.id))}</text>')
        x = float(LABEL_W)
        for key, label, colour in KINDS:
            n = counts.get(key, 0)
            w = plot_w * n / total
            if w > 0:
                body.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{BAR_H}" fill="{colour}"{faded}>'
                            f'<title>{_t(s.id)}: {n:,} on {label.lower()}{" today (no plan)" if faded else ""}</title></rect>')
                if w > 34:
                    body.append(f'<text x="{_n(x + w / 2)}" y="{_n(y + 13)}" text-anchor="middle" fill="#ffffff">{n:,}</text>')
            x += w
    body += _legend([(label, colour) for _, label, colour in KINDS], height - 8)
    if any(not s.figures.has_plan for s in rows):
        body.append(f'<text x="{WIDTH - 10}" y="{_n(height - 8)}" text-anchor="end" fill="#5b6675">faded: no plan, today\'s placement</text>')
    return _svg("cmp-placement", "Workloads by site kind in each scenario", height, body)


def pareto(rows: Sequence[ParetoRow], currency: str) -> Markup:
    """Horizon cost against emissions as inline SVG (hand-written, deterministic): one dot per plan, the frontier joined."""
    left, right, top_y, bottom = 80.0, 20.0, 20.0, 50.0
    height = 300.0
    xs = [r.emissions_tonnes for r in rows]
    ys = [r.horizon_cost for r in rows]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    x0, x1 = (x0 - 1, x1 + 1) if x1 - x0 < 1e-9 else (x0 - 0.05 * (x1 - x0), x1 + 0.05 * (x1 - x0))
    y0, y1 = (y0 - 1, y1 + 1) if y1 - y0 < 1e-9 else (y0 - 0.05 * (y1 - y0), y1 + 0.05 * (y1 - y0))
    pw, ph = WIDTH - left - right, height - top_y - bottom

    def px(v: float) -> float:
        return left + pw * (v - x0) / (x1 - x0)

    def py(v: float) -> float:
        return top_y + ph * (1 - (v - y0) / (y1 - y0))

    body: list[str] = []
    for t in _ticks(x0, x1):
        if x0 <= t <= x1:
            body.append(f'<line x1="{_n(px(t))}" y1="{_n(top_y)}" x2="{_n(px(t))}" y2="{_n(top_y + ph)}" stroke="#dddddd"/>')
            body.append(f'<text x="{_n(px(t))}" y="{_n(top_y + ph + 16)}" text-anchor="middle" fill="#5b6675">{_t(f"{t:g}")}</text>')
    for t in _ticks(y0, y1):
        if y0 <= t <= y1:
            body.append(f'<line x1="{_n(left)}" y1="{_n(py(t))}" x2="{_n(left + pw)}" y2="{_n(py(t))}" stroke="#dddddd"/>')
            body.append(f'<text x="{_n(left - 6)}" y="{_n(py(t) + 4)}" text-anchor="end" fill="#5b6675">{_t(_short(t, currency))}</text>')
    front = sorted((r for r in rows if r.non_dominated), key=lambda r: r.emissions_tonnes)
    if len(front) > 1:
        points = " ".join(f"{_n(px(r.emissions_tonnes))},{_n(py(r.horizon_cost))}" for r in front)
        body.append(f'<polyline points="{points}" fill="none" stroke="#2e7d32" stroke-width="2"/>')
    for r in rows:
        colour = "#2e7d32" if r.non_dominated else "#9aa5b1"
        body.append(f'<circle cx="{_n(px(r.emissions_tonnes))}" cy="{_n(py(r.horizon_cost))}" r="5" fill="{colour}">'
                    f'<title>{_t(r.id)}: {r.emissions_tonnes:,.3f} tCO2e, {_t(_short(r.horizon_cost, currency))}</title></circle>')
        body.append(f'<text x="{_n(px(r.emissions_tonnes) + 7)}" y="{_n(py(r.horizon_cost) - 7)}" font-size="9">{_t(r.id[:24])}</text>')
    body.append(f'<text x="{_n(left + pw / 2)}" y="{_n(height - 12)}" text-anchor="middle">Emissions over the horizon (tCO2e)</text>')
    return _svg("cmp-pareto", f"Horizon cost ({currency}) against emissions (tCO2e) of every plan; green: non-dominated",
                height, body)


def charts(c: Comparison) -> dict[str, Markup]:
    """Every chart of the comparison page, by name."""
    out = {"horizon_cost": horizon_cost(c), "savings": savings_curves(c), "placement": placement(c)}
    if c.pareto:
        out["pareto"] = pareto(c.pareto, c.base.figures.currency)
    return out


__all__ = ["charts", "horizon_cost", "pareto", "placement", "savings_curves"]
