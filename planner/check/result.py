"""One result object for the CI gate; every output format is a pure function of it (:mod:`planner.check.render`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from planner.analysis.diff import Move, PlanDiff
from planner.base.errors import PlannerFault
from planner.base.fmt import money
from planner.check.changes import WorkloadChange
from planner.check.findings import (
    COST_THRESHOLD,
    MOVE_THRESHOLD,
    WAIVER_EXPIRED,
    Finding,
)
from planner.check.thresholds import CostCheck, MoveCheck, Threshold
from planner.check.waivers import Waiver
from planner.plan.document import NO_PLAN

CHECK_FORMAT = "hybrid-migration-check/1"
EXIT_CODES = {"pass": 0, "warn": 0, "fail": 1, "error": 2, "fault": 3}


@dataclass(frozen=True)
class CheckResult:
    """Everything `planner check` decided: verdict and why, findings, the diff against the baseline, cost and stability."""

    verdict: str  # pass | warn | fail | error (bad input: nothing was planned) | fault (the planner's own: its verifier rejected the re-plan)
    reasons: tuple[str, ...]  # sentences: why fail / warn / error
    findings: tuple[Finding, ...]  # sorted by Finding.sort_key
    inventory: str
    baseline: str
    today: dt.date
    currency: Optional[str] = None
    horizon_months: Optional[int] = None
    diff: Optional[PlanDiff] = None
    status_baseline: Optional[str] = None
    status_new: Optional[str] = None
    cost: Optional[CostCheck] = None
    warn_over: Optional[Threshold] = None
    fail_over: Optional[Threshold] = None
    churn: Optional[MoveCheck] = None
    warn_over_moves: Optional[int] = None
    fail_over_moves: Optional[int] = None
    changes: tuple[WorkloadChange, ...] = ()  # the changed workloads, largest own cost delta first
    waivers: tuple[Waiver, ...] = ()
    waivers_file: Optional[str] = None
    workloads: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    full_text: str = ""  # where a reader finds every finding in full (a one-line annotation points there)
    fault: Optional[PlannerFault] = field(default=None, compare=False, repr=False)  # with verdict "fault": what went wrong

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def moves(self) -> tuple[Move, ...]:
        """Workloads on a different site than in the baseline, sorted by workload id (empty without a new plan)."""
        if self.diff is None or self.status_new in (None, *NO_PLAN):
            return ()
        return tuple(sorted(self.diff.relocated, key=lambda m: m.workload))

    @property
    def added(self) -> tuple[str, ...]:
        return () if self.diff is None or self.status_new in (None, *NO_PLAN) else tuple(sorted(self.diff.added))

    @property
    def removed(self) -> tuple[str, ...]:
        return () if self.diff is None or self.status_new in (None, *NO_PLAN) else tuple(sorted(self.diff.removed))

    @property
    def moves_by_reason(self) -> dict[str, int]:
        """Moves counted by why: the rule the old site breaks or that displaced it, else "cost" (cheaper or the joint optimum)."""
        return dict(sorted(Counter(m.rule or "cost" for m in self.moves).items()))

    def count(self, status: Optional[str] = None, severity: Optional[str] = None) -> int:
        return sum((status is None or f.status == status) and (severity is None or f.severity == severity) for f in self.findings)

    @property
    def averted(self) -> tuple[Finding, ...]:
        """Rules the change would have broken on the baseline placement, kept by the re-plan's moves."""
        return tuple(f for f in self.findings if f.averted)

    def counts_text(self) -> str:
        """`2 new, 1 kept by the re-plan`: the findings by status, averted ones apart from the resolved."""
        kept = len(self.averted)
        parts = [(self.count(status="new"), "new"), (self.count(status="changed"), "changed"),
                 (self.count(status="resolved") - kept, "resolved"), (kept, "kept by the re-plan"), (self.count(status="waived"), "waived")]
        return ", ".join(f"{n} {label}" for n, label in parts if n)

    @property
    def new_failures(self) -> int:
        """New rule findings (errors, not waived) of the re-plan: what a reviewer is asked to fix."""
        return sum(f.status == "new" and f.severity == "error" for f in self.policy_findings)

    @property
    def policy_findings(self) -> tuple[Finding, ...]:
        """Rule findings (plan, verify, compliance), without the gate's own (input, thresholds, waivers)."""
        return tuple(f for f in self.findings if f.source in ("plan", "verify", "compliance"))

    def money(self, x: float, signed: bool = False) -> str:
        return money(x, self.currency, signed=signed)

    def cost_change(self) -> str:
        """"+12,345.00 EUR (+0.13%)"; empty when no cost was compared."""
        if self.cost is None or self.cost.level == "skipped":
            return ""
        pct = f" ({self.cost.ratio:+.2%})" if self.cost.ratio is not None else ""
        return self.money(self.cost.increase, signed=True) + pct

    def headline(self) -> str:
        """The sentence a PR comment opens with: cost change · moves · new policy failures."""
        if self.verdict == "error":
            n = self.count(severity="error")
            return f"Bad input: {n} problem{'s' if n != 1 else ''} in the inventory, baseline or waivers; nothing was planned"
        if self.verdict == "fault":
            return "Planner fault: the re-plan failed the planner's own checks; a fault of the planner, not of the inventory"
        parts = []
        if self.status_new in NO_PLAN:
            parts.append("No plan: the estate cannot be placed")
        else:
            change = self.cost_change()
            parts.append(f"Horizon cost {change}" if change else "Horizon cost not compared")
            n = len(self.changes)
            parts.append(f"{n} workload{'s' if n != 1 else ''} changed")
            n = len(self.moves)
            parts.append(f"{n} workload{'s' if n != 1 else ''} move{'s' if n == 1 else ''}")
        n = self.new_failures
        parts.append(f"{n} new policy failure{'s' if n != 1 else ''}")
        return " · ".join(parts)

    def summary(self) -> str:
        """The one line every output ends with."""
        if self.verdict == "error":
            return f"ERROR: {self.headline()} (exit {self.exit_code})"
        if self.verdict == "fault":
            return f"FAULT: {'; '.join(self.reasons)}; {self.findings_text()} (exit {self.exit_code})"
        head = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}[self.verdict]
        why = "; ".join(self.reasons)
        return f"{head}: " + (f"{why} | " if why else "") + f"{self.headline()}; {self.findings_text()} (exit {self.exit_code})"

    def findings_text(self) -> str:
        """`3 findings (2 new, 1 kept by the re-plan)`."""
        counts = self.counts_text()
        n = len(self.findings)
        return f"{n} finding{'s' if n != 1 else ''}" + (f" ({counts})" if counts else "")

    def tally(self) -> str:
        """The closing line of an output that already said the headline and the reasons: verdict, findings, exit code."""
        head = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "fault": "FAULT"}[self.verdict]
        return f"{head}: {self.findings_text()} (exit {self.exit_code})"


def decide(findings: list[Finding], status_new: Optional[str], cost: Optional[CostCheck],
           churn: Optional[MoveCheck] = None) -> tuple[str, tuple[str, ...]]:
    """Verdict and reasons from the findings: fail on no plan or any active error, warn on any active warning."""
    reasons: list[str] = []
    if status_new in NO_PLAN:
        n = sum(f.source == "plan" and f.status != "resolved" for f in findings)
        reasons.append(f"the re-plan found no plan ({n} problem{'s say' if n != 1 else ' says'} why)")
    blocking = [f for f in findings if f.blocking]
    rule_errors = [f for f in blocking if f.rule not in (COST_THRESHOLD, MOVE_THRESHOLD, WAIVER_EXPIRED) and f.source != "plan"]
    if rule_errors:
        new = sum(f.status == "new" for f in rule_errors)
        reasons.append(f"{len(rule_errors)} rule finding{'s' if len(rule_errors) != 1 else ''} not waived ({new} new)")
    if any(f.rule == COST_THRESHOLD for f in blocking) and cost is not None:
        reasons.append(cost.sentence)
    if any(f.rule == MOVE_THRESHOLD for f in blocking) and churn is not None:
        reasons.append(churn.sentence)
    expired = [f for f in blocking if f.rule == WAIVER_EXPIRED]
    if expired:
        reasons.append(f"{len(expired)} waiver{'s' if len(expired) != 1 else ''} expired")
    if reasons:
        return "fail", tuple(reasons)
    warnings = [f for f in findings if f.active and f.severity == "warning"]
    if warnings:
        return "warn", tuple(f.message for f in warnings)
    return "pass", ()


__all__ = ["CHECK_FORMAT", "CheckResult", "decide"]
