"""The reports executives read: executive summary, migration roadmap and compliance evidence.

One view-model (:mod:`.context`) built from a plan and its estate; Jinja templates
(the repository's `templates/`, overridable per folder) render it to self-contained HTML
with inline SVG charts (:mod:`.charts`) and to Markdown; headless Chromium prints PDF
(:mod:`.pdf`).
"""

from .context import ReportContext, ReportError, build_context
from .pdf import ChromiumMissing, find_chromium
from .render import DEFAULT_FORMATS, FORMATS, REPORTS, builtin_templates, check_templates, render_files, render_reports, render_text

__all__ = [
    "DEFAULT_FORMATS", "FORMATS", "REPORTS", "ChromiumMissing", "ReportContext", "ReportError", "build_context",
    "builtin_templates", "check_templates", "find_chromium", "render_files", "render_reports", "render_text",
]
