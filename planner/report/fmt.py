"""Number, money and date formatting for the reports (Jinja filters); Markdown escaping is :mod:`planner.untrusted`'s.

Every formatter is a pure function of its input, so a report's bytes depend on the plan
alone. Money keeps its cents (the numbers must equal plan.json's) with thousands
separators and the scenario currency's code.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from ..untrusted import markdown, markdown_finalize


def money(value: float, currency: str, cents: bool = True) -> str:
    """`9,518,373.66 EUR`; negative amounts keep their sign (`-1,200.00 EUR`)."""
    value = round(float(value), 2) + 0.0
    text = f"{value:,.2f}" if cents else f"{round(value):,.0f}"
    return f"{text} {currency}"


def number(value: float, digits: int = 0) -> str:
    """`1,234` (or `1,234.5` with `digits=1`)."""
    value = round(float(value), digits) + 0.0
    return f"{value:,.{digits}f}"


def percent(value: Optional[float], digits: int = 1) -> str:
    """A ratio as a percentage: 0.0695 -> `7.0 %`; None -> `n/a`."""
    if value is None:
        return "n/a"
    return f"{round(100.0 * float(value), digits) + 0.0:,.{digits}f} %"


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


# Markdown escaping lives with every other output's escaping in planner.untrusted; the report
# filters and older callers keep these names.
md_escape = markdown
md_finalize = markdown_finalize


__all__ = ["iso", "md_escape", "md_finalize", "money", "month_label", "ms", "number", "percent"]
