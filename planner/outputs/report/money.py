"""Money in the reports: the view of the plan's one cash flow (:mod:`planner.plan.money`, whose docstring
defines the saving, the net present value, the payback month and the years) that the templates lay out.

The optimiser's objective (plan.json's `horizon_cost`) prices the target placement for the whole
horizon, as if every move landed on day one; the reports show it only where they explain the
solver's proof, labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from planner.plan.money import (
    BreakEven,
    CashFlow,
    MonthRow,
    WaveDelta,
    YearRow,
    cash_flow,
    months,
    payback,
    wave_deltas,
    years,
)

break_even = payback  # the name the roadmap's chart and older callers use


@dataclass(frozen=True)
class Totals:
    """Money over the horizon and per month, before (staying put) and after (the plan).

    The headline is :attr:`saving`: staying put minus the plan as its waves land (the cash view),
    one-time costs included.
    """

    stay_put_horizon_cost: float  # horizon_months * (today's run + today's egress)
    plan_cost: float  # the plan as its waves land: run, egress and one-time cost over the horizon
    plan_run: float
    plan_egress: float
    saving: float  # THE saving: stay_put_horizon_cost - plan_cost
    saving_ratio: Optional[float]  # of staying put
    horizon_cost: float  # the optimiser's objective (plan.json): the target placement for the whole horizon + one-time
    target_saving: float  # stay_put_horizon_cost - horizon_cost: as if every move landed on day one
    monthly_run_before: float  # plan.json's stay_put_monthly_run_cost
    monthly_run_after: float  # plan.json's monthly_run_cost
    monthly_egress_before: float
    monthly_egress_after: float  # plan.json's monthly_egress_cost
    monthly_before: float
    monthly_after: float
    monthly_saving: float  # once every wave has landed
    one_time_cost: float  # plan.json's one_time_cost
    npv: float = 0.0  # the saving stream discounted at scenario.discount_rate
    discount_rate: float = 0.0
    payback_month: Optional[int] = None

    # The names earlier templates used.
    @property
    def phased_cost(self) -> float:
        return self.plan_cost

    @property
    def phased_savings(self) -> float:
        return self.saving

    @property
    def horizon_savings(self) -> float:
        return self.target_saving

    @property
    def horizon_savings_ratio(self) -> Optional[float]:
        s = self.stay_put_horizon_cost
        return self.target_saving / s if s > 0 else None


__all__ = ["BreakEven", "CashFlow", "MonthRow", "Totals", "WaveDelta", "YearRow", "break_even", "cash_flow", "months", "payback",
           "wave_deltas", "years"]
