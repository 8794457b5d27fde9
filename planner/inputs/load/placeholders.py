"""Placeholders: values `planner init` could not know, written as ``"<fill in: what to put there>"``.

A placeholder is a YAML string of exactly that shape, anywhere in an inventory file. The loader
reports each one as an issue whose message starts ``placeholder:`` (at the placeholder's line,
naming its field), and drops the errors that follow from it alone: the value's own type error on
that line, and references to an item left out because a placeholder made it invalid. So a
scaffold lists exactly its placeholders, and nothing else, until they are filled in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from planner.base.errors import Issue
from planner.inputs.yamlio import LineDict, LineList

PREFIX = "placeholder: "
_MARK = re.compile(r"^<fill in: (.+)>$", re.DOTALL)
_BROKEN_AT = re.compile(r"is defined with errors \(see the first error at (.+):(\d+)\)")
_LABELLED = ("zones", "policies", "sites", "workloads")


def has_placeholders(text: str) -> bool:
    """Whether a file's text may hold a placeholder (a fast test before walking its values)."""
    return "<fill in: " in text


def placeholder(what: str) -> str:
    """The placeholder text for a value: `what` says what to put there."""
    return f"<fill in: {what}>"


def placeholder_what(value: Any) -> str | None:
    """What a placeholder asks for, or None when `value` is not a placeholder."""
    if not isinstance(value, str):
        return None
    match = _MARK.match(value)
    return match.group(1) if match else None


def is_placeholder(issue: Issue) -> bool:
    """Whether an issue is an unfilled placeholder rather than an error in a value."""
    return issue.message.startswith(PREFIX)


def find_placeholders(doc: Any, file: str) -> list[Issue]:
    """One issue per placeholder in a parsed YAML document, at its line, naming its field."""
    return list(_walk(doc, "", file, getattr(doc, "line", 0)))


def section_placeholders(section: str, value: Any, line: int, file: str) -> list[Issue]:
    """One issue per placeholder in one top-level section of a file (`line`: the section key's)."""
    return list(_walk(value, str(section), file, line))


def _walk(node: Any, path: str, file: str, line: int) -> Iterator[Issue]:
    what = placeholder_what(node)
    if what is not None:
        yield Issue(file, line, path, PREFIX + what)
        return
    if isinstance(node, LineDict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key), file, node.lines.get(key, line))
    elif isinstance(node, LineList):
        for i, value in enumerate(node):
            yield from _walk(value, path + _label(path, i, value), file, node.lines[i] if i < len(node.lines) else line)


def _label(path: str, index: int, item: Any) -> str:
    """`[id]` for an item of an id'd section, `[a,b]` for a latency pair, else `[index]`."""
    if path in _LABELLED and isinstance(item, dict) and isinstance(item.get("id"), str):
        return f"[{item['id']}]"
    if path.startswith("latency_ms[") and path.endswith("]") and index == 2:
        return ""  # a pair's figure: the pair names it
    if path == "latency_ms" and isinstance(item, list) and len(item) == 3 and all(isinstance(z, str) for z in item[:2]):
        return f"[{item[0]},{item[1]}]"
    return f"[{index}]"


def without_follow_ons(issues: Iterable[Issue]) -> list[Issue]:
    """`issues` less the errors a placeholder alone caused: any other issue on a placeholder's line, and
    references to a definition whose first error is a placeholder."""
    issues = list(issues)
    marked = {(i.file, i.line) for i in issues if is_placeholder(i)}
    if not marked:
        return issues
    kept = []
    for issue in issues:
        if not is_placeholder(issue):
            if (issue.file, issue.line) in marked:
                continue
            broken = _BROKEN_AT.search(issue.message)
            if broken and (broken.group(1), int(broken.group(2))) in marked:
                continue
        kept.append(issue)
    return kept
