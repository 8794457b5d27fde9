"""The comparison: every scenario's figures side by side, each against the base, and the cheapest legal option.

One result object; `comparison.json` (:meth:`Comparison.to_json`, format
`hybrid-migration-comparison/1`), `comparison.html` and `comparison.md` are pure functions of
it. Nothing in it depends on the clock or on where a scenario was planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from planner.compare.differences import Differences
from planner.compare.figures import Figures
from planner.compare.pareto import ParetoRow, pareto_of
from planner.compare.scenarios import BASE
from planner.plan.document import cents

COMPARISON_FORMAT = "hybrid-migration-comparison/1"
DELTA_KEYS = ("horizon_cost", "saving", "npv", "one_time_cost", "monthly_run_cost", "monthly_cost_after", "workloads_moving", "waves",
              "emissions_tonnes")


@dataclass(frozen=True)
class ScenarioView:
    """One scenario in the comparison."""

    id: str
    name: str
    figures: Figures
    differences: Differences
    against_base: dict[str, Optional[float]]  # DELTA_KEYS, plus last_wave_end_days and break_even_months
    comparable: bool  # same currency and horizon as the base

    @property
    def has_plan(self) -> bool:
        return self.figures.has_plan

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, **self.figures.to_json(), "comparable_with_base": self.comparable,
                "against_base": dict(sorted(self.against_base.items())), "differences": self.differences.to_json()}


@dataclass(frozen=True)
class Comparison:
    """Every scenario, the base first; `cheapest` is the cheapest option with a plan that passes every check."""

    scenarios: tuple[ScenarioView, ...]
    cheapest: Optional[str]

    @property
    def base(self) -> ScenarioView:
        return self.scenarios[0]

    @property
    def all_planned(self) -> bool:
        return all(s.has_plan for s in self.scenarios)

    def view(self, scenario: str) -> ScenarioView:
        return next(s for s in self.scenarios if s.id == scenario)

    def summary(self) -> str:
        """The one-line headline: how many options, how many have a plan, the cheapest legal one."""
        n = len(self.scenarios)
        planned = sum(s.has_plan for s in self.scenarios)
        head = f"{n} option{'s' if n != 1 else ''} compared, {planned} with a plan"
        if self.cheapest is None:
            return head + "; none is a legal plan"
        best = self.view(self.cheapest)
        f = best.figures
        tail = f"; cheapest legal option: {best.id} ({f.horizon_cost:,.2f} {f.currency} over {f.horizon_months} months"
        if best.id != BASE and best.against_base.get("horizon_cost") is not None:
            tail += f", {best.against_base['horizon_cost']:+,.2f} against the base"
        return head + tail + ")"

    @property
    def pareto(self) -> "Optional[list[ParetoRow]]":
        """Cost against emissions of every plan, the non-dominated ones marked (None with fewer than two plans)."""
        return pareto_of(self.scenarios)

    def to_json(self) -> dict[str, Any]:
        pareto = self.pareto
        return {"format": COMPARISON_FORMAT, "base": BASE, "cheapest": self.cheapest, "summary": self.summary(),
                "scenarios": [s.to_json() for s in self.scenarios],
                "pareto": [r.to_json() for r in pareto] if pareto is not None else []}


def _delta(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return None if a is None or b is None else cents(a - b)


def against(f: Figures, base: Figures) -> dict[str, Optional[float]]:
    """`f` minus the base, figure by figure (None where either has no plan)."""
    out: dict[str, Optional[float]] = {}
    for key in DELTA_KEYS:
        attr = {"workloads_moving": "moving"}.get(key, key)
        out[key] = _delta(getattr(f, attr), getattr(base, attr))
    out["last_wave_end_days"] = (float((f.last_wave_end - base.last_wave_end).days)
                                 if f.last_wave_end and base.last_wave_end else None)
    out["break_even_months"] = _delta(f.break_even_month, base.break_even_month)
    return out


def build(views: list[tuple[str, str, Figures, Differences]]) -> Comparison:
    """The comparison of `(id, name, figures, differences)`, the base first."""
    base = views[0][2]
    out = []
    for ident, name, f, d in views:
        comparable = f.currency == base.currency and f.horizon_months == base.horizon_months
        deltas = against(f, base) if comparable else {k: None for k in (*DELTA_KEYS, "last_wave_end_days", "break_even_months")}
        out.append(ScenarioView(ident, name, f, d, deltas, comparable))
    legal = [v for v in out if v.figures.compliant and v.comparable and v.figures.horizon_cost is not None]
    cheapest = min(legal, key=lambda v: v.figures.horizon_cost).id if legal else None  # ties: the first given
    return Comparison(tuple(out), cheapest)


__all__ = ["COMPARISON_FORMAT", "Comparison", "ScenarioView", "against", "build"]
