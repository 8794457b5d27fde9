"""The figures of one planned scenario that the comparison sets side by side.

Every figure comes from the scenario's plan.json and the reports' own view-model
(:func:`planner.outputs.report.build_context`), so a number in the comparison is the number in that
scenario's executive summary: horizon cost against staying put, the cash view's cumulative
savings and break-even month, placement by site kind and country, the compliance checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from planner.domain.estate import Estate
from planner.plan.document import Plan, cents
from planner.plan.money import YearFlow

SHORT = 200  # characters of a problem's headline


@dataclass(frozen=True)
class ProblemText:
    """Why a scenario has no plan (or what the verifier found), in inventory terms."""

    rule: str
    workloads: tuple[str, ...]
    sites: tuple[str, ...]
    message: str

    @property
    def headline(self) -> str:
        """The message's first sentence (what collides), for a table cell; the whole message is in `message`."""
        text = self.message.split("; no site satisfies")[0] if "; no site satisfies" in self.message else self.message
        text = text.split(". ")[0]
        return text if len(text) <= SHORT else text[: SHORT - 1].rstrip() + "…"

    @property
    def sites_shown(self) -> str:
        """The sites involved, at most six named."""
        more = len(self.sites) - 6
        return ", ".join(self.sites[:6]) + (f" and {more} more" if more > 0 else "")

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "workloads": list(self.workloads), "sites": list(self.sites), "message": self.message}


@dataclass(frozen=True)
class Figures:
    """One scenario's plan in numbers (money in `currency`, rounded to cents; None where it has no plan)."""

    status: str
    has_plan: bool
    gap: Optional[float]
    currency: str
    horizon_months: int
    start: dt.date
    inventory_sha256: str
    workloads: int
    horizon_cost: Optional[float]
    stay_put_cost: float
    saving: Optional[float]
    saving_ratio: Optional[float]
    one_time_cost: Optional[float]
    monthly_run_cost: Optional[float]  # after the plan: run
    monthly_egress_cost: Optional[float]
    monthly_cost_before: float  # staying put: run + egress
    monthly_cost_after: Optional[float]  # run + egress
    horizon_run_cost: Optional[float]  # horizon_months x monthly run (the horizon cost's parts)
    horizon_egress_cost: Optional[float]
    moving: Optional[int]
    waves: Optional[int]  # waves that move something
    last_wave_end: Optional[dt.date]
    break_even_month: Optional[int]
    break_even_date: Optional[dt.date]
    by_kind: tuple[tuple[str, int], ...]  # after the plan (today's when it has none)
    by_country: tuple[tuple[str, int], ...]
    checks: int
    failed_checks: int
    findings: tuple[ProblemText, ...]  # the independent verifier's, on a plan
    problems: tuple[ProblemText, ...]  # why there is no plan
    cumulative_savings: tuple[float, ...]  # per month of the horizon, the cash view
    npv: Optional[float] = None  # the saving stream discounted at discount_rate (planner.plan.money)
    discount_rate: float = 0.0
    horizon_end: Optional[dt.date] = None  # the horizon's last day
    cash_flow_by_year: tuple[YearFlow, ...] = ()
    emissions_tonnes: Optional[float] = None  # plan.json's: the target placement over the horizon, tCO2e
    emissions_as_waves_land: Optional[float] = None  # the executive summary's: each move from the end of its wave
    stay_put_emissions_tonnes: Optional[float] = None
    carbon_price_per_tonne: float = 0.0
    carbon_cost: Optional[float] = None  # the price times emissions_tonnes, in the objective beside horizon_cost

    @property
    def compliant(self) -> bool:
        """A plan exists and every rule check and the verifier pass."""
        return self.has_plan and self.failed_checks == 0 and not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "has_plan": self.has_plan, "gap": self.gap, "currency": self.currency,
            "horizon_months": self.horizon_months, "start": self.start.isoformat(), "inventory_sha256": self.inventory_sha256,
            "workloads": self.workloads, "horizon_cost": self.horizon_cost, "stay_put_cost": self.stay_put_cost,
            "saving": self.saving, "saving_ratio": self.saving_ratio, "one_time_cost": self.one_time_cost,
            "monthly_run_cost": self.monthly_run_cost, "monthly_egress_cost": self.monthly_egress_cost,
            "monthly_cost_before": self.monthly_cost_before, "monthly_cost_after": self.monthly_cost_after,
            "horizon_cost_parts": None if not self.has_plan else {
                "run": self.horizon_run_cost, "egress": self.horizon_egress_cost, "one_time": self.one_time_cost},
            "workloads_moving": self.moving, "waves": self.waves,
            "last_wave_end": self.last_wave_end.isoformat() if self.last_wave_end else None,
            "break_even": None if self.break_even_month is None else {
                "month": self.break_even_month, "date": self.break_even_date.isoformat() if self.break_even_date else None},
            "payback_month": self.break_even_month, "npv": self.npv, "discount_rate": self.discount_rate,
            "horizon_end": self.horizon_end.isoformat() if self.horizon_end else None,
            "cash_flow_by_year": [y.to_json() for y in self.cash_flow_by_year],
            "by_kind": dict(self.by_kind), "by_country": dict(self.by_country),
            "compliance": {"checks": self.checks, "failed": self.failed_checks, "compliant": self.compliant,
                           "findings": [f.to_json() for f in self.findings]},
            "problems": [p.to_json() for p in self.problems],
            "cumulative_savings": list(self.cumulative_savings),
            "emissions_tonnes": self.emissions_tonnes, "emissions_as_waves_land": self.emissions_as_waves_land,
            "stay_put_emissions_tonnes": self.stay_put_emissions_tonnes,
            "carbon": {"price_per_tonne": self.carbon_price_per_tonne, "carbon_cost": self.carbon_cost},
        }


def _problems(items: Any) -> tuple[ProblemText, ...]:
    return tuple(sorted({ProblemText(p.rule, tuple(p.workloads), tuple(p.sites), p.message) for p in items},
                        key=lambda p: (p.rule, p.workloads, p.sites, p.message)))


def figures(plan: Plan, estate: Estate) -> Figures:
    """The figures of `plan`, made from `estate` (the merged inventory it was planned from)."""
    from planner.outputs.report import build_context

    ctx = build_context(plan, estate)
    t = ctx.totals
    placed = ctx.feasible
    horizon = ctx.horizon_months

    def money(x: float) -> Optional[float]:
        return cents(x) if placed else None

    moved_waves = [w for w in plan.waves if w.workloads]
    kinds = tuple((row.key, row.after if placed else row.before) for row in ctx.by_kind)
    countries = tuple((row.key, row.after if placed else row.before) for row in ctx.by_country
                      if (row.after if placed else row.before))
    return Figures(
        status=plan.status, has_plan=placed, gap=plan.solver.get("gap"), currency=ctx.currency, horizon_months=horizon,
        start=ctx.start, inventory_sha256=plan.inventory_sha256, workloads=ctx.workloads,
        horizon_cost=money(t.horizon_cost), stay_put_cost=cents(t.stay_put_horizon_cost), saving=money(t.saving),
        saving_ratio=round(t.saving_ratio, 6) if placed and t.saving_ratio is not None else None,
        one_time_cost=money(t.one_time_cost), monthly_run_cost=money(t.monthly_run_after),
        monthly_egress_cost=money(t.monthly_egress_after), monthly_cost_before=cents(t.monthly_before),
        monthly_cost_after=money(t.monthly_after), horizon_run_cost=money(horizon * t.monthly_run_after),
        horizon_egress_cost=money(horizon * t.monthly_egress_after),
        moving=ctx.moving if placed else None, waves=len(moved_waves) if placed else None,
        last_wave_end=max((w.end for w in moved_waves), default=None) if placed else None,
        break_even_month=ctx.break_even.month if ctx.break_even else None,
        break_even_date=ctx.break_even.start if ctx.break_even else None,
        by_kind=kinds, by_country=countries,
        checks=ctx.compliance.checks, failed_checks=ctx.compliance.failed,
        findings=_problems(ctx.compliance.verification) if placed else (),
        problems=_problems(plan.problems) if not placed else (),
        cumulative_savings=tuple(cents(m.cumulative) for m in ctx.months),
        npv=money(t.npv), discount_rate=t.discount_rate, horizon_end=ctx.horizon_end,
        cash_flow_by_year=tuple(y.flow() for y in ctx.years) if placed else (),
        **_carbon(plan, ctx, placed),
    )


def _carbon(plan: Plan, ctx: Any, placed: bool) -> dict[str, Any]:
    """The emission figures of a plan (None where it has none; plans made before carbon give none either)."""
    t, story = plan.totals, ctx.carbon
    tonnes = t.get("emissions_tonnes") if placed else None
    return {"emissions_tonnes": tonnes, "stay_put_emissions_tonnes": t.get("stay_put_emissions_tonnes"),
            "emissions_as_waves_land": round(story.planned, 3) if placed and story is not None and tonnes is not None else None,
            "carbon_price_per_tonne": story.price_per_tonne if story is not None else 0.0,
            "carbon_cost": t.get("carbon_cost") if placed else None}


__all__ = ["Figures", "ProblemText", "figures"]
