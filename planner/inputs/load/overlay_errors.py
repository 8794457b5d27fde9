"""Errors caused by removing what something else still names, told once at the overlay's `remove` line.

Removing a site that workloads still run on gives one "unknown site" error per workload at the
workload's own line; :func:`attribute` folds them into one error at the line that removed the
site, listing the first references, so the error names the overlay that caused it.
"""

from __future__ import annotations

import re
from typing import Sequence

from planner.base.errors import Issue
from planner.inputs.load.overlay import NOUN, Removal

_UNKNOWN = re.compile(r"unknown (zone|site|workload) '([^']*)'")
_NO_POLICY = re.compile(r"no policy covers data class '([^']*)'")
_NO_GROUP = re.compile(r"'([^']*)' is (?:neither an ISO 3166|not an ISO 3166)")


def attribute(found: list[Issue], removals: Sequence[Removal]) -> list[Issue]:
    """Problems caused by removing an id still named elsewhere, folded into one error at the `remove` line each."""
    if not removals:
        return found
    by_key = {(r.noun, r.id): r for r in removals}
    by_class = {r.data_class: r for r in removals if r.noun == "policy" and r.data_class}
    caused: dict[Removal, list[Issue]] = {}
    kept: list[Issue] = []
    for issue in found:
        r = None
        m = _UNKNOWN.search(issue.message)
        if m:
            r = by_key.get((m.group(1), m.group(2)))
        elif (m := _NO_POLICY.search(issue.message)):
            r = by_class.get(m.group(1))
        elif (m := _NO_GROUP.search(issue.message)):
            r = by_key.get(("country group", m.group(1)))
        if r is None:
            kept.append(issue)
        else:
            caused.setdefault(r, []).append(issue)
    for r, issues in caused.items():
        issues.sort()
        shown = "; ".join(f"{_where(i)} ({i.field})" if i.field else _where(i) for i in issues[:3])
        more = f" and {len(issues) - 3} more" if len(issues) > 3 else ""
        field_name = "countries" if r.noun == "country group" else f"remove.{_SECTION_OF[r.noun]}"
        kept.append(Issue(r.file, r.line, f"{field_name}[{r.id}]",
                          f"{'removing' if r.noun != 'country group' else 'setting to null'} {r.noun} '{r.id}' breaks "
                          f"{len(issues)} reference(s) to it: {shown}{more}; change or remove those too"))
    return kept


_SECTION_OF = {v: k for k, v in NOUN.items()}


def _where(issue: Issue) -> str:
    return f"{issue.file}:{issue.line}" if issue.line else (f"{issue.file} row {issue.row}" if issue.row else issue.file)


__all__ = ["attribute"]
