"""The one number, money and date formatter: reports (as Jinja filters), diff, explain and the CI gate.

Markdown escaping is :mod:`planner.base.untrusted`'s.

Every formatter is a pure function of its input, so a report's bytes depend on the plan
alone. Two kinds of money: :func:`money` keeps its cents (what an auditor checks against the
plan file), :func:`board` rounds to thousands or millions (what a board reads). Either can
show the sign of a change (`signed=True`: `+1.2 M EUR`, `-213 k EUR`).
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from planner.base.untrusted import markdown, markdown_finalize


def _sign(value: float, text: str, signed: bool) -> str:
    """`-` before a negative amount, `+` before a positive one when `signed`; none before one that rounds to zero."""
    if text.strip("0.,") == "":
        return text
    if value < 0:
        return "-" + text
    return ("+" + text) if signed and value > 0 else text


def money(value: float, currency: Optional[str], cents: bool = True, signed: bool = False) -> str:
    """`9,518,373.66 EUR`; negative amounts keep their sign (`-1,200.00 EUR`), positive ones get `+` when `signed`;
    no currency gives the bare amount."""
    value = round(float(value), 2) + 0.0
    text = f"{abs(value):,.2f}" if cents else f"{abs(round(value)):,.0f}"
    text = _sign(value, text, signed)
    return f"{text} {currency}" if currency else text


# The symbols people type for a currency (`--fail-over €25000`), read back as its ISO code.
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "R$": "BRL"}


def board_number(value: float) -> str:
    """An amount rounded the way a board reads it: `8,800`, `45.2 k`, `488 k`, `1.78 M`, `326.5 M`, `1.25 bn`.

    About three significant figures; the unit is chosen after rounding, so 999,960 reads `1.00 M`, never `1,000 k`.
    """
    a = abs(float(value))
    if round(a) < 10_000:
        text = f"{round(a):,.0f}"
    elif round(a / 1e3) < 1_000:
        k = a / 1e3
        text = f"{k:,.1f} k" if round(k, 1) < 100 else f"{k:,.0f} k"
    elif round(a / 1e6, 1) < 1_000:
        m = a / 1e6
        text = f"{m:,.2f} M" if round(m, 2) < 10 else f"{m:,.1f} M"
    else:
        text = f"{a / 1e9:,.2f} bn"
    return _sign(float(value), text, False)


def board(value: float, currency: str, signed: bool = False) -> str:
    """Money for a board: `1.78 M EUR`, `-213 k EUR`, `+10.2 k EUR` (with `signed`)."""
    text = board_number(abs(float(value)))
    return f"{_sign(float(value), text, signed)} {currency}"


def kilo(value: float, signed: bool = False) -> str:
    """Thousands with one decimal, for a table whose header says `k EUR`: `812.8`, `-3,516.7`, `+10.2` (with `signed`)."""
    k = round(float(value) / 1000.0, 1) + 0.0
    return _sign(k, f"{abs(k):,.1f}", signed)


def amount(value: float, signed: bool = False) -> str:
    """Money with cents and no currency, for a table whose header names it: `1,234.50`, `+12.00` (with `signed`)."""
    value = round(float(value), 2) + 0.0
    return _sign(value, f"{abs(value):,.2f}", signed)


def number(value: float, digits: int = 0) -> str:
    """`1,234` (or `1,234.5` with `digits=1`)."""
    value = round(float(value), digits) + 0.0
    return f"{value:,.{digits}f}"


def percent(value: Optional[float], digits: int = 1, signed: bool = False) -> str:
    """A ratio as a percentage: 0.0695 -> `7.0 %` (`+7.0 %` with `signed`); None -> `n/a`."""
    if value is None:
        return "n/a"
    p = round(100.0 * float(value), digits) + 0.0
    return f"{_sign(p, f'{abs(p):,.{digits}f}', signed)} %"


def share(value: float) -> str:
    """A small share, such as a proof gap, to three significant digits: 0.0001 -> `0.01 %`, 0.0000758 -> `0.00758 %`."""
    return f"{float(value) * 100:.3g} %"


def saving(value: float, ratio: Optional[float], currency: str) -> str:
    """The plan's saving against staying put, worded the same in every output: `+408,535.73 EUR (4.1 % of staying put)`."""
    return f"{money(value, currency, signed=True)} ({percent(ratio)} of staying put)"


def horizon(start: dt.date, last_day: dt.date, months: int) -> str:
    """The horizon by its first and last day, as every output states it: `2027-01-01 to 2029-12-31 (36 months)`."""
    return f"{start.isoformat()} to {last_day.isoformat()} ({months} month{'s' if months != 1 else ''})"


def ms(value: float) -> str:
    """Latency in milliseconds: `30 ms`, `2.5 ms`, `no path`."""
    if value == float("inf"):
        return "no path"
    return f"{float(value):g} ms"


def month_label(day: dt.date) -> str:
    """`Aug 2027`."""
    return day.strftime("%b %Y")


def iso(day: Optional[dt.date]) -> str:
    return "-" if day is None else day.isoformat()


def plural(count: int, singular: str, many: Optional[str] = None) -> str:
    """`1 workload`, `2,000 workloads` (`many` for irregular plurals: `dependency` / `dependencies`)."""
    word = singular if count == 1 else (many or singular + "s")
    return f"{count:,} {word}"


def wave_span(first: int, last: int) -> str:
    """`wave 7` or `waves 10 to 35`."""
    return f"wave {first}" if first == last else f"waves {first} to {last}"


# Markdown escaping lives with every other output's escaping in planner.base.untrusted; the report
# filters and older callers keep these names.
md_escape = markdown
md_finalize = markdown_finalize


__all__ = ["CURRENCY_SYMBOLS", "amount", "board", "board_number", "horizon", "iso", "kilo", "md_escape", "md_finalize", "money", "month_label", "ms", "number", "saving",
           "percent", "plural", "wave_span"]
