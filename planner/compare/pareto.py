"""Cost against carbon across scenarios: a carbon-price sweep written as overlays, and the plans no other plan beats on both.

`--carbon-prices 0,50,100` plans one scenario per price (an overlay setting `scenario.carbon.price_per_tonne`); each
such plan is the cheapest for its price, since the price is in its objective. A plan is *non-dominated* when no other
plan of the comparison costs no more over the horizon and emits no more, and one of the two strictly less.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from planner.base.errors import PlannerError
from planner.domain.model import CarbonSettings

MAX_PRICES = 50  # one scenario each: a sweep, not a grid search


class CarbonPricesError(PlannerError):
    """`--carbon-prices` that is not a list of prices (exit 2)."""

    exit_code = 2


def parse_prices(text: str) -> list[float]:
    """`0,50,100` as prices per tonne, in the order given, each once; :class:`CarbonPricesError` naming what is wrong."""
    out: list[float] = []
    for part in text.split(","):
        part = part.strip()
        try:
            price = float(part)
        except ValueError:
            raise CarbonPricesError(f"--carbon-prices: {part!r} is not a number; give prices per tonne like 0,50,100") from None
        try:
            CarbonSettings(price_per_tonne=price)  # the range an inventory's price may take
        except ValueError:
            raise CarbonPricesError(f"--carbon-prices: {part} is outside 0 to 100,000 (currency per tCO2e); "
                                    "give prices like 0,50,100") from None
        if price not in out:
            out.append(price)
    if len(out) > MAX_PRICES:
        raise CarbonPricesError(f"--carbon-prices: {len(out)} prices; at most {MAX_PRICES}, each is a plan")
    return out


def price_label(price: float) -> str:
    """`50` for 50.0, `12.5` for 12.5: the scenario id's and name's form of a price."""
    return f"{price:g}"


def write_sweep(prices: Sequence[float], folder: Path) -> list[Path]:
    """One overlay file per price in `folder` (`carbon-<price>.yaml`); their paths in the order given."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for price in prices:
        path = folder / f"carbon-{price_label(price)}.yaml"
        path.write_text(f"name: Carbon price {price_label(price)} per tCO2e\n"
                        f"scenario:\n  carbon: {{price_per_tonne: {price!r}}}\n", encoding="utf-8")
        out.append(path)
    return out


@dataclass(frozen=True)
class ParetoRow:
    """One plan on the cost-carbon plane."""

    id: str
    name: str
    price_per_tonne: float
    horizon_cost: float
    carbon_cost: float
    emissions_tonnes: float
    non_dominated: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "price_per_tonne": self.price_per_tonne, "horizon_cost": self.horizon_cost,
                "carbon_cost": self.carbon_cost, "emissions_tonnes": self.emissions_tonnes, "non_dominated": self.non_dominated}


def frontier(points: Sequence[tuple[str, str, float, float, float, float]]) -> list[ParetoRow]:
    """Rows of `(id, name, price, horizon cost, carbon cost, tonnes)`, sorted by emissions then cost, each marked
    non-dominated or not (money compared to the cent, tonnes to the kilogram)."""
    rows = []
    for ident, name, price, cost, charge, tonnes in points:
        beaten = any(c <= cost + 0.005 and t <= tonnes + 0.0005 and (c < cost - 0.005 or t < tonnes - 0.0005)
                     for i, _n, _p, c, _ch, t in points if i != ident)
        rows.append(ParetoRow(ident, name, price, cost, charge, tonnes, not beaten))
    return sorted(rows, key=lambda r: (r.emissions_tonnes, r.horizon_cost, r.id))


def pareto_of(scenarios: Sequence[Any]) -> Optional[list[ParetoRow]]:
    """The cost-carbon rows of a comparison's scenarios with a plan comparable with the base (None with fewer than two)."""
    points = [(s.id, s.name, s.figures.carbon_price_per_tonne, s.figures.horizon_cost, s.figures.carbon_cost or 0.0,
               s.figures.emissions_tonnes) for s in scenarios
              if s.has_plan and s.comparable and s.figures.emissions_tonnes is not None]
    return frontier(points) if len(points) >= 2 else None


__all__ = ["CarbonPricesError", "ParetoRow", "frontier", "pareto_of", "parse_prices", "price_label", "write_sweep"]
