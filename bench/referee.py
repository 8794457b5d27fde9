"""Referee campaign: plan many planted estates (bench/estates.py) and check every plan against referees.

Usage: python bench/referee.py [SIZES ...] [--seeds K] [--first-seed S] [--tiny N] [--plain-max N]
                               [--gap G] [--time-limit S] [--loose] [--jobs J] [--json FILE] [--strict-interim] [--quick]

Each estate is written as YAML, loaded as the CLI loads it and planned through the library
(`make_plan`), then:

- valid: `verify_plan` finds nothing, on the plan in memory and on its plan.json read back;
- optimal: the plan says `optimal` within the asked gap;
- referees: an exhaustive search (bench/brute_force.py) on the tiny estates (5 to 8 workloads), the
  plain PuLP model (bench/plain_pulp.py) up to --plain-max workloads, and on every estate the planted
  placement (a known feasible plan: no plan claiming optimality may cost more than it beyond the gap)
  and the independent rulebook of bench/brute_force.py (every placement rule and the horizon cost,
  re-derived without the planner's code). A disagreement: objectives differ by more than the gap, one
  side says infeasible while the other has a plan, a bound above a known plan, or a broken rule or
  cost the rulebook sees;
- interim: capacity after each wave's cut-over (DESIGN.md), which verify_plan does not check yet;
  reported, and counted as a failure only with --strict-interim.

An exception from the planner (a plan its verifier rejects, say) counts as an invalid plan, by type
name. Exit 1 when any plan is invalid, any referee disagrees, an estate does not load or a referee
fails; 0 otherwise. It is a campaign, not a benchmark: the seconds are for orientation only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from brute_force import Rulebook, brute_force  # noqa: E402
from estates import plant, write_yaml  # noqa: E402

DEFAULT_SIZES = (200, 500, 1000, 2000, 5000, 10000, 20000)
QUICK_SIZES = (200, 1000, 2000)
TINY = "5-8"  # the row of the brute-forced estates
_CENTS = 0.05  # plan.json rounds every amount to cents


@dataclass
class Outcome:
    """What one estate's plan was, and what the referees said of it."""

    size: str
    workloads: int
    seed: int
    status: str = ""
    gap: Optional[float] = None
    objective: Optional[float] = None
    error: str = ""  # the planner's exception, as "TypeName: message"
    input_error: str = ""  # the generator's fault: the estate does not load, or its planted placement breaks a rule
    problems: list[str] = field(default_factory=list)  # verify_plan's findings, "rule: message"
    referees: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    referee_errors: list[str] = field(default_factory=list)
    interim: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def valid(self) -> bool:
        return not self.error and not self.problems and not self.input_error

    def optimal(self, gap: float) -> bool:
        return self.status == "optimal" and self.gap is not None and self.gap <= gap + 1e-12


def _tolerance(*values: float) -> float:
    return _CENTS + 1e-9 * max(abs(v) for v in values)


def judge(name: str, planned: Optional[float], bound: Optional[float], claims_gap: bool, gap: float,
          reference: Optional[float], exact: bool = False, upper_only: bool = False, reference_gap: float = 0.0) -> list[str]:
    """How the planner's objective (None: no plan) disagrees with a referee's (None: infeasible).

    `exact`: the referee's is the optimum; `upper_only`: only a feasible plan's cost (a planted one);
    otherwise both sides are within their own gap of the optimum.
    """
    if planned is None and reference is None:
        return []
    if planned is None:
        return [f"{name}: the planner has no plan; {name} has one costing {reference:,.2f}"]
    if reference is None:
        return [] if upper_only else [f"{name}: says infeasible; the planner has a plan costing {planned:,.2f}"]
    tol = _tolerance(planned, reference)
    out = []
    if bound is not None and bound > reference + tol:
        out.append(f"{name}: the planner's bound {bound:,.2f} is above a plan costing {reference:,.2f}")
    if not upper_only:
        lowest = reference if exact else reference * (1 - reference_gap)
        if planned < lowest - tol:
            out.append(f"{name}: the planner's plan costs {planned:,.2f}, below the optimum ({reference:,.2f}{'' if exact else ' within its gap'})")
    if claims_gap:
        if exact or upper_only:
            if planned * (1 - gap) > reference + tol:
                out.append(f"{name}: the planner claims {gap:.4%} of optimal at {planned:,.2f}; a plan costs {reference:,.2f}")
        elif abs(planned - reference) > gap * max(abs(planned), abs(reference)) + tol:
            out.append(f"{name}: objectives differ by more than the gap: planner {planned:,.2f}, {name} {reference:,.2f}")
    return out


def run_estate(workloads: int, seed: int, folder: Path, gap: float = 0.0001, tight: bool = True, plain_max: int = 3000,
               brute_max: int = 8, time_limit: float = 600.0, size: str = "") -> Outcome:
    """Generate, plan, verify and referee one planted estate in `folder`."""
    from planner.analysis.verify import verify_plan
    from planner.base.errors import InventoryError
    from planner.domain.estate import Estate
    from planner.inputs.load import load_inventory
    from planner.pipeline import make_plan
    from planner.plan.document import read_plan

    out = Outcome(size or str(workloads), workloads, seed)
    planted = plant(workloads, seed, tight)
    path = write_yaml(planted.inventory, folder / f"estate-{workloads}-{seed}.yaml")
    book = Rulebook(planted.inventory)
    broken = book.violations(planted.placement)
    try:
        inv = load_inventory(path)
    except InventoryError as exc:
        out.input_error = f"does not load: {str(exc).splitlines()[0]}"
        return out
    if broken:
        out.input_error = f"the planted placement breaks {len(broken)} rule(s): {broken[0]}"
        return out
    settings = inv.scenario.solver.overridden(gap=gap, time_limit_s=time_limit)
    t0 = time.perf_counter()
    try:
        result = make_plan(inv, settings)
    except Exception as exc:  # a plan the verifier rejects, or any other fault: an invalid plan either way
        out.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if getattr(exc, "bundle", None):  # the rejected plan and its findings, kept by the planner for a bug report
            out.error += f" (bug report: {exc.bundle})"  # type: ignore[attr-defined]
        out.seconds = time.perf_counter() - t0
        return out
    out.seconds = time.perf_counter() - t0
    plan = result.plan
    out.status, out.gap, out.objective = plan.status, plan.solver.get("gap"), plan.solver.get("objective")
    plan_file = folder / f"plan-{workloads}-{seed}.json"
    plan_file.write_text(plan.to_json(), encoding="utf-8")
    found = {f"{p.rule}: {p.message}" for p in verify_plan(result.estate, plan)}
    found |= {f"{p.rule}: {p.message} (plan.json)" for p in verify_plan(result.estate, read_plan(plan_file))}
    out.problems = sorted(found)
    planned = out.objective if plan.has_plan else None
    claims = out.optimal(gap)
    bound = plan.solver.get("bound") if plan.has_plan else None
    if plan.has_plan:
        site_of = plan.site_of
        out.referees.append("rulebook")
        out.disagreements += [f"rulebook: {v}" for v in book.violations(site_of)[:20]]
        if not out.disagreements:
            cost = book.objective(site_of)
            if abs(cost - plan.totals["horizon_cost"]) > _tolerance(cost):
                out.disagreements.append(f"rulebook: the placement costs {cost:,.2f}; the plan says {plan.totals['horizon_cost']:,.2f}")
        out.interim = book.interim_breaches(site_of, [(w.number, list(w.workloads)) for w in plan.waves])
    out.referees.append("planted")
    out.disagreements += judge("planted", planned, bound, claims, gap, book.objective(planted.placement), upper_only=True)
    if workloads <= brute_max:
        out.referees.append("brute")
        try:
            best = brute_force(planted.inventory)
        except Exception as exc:  # the referee failed: the estate stays unjudged by it
            out.referee_errors.append(f"brute: {type(exc).__name__}: {exc}")
        else:
            out.disagreements += judge("brute", planned, bound, claims, gap, best[0] if best else None, exact=True)
    if workloads <= plain_max:
        out.referees.append("plain")
        from plain_pulp import plain_solve

        try:
            _s, objective, status = plain_solve(Estate.of(load_inventory(path)), gap)
        except Exception as exc:
            out.referee_errors.append(f"plain: {type(exc).__name__}: {exc}")
        else:
            if status == "Optimal":
                out.disagreements += judge("plain", planned, bound, claims, gap, objective, reference_gap=gap)
            elif status == "Infeasible":
                out.disagreements += judge("plain", planned, bound, claims, gap, None)
            else:
                out.referee_errors.append(f"plain: status {status}")
    return out


def _one(args: tuple[int, int, str, dict[str, Any]]) -> Outcome:
    workloads, seed, size, options = args
    with tempfile.TemporaryDirectory(prefix="referee-") as tmp:
        return run_estate(workloads, seed, Path(tmp), size=size, **options)


def campaign(sizes: list[int], seeds: list[int], tiny: int, options: dict[str, Any], jobs: int = 1) -> list[Outcome]:
    """Every (size, seed) estate and `tiny` brute-forced ones of 5 to 8 workloads, in that order."""
    tasks = [(5 + k % 4, 1000 + k, TINY, options) for k in range(tiny)]
    tasks += [(n, s, str(n), options) for n in sizes for s in seeds]
    if jobs <= 1:
        return [_one(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_one, tasks))


def table(outcomes: list[Outcome], gap: float) -> str:
    """The campaign's Markdown table: one row per size and a total row."""
    head = ("workloads", "estates", "valid", f"optimal ({gap:.2%})", "referees", "disagree", "interim", "errors", "max s")
    rows = [head, tuple("---" for _ in head)]
    order = list(dict.fromkeys(o.size for o in outcomes))

    def row(label: str, group: list[Outcome]) -> tuple[str, ...]:
        refs = Counter(r for o in group for r in o.referees)
        errors = sum(bool(o.error or o.input_error or o.referee_errors) for o in group)
        return (label, str(len(group)), str(sum(o.valid() for o in group)), str(sum(o.optimal(gap) for o in group)),
                ", ".join(f"{k} {v}" for k, v in sorted(refs.items())), str(sum(bool(o.disagreements) for o in group)),
                str(sum(bool(o.interim) for o in group)), str(errors), f"{max((o.seconds for o in group), default=0):.1f}")

    rows += [row(size, [o for o in outcomes if o.size == size]) for size in order]
    rows.append(row("total", outcomes))
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def details(outcomes: list[Outcome]) -> list[str]:
    """One line per estate with anything wrong, naming what."""
    lines = []
    for o in outcomes:
        what = []
        if o.input_error:
            what.append(f"input: {o.input_error}")
        if o.error:
            what.append(f"planner raised {o.error}")
        if o.problems:
            rules = Counter(p.split(":", 1)[0] for p in o.problems)
            what.append("verify: " + ", ".join(f"{r} x{c}" for r, c in sorted(rules.items())) + f" (first: {o.problems[0]})")
        what += o.disagreements[:3] + o.referee_errors[:2]
        if o.interim:
            what.append(f"interim capacity: {len(o.interim)} breach(es), first: {o.interim[0]}")
        if what:
            lines.append(f"- {o.workloads} workloads, seed {o.seed} ({o.status or 'no plan'}): " + "; ".join(what))
    return lines


def failed(outcomes: list[Outcome], strict_interim: bool = False) -> bool:
    """Whether the campaign fails: an invalid plan, a disagreement, an estate that does not load or a referee fault."""
    return any(not o.valid() or o.disagreements or o.referee_errors or (strict_interim and o.interim) for o in outcomes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, help=f"estate sizes (default {' '.join(map(str, DEFAULT_SIZES))})")
    ap.add_argument("--seeds", type=int, default=3, help="estates per size (default 3)")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--tiny", type=int, default=20, help="brute-forced estates of 5 to 8 workloads (default 20)")
    ap.add_argument("--plain-max", type=int, default=3000, help="largest estate the plain PuLP model referees (default 3000)")
    ap.add_argument("--gap", type=float, default=0.0001, help="relative gap asked of the planner and the plain model")
    ap.add_argument("--time-limit", type=float, default=600.0, help="solver time limit: generous, so work limits decide")
    ap.add_argument("--loose", action="store_true", help="generous capacities and budgets instead of tight ones")
    ap.add_argument("--jobs", type=int, default=1, help="estates planned at once, each in its own process")
    ap.add_argument("--json", type=Path, help="write every estate's outcome to this file")
    ap.add_argument("--strict-interim", action="store_true", help="fail on capacity breaches between waves too")
    ap.add_argument("--quick", action="store_true", help=f"sizes {' '.join(map(str, QUICK_SIZES))}, 2 seeds, 10 tiny estates")
    args = ap.parse_args()
    sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    seeds = list(range(args.first_seed, args.first_seed + (2 if args.quick else args.seeds)))
    tiny = 10 if args.quick else args.tiny
    options = {"gap": args.gap, "tight": not args.loose, "plain_max": args.plain_max, "time_limit": args.time_limit}
    outcomes = campaign(sizes, seeds, tiny, options, args.jobs)
    print(table(outcomes, args.gap))
    lines = details(outcomes)
    if lines:
        print("\n" + "\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1, default=str) + "\n", encoding="utf-8")
    sys.exit(1 if failed(outcomes, args.strict_interim) else 0)


if __name__ == "__main__":
    main()
