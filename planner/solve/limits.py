"""The placement's work limits, in one object: every search stops on work done, never on the clock.

The defaults are what `planner plan` uses. A script or a test that wants other limits runs the
solve inside `with use(Limits(...)):`; the limits hold for that block only (a context variable,
so concurrent solves in one process do not see each other's) and reach forked island workers.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Iterator

__all__ = ["Limits", "current", "use"]


@dataclass(frozen=True)
class Limits:
    """Work limits of one placement (each the same on every machine)."""

    mip_nodes: int = 20_000  # branch-and-bound nodes per island or merged group
    pricing_nodes: int = 100  # per island priced in a round: a good plan and a bound, not the last node
    pricing_rounds: int = 60  # column-generation rounds
    lp_rounds: int = 2  # first pricing rounds in which an island with a fractional LP gives its LP bound, no MIP
    choice_nodes: int = 2_000  # nodes for the choice among the priced plans
    choice_columns: int = 100_000  # a larger choice is not attempted: the rounded plan keeps its proven gap
    free_columns: int = 400_000  # a larger merged MILP after reduced-cost fixing is not attempted
    restrict_from: float = 12.0  # mean admissible sites per coupled workload above which the model starts restricted
    restrict_min_entries: int = 2_000_000  # ... and only with at least this many admissible placements
    keep: int = 5  # cheapest placements kept per coupled workload in a restricted model (by own cost, and at guessed prices)
    restricted_solves: int = 3  # solves with the proof's placements added, after which the plan keeps its bound
    growth: float = 0.5  # solve again only when that adds at most this share of the model's placements
    grows: int = 3  # restricted models without a plan before every admissible site is modelled
    proof_chunk_entries: int = 1_000_000  # admissible placements per chunk of the full-model proof
    batch_columns: int = 3_000  # columns per LP batch of islands
    dominance: bool = True  # the proof drops placements another of the same workload provably beats (exact either way)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value >= 0:
                raise ValueError(f"Limits.{name} must be at least 0, not {value!r}")


_CURRENT: contextvars.ContextVar[Limits] = contextvars.ContextVar("planner_solve_limits", default=Limits())


def current() -> Limits:
    """The limits in force here."""
    return _CURRENT.get()


@contextlib.contextmanager
def use(limits: Limits) -> Iterator[Limits]:
    """Solve with `limits` inside the block."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
