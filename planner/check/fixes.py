"""The nearest fix of a finding, in one sentence: what to change so it goes away.

For a workload that a single-site rule keeps off a site (or off every site), the nearest fix is
the site that breaks the fewest rules for it (its current site first on a tie, then the
inventory's site order), and the rule to change there: one look-up per site of
:func:`planner.domain.rules.violations`, only for the few workloads with findings. For rules between
workloads, the waves, the gate's own rules and bad input, it is the remedy the rule admits.
"""

from __future__ import annotations

from typing import Optional

from planner.check.findings import (
    BASELINE,
    COST_THRESHOLD,
    INPUT,
    MOVE_THRESHOLD,
    WAIVER_FILE,
    Finding,
)
from planner.domain.estate import Estate
from planner.domain.rules import Rule, violations

SINGLE_SITE = {r.value for r in (Rule.PIN, Rule.ALLOWED_KINDS, Rule.CERTIFICATION, Rule.RESIDENCY, Rule.USER_LATENCY,
                                 Rule.SITE_CLOSING, Rule.SIZE, Rule.NO_VM_SIZE)}
MAX_SHOWN = 3  # sites named in a fix that keeps every rule

REMEDY = {
    Rule.CAPACITY.value: "add capacity to the site, or allow some of its workloads on other sites",
    Rule.DEPENDENCY_LATENCY.value: "raise the dependency's max_latency_ms, or allow both ends on sites in zones that close",
    Rule.ANTI_AFFINITY.value: "allow the group's workloads on more sites, or take one out of the anti_affinity group",
    Rule.WAVES.value: "raise the scenario's waves limits (max_workloads, max_effort_hours), lengthen the horizon or split the app",
    Rule.WAVE_ORDER.value: "loosen the dependency's max_latency_ms or let the two apps move in one wave (the waves limits)",
    Rule.ASSIGNMENT.value: "re-plan: every workload must sit on exactly one site of the inventory",
    Rule.COST.value: "re-plan: the plan's costs do not match the cost model of this inventory and catalogue",
    COST_THRESHOLD: "undo what made the plan dearer, or accept it with a waiver for cost-threshold",
    MOVE_THRESHOLD: "keep more workloads on their baseline sites, or accept the moves with a waiver for move-threshold",
}  # waiver-expired and waiver-unused findings say their fix themselves


def nearest_fix(f: Finding, estate: Optional[Estate]) -> str:
    """One sentence saying what would make `f` go away ("" when its message already says, as bad input does)."""
    if f.rule in (INPUT, BASELINE, WAIVER_FILE) or f.status == "resolved":
        return ""
    rules = f.rule.split("+")
    if estate is not None and len(f.workloads) == 1 and all(r in SINGLE_SITE for r in rules):
        fix = _nearest_site(estate, f.workloads[0])
        if fix:
            return fix
    for r in rules:
        if r in REMEDY:
            return REMEDY[r]
    return ""


def _nearest_site(estate: Estate, wid: str) -> str:
    row = estate.workload_index.get(wid)
    if row is None:
        return ""
    w = estate.workloads[row]
    ranked = []
    for order, site in enumerate(estate.sites):
        broken = violations(estate, w, site)
        ranked.append((len({v.rule for v in broken}), site.id != w.current_site, order, site.id, broken))
    ranked.sort(key=lambda r: r[:3])
    clean = [r[3] for r in ranked if r[0] == 0]
    if clean:
        more = f" and {len(clean) - MAX_SHOWN} more" if len(clean) > MAX_SHOWN else ""
        return f"place {wid} on a site that keeps every rule for it: {', '.join(clean[:MAX_SHOWN])}{more}"
    n, _, _, sid, broken = ranked[0]
    verb = "stay on" if sid == w.current_site else "go to"
    first = broken[0]
    if n == 1:
        return f"{sid} breaks only {first.rule.value} for {wid} ({first.message}); change that and {wid} can {verb} {sid}"
    names = sorted({v.rule.value for v in broken})
    return f"no site is one change away; {sid} breaks the fewest rules for {wid} ({', '.join(names)}): change those and it can {verb} {sid}"


__all__ = ["REMEDY", "nearest_fix"]
