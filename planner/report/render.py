"""Rendering the reports: one Jinja environment per output format over one set of templates.

Template lookup (datasette's convention): a user's folder first, then the built-in
templates, and the built-ins again under the `default/` prefix, so a user template can
replace a page or a partial outright, or `{% extends "default/executive.html" %}` and
override a block. HTML is autoescaped; Markdown is escaped for Markdown (HTML entities and
backslashes, see :func:`planner.report.fmt.md_escape`) by a `finalize` hook, so a name in
the inventory never becomes live markup in a browser or a PR comment. Undefined values
raise (`StrictUndefined`).

Where the built-in templates live: the repository's top-level `templates/` folder
(DESIGN.md's layout). A wheel carries a copy at `planner/templates/` (setup.py's build
step copies it there); :func:`builtin_templates` prefers that copy and falls back to the
source tree's `templates/` for a checkout or an editable install.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import jinja2
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined

from ..atomic_write import write_atomic
from ..estate import Estate
from ..plan import Plan
from . import fmt
from .charts import charts_for
from .context import ReportContext, ReportError, build_context

REPORTS = ("executive", "roadmap", "compliance")
FORMATS = ("html", "md", "pdf")
DEFAULT_FORMATS = ("html", "md")
TITLES = {
    "executive": "Executive summary",
    "roadmap": "Migration roadmap",
    "compliance": "Compliance evidence",
}


def builtin_templates() -> Path:
    """The folder of the built-in templates: the wheel's `planner/templates`, else the source tree's `templates/`."""
    bundled = Path(str(resources.files("planner"))) / "templates"
    if (bundled / "base.html").is_file():
        return bundled
    source = Path(__file__).resolve().parent.parent.parent / "templates"
    if (source / "base.html").is_file():
        return source
    raise ReportError(f"the built-in report templates are missing (looked in {bundled} and {source}); reinstall the planner")


def _loader(template_dir: Optional[Path]) -> jinja2.BaseLoader:
    builtin = FileSystemLoader(str(builtin_templates()), encoding="utf-8")
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        if not Path(template_dir).is_dir():
            raise ReportError(f"{template_dir}: no such template folder")
        loaders.append(FileSystemLoader(str(template_dir), encoding="utf-8"))
    loaders += [builtin, PrefixLoader({"default": builtin})]
    return ChoiceLoader(loaders)


def _filters(currency: str) -> dict:
    def money(value: float, cents: bool = True) -> str:
        return fmt.money(value, currency, cents)

    def amount(value: float) -> str:  # money in a table whose header names the currency
        return fmt.number(value, 2)

    return {"money": money, "amount": amount, "number": fmt.number, "percent": fmt.percent, "ms": fmt.ms, "month": fmt.month_label, "iso": fmt.iso,
            "md": fmt.md_escape}


def environment(kind: str, template_dir: Optional[Path] = None, currency: str = "EUR") -> Environment:
    """The Jinja environment for `kind` ("html" or "md"): strict, escaped for its format, with the report filters."""
    common = dict(loader=_loader(template_dir), undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                  lstrip_blocks=True, auto_reload=False)
    if kind == "html":
        env = Environment(autoescape=True, **common)  # type: ignore[arg-type]
    elif kind == "md":
        env = Environment(autoescape=False, finalize=fmt.md_finalize, **common)  # type: ignore[arg-type]
    else:
        raise ValueError(kind)
    env.filters.update(_filters(currency))
    return env


@dataclass(frozen=True)
class Rendered:
    """One report in one format, ready to write."""

    name: str
    ext: str
    text: str


def render_text(ctx: ReportContext, kinds: Sequence[str] = DEFAULT_FORMATS, template_dir: Optional[Path] = None,
                reports: Sequence[str] = REPORTS) -> list[Rendered]:
    """Render every report in `kinds` ("html", "md") from a view-model; nothing is written."""
    out: list[Rendered] = []
    for kind in kinds:
        env = environment(kind, template_dir, ctx.currency)
        for name in reports:
            charts = charts_for(name, ctx) if kind == "html" else {}
            try:
                template = env.get_template(f"{name}.{kind}")
                text = template.render(r=ctx, charts=charts, report=name, title=TITLES[name], reports=REPORTS, titles=TITLES)
            except jinja2.TemplateNotFound as exc:
                raise ReportError(f"template {exc.name} not found (templates: {template_dir or builtin_templates()})") from exc
            except jinja2.TemplateSyntaxError as exc:
                raise ReportError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from exc
            except jinja2.UndefinedError as exc:
                raise ReportError(f"{name}.{kind}: {exc.message} (templates use StrictUndefined: every value must exist)") from exc
            out.append(Rendered(name, kind, text))
    return out


def render_reports(plan: Plan, estate: Estate, out_dir: Union[str, Path], template_dir: Optional[Union[str, Path]] = None,
                   formats: Iterable[str] = DEFAULT_FORMATS, chromium: Optional[str] = None) -> list[Path]:
    """Render the executive summary, roadmap and compliance report of `plan` into `out_dir`; return the files written.

    `formats` holds "html", "md" and/or "pdf" (PDF prints the HTML with headless Chromium).
    Each file is written atomically; the same plan and templates give the same bytes.
    """
    requested = set(formats)
    unknown = requested - set(FORMATS)
    if unknown or not requested:
        raise ReportError(f"unknown report format(s) {sorted(unknown) or 'none'}; choose from {', '.join(FORMATS)}")
    formats = [f for f in FORMATS if f in requested]
    out = Path(out_dir)
    tdir = Path(template_dir) if template_dir is not None else None
    pdf_path = None
    if "pdf" in formats:
        from .pdf import find_chromium

        pdf_path = find_chromium(chromium)  # fail before any work when PDF cannot be made
    ctx = build_context(plan, estate)
    kinds = [k for k in ("html", "md") if k in formats or (k == "html" and "pdf" in formats)]
    rendered = render_text(ctx, kinds, tdir)
    written: list[Path] = []
    for r in rendered:
        if r.ext not in formats:
            continue
        path = out / f"{r.name}.{r.ext}"
        write_atomic(path, r.text)
        written.append(path)
    if pdf_path is not None:
        from .pdf import html_to_pdf

        for r in rendered:
            if r.ext == "html":
                target = out / f"{r.name}.pdf"
                html_to_pdf(r.text, target, pdf_path)
                written.append(target)
    return written


__all__ = ["DEFAULT_FORMATS", "FORMATS", "REPORTS", "Rendered", "builtin_templates", "environment", "render_reports", "render_text"]
