"""The reports' view-model: one typed, template-ready picture of a plan and its estate.

Every number comes from plan.json or from the one cost model (:mod:`planner.costs`);
every pass or fail from the one rule set (:mod:`planner.rules`) or the independent
verifier (:mod:`planner.verify`), and the evidence quotes :class:`planner.rules.Rule`'s
own words. Templates only lay this out: they never compute.

Savings over time (the cash view) follow one documented convention:

* staying put costs, every month, every workload's run cost on its current site plus the
  egress of today's placement;
* a moving workload costs its current site's rate until the end of its wave and its new
  site's rate from the day after (a month is prorated by days); egress follows the
  placement in force on each day;
* a move's one-time cost falls in the month its wave starts.

The optimiser's `horizon_cost` (plan.json) instead counts the target placement's run cost
for the whole horizon; both are shown, each labelled.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any, Iterable, Optional

import numpy as np

from ..costs import egress_columns, monthly_egress, monthly_run, stay_put_horizon
from ..estate import Estate
from ..model import Site, SiteKind, Workload, add_months
from ..plan import Assignment, Plan
from ..rules import Rule, latency_text, profile_violations
from ..waves import phase_name, phases_of

CAPACITY_WARN = 0.90  # a site resource this full after the plan is a risk
LATENCY_WARN = 0.80  # a path using this much of its latency budget is at the edge
CLOSING_SLACK_WARN_DAYS = 60  # a DC exit finishing closer than this to the close date is a risk
RESOURCES = (("vcpu", "vCPU"), ("memory_gb", "memory GB"), ("storage_gb", "storage GB"))


class ReportError(Exception):
    """A report that cannot be made from these inputs (e.g. plan and inventory do not match)."""


# ----------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class ProblemRow:
    rule: str
    workloads: tuple[str, ...]
    sites: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Totals:
    """Money over the horizon and per month, before (staying put) and after (the plan)."""

    horizon_cost: float  # plan.json totals.horizon_cost: target placement for the whole horizon
    stay_put_horizon_cost: float  # horizon_months * (stay-put run + stay-put egress)
    horizon_savings: float
    horizon_savings_ratio: Optional[float]
    monthly_run_before: float  # plan.json totals.stay_put_monthly_run_cost
    monthly_run_after: float  # plan.json totals.monthly_run_cost
    monthly_egress_before: float
    monthly_egress_after: float  # plan.json totals.monthly_egress_cost
    monthly_before: float
    monthly_after: float
    monthly_saving: float
    one_time_cost: float  # plan.json totals.one_time_cost
    phased_cost: float  # the cash view: moves take effect at the end of their wave
    phased_savings: float


@dataclass(frozen=True)
class MonthRow:
    index: int  # 1-based month of the horizon
    start: dt.date
    stay_put: float
    planned: float  # run + egress under the placement in force, prorated by day
    one_time: float
    saving: float  # stay_put - planned - one_time
    cumulative: float


@dataclass(frozen=True)
class YearRow:
    number: int
    start: dt.date
    end: dt.date  # last day
    months: int
    stay_put: float
    planned: float
    one_time: float
    saving: float
    cumulative: float


@dataclass(frozen=True)
class BreakEven:
    month: int  # 1-based month of the horizon in which cumulative savings turn non-negative
    start: dt.date


@dataclass(frozen=True)
class PlacementRow:
    key: str
    before: int
    after: int
    monthly_after: float  # run cost of the workloads there after the plan


@dataclass(frozen=True)
class SiteRow:
    id: str
    name: str
    kind: str
    country: str
    zone: str
    before: int
    after: int
    monthly_after: float
    peak_use: Optional[float]  # the fullest resource after the plan, as a fraction of capacity
    peak_resource: str
    closes: Optional[dt.date]


@dataclass(frozen=True)
class CapacityRisk:
    site: str
    site_name: str
    resource: str
    used: float
    capacity: float
    ratio: float


@dataclass(frozen=True)
class ClosingSite:
    site: str
    name: str
    closes: dt.date
    in_horizon: bool
    workloads_today: int
    remaining: int
    last_wave: Optional[int]
    last_wave_end: Optional[dt.date]
    slack_days: Optional[int]
    at_risk: bool


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
class GroupMove:
    label: str
    app: str
    production: bool
    workloads: int
    from_sites: str
    to_sites: str


@dataclass(frozen=True)
class WaveRow:
    number: int
    phase: str
    pilot: bool
    start: dt.date
    end: dt.date
    days: int
    workloads: int
    groups: tuple[GroupMove, ...]
    effort_hours: float
    one_time: float
    monthly_saving: float  # what the wave's moves change the monthly run + egress cost by (positive saves)
    cumulative_monthly_saving: float


@dataclass(frozen=True)
class PhaseRow:
    name: str
    start: dt.date
    end: dt.date
    waves: tuple[int, ...]
    workloads: int


@dataclass(frozen=True)
class MoveRow:
    workload: str
    app: str
    env: str
    wave: Optional[int]
    from_site: str
    to_site: str
    to_kind: str
    to_country: str
    one_time: float
    monthly_before: float
    monthly_after: float


@dataclass(frozen=True)
class CheckRow:
    """One rule applied to one workload: what was checked, where it sits, the result, the evidence."""

    workload: str
    subject: str
    site: str
    kind: str
    country: str
    zone: str
    passed: bool
    evidence: str


@dataclass(frozen=True)
class PolicySection:
    id: str
    name: str
    data_class: str
    allowed: tuple[str, ...]
    expanded: tuple[str, ...]
    description: str
    rows: tuple[CheckRow, ...]
    passed: int
    failed: int


@dataclass(frozen=True)
class CheckSection:
    rule: str
    rule_text: str
    rows: tuple[CheckRow, ...]
    passed: int
    failed: int


@dataclass(frozen=True)
class Compliance:
    rule_residency: str
    policies: tuple[PolicySection, ...]
    ungoverned: int  # workloads holding no data class any policy governs
    user_latency: CheckSection
    dependency_latency: CheckSection
    certifications: CheckSection
    site_exits: CheckSection
    verification: tuple[ProblemRow, ...]
    country_groups: tuple[tuple[str, str], ...]
    rules: tuple[tuple[str, str], ...]
    checks: int
    failed: int


@dataclass(frozen=True)
class ReportContext:
    """Everything a report template may show."""

    status: str
    feasible: bool
    backend: str
    gap: Optional[float]
    objective: Optional[float]
    bound: Optional[float]
    plan_format: str
    inventory_sha256: str
    currency: str
    start: dt.date
    horizon_months: int
    horizon_end: dt.date  # last day of the horizon
    workloads: int
    sites: int
    moving: int
    staying: int
    problems: tuple[ProblemRow, ...]
    totals: Totals
    months: tuple[MonthRow, ...]
    years: tuple[YearRow, ...]
    break_even: Optional[BreakEven]
    realised_savings: Optional[float]  # plan.json schedule.realised_savings (run cost only, before one-time costs), if given
    cross_wave_dependencies: Optional[int]  # plan.json schedule.cross_wave_dependencies, if given
    by_kind: tuple[PlacementRow, ...]
    by_country: tuple[PlacementRow, ...]
    site_rows: tuple[SiteRow, ...]
    capacity_risks: tuple[CapacityRisk, ...]
    closing_sites: tuple[ClosingSite, ...]
    latency_risks: tuple[LatencyMargin, ...]
    waves: tuple[WaveRow, ...]
    phases: tuple[PhaseRow, ...]
    moves: tuple[MoveRow, ...]
    compliance: Compliance
    capacity_warn: float = CAPACITY_WARN
    latency_warn: float = LATENCY_WARN
    closing_slack_warn_days: int = CLOSING_SLACK_WARN_DAYS


# ----------------------------------------------------------------------------- helpers


def _field(obj: Any, name: str) -> Any:
    """`obj.name` or `obj[name]`, None when absent (plan.json readers ignore what they do not know)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _as_date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _site_name(site: Site) -> str:
    return site.name or site.id


def _count_sites(ids: Iterable[str]) -> str:
    """`mad-dc1 ×3, bcn-dc1` (most first, then by id)."""
    counts = Counter(ids)
    return ", ".join(f"{sid} ×{n}" if n > 1 else sid for sid, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _overlap_days(a0: dt.date, a1: dt.date, b0: dt.date, b1: dt.date) -> int:
    """Days in both half-open ranges [a0, a1) and [b0, b1)."""
    return max(0, (min(a1, b1) - max(a0, b0)).days)


# ----------------------------------------------------------------------------- builder


def build_context(plan: Plan, estate: Estate) -> ReportContext:
    """The view-model of `plan`, made from `estate` (the inventory the plan was made from)."""
    if plan.inventory_sha256 != estate.inventory.sha256:
        raise ReportError(
            f"the plan was made from a different inventory (plan inventory_sha256 {plan.inventory_sha256[:12]}…, "
            f"inventory {estate.inventory.sha256[:12]}…); pass the inventory the plan was made from, or re-plan")
    return _Builder(plan, estate).build()


class _Builder:
    def __init__(self, plan: Plan, estate: Estate):
        self.plan = plan
        self.estate = estate
        self.scn = estate.scenario
        self.feasible = plan.has_plan and bool(plan.assignments)
        self.by_workload: dict[str, Assignment] = {a.workload: a for a in plan.assignments}
        unknown = sorted(set(self.by_workload) - set(estate.workload_index))
        unknown_sites = sorted({a.site for a in plan.assignments} - set(estate.site_by_id))
        if unknown or unknown_sites:
            raise ReportError(f"the plan names what the inventory does not hold: {', '.join((unknown + unknown_sites)[:5])}")
        # Today's run cost of every workload, from the cost model (0 where no price exists, as stay_put_monthly).
        self.stay_run: dict[str, float] = {}
        for w in estate.workloads:
            run = monthly_run(estate, w, estate.site_by_id[w.current_site])
            self.stay_run[w.id] = run.monthly if run is not None else 0.0
        self.site_now = {w.id: w.current_site for w in estate.workloads}
        self.site_after = {w.id: (self.by_workload[w.id].site if w.id in self.by_workload else w.current_site) for w in estate.workloads}
        self.waves = sorted(plan.waves, key=lambda wv: wv.number)
        self.wave_of = {wid: wv.number for wv in self.waves for wid in wv.workloads}
        self.egress_before = monthly_egress(estate, self.site_now)
        self.horizon_last = add_months(self.scn.start, self.scn.horizon_months) - dt.timedelta(days=1)
        self._verify: Optional[list] = None

    # --- money over time

    def _wave_deltas(self) -> dict[int, tuple[float, float]]:
        """Per wave: (change in monthly run cost, change in monthly egress) when its moves take effect."""
        est = self.estate
        index = est.workload_index
        site_no = est.table.current_site.astype(np.int64).copy()
        egress = float(egress_columns(est, site_no).sum())
        out: dict[int, tuple[float, float]] = {}
        for wv in self.waves:
            movers = [wid for wid in wv.workloads if wid in self.by_workload]
            d_run = sum(self.by_workload[wid].monthly_cost - self.stay_run[wid] for wid in movers)
            rows = np.array([index[wid] for wid in movers], dtype=np.int64)
            site_no[rows] = [est.site_index[self.by_workload[wid].site] for wid in movers]
            after = float(egress_columns(est, site_no).sum())
            out[wv.number] = (d_run, after - egress)
            egress = after
        return out

    def _months(self, deltas: dict[int, tuple[float, float]]) -> list[MonthRow]:
        scn = self.scn
        stay_month = self.plan.totals["stay_put_monthly_run_cost"] + self.egress_before
        # The placement in force changes the day after each wave ends.
        steps: list[tuple[dt.date, float]] = []
        level = stay_month
        for wv in self.waves:
            d_run, d_egress = deltas.get(wv.number, (0.0, 0.0))
            level += d_run + d_egress
            steps.append((wv.end + dt.timedelta(days=1), level))
        one_time_by_month: dict[int, float] = defaultdict(float)
        rows: list[MonthRow] = []
        cumulative = 0.0
        for m in range(scn.horizon_months):
            m0, m1 = add_months(scn.start, m), add_months(scn.start, m + 1)
            for wv in self.waves:
                if m0 <= wv.start < m1:
                    one_time_by_month[m] += sum(self.by_workload[wid].one_time_cost for wid in wv.workloads if wid in self.by_workload)
            days = (m1 - m0).days
            planned = 0.0
            bounds = [scn.start] + [d for d, _ in steps] + [dt.date.max]
            levels = [stay_month] + [lv for _, lv in steps]
            for i, lv in enumerate(levels):
                planned += lv * _overlap_days(m0, m1, bounds[i], bounds[i + 1]) / days
            one = one_time_by_month[m]
            saving = stay_month - planned - one
            cumulative += saving
            rows.append(MonthRow(m + 1, m0, stay_month, planned, one, saving, cumulative))
        # One-time costs of waves starting before the horizon's first day or after it are counted in its first/last month.
        missed = self.plan.totals["one_time_cost"] - sum(r.one_time for r in rows)
        if rows and abs(missed) > 0.005:
            last = rows[-1]
            rows[-1] = MonthRow(last.index, last.start, last.stay_put, last.planned, last.one_time + missed,
                                last.saving - missed, last.cumulative - missed)
        return rows

    @staticmethod
    def _years(months: list[MonthRow], scn: Any) -> list[YearRow]:
        rows: list[YearRow] = []
        for y in range(0, len(months), 12):
            chunk = months[y:y + 12]
            start = chunk[0].start
            end = add_months(scn.start, y + len(chunk)) - dt.timedelta(days=1)
            rows.append(YearRow(y // 12 + 1, start, end, len(chunk), sum(r.stay_put for r in chunk), sum(r.planned for r in chunk),
                                sum(r.one_time for r in chunk), sum(r.saving for r in chunk), chunk[-1].cumulative))
        return rows

    @staticmethod
    def _break_even(months: list[MonthRow]) -> Optional[BreakEven]:
        """The first month from which cumulative savings stay non-negative, if any."""
        be: Optional[BreakEven] = None
        for r in months:
            if r.cumulative >= -0.005:
                if be is None:
                    be = BreakEven(r.index, r.start)
            else:
                be = None
        return be

    # --- placement

    def _placement(self) -> tuple[list[PlacementRow], list[PlacementRow], list[SiteRow], list[CapacityRisk]]:
        est = self.estate
        before_kind, after_kind, before_cty, after_cty = Counter(), Counter(), Counter(), Counter()  # type: ignore[var-annotated]
        money_kind: dict[str, float] = defaultdict(float)
        money_cty: dict[str, float] = defaultdict(float)
        before_site, after_site = Counter(), Counter()  # type: ignore[var-annotated]
        money_site: dict[str, float] = defaultdict(float)
        used: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for w in est.workloads:
            now = est.site_by_id[w.current_site]
            before_kind[now.kind.value] += 1
            before_cty[est.site_country(now)] += 1
            before_site[now.id] += 1
            if not self.feasible:
                continue
            a = self.by_workload[w.id]
            site = est.site_by_id[a.site]
            after_kind[site.kind.value] += 1
            after_cty[est.site_country(site)] += 1
            after_site[site.id] += 1
            money_kind[site.kind.value] += a.monthly_cost
            money_cty[est.site_country(site)] += a.monthly_cost
            money_site[site.id] += a.monthly_cost
            for res, _ in RESOURCES:
                used[site.id][res] += getattr(w, res)
        kinds = [k.value for k in SiteKind]
        by_kind = [PlacementRow(k, before_kind[k], after_kind[k], money_kind[k]) for k in kinds]
        countries = sorted(set(before_cty) | set(after_cty) | {est.site_country(s) for s in est.sites})
        by_country = [PlacementRow(c, before_cty[c], after_cty[c], money_cty[c]) for c in countries]
        sites: list[SiteRow] = []
        risks: list[CapacityRisk] = []
        for s in est.sites:
            peak: Optional[float] = None
            peak_res = ""
            for res, label in RESOURCES:
                cap = getattr(s.capacity, res) if s.capacity is not None else None
                if cap is None or not self.feasible:
                    continue
                amount = used[s.id][res]
                ratio = amount / cap if cap > 0 else (1.0 if amount > 0 else 0.0)
                if peak is None or ratio > peak:
                    peak, peak_res = ratio, label
                if ratio >= CAPACITY_WARN:
                    risks.append(CapacityRisk(s.id, _site_name(s), label, amount, cap, ratio))
            sites.append(SiteRow(s.id, _site_name(s), s.kind.value, est.site_country(s), s.zone, before_site[s.id], after_site[s.id],
                                 money_site[s.id], peak, peak_res, s.closes))
        risks.sort(key=lambda r: (-r.ratio, r.site, r.resource))
        return by_kind, by_country, sites, risks

    def _closing(self) -> list[ClosingSite]:
        est = self.estate
        out: list[ClosingSite] = []
        wave_end = {wv.number: wv.end for wv in self.waves}
        for s in est.sites:
            if s.closes is None:
                continue
            today = [w.id for w in est.workloads if w.current_site == s.id]
            remaining = sum(1 for wid in today if self.site_after[wid] == s.id) if self.feasible else len(today)
            waves = sorted({self.wave_of[wid] for wid in today if wid in self.wave_of})
            last = waves[-1] if waves else None
            last_end = wave_end.get(last) if last is not None else None
            slack = (s.closes - last_end).days if last_end is not None else None
            in_horizon = est.closes_in_horizon(s)
            at_risk = in_horizon and (remaining > 0 or (slack is not None and slack < CLOSING_SLACK_WARN_DAYS))
            out.append(ClosingSite(s.id, _site_name(s), s.closes, in_horizon, len(today), remaining, last, last_end, slack, at_risk))
        return out

    def _latency(self) -> list[LatencyMargin]:
        est = self.estate
        out: list[LatencyMargin] = []
        if not self.feasible:
            return out
        for w in est.workloads:
            site = est.site_by_id[self.site_after[w.id]]
            for u in w.users:
                out.append(self._margin(w.id, site, f"users in {u.zone}", u.max_latency_ms, est.latency(site.zone, u.zone)))
            for d in w.depends_on:
                if d.max_latency_ms is None:
                    continue
                other = est.site_by_id[self.site_after[d.workload]]
                out.append(self._margin(w.id, site, f"dependency {d.workload}", d.max_latency_ms, est.latency(site.zone, other.zone)))
        return out

    @staticmethod
    def _margin(wid: str, site: Site, path: str, budget: float, actual: float) -> LatencyMargin:
        ratio = actual / budget if budget > 0 else (0.0 if actual <= 0 else float("inf"))
        return LatencyMargin(wid, site.id, path, budget, actual, budget - actual, ratio)

    # --- waves

    def _phases(self) -> tuple[dict[int, str], list[PhaseRow]]:
        schedule = _field(self.plan, "schedule")
        given = _field(schedule, "phases")
        phase_of: dict[int, str] = {}
        for wv in self.waves:
            name = _field(wv, "phase")
            if name:
                phase_of[wv.number] = str(name)
        rows: list[PhaseRow] = []
        size = {wv.number: len(wv.workloads) for wv in self.waves}
        if isinstance(given, (list, tuple)) and given:
            for p in given:
                name, start, end = _field(p, "phase"), _as_date(_field(p, "start")), _as_date(_field(p, "end"))
                waves = tuple(sorted(int(n) for n in (_field(p, "waves") or [])))
                if name is None or start is None or end is None:
                    rows = []
                    break
                for n in waves:
                    phase_of.setdefault(n, str(name))
                rows.append(PhaseRow(str(name), start, end, waves, sum(size.get(n, 0) for n in waves)))
        for wv in self.waves:
            phase_of.setdefault(wv.number, phase_name(wv.start))  # older plans name no phases
        if not rows:
            rows = [PhaseRow(p.phase, p.start, p.end, p.waves, sum(size.get(n, 0) for n in p.waves)) for p in phases_of(self.waves)]
        rows.sort(key=lambda r: (r.start, r.name))
        return phase_of, rows

    def _waves(self, deltas: dict[int, tuple[float, float]], phase_of: dict[int, str]) -> list[WaveRow]:
        est = self.estate
        rows: list[WaveRow] = []
        cumulative = 0.0
        for wv in self.waves:
            members = [est.workloads[est.workload_index[wid]] for wid in sorted(wv.workloads) if wid in est.workload_index]
            groups: dict[tuple[str, bool], list[Workload]] = defaultdict(list)
            for w in members:
                groups[w.move_group].append(w)
            moves = tuple(
                GroupMove(f"{app} {'production' if prod else 'non-production'}", app, prod, len(ws),
                          _count_sites(w.current_site for w in ws), _count_sites(self.site_after[w.id] for w in ws))
                for (app, prod), ws in sorted(groups.items()))
            d_run, d_egress = deltas.get(wv.number, (0.0, 0.0))
            saving = -(d_run + d_egress)
            cumulative += saving
            one = sum(self.by_workload[w.id].one_time_cost for w in members if w.id in self.by_workload)
            rows.append(WaveRow(wv.number, phase_of[wv.number], wv.number <= self.scn.waves.pilot_waves, wv.start, wv.end,
                                (wv.end - wv.start).days + 1, len(wv.workloads), moves, sum(est.effort_hours(w) for w in members),
                                one, saving, cumulative))
        return rows

    def _moves(self) -> list[MoveRow]:
        est = self.estate
        out: list[MoveRow] = []
        for w in est.workloads:
            a = self.by_workload.get(w.id)
            if a is None or not a.moves:
                continue
            site = est.site_by_id[a.site]
            out.append(MoveRow(w.id, w.app, w.env, a.wave, w.current_site, a.site, site.kind.value, est.site_country(site),
                               a.one_time_cost, self.stay_run[w.id], a.monthly_cost))
        out.sort(key=lambda m: (m.wave if m.wave is not None else 10**9, m.app, m.workload))
        return out

    # --- compliance

    def verification(self) -> list:
        if self._verify is None:
            from ..verify import verify_plan

            self._verify = verify_plan(self.estate, self.plan)
        return self._verify

    def _check(self, w: Workload, site: Site, rule: Rule, **narrow: Any) -> list[str]:
        """Messages of `rule` that the rule set raises for `w` on `site`, with `w` narrowed to one need."""
        base: dict[str, Any] = {"data": (), "users": (), "requires": (), "pin": None, "allowed_kinds": None}
        base.update({k: tuple(v) if isinstance(v, list) else v for k, v in narrow.items()})
        probe = replace(w, **base)
        return [v.message for v in profile_violations(self.estate, probe, site) if v.rule is rule]

    def _row(self, w: Workload, site: Site, subject: str, passed: bool, evidence: str) -> CheckRow:
        return CheckRow(w.id, subject, site.id, site.kind.value, self.estate.site_country(site), site.zone, passed, evidence)

    def _compliance(self) -> Compliance:
        est = self.estate
        placed = self.feasible
        policies: list[PolicySection] = []
        governed: set[str] = set()
        for pol in sorted(est.inventory.policies, key=lambda p: p.id):
            rows: list[CheckRow] = []
            allowed = est.policy_countries[pol.id]
            same_class = est.policies_by_class.get(pol.data_class, ())
            for w in est.workloads:
                if pol.data_class not in w.data or not placed:
                    continue
                governed.add(w.id)
                site = est.site_by_id[self.site_after[w.id]]
                msgs = self._check(w, site, Rule.RESIDENCY, data=[pol.data_class])
                if len(same_class) > 1:
                    msgs = [m for m in msgs if m.startswith(f"{pol.id} ")]
                country = est.site_country(site)
                evidence = msgs[0] if msgs else f"{site.id} is in {country}, one of the countries {pol.id} allows ({', '.join(pol.allowed_countries)})"
                rows.append(self._row(w, site, pol.data_class, not msgs, evidence))
            passed = sum(r.passed for r in rows)
            policies.append(PolicySection(pol.id, pol.name, pol.data_class, tuple(pol.allowed_countries), tuple(sorted(allowed)),
                                          pol.description or "", tuple(rows), passed, len(rows) - passed))
        ungoverned = sum(1 for w in est.workloads if w.id not in governed) if placed else 0

        users: list[CheckRow] = []
        certs: list[CheckRow] = []
        deps: list[CheckRow] = []
        exits: list[CheckRow] = []
        problems = self.verification() if placed else []
        dep_fail: dict[tuple[str, str], str] = {}
        exit_fail: dict[str, str] = {}
        for p in problems:
            if p.rule == Rule.DEPENDENCY_LATENCY.value:
                dep_fail.setdefault(tuple(p.workloads), p.message)  # type: ignore[arg-type]
            elif p.rule in (Rule.SITE_CLOSING.value, Rule.WAVES.value):
                for wid in p.workloads:
                    exit_fail.setdefault(wid, p.message)
        wave_end = {wv.number: wv.end for wv in self.waves}
        for w in est.workloads if placed else ():
            site = est.site_by_id[self.site_after[w.id]]
            for u in w.users:
                msgs = self._check(w, site, Rule.USER_LATENCY, users=[u])
                got_text = latency_text(est.latency(site.zone, u.zone))
                evidence = msgs[0] if msgs else f"{site.zone} to {u.zone}: {got_text}, within the {u.max_latency_ms:g} ms budget"
                users.append(self._row(w, site, f"users in {u.zone}, {u.max_latency_ms:g} ms", not msgs, evidence))
            for d in w.depends_on:
                if d.max_latency_ms is None:
                    continue
                other = est.site_by_id[self.site_after[d.workload]]
                got_text = latency_text(est.latency(site.zone, other.zone))
                fail = dep_fail.get(tuple(sorted((w.id, d.workload))))  # type: ignore[arg-type]
                evidence = fail or f"{d.workload} is on {other.id} ({other.zone}): {got_text}, within the {d.max_latency_ms:g} ms budget"
                deps.append(self._row(w, site, f"{d.workload}, {d.max_latency_ms:g} ms", fail is None, evidence))
            if w.requires:
                msgs = self._check(w, site, Rule.CERTIFICATION, requires=list(w.requires))
                held = ", ".join(sorted(site.certifications)) or "none"
                evidence = msgs[0] if msgs else f"{site.id} holds {held}"
                certs.append(self._row(w, site, ", ".join(sorted(w.requires)), not msgs, evidence))
            old = est.site_by_id[w.current_site]
            if est.closes_in_horizon(old):
                fail = exit_fail.get(w.id)
                n = self.wave_of.get(w.id)
                if fail is None and n is not None and n in wave_end:
                    evidence = f"leaves {old.id} in wave {n}, which ends {wave_end[n]}, before it closes on {old.closes}"
                else:
                    evidence = fail or f"{old.id} closes on {old.closes}"
                exits.append(self._row(w, site, f"leave {old.id} by {old.closes}", fail is None, evidence))

        def section(rule: Rule, rows: list[CheckRow]) -> CheckSection:
            passed = sum(r.passed for r in rows)
            return CheckSection(rule.value, rule.text, tuple(rows), passed, len(rows) - passed)

        groups = tuple((name, ", ".join(sorted(est.expand_countries([name])))) for name in sorted(est.inventory.countries))
        verification = tuple(ProblemRow(p.rule, tuple(p.workloads), tuple(p.sites), p.message) for p in problems)
        sections = [section(Rule.USER_LATENCY, users), section(Rule.DEPENDENCY_LATENCY, deps), section(Rule.CERTIFICATION, certs),
                    section(Rule.SITE_CLOSING, exits)]
        checks = sum(len(p.rows) for p in policies) + sum(len(s.rows) for s in sections)
        failed = sum(p.failed for p in policies) + sum(s.failed for s in sections)
        return Compliance(Rule.RESIDENCY.text, tuple(policies), ungoverned, *sections, verification, groups,
                          tuple((r.value, r.text) for r in Rule), checks, failed)

    # --- all

    def build(self) -> ReportContext:
        plan, est, scn = self.plan, self.estate, self.scn
        t = plan.totals
        deltas = self._wave_deltas() if self.feasible else {}
        months = self._months(deltas) if self.feasible else []
        years = self._years(months, scn)
        egress_after = t["monthly_egress_cost"] if self.feasible else self.egress_before
        run_after = t["monthly_run_cost"] if self.feasible else t["stay_put_monthly_run_cost"]
        before = t["stay_put_monthly_run_cost"] + self.egress_before
        after = run_after + egress_after
        stay_horizon = stay_put_horizon(est, t["stay_put_monthly_run_cost"])
        horizon_cost = t["horizon_cost"] if self.feasible else stay_horizon
        phased = sum(r.planned + r.one_time for r in months) if months else stay_horizon
        totals = Totals(
            horizon_cost=horizon_cost, stay_put_horizon_cost=stay_horizon, horizon_savings=stay_horizon - horizon_cost,
            horizon_savings_ratio=(stay_horizon - horizon_cost) / stay_horizon if stay_horizon > 0 else None,
            monthly_run_before=t["stay_put_monthly_run_cost"], monthly_run_after=run_after,
            monthly_egress_before=self.egress_before, monthly_egress_after=egress_after,
            monthly_before=before, monthly_after=after, monthly_saving=before - after,
            one_time_cost=t["one_time_cost"], phased_cost=phased, phased_savings=stay_horizon - phased)
        by_kind, by_country, sites, capacity = self._placement()
        margins = [m for m in self._latency() if m.ratio >= LATENCY_WARN]
        margins.sort(key=lambda m: (-m.ratio, m.headroom_ms, m.workload, m.path))
        phase_of, phases = self._phases()
        realised = _field(_field(plan, "schedule"), "realised_savings")
        cross = _field(_field(plan, "schedule"), "cross_wave_dependencies")
        solver = plan.solver
        moving = sum(1 for a in plan.assignments if a.moves)
        return ReportContext(
            status=plan.status, feasible=self.feasible, backend=str(solver.get("backend", "")),
            gap=solver.get("gap"), objective=solver.get("objective"), bound=solver.get("bound"), plan_format=plan.format,
            inventory_sha256=plan.inventory_sha256, currency=scn.currency, start=scn.start, horizon_months=scn.horizon_months,
            horizon_end=self.horizon_last, workloads=len(est.workloads), sites=len(est.sites), moving=moving,
            staying=len(plan.assignments) - moving,
            problems=tuple(ProblemRow(p.rule, tuple(p.workloads), tuple(p.sites), p.message) for p in sorted(set(plan.problems))),
            totals=totals, months=tuple(months), years=tuple(years), break_even=self._break_even(months) if months else None,
            realised_savings=float(realised) if isinstance(realised, (int, float)) and not isinstance(realised, bool) else None,
            cross_wave_dependencies=int(cross) if isinstance(cross, int) and not isinstance(cross, bool) else None,
            by_kind=tuple(by_kind), by_country=tuple(by_country), site_rows=tuple(sites), capacity_risks=tuple(capacity),
            closing_sites=tuple(self._closing()), latency_risks=tuple(margins),
            waves=tuple(self._waves(deltas, phase_of)), phases=tuple(phases), moves=tuple(self._moves()),
            compliance=self._compliance(),
        )


__all__ = ["ReportContext", "ReportError", "build_context"]
