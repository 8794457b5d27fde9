"""Errors the planner reports to people: bad input with its location, and faults of the planner itself."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

from planner.base.problem import Problem

if TYPE_CHECKING:
    from planner.plan.document import Plan


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in an input file: where it is, which field, what is wrong and what would be right."""

    file: str
    line: int
    field: str
    message: str
    row: int = 0  # a Parquet table's row (the first data row is 1), where a line means nothing

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (f"{self.file}: row {self.row}" if self.row else self.file)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PlannerError(Exception):
    """The root of every error the planner reports; `exit_code` is the command's exit status for it."""

    exit_code = 2


class InventoryError(PlannerError):
    """An inventory that cannot be planned; `issues` lists every problem found, sorted."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))


class PlanFileError(PlannerError):
    """A plan.json that cannot be read."""


class CannotPlanHere(PlannerError):
    """A valid inventory this machine cannot plan (exit 2): nothing was planned or written."""

    headline = "nothing was planned"


class SolverUnavailable(CannotPlanHere):
    """The solver asked for (`--backend`, `solver.backend`) is unknown or not installed here: found when solving."""

    headline = "the solver asked for is not available here; nothing was planned"


class EstateTooLarge(CannotPlanHere):
    """An estate whose next stage would need more memory than the plan may use: stopped before it runs out (exit 2)."""

    def __init__(self, stage: str, size: str, need: int, limit: int, source: str):
        self.stage, self.size, self.need, self.limit, self.source = stage, size, need, limit, source
        self.headline = "the estate is too large for the memory the re-plan may use; nothing was planned"
        super().__init__(f"the estate is too large for this machine's memory: {stage} reached {size}, which needs about "
                         f"{need / 1e9:.1f} GB, and {limit / 1e9:.1f} GB may be used ({source}); nothing was written. "
                         "Plan it on a machine with more memory, raise scenario.solver.memory_gb if more is free, "
                         "or plan the estate in parts that share no site capacity")


class PlannerFault(PlannerError):
    """A fault of the planner itself, never of the inventory: nothing is published and the exit code is 3."""

    exit_code = 3


class PlanRejected(PlannerFault):
    """A plan the planner's own verifier rejects, never published: `findings` say why, `bundle` is the bug-report folder.

    `bundle` is None when it could not be written (`bundle_error` says why); `plan` stays in the process that made it."""

    MAX_NAMED = 5  # workloads a one-line summary names

    def __init__(self, findings: Sequence[Problem], bundle: Optional[str] = None, bundle_error: str = "",
                 plan: Optional[Plan] = None):
        self.findings = tuple(findings)
        self.bundle = bundle
        self.bundle_error = bundle_error
        self.plan = plan
        super().__init__(f"the planner's own verifier rejected its plan ({self.rules_text()})")

    def __reduce__(self) -> tuple:
        # Sent between processes (a compare worker's answer) without the plan, which may hold a million
        # assignments: the bundle already has it.
        return (type(self), (self.findings, self.bundle, self.bundle_error))

    def rule_counts(self) -> dict[str, int]:
        """How many findings each broken rule has, by rule id."""
        return dict(sorted(Counter(p.rule for p in self.findings).items()))

    def rules_text(self) -> str:
        """`capacity: 1, cost: 4, dependency-latency: 1`."""
        return ", ".join(f"{rule}: {n}" for rule, n in self.rule_counts().items())

    def workloads(self) -> list[str]:
        """Every workload a finding names, once each, in the findings' order."""
        return list(dict.fromkeys(w for p in self.findings for w in p.workloads))
