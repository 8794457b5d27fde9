"""Why a workload sits where a plan puts it, and what every other site would cost or break (`planner explain`).

For the workload and each site, with every other workload where the plan puts it:

- the single-site rules it would break there (:func:`planner.domain.rules.violations`: pin, kinds,
  certifications, residency, user latency, site closing, size);
- the coupled rules that block it there (capacity, anti-affinity, dependency latency);
- otherwise what it would cost there over the horizon (:mod:`planner.domain.costs`: monthly run,
  egress of its dependencies both ways, one-time move cost).

The solver places all workloads jointly, so the chosen site is the cheapest *feasible* one
for the plan as a whole; where a site is cheaper for this workload alone, the explanation
says what stops it, or says plainly that the plan's proven gap covers it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from planner.analysis.placed import Placed
from planner.base.errors import PlannerError
from planner.base.fmt import money
from planner.base.untrusted import one_line, terminal
from planner.domain.carbon import energy_arrays, site_factors
from planner.domain.costs import horizon_cost, monthly_run
from planner.domain.estate import Estate
from planner.domain.model import Site, Workload
from planner.domain.rules import Rule, Violation, violations
from planner.plan.document import Plan, cents
from planner.plan.money import money_headline

EXPLAIN_FORMAT = "hybrid-migration-explain/1"
_LIST = 6  # sites named in one sentence before "and N more"


class ExplainError(PlannerError):
    """The workload cannot be explained from this plan and inventory (unknown id, stale plan)."""


@dataclass(frozen=True)
class Finding:
    """A rule the workload would break on a site: the rule id, what the rule demands, and how it breaks."""

    rule: str
    text: str
    message: str

    @classmethod
    def of(cls, v: Violation) -> "Finding":
        return cls(v.rule.value, v.rule.text, v.message)

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text, "message": self.message}


@dataclass(frozen=True)
class Option:
    """The workload on one site: its cost there, and the rules that forbid or block it."""

    site: str
    kind: str
    country: str
    sku: Optional[str]
    monthly_run: Optional[float]  # None: no VM size in the region is large enough
    monthly_egress: float
    one_time: float
    horizon_cost: Optional[float]
    breaks: tuple[Finding, ...]  # single-site rules: the site is never admissible for it
    blocked_by: tuple[Finding, ...]  # coupled rules, given where the plan puts every other workload
    extra_cost: Optional[float] = None  # horizon cost minus the chosen site's

    @property
    def status(self) -> str:
        return "breaks" if self.breaks else ("blocked" if self.blocked_by else "admissible")

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site, "kind": self.kind, "country": self.country, "sku": self.sku, "status": self.status,
            "monthly_run": _c(self.monthly_run), "monthly_egress": cents(self.monthly_egress), "one_time": cents(self.one_time),
            "horizon_cost": _c(self.horizon_cost), "extra_cost": _c(self.extra_cost),
            "breaks": [f.to_json() for f in self.breaks], "blocked_by": [f.to_json() for f in self.blocked_by],
        }


def _c(x: Optional[float]) -> Optional[float]:
    return None if x is None else cents(x)


@dataclass(frozen=True)
class Explanation:
    """Everything `planner explain` says about one workload, renderer-neutral."""

    workload: str
    current_site: str
    site: Optional[str]  # where the plan puts it; None when the plan places nothing (infeasible)
    wave: Optional[int]
    status: str
    chosen: Optional[Option]
    alternatives: tuple[Option, ...]  # every other site: admissible, then blocked, then breaking; each by horizon cost
    reasons: tuple[str, ...]
    stale: bool
    currency: str
    horizon_months: int
    problems: tuple[str, ...] = field(default_factory=tuple)  # the infeasible plan's problems naming the workload
    plan_money: str = ""  # the whole plan's saving, horizon, NPV and payback, worded as every command words them
    horizon_last_day: Optional[dt.date] = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": EXPLAIN_FORMAT, "workload": self.workload, "current_site": self.current_site, "site": self.site,
            "moves": self.site is not None and self.site != self.current_site, "wave": self.wave, "plan_status": self.status,
            "stale_plan": self.stale, "currency": self.currency, "horizon_months": self.horizon_months,
            "chosen": self.chosen.to_json() if self.chosen else None,
            "alternatives": [o.to_json() for o in self.alternatives],
            "reasons": list(self.reasons), "problems": list(self.problems), "plan_money": self.plan_money,
            "horizon_end": self.horizon_last_day.isoformat() if self.horizon_last_day else None,
        }


def suggest(workload_id: str, known: list[str]) -> list[str]:
    """Close matches for a mistyped workload id, best first."""
    return difflib.get_close_matches(workload_id, known, n=3, cutoff=0.6)


def explain_workload(estate: Estate, plan: Plan, workload_id: str) -> Explanation:
    """Explain where `plan` puts `workload_id`; raises :class:`ExplainError` for an id that neither knows."""
    if workload_id not in estate.workload_index:
        if workload_id in plan.site_of:  # the plan was made from another inventory: suggesting the very name typed helps no one
            raise ExplainError(f"the plan places {workload_id!r} but the inventory does not hold it: the plan was made from "
                               "another inventory; pass that one with --inventory")
        hints = [h for h in suggest(workload_id, sorted(set(estate.workload_index) | set(plan.site_of))) if h != workload_id]
        hint = f"; did you mean {' or '.join(hints)}?" if hints else ""
        raise ExplainError(f"no workload {workload_id!r} in the inventory{hint}")
    w = estate.workloads[estate.workload_index[workload_id]]
    site_of = plan.site_of
    sid = site_of.get(w.id)
    stale = plan.inventory_sha256 != estate.inventory.sha256
    if sid is None and plan.has_plan:
        raise ExplainError(f"the plan places no workload {w.id!r}: it was made from another inventory; re-plan")
    if sid is not None and sid not in estate.site_by_id:
        raise ExplainError(f"the plan puts {w.id} on {sid!r}, which is not a site in the inventory: the plan is stale; re-plan")
    placed = Placed(estate, {k: v for k, v in site_of.items() if v in estate.site_by_id})
    options = [_option(estate, placed, w, s) for s in estate.sites]
    chosen = next((o for o in options if o.site == sid), None)
    others = [o for o in options if o.site != sid]
    if chosen is not None and chosen.horizon_cost is not None:
        others = [_with_extra(o, chosen.horizon_cost) for o in others]
    order = {"admissible": 0, "blocked": 1, "breaks": 2}
    others.sort(key=lambda o: (order[o.status], o.horizon_cost is None, o.horizon_cost or 0.0, o.site))
    assignment = next((a for a in plan.assignments if a.workload == w.id), None)
    problems = tuple(p.message for p in sorted(set(plan.problems)) if w.id in p.workloads)
    reasons = _reasons(estate, plan, w, chosen, others, assignment.wave if assignment else None)
    return Explanation(w.id, w.current_site, sid, assignment.wave if assignment else None, plan.status, chosen, tuple(others),
                       tuple(reasons), stale, estate.scenario.currency, estate.scenario.horizon_months, problems,
                       money_headline(plan, estate.scenario) if plan.has_plan else "", estate.scenario.last_day)


def _with_extra(o: Option, base: float) -> Option:
    from dataclasses import replace

    return replace(o, extra_cost=None if o.horizon_cost is None else o.horizon_cost - base)


def _option(estate: Estate, placed: Placed, w: Workload, site: Site) -> Option:
    run = monthly_run(estate, w, site)
    egress = placed.egress(w, site)
    one = estate.one_time(w, site)
    # As the objective counts it: a carbon price's charge is part of each site's cost (0 without a price).
    total = horizon_cost(estate, run.monthly + egress + _carbon_charge(estate, w, site), one) if run is not None else None
    breaks = tuple(Finding.of(v) for v in violations(estate, w, site))
    blocked = tuple(Finding.of(v) for v in placed.coupled_violations(w, site))
    return Option(site.id, site.kind.value, estate.site_country(site), run.sku if run else None, run.monthly if run else None,
                  egress, one, total, breaks, blocked)


def _carbon_charge(estate: Estate, w: Workload, site: Site) -> float:
    """The carbon price's monthly charge for `w` on `site` (planner.domain.carbon), 0 without a price."""
    price = estate.scenario.carbon.price_per_tonne
    if not price:
        return 0.0
    kwh = energy_arrays(np.array([w.vcpu]), np.array([np.nan if w.cpu_util_p95 is None else w.cpu_util_p95]), np.array([w.storage_gb]))
    return float(kwh[0] * site_factors(estate)[estate.site_index[site.id]] / 1e6 * price)


def _names(ids: list[str]) -> str:
    shown = ", ".join(ids[:_LIST])
    return shown + (f" and {len(ids) - _LIST} more" if len(ids) > _LIST else "")


def _reasons(estate: Estate, plan: Plan, w: Workload, chosen: Optional[Option], others: list[Option], wave: Optional[int]) -> list[str]:
    cur = estate.scenario.currency
    horizon = estate.scenario.horizon_months
    out: list[str] = []
    if chosen is None:
        out.append(f"the plan is {plan.status} and places no workload; below is what each site would cost {w.id} or which rules it would break")
    elif chosen.site == w.current_site:
        out.append(f"{w.id} stays on {chosen.site}, where it runs today (no one-time cost)")
    else:
        when = f" in wave {wave}" if wave is not None else ""
        out.append(f"{w.id} moves from {w.current_site} to {chosen.site}{when} (one-time cost {money(chosen.one_time, cur)})")
    if chosen is not None and chosen.breaks + chosen.blocked_by:
        for f in chosen.breaks + chosen.blocked_by:
            out.append(f"warning: the plan's site {chosen.site} breaks {f.rule}: {f.message} (re-plan or run planner verify)")
    by_rule: dict[str, list[Option]] = {}
    for o in others:
        for rule in sorted({f.rule for f in o.breaks}):
            by_rule.setdefault(rule, []).append(o)
    for rule in [r.value for r in Rule if r.value in by_rule]:
        opts = by_rule[rule]
        example = next(f.message for f in opts[0].breaks if f.rule == rule)
        out.append(f"{rule} rules out {len(opts)} site(s) ({_names(sorted(o.site for o in opts))}): "
                   f"{Rule(rule).text}; e.g. {example}")
    if chosen is None or chosen.horizon_cost is None:
        return out
    cheaper = [o for o in others if not o.breaks and o.horizon_cost is not None and o.horizon_cost < chosen.horizon_cost - 0.005]
    dearer = [o for o in others if o.status == "admissible" and o.horizon_cost is not None and o.horizon_cost >= chosen.horizon_cost - 0.005]
    free_cheaper = [o for o in cheaper if not o.blocked_by]
    if not cheaper:
        if dearer:
            nxt = dearer[0]
            out.append(f"{chosen.site} is the cheapest site that keeps every rule for {w.id}: {money(chosen.horizon_cost, cur)} over the "
                       f"{horizon}-month horizon; the next cheapest, {nxt.site}, costs {money(nxt.extra_cost or 0.0, cur)} more")
        elif any(o.status == "blocked" for o in others):
            taken = sorted(o.site for o in others if o.status == "blocked")
            out.append(f"{chosen.site} is the cheapest site that keeps every rule for {w.id}; the other sites its own rules allow "
                       f"({_names(taken)}) cost more and are also taken by coupled rules (listed below)")
        else:
            out.append(f"{chosen.site} is the only site where {w.id} keeps every rule")
    for o in cheaper:
        if o.blocked_by:
            why = "; ".join(f"{f.rule}: {f.message}" for f in o.blocked_by[:2])
            if len(o.blocked_by) > 2:
                why += f" (and {len(o.blocked_by) - 2} more)"
            out.append(f"{o.site} would be {money(-(o.extra_cost or 0.0), cur)} cheaper for {w.id} alone but is not available: {why}")
    if free_cheaper:
        objective = plan.solver.get("objective") or plan.totals.get("horizon_cost") or 0.0
        bound = plan.solver.get("bound")
        slack = objective - bound if bound is not None else None
        best = free_cheaper[0]
        saving = -(best.extra_cost or 0.0)
        if slack is not None and saving <= slack + 0.01:
            out.append(f"{best.site} would be {money(saving, cur)} cheaper and keeps every rule with the others where they are; that is within "
                       f"the solver's proven gap ({money(slack, cur)} from the best bound), so the plan is optimal only to that tolerance")
        else:
            out.append(f"{best.site} would be {money(saving, cur)} cheaper and keeps every rule with the others where they are; the solver "
                       f"weighed it jointly (wave rules, the plan's stability against its baseline, or a stale plan): consider re-planning")
    elif cheaper:
        if plan.status == "optimal":
            joint = "moving those neighbours too would make the whole plan dearer (the plan is proven optimal)"
        else:
            joint = f"the plan is {plan.status}, not proven optimal, so a cheaper joint arrangement may exist"
        out.append(f"so {chosen.site} is the cheapest site open to {w.id} with its neighbours where they are; the solver places every "
                   f"workload jointly, and {joint}")
    return out


def render_text(e: Explanation) -> str:
    """The explanation for people: where, why, and every other site (untrusted text escaped for a terminal)."""
    cur = e.currency
    t = one_line
    lines: list[str] = []
    if e.chosen is not None:
        c = e.chosen
        run = money(c.monthly_run, cur) if c.monthly_run is not None else "n/a"
        lines.append(f"{t(e.workload)} -> {t(c.site)} ({t(c.kind)}, {t(c.country)}{', ' + t(c.sku) if c.sku else ''}): {run}/month run, "
                     f"{money(c.monthly_egress, cur)}/month egress, {money(c.one_time, cur)} one-time; "
                     f"{money(c.horizon_cost or 0.0, cur)} over {e.horizon_months} months")
    else:
        lines.append(f"{t(e.workload)}: the plan is {t(e.status)} and places nothing")
    if e.plan_money:
        lines.append(f"the whole plan: {e.plan_money}")
    if e.stale:
        lines.append("warning: the plan was made from a different inventory (inventory_sha256 differs); it may be stale")
    lines.append("")
    lines.append("why:")
    lines += [f"  - {t(r)}" for r in e.reasons]
    lines += [f"  - no plan: {t(p)}" for p in e.problems]
    groups = [("admissible", "other sites that keep every rule (by horizon cost):"),
              ("blocked", "sites blocked by where the plan puts other workloads:"),
              ("breaks", "sites it may never use:")]
    for status, title in groups:
        opts = [o for o in e.alternatives if o.status == status]
        if not opts:
            continue
        lines += ["", title]
        for o in opts:
            head = f"  {t(o.site)} ({t(o.kind)}, {t(o.country)})"
            if o.horizon_cost is not None:
                extra = f"{money(o.extra_cost, cur, signed=True)} vs chosen, " if o.extra_cost is not None else ""
                cost = (f"{extra}{money(o.monthly_run or 0.0, cur)}/month run, {money(o.monthly_egress, cur)}/month egress, "
                        f"{money(o.one_time, cur)} one-time")
            else:
                cost = "no VM size fits"
            if status == "breaks":
                lines.append(f"{head}: breaks " + _findings_text(o.breaks))
            elif status == "blocked":
                lines.append(f"{head}: {cost}; blocked by " + _findings_text(o.blocked_by))
            else:
                lines.append(f"{head}: {cost}")
    return terminal("\n".join(lines))


_SHOWN_PER_RULE = 2


def _findings_text(findings: tuple[Finding, ...]) -> str:
    """Findings grouped by rule, the first few of each quoted (`--format json` lists them all)."""
    by_rule: dict[str, list[str]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f.message)
    parts = []
    for rule, messages in by_rule.items():
        more = len(messages) - _SHOWN_PER_RULE
        tail = f"; and {more} more" if more > 0 else ""
        parts.append(f"{one_line(rule)} ({'; '.join(one_line(m) for m in messages[:_SHOWN_PER_RULE])}{tail})")
    return "; ".join(parts)
