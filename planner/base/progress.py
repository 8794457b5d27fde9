"""Progress in a user's words: stages by default, solver counters only on request, a proof gap that only narrows.

Library code takes any `Callable[[str], None]` for progress. A reporter may also have `detail` (counters a solver
engineer reads, shown with --verbose) and `proven` (the best proven gap so far); plain callables get neither.
"""

from __future__ import annotations

from typing import Callable, Optional

from planner.base.fmt import share

Say = Callable[[str], None]


def detail(progress: Optional[Say], message: str) -> None:
    """A solver counter (islands, rounds, columns): shown only where the reporter asks for detail."""
    shown = getattr(progress, "detail", None)
    if shown is not None:
        shown(message)


def proven(progress: Optional[Say], gap: float) -> None:
    """The plan in hand is proven within `gap` (a fraction) of the best possible cost."""
    if progress is None:
        return
    narrow = getattr(progress, "proven", None)
    if narrow is not None:
        narrow(gap)
    else:
        progress(gap_words(gap))


def gap_words(gap: float) -> str:
    """How a user reads a proof gap."""
    if gap <= 0.0:
        return "the plan's cost is proven the best possible"
    return f"the plan's cost is proven within {share(gap)} of the best possible"




class Narrowing:
    """Keeps the smallest gap reported so far, so a later, looser figure (from another bound) is never shown."""

    def __init__(self) -> None:
        self.best: Optional[float] = None

    def narrower(self, gap: float) -> bool:
        """Whether `gap` narrows what was said before (and remember it)."""
        gap = max(0.0, gap)
        if self.best is not None and round(gap, 5) >= round(self.best, 5):
            return False
        self.best = gap
        return True
