"""Findings of the CI gate: what is wrong (or was, or is waived), identified by content.

A finding's identity is ``rule:workload:site`` (never a line number), so the same
problem in the baseline and in the new plan is recognised as the same finding even when
the inventory's lines shift. ``workload`` is ``""`` for a finding about a site or the
whole estate, and ``a+b`` for one about a few workloads together (a dependency pair);
a finding about more than :data:`MAX_NAMED` workloads or sites names none in its
identity (the message lists them), so it stays the same finding as the estate grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Optional

from planner.base.problem import Problem

SEVERITIES = ("error", "warning", "info")
STATUSES = ("new", "changed", "unchanged", "waived", "resolved")
MAX_NAMED = 3

# Rule ids the gate itself adds next to planner.domain.rules.Rule's.
INPUT = "input"                  # an inventory problem (exit 2)
BASELINE = "baseline"            # an unreadable baseline plan (exit 2)
WAIVER_FILE = "waiver-file"      # a bad waivers file (exit 2)
COST_THRESHOLD = "cost-threshold"  # the horizon cost rose more than --warn-over / --fail-over
MOVE_THRESHOLD = "move-threshold"  # more workloads moved off the baseline than --warn-over-moves / --fail-over-moves
THRESHOLDS = (COST_THRESHOLD, MOVE_THRESHOLD)
WAIVER_EXPIRED = "waiver-expired"  # a waiver past its expiry: fails the check
WAIVER_UNUSED = "waiver-unused"    # a current waiver that matched nothing: info
FAULT = "planner-fault"            # the planner failed before its plan could be verified (exit 3)


@dataclass(frozen=True)
class Finding:
    """One finding. `status` says how it compares with the baseline (or that a waiver covers it)."""

    rule: str
    workload: str
    site: str
    severity: str  # error | warning | info
    message: str
    source: str  # input | baseline | waivers | plan | verify | compliance | threshold | fault
    file: str = ""
    line: int = 0
    status: str = "new"  # new | changed | unchanged | waived | resolved
    previous: str = ""  # the baseline's message when status is "changed"
    waiver_reason: str = ""
    waiver_expires: str = ""
    workload_ids: tuple[str, ...] = field(default=(), compare=False)  # every workload it is about (the id may name none)
    site_ids: tuple[str, ...] = field(default=(), compare=False)
    fix: str = field(default="", compare=False)  # the nearest fix, in one sentence (planner.check.fixes)
    # A rule the change would have broken on the baseline placement, kept by the re-plan moving these
    # (workload, from site, to site); only on the baseline's side, so its status is "resolved".
    averted: bool = field(default=False, compare=False)
    kept_by: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)

    @property
    def workloads(self) -> tuple[str, ...]:
        return self.workload_ids or ((self.workload,) if self.workload else ())

    @property
    def sites(self) -> tuple[str, ...]:
        return self.site_ids or ((self.site,) if self.site else ())

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.workload}:{self.site}"

    @property
    def active(self) -> bool:
        """Present in the new state and not waived."""
        return self.status in ("new", "changed", "unchanged")

    @property
    def blocking(self) -> bool:
        """An active error: it fails the check."""
        return self.active and self.severity == "error"

    @property
    def stated_as_reason(self) -> bool:
        """An active threshold finding: its sentence is one of the result's reasons, so renderers say it only there."""
        return self.active and self.rule in THRESHOLDS

    @property
    def sort_key(self) -> tuple:
        return (STATUSES.index(self.status), SEVERITIES.index(self.severity), self.rule, self.workload, self.site, self.message)

    def to_json(self) -> dict:
        return {"id": self.id, "rule": self.rule, "workload": self.workload, "site": self.site, "severity": self.severity,
                "status": self.status, "message": self.message, "source": self.source, "file": self.file or None,
                "line": self.line or None, "previous": self.previous or None,
                "waiver": {"reason": self.waiver_reason, "expires": self.waiver_expires} if self.waiver_reason else None,
                "fix": self.fix or None,
                "averted": {"moved": [{"workload": w, "from": a, "to": b} for w, a, b in self.kept_by]} if self.averted else None}


def named(items: Iterable[str]) -> str:
    """The identity part for a few names ("a+b"), or "" for many."""
    items = sorted(set(items))
    return "+".join(items) if len(items) <= MAX_NAMED else ""


def from_problem(p: Problem, source: str, severity: str = "error") -> Finding:
    """A plan or verify problem as a finding."""
    return Finding(p.rule, named(p.workloads), named(p.sites), severity, p.message, source,
                   workload_ids=tuple(sorted(set(p.workloads))), site_ids=tuple(sorted(set(p.sites))))


def merge(findings: Iterable[Finding]) -> dict[str, Finding]:
    """By id; two findings with one id (two problems of a rule over many workloads) keep both messages."""
    out: dict[str, Finding] = {}
    for f in sorted(findings, key=lambda f: f.sort_key):
        if f.id in out:
            prev = out[f.id]
            if f.message not in prev.message.split(" | "):
                worst = min(prev.severity, f.severity, key=SEVERITIES.index)
                out[f.id] = replace(prev, message=f"{prev.message} | {f.message}", severity=worst,
                                    workload_ids=tuple(sorted(set(prev.workloads) | set(f.workloads))),
                                    site_ids=tuple(sorted(set(prev.sites) | set(f.sites))))
        else:
            out[f.id] = f
    return out


def compare(baseline: Iterable[Finding], current: Iterable[Finding]) -> list[Finding]:
    """Current findings marked new / changed / unchanged against the baseline's, plus the baseline's now resolved."""
    before, after = merge(baseline), merge(current)
    out: list[Finding] = []
    for fid, f in after.items():
        old = before.get(fid)
        if old is None:
            out.append(replace(f, status="new"))
        elif (old.message, old.severity) != (f.message, f.severity):
            out.append(replace(f, status="changed", previous=old.message))
        else:
            out.append(replace(f, status="unchanged"))
    out += [replace(f, status="resolved") for fid, f in before.items() if fid not in after]
    return sorted(out, key=lambda f: f.sort_key)


def place(f: Finding, locate_workload, locate_site) -> Finding:  # noqa: ANN001 - callables id -> (file, line) | None
    """The finding with the inventory file and line of its first workload (else its first site), when known."""
    if f.file:
        return f
    loc: Optional[tuple[str, int]] = None
    for wid in f.workloads:
        loc = locate_workload(wid)
        if loc:
            break
    if loc is None:
        for sid in f.sites:
            loc = locate_site(sid)
            if loc:
                break
    return replace(f, file=loc[0], line=loc[1]) if loc else f


__all__ = ["COST_THRESHOLD", "FAULT", "MOVE_THRESHOLD", "THRESHOLDS", "Finding", "compare", "from_problem", "merge", "named", "place"]
