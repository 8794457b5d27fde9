"""comparison.json, comparison.html and comparison.md: pure functions of one :class:`Comparison`.

The pages are Jinja templates beside the reports' (`templates/comparison.html`, `.md`,
extending `base.html` / `base.md`), rendered in the reports' sandboxed, escaping environment
(:func:`planner.outputs.report.render.environment`), so every scenario name and id is inert text.
"""

from __future__ import annotations

from typing import Optional

from planner.base.untrusted import json_text
from planner.compare.model import Comparison

TITLE = "What-if scenarios, side by side"
FILES = ("comparison.html", "comparison.md", "comparison.json")


def _delta(currency: str):  # noqa: ANN202 - a Jinja filter
    def delta(value: Optional[float]) -> str:
        """`+1,234.00 EUR`, `-12.50 EUR`, `±0.00 EUR`; `n/a` when not comparable."""
        if value is None:
            return "n/a"
        x = round(float(value), 2) + 0.0
        sign = "+" if x > 0 else ("±" if x == 0 else "")
        return f"{sign}{x:,.2f} {currency}"

    return delta


def _delta_amount(value: Optional[float]) -> str:
    """A money delta in a table whose header names the currency: `+1,234.00`."""
    return _delta("")(value).rstrip()


def _delta_count(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    n = int(round(value))
    return f"{'+' if n > 0 else ('±' if n == 0 else '')}{n:,}"


def render_page(c: Comparison, kind: str) -> str:
    """The comparison as HTML (`kind` "html", with its charts) or Markdown ("md")."""
    from planner.compare.charts import charts
    from planner.outputs.report.render import environment

    currency = c.base.figures.currency
    env = environment(kind, None, currency)
    env.filters.update({"delta": _delta(currency), "delta_amount": _delta_amount, "delta_count": _delta_count})
    template = env.get_template(f"comparison.{kind}")
    return template.render(c=c, charts=charts(c) if kind == "html" else {}, title=TITLE, report="comparison")


def comparison_files(c: Comparison) -> dict[str, bytes]:
    """Every comparison document, by file name."""
    return {
        "comparison.json": (json_text(c.to_json(), indent=2, sort_keys=True) + "\n").encode("utf-8"),
        "comparison.html": render_page(c, "html").encode("utf-8"),
        "comparison.md": render_page(c, "md").encode("utf-8"),
    }


__all__ = ["FILES", "TITLE", "comparison_files", "render_page"]
