"""The reports executives, the migration team and auditors read: executive summary, roadmap, compliance evidence.

The plan is turned into arrays once (:mod:`.arrays`) and one view-model (:mod:`.context`) is
built from them: money over time (:mod:`.money`), placement and capacity (:mod:`.placement`),
the roadmap's rows (:mod:`.schedule`), the compliance checks from the one rule set
(:mod:`.compliance`). Jinja templates (the repository's `templates/`, overridable per folder)
render it to self-contained HTML with inline SVG charts (:mod:`.charts`) and to Markdown;
headless Chromium prints PDF (:mod:`.pdf`); every per-workload check is written beside the
reports as `compliance-evidence.csv` (or `.parquet`: :mod:`.evidence`).
"""

from planner.outputs.report.context import ReportContext, ReportError, build_context
from planner.outputs.report.evidence import evidence_bytes
from planner.outputs.report.pdf import ChromiumMissing, find_chromium
from planner.outputs.report.render import (
    DEFAULT_FORMATS,
    FORMATS,
    REPORTS,
    builtin_templates,
    check_templates,
    render_files,
    render_reports,
    render_text,
)

__all__ = [
    "DEFAULT_FORMATS", "FORMATS", "REPORTS", "ChromiumMissing", "ReportContext", "ReportError", "build_context", "builtin_templates",
    "check_templates", "evidence_bytes", "find_chromium", "render_files", "render_reports", "render_text",
]
