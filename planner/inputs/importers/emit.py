"""Imported workloads as inventory YAML, with every defaulted field marked by a comment.

Written by hand rather than by a YAML dumper because comments carry the marks, and because
it is fast and byte-for-byte deterministic. Strings are JSON-quoted, which YAML reads as
double-quoted scalars.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from planner.base.untrusted import one_line
from planner.inputs.importers.common import ImportResult, text

# Short marks: a 20k-workload file repeats them on every workload; the summary explains them.
MARKS = {
    "app": "# default: one app per server; group servers that move together",
    "env": "# default",
    "criticality": "# default",
    "data": "# default: add the data classes it holds",
    "users": "# default: add its users' zones and latency needs",
}
_LINES_PER_CHUNK = 20_000
FIELD_ORDER = (
    "id", "app", "env", "criticality", "vcpu", "memory_gb", "storage_gb",
    "cpu_util_p95", "mem_util_p95", "current_site", "os", "data", "users",
)  # fmt: skip


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    # `##[` is a workflow command anywhere in a line of a CI log; `\u005b` is the same `[` to a YAML reader
    return json.dumps(str(value), ensure_ascii=True).replace("##[", "##\\u005b")


def _comment(value: Any) -> str:
    """Untrusted text inside a YAML comment: one line (see :func:`text`), no `##[`."""
    return text(value).replace("##[", "##\\[")


def render_yaml(result: ImportResult, command: str) -> str:
    """The inventory fragment: a header comment and a sorted `workloads:` list."""
    return "".join(yaml_chunks(result, command))


def yaml_chunks(result: ImportResult, command: str) -> Iterator[str]:
    """:func:`render_yaml` as chunks of text, so a million workloads are written without the whole text in memory."""
    lines = [
        f"# Imported by `{_comment(command)}` from {_comment(result.origin)}: {len(result.workloads)} workloads.",
        "# Fields marked '# default' are not in the source: review them before planning.",
        "# Drop this file into the inventory folder next to zones, sites and policies.",
        "workloads:" if result.workloads else "workloads: []",
    ]
    for w in result.workloads:
        first = True
        for name in FIELD_ORDER:
            if name not in w.fields or w.fields[name] is None:
                continue
            line = f"{'  - ' if first else '    '}{name}: {_scalar(w.fields[name])}"
            if name in w.defaulted:
                line += f"  {MARKS[name]}"
            lines.append(line)
            first = False
        if w.note:
            lines.append(f"    # {_comment(w.note)}")
        if len(lines) >= _LINES_PER_CHUNK:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def render_summary_text(summary: dict[str, Any]) -> str:
    """The summary for a person, on stderr: counts, defaults to review, skips, warnings; every value on one line."""
    out = [
        f"imported {summary['workloads']} workloads from {one_line(summary['source'])} "
        f"({summary['rows']} rows) -> {one_line(summary['output'])}"
    ]
    if summary["skipped"]:
        out.append("skipped: " + ", ".join(f"{n} {one_line(why)}" for why, n in summary["skipped"].items()))
    for name, n in summary["counts"].items():
        out.append(f"{one_line(name)}: {n}")
    for name, rules in summary.get("missing", {}).items():
        for r in rules:
            out.append(f"{name}: {r['workloads']} {one_line(r['rule'])}")
    if summary["defaults"]:
        out.append("defaults to review (the source cannot know them; marked '# default' in the YAML):")
        for name, d in summary["defaults"].items():
            out.append(f"  {name}: {d['workloads']} workloads ({d['meaning']})")
    warnings = summary["warnings"]
    for w in warnings[:50]:
        where = f"{one_line(w['file'])}:{w['row']}" if w["row"] else one_line(w["file"])
        col = f": column {one_line(repr(w['column']))}" if w["column"] else ""
        out.append(f"warning: {where}{col}: {one_line(w['message'])}")
    if len(warnings) > 50:
        out.append(f"... and {len(warnings) - 50} more warnings (--format json lists them all)")
    return "\n".join(out) + "\n"
