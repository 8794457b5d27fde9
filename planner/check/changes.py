"""The workloads a change touched, each with its own cost delta (Infracost's resource list, for an estate).

The gate has the baseline only as a plan.json, not the inventory it was made from, so "changed"
is what the two plans and the new inventory can tell:

* `added`: in the new inventory, not in the baseline's assignments; `removed`: the other way round;
* `re-ruled`: the baseline's placement of it breaks a rule under the new inventory (its data,
  users, pin, ... changed): the change would have broken that rule, and the re-plan moved it;
* `resized`: on the same site in both plans, but its own monthly cost changed (its size,
  utilisation or OS changed, or the site's prices).

A workload's own cost delta is its run cost over the horizon plus its one-time cost, new minus
baseline; egress is left out, since it depends on where both ends of a dependency are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from planner.check.findings import Finding
from planner.plan.document import Assignment, Plan, cents

KINDS = ("added", "removed", "re-ruled", "resized")


@dataclass(frozen=True)
class WorkloadChange:
    """One changed workload: what changed, where it sits in each plan, and its own cost in each."""

    workload: str
    kind: str  # one of KINDS
    old_site: Optional[str]
    new_site: Optional[str]
    old_monthly: float
    new_monthly: float
    old_one_time: float
    new_one_time: float
    horizon_months: int
    rule: str = ""  # re-ruled: the rule the baseline placement would break (the finding says how)

    @property
    def monthly_delta(self) -> float:
        return cents(self.new_monthly - self.old_monthly)

    @property
    def horizon_delta(self) -> float:
        """Its own cost over the horizon (run plus one-time), new minus baseline."""
        return cents(self.horizon_months * (self.new_monthly - self.old_monthly) + self.new_one_time - self.old_one_time)

    @property
    def where(self) -> str:
        """`az-fra`, `az-fra -> az-sao`, or the one site it has."""
        if self.old_site and self.new_site and self.old_site != self.new_site:
            return f"{self.old_site} -> {self.new_site}"
        return self.new_site or self.old_site or ""

    @property
    def what(self) -> str:
        """The change in words: `added`, `removed`, `resized`, `re-ruled: would have broken residency on az-fra`."""
        if self.kind == "re-ruled":
            return f"re-ruled: would have broken {self.rule} on {self.old_site}"
        return self.kind

    def to_json(self) -> dict:
        return {"workload": self.workload, "kind": self.kind, "old_site": self.old_site, "new_site": self.new_site,
                "old_monthly_cost": cents(self.old_monthly), "new_monthly_cost": cents(self.new_monthly),
                "old_one_time_cost": cents(self.old_one_time), "new_one_time_cost": cents(self.new_one_time),
                "monthly_cost_delta": self.monthly_delta, "horizon_cost_delta": self.horizon_delta,
                "rule": self.rule or None}


def workload_changes(base: Plan, new: Plan, averted: Iterable[Finding], horizon_months: int) -> tuple[WorkloadChange, ...]:
    """The changed workloads of the module docstring, largest own cost delta first (then by id)."""
    old_by = {a.workload: a for a in base.assignments}
    new_by = {a.workload: a for a in new.assignments}
    out: dict[str, WorkloadChange] = {}

    def change(wid: str, kind: str, a: Optional[Assignment], b: Optional[Assignment], rule: str = "") -> WorkloadChange:
        return WorkloadChange(wid, kind, a.site if a else None, b.site if b else None, a.monthly_cost if a else 0.0,
                              b.monthly_cost if b else 0.0, a.one_time_cost if a else 0.0, b.one_time_cost if b else 0.0,
                              horizon_months, rule)

    for wid in new_by.keys() - old_by.keys():
        out[wid] = change(wid, "added", None, new_by[wid])
    for wid in old_by.keys() - new_by.keys():
        out[wid] = change(wid, "removed", old_by[wid], None)
    for f in sorted(averted, key=lambda f: f.sort_key):
        for wid in f.workloads:
            if wid in old_by and wid in new_by and wid not in out:
                out[wid] = change(wid, "re-ruled", old_by[wid], new_by[wid], f.rule)
    for wid, a in old_by.items():
        b = new_by.get(wid)
        if b is not None and wid not in out and a.site == b.site and abs(a.monthly_cost - b.monthly_cost) >= 0.005:
            out[wid] = change(wid, "resized", a, b)
    return tuple(sorted(out.values(), key=lambda c: (-abs(c.horizon_delta), c.workload)))


__all__ = ["KINDS", "WorkloadChange", "workload_changes"]
