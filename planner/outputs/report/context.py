"""The reports' view-model: one typed, template-ready picture of a plan and its estate, built on arrays.

Every number comes from plan.json or from the one cost model (:mod:`planner.domain.costs`); every
pass or fail from the one rule set (:mod:`planner.domain.rules`, evaluated per distinct need and
site: :mod:`.compliance`) or the independent verifier (:mod:`planner.analysis.verify`), and the
evidence quotes the rules' own words. Templates only lay this out: they never compute.

The plan is turned into arrays once (:mod:`.arrays`); money over time is :mod:`.money`
(whose docstring defines the one headline saving), placement :mod:`.placement`, the
roadmap's rows :mod:`.schedule`. A million-workload plan builds in seconds: no per-workload
Python object, lists capped where a reader would drown (every item is still in the
evidence file or the work list).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from planner.base import fmt
from planner.base.problem import Problem
from planner.domain.costs import egress_columns, is_rate_priced
from planner.domain.estate import Estate
from planner.domain.rules import Rule
from planner.domain.workloads import KINDS
from planner.outputs.report import compliance as comp
from planner.outputs.report.arrays import PlanArrays, ReportError, plan_arrays
from planner.outputs.report.carbon import CarbonStory, carbon_story
from planner.outputs.report.compliance import (
    CAPACITY_WARN,
    LATENCY_WARN,
    VERIFY_INLINE_MAX,
    Block,
    CheckRow,
    CheckSummary,
    Compliance,
    PolicySection,
    ProblemRow,
    SiteUse,
)
from planner.outputs.report.evidence import evidence_name
from planner.outputs.report.money import (
    BreakEven,
    CashFlow,
    MonthRow,
    Totals,
    YearRow,
    cash_flow,
    wave_deltas,
)
from planner.outputs.report.placement import (
    CLOSING_SLACK_WARN_DAYS,
    CapacityRisk,
    CapacityStep,
    CapacityTrack,
    ClosingSite,
    PlacementRow,
    SiteRow,
    by_kind_and_country,
    capacity_over_time,
    closing_sites,
    sites_after,
)
from planner.outputs.report.schedule import (
    EmptyRun,
    GroupMove,
    MoveRow,
    PhaseRow,
    WaveRow,
    empty_runs,
    moves,
    phases,
    wave_rows,
)
from planner.plan.document import Plan
from planner.plan.money import money_headline

LISTED_RISKS = 12  # capacity and latency risks listed in the executive summary
PRICING_OPTIONS = {
    "payg": "pay-as-you-go",
    "reserved-1y": "1-year reservations",
    "reserved-3y": "3-year reservations",
    "savings-plan-1y": "a 1-year savings plan",
    "savings-plan-3y": "a 3-year savings plan",
}


@dataclass(frozen=True)
class LatencyMargin:
    workload: str
    site: str
    path: str  # "users in madrid" / "dependency crm-app-01"
    budget_ms: float
    actual_ms: float
    headroom_ms: float
    ratio: float


@dataclass(frozen=True)
class PricingBasis:
    """How Azure is priced in this plan (scenario.pricing), stated in the executive summary."""

    option: str  # payg, reserved-3y, ...
    option_text: str  # "pay-as-you-go"
    hybrid_benefit: bool
    catalogue_sites: int  # Azure sites priced from the VM catalogue (where the option applies)
    windows_workloads: int


@dataclass(frozen=True)
class ReportContext:
    """Everything a report template may show."""

    status: str
    feasible: bool  # a placement to show (also when its waves failed: `unscheduled`)
    backend: str
    gap: Optional[float]
    objective: Optional[float]
    bound: Optional[float]
    gap_amount: Optional[float]  # objective - bound in money: how much cheaper a plan might still be
    gap_exceeds_saving: bool  # the plan saves money, but less than the solver's uncertainty about it
    plan_format: str
    inventory_sha256: str
    currency: str
    start: dt.date
    horizon_months: int
    horizon_end: dt.date  # last day of the horizon
    plan_date: dt.date  # the programme's start: the date a plan and its reports are known by (never the clock)
    workloads: int
    sites: int
    moving: int
    staying: int
    problems: tuple[ProblemRow, ...]
    totals: Totals
    months: tuple[MonthRow, ...]
    years: tuple[YearRow, ...]
    break_even: Optional[BreakEven]
    realised_savings: Optional[float]  # plan.json schedule.realised_savings (the wave scheduler's objective), if given
    cross_wave_dependencies: Optional[int]
    pricing: PricingBasis
    by_kind: tuple[PlacementRow, ...]
    by_country: tuple[PlacementRow, ...]
    site_rows: tuple[SiteRow, ...]
    capacity_risks: tuple[CapacityRisk, ...]
    capacity_steps: tuple[CapacityStep, ...]
    capacity_tracks: tuple[CapacityTrack, ...]
    closing_sites: tuple[ClosingSite, ...]
    latency_risks: tuple[LatencyMargin, ...]  # the LISTED_RISKS closest to their budget
    latency_risk_count: int  # every path at LATENCY_WARN of its budget or more
    waves: tuple[WaveRow, ...]
    busy_waves: tuple[WaveRow, ...]  # the waves that move something
    empty_runs: tuple[EmptyRun, ...]
    empty_why: tuple[str, ...]  # plan.json schedule.notes: why each run of empty waves moves nothing
    phases: tuple[PhaseRow, ...]
    moves: tuple[MoveRow, ...]  # the first OutputLimits.listed_moves
    moves_total: int
    compliance: Compliance
    footer: str = ""  # an organisation's footer line (--footer), on every page
    money_line: str = ""  # the saving, horizon, NPV and payback worded as every command words them (planner.plan.money)
    horizon_text: str = ""  # "2027-01-01 to 2029-12-31 (36 months)": the horizon by its first and last day
    unscheduled: bool = False  # a placement holds, but its waves cannot keep their rules (status infeasible)
    kinds: tuple[str, ...] = tuple(k.value for k in KINDS)
    capacity_warn: float = CAPACITY_WARN
    latency_warn: float = LATENCY_WARN
    closing_slack_warn_days: int = CLOSING_SLACK_WARN_DAYS
    listed_risks: int = LISTED_RISKS
    blocks: tuple[Block, ...] = field(default=(), repr=False, compare=False)  # the checks behind the evidence file
    carbon: Optional[CarbonStory] = None  # emissions beside the money (planner.outputs.report.carbon)


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def build_context(plan: Plan, estate: Estate, footer: str = "", verify: Optional[bool] = None,
                  findings: Optional[Sequence[Problem]] = None) -> ReportContext:
    """The view-model of `plan`, made from `estate` (the inventory the plan was made from).

    `verify` runs the independent verifier (:func:`planner.analysis.verify.verify_plan`) with the
    reports; by default only up to VERIFY_INLINE_MAX workloads (above, the compliance report
    says to run `planner verify`). `findings` are the verifier's findings on this plan and
    estate when the caller already has them (:func:`planner.make_plan` verifies every plan it
    returns, finding nothing): the report quotes them instead of verifying again. `footer` is
    an organisation's line for every page.
    """
    if plan.inventory_sha256 != estate.inventory.sha256:
        raise ReportError(
            f"the plan was made from a different inventory (plan inventory_sha256 {plan.inventory_sha256[:12]}…, "
            f"inventory {estate.inventory.sha256[:12]}…); pass the inventory the plan was made from, or re-plan")
    return _Builder(plan, estate, footer, verify, findings).build()


class _Builder:
    def __init__(self, plan: Plan, estate: Estate, footer: str, verify: Optional[bool],
                 findings: Optional[Sequence[Problem]] = None):
        self.plan = plan
        self.estate = estate
        self.scn = estate.scenario
        self.footer = footer
        self.findings = findings
        self.feasible = bool(plan.assignments) and plan.status != "unknown"
        self.verify = verify if verify is not None else len(estate.table) <= VERIFY_INLINE_MAX
        self.arr: PlanArrays = plan_arrays(plan, estate, self.feasible)
        self.waves = sorted(plan.waves, key=lambda wv: wv.number)
        self.egress_before = float(egress_columns(estate, estate.table.current_site.astype(np.int64)).sum())
        self.horizon_last = self.scn.last_day

    # --- money

    def totals(self, cf: CashFlow) -> Totals:
        """The report's money, every horizon figure from the plan's one cash flow (:func:`planner.plan.money.cash_flow`)."""
        t = self.plan.totals
        egress_after = t["monthly_egress_cost"] if self.feasible else self.egress_before
        run_after = t["monthly_run_cost"] if self.feasible else t["stay_put_monthly_run_cost"]
        before = t["stay_put_monthly_run_cost"] + self.egress_before
        after = run_after + egress_after
        stay = cf.stay_put_cost
        horizon_cost = t["horizon_cost"] if self.feasible else stay
        return Totals(
            stay_put_horizon_cost=stay, plan_cost=cf.plan_cost, plan_run=cf.plan_run, plan_egress=cf.plan_egress, saving=cf.saving,
            saving_ratio=cf.saving_ratio, horizon_cost=horizon_cost, target_saving=stay - horizon_cost,
            monthly_run_before=t["stay_put_monthly_run_cost"], monthly_run_after=run_after, monthly_egress_before=self.egress_before,
            monthly_egress_after=egress_after, monthly_before=before, monthly_after=after, monthly_saving=before - after,
            one_time_cost=t["one_time_cost"], npv=cf.npv, discount_rate=cf.discount_rate, payback_month=cf.payback_month)

    def pricing(self) -> PricingBasis:
        p = self.scn.pricing
        catalogue = sum(1 for s in self.estate.sites if s.kind.value == "azure" and not is_rate_priced(s))
        windows = int((self.estate.table.os == 1).sum())
        return PricingBasis(p.azure, PRICING_OPTIONS.get(p.azure, p.azure), bool(p.hybrid_benefit), catalogue, windows)

    # --- compliance

    def compliance(self) -> tuple[Compliance, tuple[Block, ...], list[LatencyMargin], int]:
        est = self.estate
        t = est.table
        checks = comp.evaluate(self.plan, est, self.arr) if self.feasible else comp.Checks()
        blocks = tuple(b for b in checks.blocks)

        def summary(rule: Rule) -> CheckSummary:
            block = next((b for b in blocks if b.rule is rule), comp._empty(rule))
            return comp.summarise(est, block, comp.LABELS[rule][0], rule.value)

        policies: list[PolicySection] = []
        governed = np.zeros(len(t), dtype=bool)
        for pol in sorted(est.inventory.policies, key=lambda p: p.id):
            block = next((b for b in blocks if b.rule is Rule.RESIDENCY and b.policy == pol.id), comp._empty(Rule.RESIDENCY, pol.id))
            governed[block.rows] = True
            s = comp.summarise(est, block, f"{pol.name} ({pol.id})", f"residency:{pol.id}")
            res = est.policy_residency[pol.id]
            cite = None if res.preset is None else comp.PresetCitation(
                res.preset.name, res.preset.title, res.preset.as_of.isoformat(), res.preset.legal_basis, res.preset.sources)
            policies.append(PolicySection(pol.id, pol.name, pol.data_class, res.written,
                                          tuple(sorted(res.countries)), pol.description or "", s,
                                          comp.site_uses(est, block), cite,
                                          tuple(f"{c.country} (sites certified {c.certification})" for c in res.conditional)))
        problems: list = []
        if self.feasible and self.verify:
            if self.findings is not None:
                problems = sorted(set(self.findings))
            else:
                from planner.analysis.verify import verify_plan

                problems = verify_plan(est, self.plan)
        sections = {rule: summary(rule) for rule in (Rule.USER_LATENCY, Rule.DEPENDENCY_LATENCY, Rule.CERTIFICATION, Rule.PIN,
                                                      Rule.ALLOWED_KINDS, Rule.SITE_CLOSING)}
        capacity = comp.capacity_summary(est, self.arr, checks.placement) if self.feasible else \
            comp.summarise(est, comp._empty(Rule.CAPACITY), "Site capacity", "capacity")
        anti = comp.anti_affinity_summary(est, self.arr, checks.placement) if self.feasible else \
            comp.summarise(est, comp._empty(Rule.ANTI_AFFINITY), "Anti-affinity groups", "anti-affinity")
        all_summaries = [p.summary for p in policies] + list(sections.values()) + [capacity, anti]
        rows = sum(len(b) for b in blocks)
        c = Compliance(
            rule_residency=Rule.RESIDENCY.text, policies=tuple(policies), ungoverned=int((~governed).sum()) if self.feasible else 0,
            user_latency=sections[Rule.USER_LATENCY], dependency_latency=sections[Rule.DEPENDENCY_LATENCY],
            certifications=sections[Rule.CERTIFICATION], pins=sections[Rule.PIN], allowed_kinds=sections[Rule.ALLOWED_KINDS],
            site_exits=sections[Rule.SITE_CLOSING], capacity=capacity, anti_affinity=anti,
            verification=tuple(ProblemRow(p.rule, tuple(p.workloads), tuple(p.sites), p.message) for p in problems),
            verified=self.feasible and self.verify,
            country_groups=tuple((name, ", ".join(sorted(est.expand_countries([name])))) for name in sorted(est.inventory.countries)),
            rules=tuple((r.value, r.text) for r in Rule),
            checks=sum(s.governed for s in all_summaries), failed=sum(s.failed for s in all_summaries),
            borderline=sum(s.borderline for s in all_summaries),
            evidence_file=evidence_name(rows) if self.feasible else "", evidence_rows=rows)
        margins, count = self.latency_risks(blocks)
        return c, blocks, margins, count

    def latency_risks(self, blocks: tuple[Block, ...]) -> tuple[list[LatencyMargin], int]:
        """User and dependency paths at LATENCY_WARN of their budget or more (failing ones too), the closest first."""
        est = self.estate
        t = est.table
        parts = []
        for tag, rule in ((0, Rule.USER_LATENCY), (1, Rule.DEPENDENCY_LATENCY)):
            b = next((x for x in blocks if x.rule is rule), None)
            if b is None or not len(b):
                continue
            used = b.used
            assert used is not None and b.measured is not None and b.budget is not None
            k = np.nonzero(used >= LATENCY_WARN)[0]
            parts.append((tag, b, k, used[k], b.budget[k] - b.measured[k]))
        count = sum(len(p[2]) for p in parts)
        if not count:
            return [], 0
        tag = np.concatenate([np.full(len(p[2]), p[0]) for p in parts])
        which = np.concatenate([p[2] for p in parts])
        ratio = np.concatenate([p[3] for p in parts])
        headroom = np.concatenate([p[4] for p in parts])
        rows = np.concatenate([p[1].rows[p[2]] for p in parts])
        order = np.lexsort((which, tag, rows, headroom, -ratio))[:LISTED_RISKS]
        blocks_by_tag = {p[0]: p[1] for p in parts}
        out = []
        for i in order.tolist():
            b, k = blocks_by_tag[int(tag[i])], int(which[i])
            if b.rule is Rule.USER_LATENCY:
                path = b.requirements[int(b.requirement[k])].split(",")[0]  # "users in madrid": zone ids hold no comma
            else:
                path = f"dependency {t.ids[int(b.requirement[k])]}"
            out.append(LatencyMargin(t.ids[int(b.rows[k])], est.sites[int(b.site[k])].id, path, float(b.budget[k]),  # type: ignore[index]
                                     float(b.measured[k]), float(headroom[i]), float(ratio[i])))  # type: ignore[index]
        return out, count

    # --- all

    def build(self) -> ReportContext:
        plan, est, scn, arr = self.plan, self.estate, self.scn, self.arr
        t = plan.totals
        deltas = wave_deltas(est, arr, self.waves) if self.feasible else {}
        cf = cash_flow(est, arr if self.feasible else None, self.waves, t["stay_put_monthly_run_cost"])
        month_rows = list(cf.months)
        totals = self.totals(cf)
        by_kind, by_country = by_kind_and_country(est, arr, self.feasible)
        site_rows, capacity = sites_after(est, arr, self.feasible)
        steps, tracks = capacity_over_time(est, arr, self.waves) if self.feasible else ((), ())
        busy = {int(n) for n in np.unique(arr.wave[arr.moves]).tolist() if n > 0}
        phase_of, phase_rows = phases(plan, self.waves, busy)
        wave_list = wave_rows(est, arr, self.waves, deltas, phase_of)
        compliance, blocks, margins, margin_count = self.compliance()
        listed, moves_total = moves(est, arr) if self.feasible else ([], 0)
        solver = plan.solver
        objective, bound, gap = _number(solver.get("objective")), _number(solver.get("bound")), _number(solver.get("gap"))
        gap_amount = (objective - bound) if objective is not None and bound is not None else (
            gap * objective if gap is not None and objective is not None else None)
        schedule = getattr(plan, "schedule", None)
        realised = _number(getattr(schedule, "realised_savings", None)) if schedule is not None else None
        cross = getattr(schedule, "cross_wave_dependencies", None) if schedule is not None else None
        moving = int(arr.moves.sum()) if self.feasible else 0
        return ReportContext(
            status=plan.status, feasible=self.feasible, unscheduled=self.feasible and not plan.has_plan, backend=str(solver.get("backend", "")), gap=gap, objective=objective,
            bound=bound, gap_amount=gap_amount,
            gap_exceeds_saving=bool(self.feasible and gap_amount is not None and totals.saving > 0 and gap_amount > totals.saving + 0.005),
            plan_format=plan.format, inventory_sha256=plan.inventory_sha256, currency=scn.currency, start=scn.start,
            horizon_months=scn.horizon_months, horizon_end=self.horizon_last, plan_date=scn.start, workloads=len(est.table),
            sites=len(est.sites), moving=moving, staying=(len(plan.assignments) - moving) if self.feasible else 0,
            problems=tuple(ProblemRow(p.rule, tuple(p.workloads), tuple(p.sites), p.message)
                           for p in sorted(set(plan.problems))),
            totals=totals, months=tuple(month_rows), years=cf.years,
            break_even=cf.payback, realised_savings=realised,
            cross_wave_dependencies=int(cross) if isinstance(cross, int) and not isinstance(cross, bool) else None,
            pricing=self.pricing(), by_kind=tuple(by_kind), by_country=tuple(by_country), site_rows=tuple(site_rows),
            capacity_risks=tuple(capacity), capacity_steps=steps, capacity_tracks=tracks,
            closing_sites=tuple(closing_sites(est, arr, self.waves, self.feasible)), latency_risks=tuple(margins),
            latency_risk_count=margin_count, waves=tuple(wave_list), busy_waves=tuple(w for w in wave_list if not w.empty),
            empty_runs=tuple(empty_runs(wave_list)),
            empty_why=tuple(str(n) for n in getattr(schedule, "notes", ()) or ()) if schedule is not None else (),
            phases=tuple(phase_rows), moves=tuple(listed), moves_total=moves_total,
            compliance=compliance, footer=self.footer, blocks=blocks,
            money_line=money_headline(plan, scn), horizon_text=fmt.horizon(scn.start, scn.last_day, scn.horizon_months),
            carbon=carbon_story(est, arr if self.feasible else None, self.waves, plan.totals),
        )


__all__ = ["CheckRow", "CheckSummary", "Compliance", "GroupMove", "LatencyMargin", "PolicySection", "PricingBasis",
           "ProblemRow", "ReportContext", "ReportError", "SiteUse", "build_context"]
