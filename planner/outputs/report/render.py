"""Rendering the reports: one sandboxed Jinja environment per output format over one set of templates.

Template lookup (datasette's convention): a user's folder first, then the built-in
templates, and the built-ins again under the `default/` prefix, so a user template can
replace a page or a partial outright, or `{% extends "default/executive.html" %}` and
override a block. Templates run in Jinja's sandbox (a template is code a user hands us: no
attribute starting `_`, no unsafe callables). HTML is autoescaped and Markdown is escaped for
Markdown by `finalize` hooks (:mod:`planner.base.untrusted`), so a name in the inventory never
becomes live markup, a mention or a workflow command. Undefined values raise (`StrictUndefined`).

Nothing is written until every report has rendered: :func:`render_files` renders in memory
(compiling the user's templates first) and turns any template error, syntax or runtime, into
a :class:`ReportError` naming the template file and line; :func:`render_reports` then
publishes the files with :func:`planner.outputs.publish.publish`.

Where the built-in templates live: the repository's top-level `templates/` folder
(the product's layout). A wheel carries a copy at `planner/templates/` (setup.py's build
step copies it there); :func:`builtin_templates` prefers that copy and falls back to the
source tree's `templates/` for a checkout or an editable install.
"""

from __future__ import annotations

import os
import posixpath
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Callable, Iterable, Optional, Sequence, Union

import jinja2
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from planner.base import fmt, untrusted
from planner.base.bounded import RefusedFile, env_limit, read_bounded
from planner.base.problem import Problem
from planner.domain.estate import Estate
from planner.outputs.publish import (
    EVIDENCE_FILES,
    REPORT_FORMATS,
    REPORT_NAMES,
    publish,
)
from planner.outputs.report.charts import charts_for
from planner.outputs.report.context import ReportContext, ReportError, build_context
from planner.outputs.report.evidence import evidence_bytes
from planner.plan.document import Plan

REPORTS = REPORT_NAMES
FORMATS = REPORT_FORMATS
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
    source = Path(str(resources.files("planner"))).parent / "templates"
    if (source / "base.html").is_file():
        return source
    raise ReportError(f"the built-in report templates are missing (looked in {bundled} and {source}); reinstall the planner")


MAX_TEMPLATE_BYTES = env_limit("PLANNER_MAX_TEMPLATE_BYTES", 4 << 20)  # one template; the built-in ones are under 64 KB


class _BoundedLoader(FileSystemLoader):
    """Templates read through the bounded reader: one that is a pipe, a device, a folder or too large is refused by name."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for searchpath in self.searchpath:
            filename = posixpath.join(searchpath, *pieces)
            if os.path.exists(filename):
                break
        else:
            raise jinja2.TemplateNotFound(template)
        try:
            data = read_bounded(filename, MAX_TEMPLATE_BYTES, "PLANNER_MAX_TEMPLATE_BYTES")
        except RefusedFile as exc:
            raise ReportError(f"{filename}: not read as a template: {exc.strerror}") from None
        mtime = os.path.getmtime(filename)

        def uptodate() -> bool:
            try:
                return os.path.getmtime(filename) == mtime
            except OSError:
                return False

        return data.decode(self.encoding), os.path.normpath(filename), uptodate


def _loader(template_dir: Optional[Path]) -> jinja2.BaseLoader:
    builtin = _BoundedLoader(str(builtin_templates()), encoding="utf-8")
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        if not Path(template_dir).is_dir():
            raise ReportError(f"{template_dir}: no such template folder")
        loaders.append(_BoundedLoader(str(template_dir), encoding="utf-8"))
    loaders += [builtin, PrefixLoader({"default": builtin})]
    return ChoiceLoader(loaders)


def _filters(currency: str) -> dict:
    def money(value: float, cents: bool = True, signed: bool = False) -> str:  # to the cent: what an auditor checks
        return fmt.money(value, currency, cents, signed)

    def board(value: float, signed: bool = False) -> str:  # thousands or millions: what a board reads
        return fmt.board(value, currency, signed)

    money.__qualname__, board.__qualname__ = "money", "board"  # how a template's bad call names them

    return {"money": money, "board": board, "amount": fmt.amount, "kilo": fmt.kilo, "number": fmt.number, "percent": fmt.percent,
            "ms": fmt.ms, "month": fmt.month_label, "iso": fmt.iso, "plural": fmt.plural, "waves": fmt.wave_span,
            "md": untrusted.markdown, "css": untrusted.css_string}


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the process, keyed by template file and checked against its source.

    Compiling the report templates costs more than rendering them; a process that renders many plans (compare, a
    test run) compiles each once. Jinja checks each entry against a checksum of the source it just read, so an
    edited template is compiled again; one cache per format, since escaping is compiled in.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code


_COMPILED = {"html": _CompiledTemplates(), "md": _CompiledTemplates()}


def environment(kind: str, template_dir: Optional[Path] = None, currency: str = "EUR") -> SandboxedEnvironment:
    """The sandboxed Jinja environment for `kind` ("html" or "md"): strict, escaped for its format, with the report filters."""
    if kind not in _COMPILED:
        raise ValueError(kind)
    common = dict(loader=_loader(template_dir), undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                  lstrip_blocks=True, auto_reload=False, bytecode_cache=_COMPILED[kind])
    if kind == "html":
        env = SandboxedEnvironment(autoescape=True, finalize=untrusted.html_finalize, **common)  # type: ignore[arg-type]
    elif kind == "md":
        env = SandboxedEnvironment(autoescape=False, finalize=untrusted.markdown_finalize, **common)  # type: ignore[arg-type]
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


def check_templates(template_dir: Optional[Path], currency: str = "EUR") -> None:
    """Compile every `.html` and `.md` template in the user's folder; a :class:`ReportError` naming the first broken one.

    Catches syntax errors and files that are not UTF-8 before any work; runtime errors need the
    real context and are caught by :func:`render_text`.
    """
    if template_dir is None:
        return
    if not Path(template_dir).is_dir():
        raise ReportError(f"{template_dir}: no such template folder")
    names = [n for n in FileSystemLoader(str(template_dir)).list_templates() if n.endswith((".html", ".md"))]
    for folder, dirs, _ in os.walk(template_dir):  # a folder named like a template is refused now, not after the solve
        for d in sorted(dirs):
            if d.endswith((".html", ".md")):
                raise ReportError(f"{Path(folder) / d}: not read as a template: a folder, not a file the planner reads")
    envs = {kind: environment(kind, Path(template_dir), currency) for kind in ("html", "md")}
    for name in sorted(names):
        try:
            envs["html" if name.endswith(".html") else "md"].get_template(name)
        except Exception as exc:  # any failure to load or compile is the template's, never a traceback
            raise _template_error(exc, str(Path(template_dir) / name), template_dir) from None


def render_text(ctx: ReportContext, kinds: Sequence[str] = DEFAULT_FORMATS, template_dir: Optional[Path] = None,
                reports: Sequence[str] = REPORTS) -> list[Rendered]:
    """Render every report in `kinds` ("html", "md") from a view-model; nothing is written.

    Any error a template raises (syntax, undefined value, sandbox, division by zero, bad filter
    arguments, self-inclusion, not UTF-8) becomes a :class:`ReportError` naming the template and line.
    """
    out: list[Rendered] = []
    for kind in kinds:
        env = environment(kind, template_dir, ctx.currency)
        for name in reports:
            charts = charts_for(name, ctx) if kind == "html" else {}
            page = f"{name}.{kind}"
            try:
                template = env.get_template(page)
                text = template.render(r=ctx, charts=charts, report=name, title=TITLES[name], reports=REPORTS, titles=TITLES)
            except Exception as exc:  # a user's template is code: whatever it raises is reported, never a traceback
                raise _template_error(exc, page, template_dir) from None
            out.append(Rendered(name, kind, text))
    return out


def _template_error(exc: BaseException, page: str, template_dir: Optional[Path]) -> ReportError:
    """One line naming the template file and line that failed, and why."""
    if isinstance(exc, ReportError):  # a template file refused by the bounded reader already says which and why
        return exc
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return ReportError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}")
    frame = _template_frame(exc.__traceback__)
    where = frame or page
    if isinstance(exc, jinja2.TemplateNotFound):
        return ReportError(f"{frame + ': ' if frame else ''}template {exc.name} not found "
                           f"(templates: {template_dir or builtin_templates()})")
    if isinstance(exc, jinja2.UndefinedError):
        return ReportError(f"{where}: {exc.message} (templates use StrictUndefined: every value must exist)")
    if isinstance(exc, SecurityError):
        return ReportError(f"{where}: not allowed in a report template (they run in Jinja's sandbox): {exc}")
    if isinstance(exc, UnicodeDecodeError):
        return ReportError(f"{where}: the template is not UTF-8 text (byte {exc.start})")
    if isinstance(exc, RecursionError):
        return ReportError(f"{where}: templates include or extend each other without end")
    return ReportError(f"{where}: template error: {type(exc).__name__}: {exc}")


def _template_frame(tb: Optional[TracebackType]) -> Optional[str]:
    """`FILE:LINE` of the innermost template frame in a traceback (Jinja maps its frames to template lines)."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".md")):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def render_files(plan: Plan, estate: Estate, template_dir: Optional[Union[str, Path]] = None,
                 formats: Iterable[str] = DEFAULT_FORMATS, chromium: Optional[str] = None, footer: str = "",
                 progress: Optional[Callable[[str], None]] = None,
                 findings: Optional[Sequence[Problem]] = None) -> dict[str, bytes]:
    """Every report of `plan` in `formats` ("html", "md", "pdf"), rendered in memory: file name -> bytes.

    A plan that places its workloads also gets the compliance evidence file
    (`compliance-evidence.csv`, or `.parquet` above a spreadsheet's rows: :mod:`.evidence`).
    `footer` is an organisation's line printed on every page. Raises :class:`ReportError`
    (a template error, PDF without Chromium) before anything is written. `progress` hears each step
    (and, with a `count` attribute, how many report files are done). `findings`: the independent
    verifier's findings on this plan when the caller has them (`()` for a plan from
    :func:`planner.make_plan`, which verified it), so the compliance report does not verify it again.
    """
    say = progress or (lambda _m: None)
    count = getattr(progress, "count", None)
    requested = set(formats)
    unknown = requested - set(FORMATS)
    if unknown or not requested:
        raise ReportError(f"unknown report format(s) {sorted(unknown) or 'none'}; choose from {', '.join(FORMATS)}")
    formats = [f for f in FORMATS if f in requested]
    tdir = Path(template_dir) if template_dir is not None else None
    pdf_path = None
    if "pdf" in formats:
        from planner.outputs.report.pdf import find_chromium

        pdf_path = find_chromium(chromium)  # fail before any work when PDF cannot be made
    say("reports: the money story, placement and compliance figures")
    ctx = build_context(plan, estate, footer=footer, findings=findings)
    check_templates(tdir, ctx.currency)
    kinds = [k for k in ("html", "md") if k in formats or (k == "html" and "pdf" in formats)]
    pdfs = sum(1 for _ in REPORTS) if pdf_path is not None else 0
    total = len(REPORTS) * len(kinds) + pdfs + (1 if ctx.compliance.evidence_file else 0)
    say(f"reports: rendering {total} file(s)")
    rendered = render_text(ctx, kinds, tdir)
    done = len(rendered)
    if count:
        count("report files", done, total)
    files = {f"{r.name}.{r.ext}": r.text.encode("utf-8") for r in rendered if r.ext in formats}
    if pdf_path is not None:
        from planner.outputs.report.pdf import html_pdf_bytes

        for r in rendered:
            if r.ext == "html":
                files[f"{r.name}.pdf"] = html_pdf_bytes(r.text, pdf_path, f"{r.name}.pdf", ctx.plan_date)
                done += 1
                if count:
                    count("report files", done, total)
    if ctx.compliance.evidence_file:
        name, data, _ = evidence_bytes(estate, ctx.blocks)
        files[name] = data
        if count:
            count("report files", done + 1, total)
    return files


def render_reports(plan: Plan, estate: Estate, out_dir: Union[str, Path], template_dir: Optional[Union[str, Path]] = None,
                   formats: Iterable[str] = DEFAULT_FORMATS, chromium: Optional[str] = None, footer: str = "") -> list[Path]:
    """Render the executive summary, roadmap and compliance report of `plan` into `out_dir`; return the files written.

    `formats` holds "html", "md" and/or "pdf" (PDF prints the HTML with headless Chromium).
    Everything renders before anything is written (:class:`ReportError` otherwise); the files
    are then published together (:class:`planner.outputs.publish.PublishError` when the folder cannot be
    written). The same plan and templates give the same bytes.
    """
    files = render_files(plan, estate, template_dir, formats, chromium, footer)
    publish(out_dir, files, remove=EVIDENCE_FILES)  # no other plan's evidence is left beside these reports
    return [Path(out_dir) / name for name in files]  # html, md, then pdf, as rendered, then the evidence file


__all__ = ["DEFAULT_FORMATS", "FORMATS", "REPORTS", "Rendered", "builtin_templates", "check_templates", "environment",
           "render_files", "render_reports", "render_text"]
