"""A re-run that finds the same plan keeps the plan.json already written, byte for byte.

`solver.seconds` is the only wall-clock value in plan.json, so planning an unchanged inventory
again would rewrite a committed `reports/plan.json` with nothing but a new duration. When the
new plan equals the existing file in every byte but that value, the existing file's bytes (and
its first run's seconds) are kept; :func:`planner.outputs.publish.publish` then leaves a folder whose
files are all unchanged as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Union

from planner.base.bounded import read_bounded
from planner.plan.document import MAX_PLAN_BYTES

# The top-level solver block as Plan.to_json lays it out (sorted keys, two-space indent). A raw
# newline never occurs inside a JSON string, so this can only match the document's own block.
_SOLVER_KEY = b'\n  "solver": {\n'
_SOLVER = re.compile(rb'\n  "solver": \{\n(?:    .*\n)*?  \}')
_SECONDS = re.compile(rb'\n    "seconds": [^\n,]*(,?)\n')


def _seconds(doc: bytes) -> Optional[tuple[int, int, bytes]]:
    """(start, end, text) of the top-level `solver.seconds` value in plan.json bytes, or None."""
    at = doc.find(_SOLVER_KEY)
    block = _SOLVER.match(doc, at) if at >= 0 else None
    if block is None:
        return None
    found = _SECONDS.search(doc, block.start(), block.end())
    if found is None:
        return None
    start = found.start() + len(b'\n    "seconds": ')
    end = found.end() - len(found.group(1)) - 1
    return start, end, doc[start:end]


def without_seconds(doc: bytes) -> bytes:
    """plan.json bytes with `solver.seconds` set to 0: what two runs that found the same plan share byte for byte."""
    found = _seconds(doc)
    return doc if found is None else doc[: found[0]] + b"0" + doc[found[1]:]


def comparable_files(folder: Union[str, Path]) -> dict[str, bytes]:
    """Every file under `folder` by relative path, each plan.json through :func:`without_seconds`."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            out[p.relative_to(folder).as_posix()] = without_seconds(data) if p.name == "plan.json" else data
    return out


def same_plan(existing: Union[str, Path], new: bytes) -> Optional[bytes]:
    """The existing plan.json's bytes when `new` differs from them only in `solver.seconds`, else None."""
    try:
        old = read_bounded(existing, MAX_PLAN_BYTES)  # a pipe or a device in its place is no plan, never waited on
    except OSError:
        return None
    if old == new:
        return old
    if _seconds(old) is None or _seconds(new) is None:
        return None
    return old if without_seconds(new) == without_seconds(old) else None


__all__ = ["same_plan"]
