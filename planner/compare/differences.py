"""What differs between a scenario and the base: which workloads land elsewhere, and why, in the rules' words.

Built on :func:`planner.analysis.diff.diff_plans` with the scenario's own inventory, so each reason is
the one `planner diff` gives: the rule the base's site now breaks, the saving of the new site,
or the rule between workloads that displaced it. Workloads are grouped into flows (base site to
scenario site, for one reason kind); the first :data:`LISTED` workloads are listed one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Optional

from planner.analysis.diff import Move, diff_plans
from planner.domain.estate import Estate
from planner.domain.rules import Rule
from planner.plan.document import Plan, cents

LISTED = 100  # workloads listed one by one per scenario (every one is counted in its flow)
COST_REASON = "cost"  # a flow no rule forces: the new site is cheaper in this scenario, or the joint optimum moved it


@dataclass(frozen=True)
class Flow:
    """Workloads that sit on `base_site` in the base and on `site` in the scenario, for one kind of reason."""

    base_site: str
    site: str
    rule: str  # a Rule id, or COST_REASON
    rule_text: str
    workloads: int
    monthly_cost_delta: float
    example: str  # the first workload's reason

    def to_json(self) -> dict[str, Any]:
        return {"base_site": self.base_site, "site": self.site, "rule": self.rule, "rule_text": self.rule_text,
                "workloads": self.workloads, "monthly_cost_delta": self.monthly_cost_delta, "example": self.example}


@dataclass(frozen=True)
class Elsewhere:
    """One workload that lands elsewhere than in the base."""

    workload: str
    base_site: Optional[str]  # None: not in the base
    site: Optional[str]  # None: removed by the scenario
    rule: Optional[str]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "base_site": self.base_site, "site": self.site, "rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class Differences:
    """A scenario against the base; empty for the base itself or when either has no plan."""

    compared: bool  # both have a plan
    elsewhere: int  # workloads on another site than in the base
    added: int
    removed: int
    flows: tuple[Flow, ...]
    listed: tuple[Elsewhere, ...]

    def to_json(self) -> dict[str, Any]:
        return {"compared": self.compared, "workloads_elsewhere": self.elsewhere, "added": self.added, "removed": self.removed,
                "flows": [f.to_json() for f in self.flows], "workloads": [w.to_json() for w in self.listed],
                "workloads_listed": len(self.listed)}


NONE = Differences(False, 0, 0, 0, (), ())


def _rule_text(rule: str) -> str:
    if rule == COST_REASON:
        return "no rule forces it: the site is cheaper in this scenario, or the joint optimum moved it"
    try:
        return Rule(rule).text
    except ValueError:
        return rule


def differences(base: Plan, plan: Plan, estate: Estate) -> Differences:
    """How `plan` (made from `estate`) places workloads differently from `base`."""
    if not (base.has_plan and plan.has_plan):
        return NONE
    d = diff_plans(base, plan, estate)
    groups: dict[tuple[str, str, str], list[Move]] = defaultdict(list)
    for m in d.relocated:
        groups[(m.old_site or "", m.new_site or "", m.rule or COST_REASON)].append(m)
    flows = [Flow(b, s, rule, _rule_text(rule), len(ms), cents(sum(m.monthly_cost_delta for m in ms)),
                  f"{ms[0].workload}: {ms[0].reason}")
             for (b, s, rule), ms in groups.items()]
    flows.sort(key=lambda f: (-f.workloads, f.base_site, f.site, f.rule))
    listed = tuple(Elsewhere(m.workload, m.old_site, m.new_site, m.rule, m.reason) for m in d.moves[:LISTED])
    return Differences(True, len(d.relocated), len(d.added), len(d.removed), tuple(flows), listed)


__all__ = ["COST_REASON", "Differences", "Elsewhere", "Flow", "LISTED", "NONE", "differences"]
