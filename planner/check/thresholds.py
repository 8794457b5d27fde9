"""Thresholds of the CI gate: cost (`--warn-over`, `--fail-over`) and churn (`--warn-over-moves`, `--fail-over-moves`).

A threshold is a percentage of the baseline's horizon cost (``5%``, ``0.5 %``) or an
amount in the scenario's currency (``25000``, ``25,000``, ``25000 EUR``, ``EUR 25000``,
``€25000``). It applies to the *increase* of ``totals.horizon_cost`` from the baseline
plan to the re-plan; a saving never breaches. "Over" is strict: an increase equal to the
threshold passes. Both are optional; when both breach, fail wins.

The churn thresholds are whole numbers of workloads moved off the baseline (on another site
in the re-plan than in the baseline; added and removed workloads do not count), with the
same semantics: strict "over", both optional, fail wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from planner.base.errors import PlannerError
from planner.base.fmt import CURRENCY_SYMBOLS, money

_NUMBER = r"(\d[\d,_]*(?:\.\d+)?|\.\d+)"
_PERCENT = re.compile(rf"^{_NUMBER}\s*%$")
_AMOUNT = re.compile(rf"^(?:(?P<pre>[A-Z]{{3}}|R\$|[€$£])\s*)?{_NUMBER}(?:\s*(?P<post>[A-Z]{{3}}|[€$£]))?$")


class ThresholdError(PlannerError, ValueError):
    """A threshold that cannot be read (a usage error: exit 2)."""


@dataclass(frozen=True)
class Threshold:
    """A parsed threshold: `percent` of the baseline horizon cost, or an `amount` (in `currency` when one was written)."""

    text: str
    percent: Optional[float] = None
    amount: Optional[float] = None
    currency: Optional[str] = None

    def limit(self, baseline_cost: float) -> Optional[float]:
        """The largest increase that passes, in money; None when a percentage has no baseline cost to be a share of."""
        if self.percent is not None:
            return baseline_cost * self.percent / 100 if baseline_cost > 0 else None
        return self.amount

    def describe(self, currency: Optional[str]) -> str:
        if self.percent is not None:
            return f"{self.percent:g}%"
        return money(self.amount or 0.0, currency or self.currency)


def parse_threshold(text: str) -> Threshold:
    """Read "5%", "1000", "1,000 EUR", "EUR 1000" or "€1000"; raises :class:`ThresholdError`."""
    raw = text.strip()
    m = _PERCENT.match(raw)
    if m:
        return Threshold(text, percent=_number(m.group(1), text))
    m = _AMOUNT.match(raw)
    if m and not (m.group("pre") and m.group("post")):
        cur = m.group("pre") or m.group("post")
        return Threshold(text, amount=_number(m.group(2), text), currency=CURRENCY_SYMBOLS.get(cur, cur) if cur else None)
    raise ThresholdError(f"{text!r} is not a threshold; give a percentage of the baseline horizon cost like 5% "
                         f"or an amount like 25000 or 25000 EUR")


def _number(digits: str, text: str) -> float:
    whole = digits.split(".")[0]
    if "," in whole and not re.fullmatch(r"\d{1,3}(?:,\d{3})+", whole):
        raise ThresholdError(f"{text!r}: use ',' only between groups of three digits (25,000) and '.' for decimals")
    return float(digits.replace(",", "").replace("_", ""))


@dataclass(frozen=True)
class CostCheck:
    """The horizon-cost comparison and its verdict: pass | warn | fail | skipped, with the sentence why."""

    baseline: float
    new: float
    increase: float
    ratio: Optional[float]
    level: str
    sentence: str
    threshold: Optional[Threshold] = None  # the one breached, if any

    def to_json(self, currency: Optional[str]) -> dict:
        return {"baseline": round(self.baseline, 2) + 0.0, "new": round(self.new, 2) + 0.0, "increase": round(self.increase, 2) + 0.0,
                "ratio": None if self.ratio is None else round(self.ratio, 6) + 0.0, "level": self.level, "sentence": self.sentence,
                "threshold": None if self.threshold is None else self.threshold.describe(currency)}


def evaluate(baseline: float, new: float, warn: Optional[Threshold], fail: Optional[Threshold], currency: Optional[str],
             skip_reason: str = "") -> CostCheck:
    """Apply the thresholds to the horizon-cost increase from `baseline` to `new`."""
    increase = round(new - baseline, 2) + 0.0
    ratio = increase / baseline if baseline > 0 else None
    change = money(increase, currency, signed=True) + (f" ({ratio:+.2%})" if ratio is not None else "")
    if skip_reason:
        return CostCheck(baseline, new, increase, ratio, "skipped", f"cost thresholds not applied: {skip_reason}")
    for level, th, flag in (("fail", fail, "--fail-over"), ("warn", warn, "--warn-over")):
        if th is None:
            continue
        limit = th.limit(baseline)
        if limit is None:
            return CostCheck(baseline, new, increase, ratio, "skipped",
                             f"cost thresholds not applied: the baseline has no horizon cost for {flag} {th.describe(currency)} to be a share of")
        if increase > limit + 0.004:
            return CostCheck(baseline, new, increase, ratio, level,
                             f"horizon cost {change} is over {flag} {th.describe(currency)}", th)
    if warn is None and fail is None:
        return CostCheck(baseline, new, increase, ratio, "pass", f"horizon cost {change}; no cost threshold set")
    limits = " and ".join(f"{flag} {th.describe(currency)}" for flag, th in (("--warn-over", warn), ("--fail-over", fail)) if th)
    return CostCheck(baseline, new, increase, ratio, "pass", f"horizon cost {change} is within {limits}")


@dataclass(frozen=True)
class MoveCheck:
    """The churn comparison: workloads moved off the baseline, and the verdict pass | warn | fail | skipped with why."""

    moved: int
    level: str
    sentence: str
    threshold: Optional[int] = None  # the one breached, if any

    def to_json(self) -> dict:
        return {"moved": self.moved, "level": self.level, "sentence": self.sentence, "threshold": self.threshold}


def _workloads(n: int) -> str:
    return f"{n} workload{'s' if n != 1 else ''}"


def evaluate_moves(moved: int, warn: Optional[int], fail: Optional[int], skip_reason: str = "") -> MoveCheck:
    """Apply `--warn-over-moves` / `--fail-over-moves` to the number of workloads moved off the baseline."""
    if skip_reason:
        return MoveCheck(moved, "skipped", f"move thresholds not applied: {skip_reason}")
    what = f"{_workloads(moved)} move{'s' if moved == 1 else ''} off the baseline"
    for level, limit, flag in (("fail", fail, "--fail-over-moves"), ("warn", warn, "--warn-over-moves")):
        if limit is not None and moved > limit:
            return MoveCheck(moved, level, f"{what}, over {flag} {limit}", limit)
    if warn is None and fail is None:
        return MoveCheck(moved, "pass", f"{what}; no move threshold set")
    limits = " and ".join(f"{flag} {n}" for flag, n in (("--warn-over-moves", warn), ("--fail-over-moves", fail)) if n is not None)
    return MoveCheck(moved, "pass", f"{what}, within {limits}")


__all__ = ["CostCheck", "MoveCheck", "Threshold", "ThresholdError", "evaluate", "evaluate_moves", "parse_threshold"]
