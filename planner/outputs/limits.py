"""How much the reports and the work list show inline, in one object (everything is always in the evidence files).

The defaults are what every command uses. A script or a test that wants other limits renders inside
`with use(OutputLimits(...)):` (a context variable: concurrent renders in one process do not see each other's).
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Iterator

__all__ = ["OutputLimits", "current", "use"]


@dataclass(frozen=True)
class OutputLimits:
    """What a report lists before it says "and N more", and when files switch to their large-estate form."""

    listed_checks: int = 50  # failing (and, apart, borderline) checks listed per rule in the compliance report
    listed_groups: int = 15  # move groups listed per wave in the roadmap, largest first
    listed_moves: int = 500  # moves listed in the roadmap, by wave, app and workload (the work list has them all)
    evidence_csv_rows: int = 1_048_575  # one Excel sheet below its header row; more rows: Parquet evidence
    constant_memory_rows: int = 50_000  # a larger xlsx work list is streamed row by row

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value >= 1:
                raise ValueError(f"OutputLimits.{name} must be at least 1, not {value!r}")


_CURRENT: contextvars.ContextVar[OutputLimits] = contextvars.ContextVar("planner_output_limits", default=OutputLimits())


def current() -> OutputLimits:
    """The limits in force here."""
    return _CURRENT.get()


@contextlib.contextmanager
def use(limits: OutputLimits) -> Iterator[OutputLimits]:
    """Render with `limits` inside the block."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
