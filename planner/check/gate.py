"""The CI gate itself: validate, re-plan against the baseline, verify, diff, apply thresholds and waivers.

:func:`run_check` never prints and never exits: it returns a :class:`CheckResult` (a
result with verdict ``error`` for bad input), which the CLI renders and turns into the
exit code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Collection, Optional

import numpy as np

from planner.analysis.diff import Move, diff_plans
from planner.base.errors import (
    CannotPlanHere,
    InventoryError,
    PlanFileError,
    PlannerFault,
    PlanRejected,
)
from planner.check.changes import workload_changes
from planner.check.findings import (
    BASELINE,
    COST_THRESHOLD,
    FAULT,
    INPUT,
    MOVE_THRESHOLD,
    WAIVER_FILE,
    Finding,
    compare,
    from_problem,
    place,
)
from planner.check.fixes import nearest_fix
from planner.check.locate import Locations
from planner.check.result import CheckResult, decide
from planner.check.thresholds import Threshold, evaluate, evaluate_moves
from planner.check.waivers import Waiver, WaiverFileError, apply_waivers, load_waivers
from planner.domain.catalog import Catalog, CatalogError, load_catalog
from planner.domain.estate import Estate
from planner.domain.inventory import Inventory
from planner.domain.rules import Rule
from planner.inputs.load import load_inventory
from planner.pipeline import make_plan
from planner.plan.document import Plan, read_plan


@dataclass(frozen=True)
class CheckOptions:
    """What a check is asked for besides its inventory and baseline: thresholds, waivers, catalogue, solver overrides."""

    warn_over: Optional[Threshold] = None
    fail_over: Optional[Threshold] = None
    warn_over_moves: Optional[int] = None
    fail_over_moves: Optional[int] = None
    waivers_path: Optional[Path] = None
    catalog_path: Optional[Path] = None
    backend: Optional[str] = None
    time_limit: Optional[float] = None
    gap: Optional[float] = None
    threads: Optional[int] = None


@dataclass
class _Inputs:
    """What the check read, and every problem found reading it."""

    inv: Optional[Inventory]
    catalog: Optional[Catalog]
    base: Optional[Plan]
    waivers: list[Waiver]
    errors: list[Finding]


def run_check(inventory: Path, baseline: Path, options: CheckOptions = CheckOptions(), *, today: dt.date,
              progress: Optional[Callable[[str], None]] = None) -> CheckResult:
    """Check INVENTORY against the BASELINE plan; see docs/how-to/ci-gate.md."""
    say = progress or (lambda _m: None)
    o = options
    got = _read(inventory, baseline, o)
    inv, base = got.inv, got.base
    common = dict(inventory=str(inventory), baseline=str(baseline), today=today, warn_over=o.warn_over, fail_over=o.fail_over,
                  warn_over_moves=o.warn_over_moves, fail_over_moves=o.fail_over_moves, waivers=tuple(got.waivers),
                  waivers_file=str(o.waivers_path) if o.waivers_path is not None else None)
    if got.errors or inv is None or base is None:
        found = tuple(sorted(got.errors, key=lambda f: (f.file, f.line, f.sort_key)))
        n = len(found)
        return CheckResult("error", (f"{n} problem{'s' if n != 1 else ''} in the input; nothing was planned",), found,
                           currency=inv.scenario.currency if inv else None, **common)

    say(f"loaded {len(inv.workloads)} workloads, {len(inv.sites)} sites from {inventory}; baseline {baseline} ({base.status})")
    estate = Estate.of(inv, got.catalog)
    settings = inv.scenario.solver.overridden(o.backend, o.time_limit, o.gap, o.threads)
    try:
        new = make_plan(inv, settings, say, estate, baseline=base).plan  # verified there: a plan it returns keeps every rule
    except PlannerFault as exc:
        return faulted(exc, inventory, base, inv.scenario.currency, len(inv.workloads), common)
    except CannotPlanHere as exc:
        return CheckResult("error", (exc.headline,),
                           (Finding(INPUT, "", "", "error", str(exc), "input", str(inventory)),), currency=inv.scenario.currency,
                           **common)
    say(f"re-planned and verified: {new.status}; comparing with the baseline")
    return _judge(inventory, inv, estate, base, new, o, got.waivers, today, common)


def _read(inventory: Path, baseline: Path, o: CheckOptions) -> _Inputs:
    """The catalogue, inventory, baseline and waivers, each problem as an input finding."""
    errors: list[Finding] = []
    catalog = None
    try:
        catalog = load_catalog(o.catalog_path)
    except CatalogError as exc:
        errors.append(Finding(INPUT, "--catalog", "", "error", str(exc), "input", str(o.catalog_path or "")))
    inv = None
    if catalog is not None:
        try:
            inv = load_inventory(inventory, catalog)
        except InventoryError as exc:
            errors += [Finding(INPUT, i.field, "", "error", f"{i.field}: {i.message}" if i.field else i.message, "input", i.file, i.line)
                       for i in exc.issues]
    base: Optional[Plan] = None
    try:
        base = read_plan(baseline)
    except PlanFileError as exc:
        errors.append(Finding(BASELINE, "", "", "error", str(exc), "baseline", str(baseline)))
    waivers: list[Waiver] = []
    if o.waivers_path is not None:
        try:
            waivers = load_waivers(o.waivers_path)
        except WaiverFileError as exc:
            errors += [Finding(WAIVER_FILE, i.field, "", "error", f"{i.field}: {i.message}" if i.field else i.message, "waivers", i.file, i.line)
                       for i in exc.issues]
    if inv is not None:
        for flag, th in (("--warn-over", o.warn_over), ("--fail-over", o.fail_over)):
            if th is not None and th.currency is not None and th.currency != inv.scenario.currency:
                errors.append(Finding(INPUT, flag, "", "error", f"{flag} {th.text} is in {th.currency}, but the scenario's currency is "
                                      f"{inv.scenario.currency}; give the amount in {inv.scenario.currency} or as a percentage", "input"))
    return _Inputs(inv, catalog, base, waivers, errors)


def _judge(inventory: Path, inv: Inventory, estate: Estate, base: Plan, new: Plan, o: CheckOptions, waivers: list[Waiver],
           today: dt.date, common: dict) -> CheckResult:
    """The re-plan against the baseline: findings new and averted, thresholds, waivers, the verdict."""
    feasible = new.has_plan
    d = diff_plans(base, new, estate)
    current = [from_problem(p, "plan") for p in new.problems] if not feasible else []
    before = [from_problem(p, "plan") for p in base.problems]
    if feasible:
        current += [Finding(c.rule, c.workload, c.site, "error", c.message, "compliance") for c in d.compliance if c.change == "new"]
        # The baseline keeps every rule under its own inventory, so a rule its placement breaks under the
        # new one is a rule the change would have broken; the re-plan's moves kept it.
        kept = [c for c in d.compliance if c.change == "resolved"]
        ends = dependency_ends(estate, {c.workload for c in kept if c.rule == Rule.DEPENDENCY_LATENCY.value})
        before += [averted(c.rule, c.workload, c.site, c.message, d.relocated, ends.get(c.workload, set())) for c in kept]
    findings = compare(before, current)

    currency = inv.scenario.currency
    if not feasible:
        cost = evaluate(base.totals.get("horizon_cost", 0.0), 0.0, o.warn_over, o.fail_over, currency, "the re-plan has no plan")
    elif not base.has_plan:
        cost = evaluate(0.0, new.totals["horizon_cost"], o.warn_over, o.fail_over, currency,
                        "the baseline plan is infeasible, so it has no cost")
    else:
        cost = evaluate(base.totals["horizon_cost"], new.totals["horizon_cost"], o.warn_over, o.fail_over, currency)
    if cost.level in ("warn", "fail"):
        findings.append(Finding(COST_THRESHOLD, "", "", "error" if cost.level == "fail" else "warning", cost.sentence, "threshold"))
    moved = len(d.relocated) if feasible else 0
    if not feasible:
        churn = evaluate_moves(0, o.warn_over_moves, o.fail_over_moves, "the re-plan has no plan")
    elif not base.has_plan:
        churn = evaluate_moves(0, o.warn_over_moves, o.fail_over_moves, "the baseline plan is infeasible, so nothing can move off it")
    else:
        churn = evaluate_moves(moved, o.warn_over_moves, o.fail_over_moves)
    if churn.level in ("warn", "fail"):
        findings.append(Finding(MOVE_THRESHOLD, "", "", "error" if churn.level == "fail" else "warning", churn.sentence, "threshold"))
    findings = apply_waivers(findings, waivers, today)
    where = Locations(inventory)
    findings = sorted((place(f, where.workload, where.site) for f in findings), key=lambda f: f.sort_key)
    findings = [replace(f, fix=nearest_fix(f, estate)) for f in findings]
    verdict, reasons = decide(findings, new.status, cost, churn)
    changes = workload_changes(base, new, (f for f in findings if f.averted), inv.scenario.horizon_months) if feasible else ()
    notes = []
    if base.inventory_sha256 == inv.sha256:
        notes.append("the baseline was planned from this very inventory")
    return CheckResult(verdict, reasons, tuple(findings), currency=currency, horizon_months=inv.scenario.horizon_months,
                       diff=d, status_baseline=base.status, status_new=new.status, cost=cost, churn=churn, changes=changes,
                       workloads=len(inv.workloads), notes=tuple(notes), **common)


def faulted(fault: PlannerFault, inventory: Path, base: Plan, currency: str, workloads: int, common: dict) -> CheckResult:
    """The result when the re-plan is the planner's own fault: verdict `fault` (exit 3) with the verifier's findings."""
    # No waiver applies: a waiver accepts something about the inventory, and nothing here is the inventory's to fix.
    if isinstance(fault, PlanRejected):
        where = Locations(inventory)
        findings = sorted((place(f, where.workload, where.site) for f in compare([], [from_problem(p, "verify") for p in fault.findings])),
                          key=lambda f: f.sort_key)
        reason = (f"the planner's own verifier rejected its re-plan ({fault.rules_text()}): a fault of the planner, "
                  "not of the inventory")
    else:
        findings = [Finding(FAULT, "", "", "error", str(fault), "fault")]
        reason = f"the planner failed while re-planning ({fault}): a fault of the planner, not of the inventory"
    bundle = getattr(fault, "bundle", None)
    notes = (f"bug report for the planner's maintainers: {bundle} (the rejected plan.json and findings.json)",) if bundle else ()
    return CheckResult("fault", (reason,), tuple(findings), currency=currency, status_baseline=base.status,
                       workloads=workloads, notes=notes, fault=fault, **common)


MAX_KEPT_NAMED = 3  # moves named in an averted finding's sentence (the finding's kept_by lists them all)


def averted(rule: str, workload: str, site: str, message: str, relocated: tuple[Move, ...],
            ends: Collection[str] = ()) -> Finding:
    """The baseline-side finding for a rule the change would have broken, with the moves that kept it.

    Those are the finding's own workload's move, and the moves that rule displaced: the other
    ends of a dependency (`ends`), or off the finding's site for a site-wide rule (capacity,
    anti-affinity).
    """
    kept = tuple((m.workload, m.old_site or "", m.new_site or "") for m in relocated
                 if m.workload == workload or (m.rule == rule and (m.workload in ends if ends else m.old_site == site)))
    who = f" for {workload}" if workload else ""
    named = ", ".join(f"{w} to {b}" for w, _, b in kept[:MAX_KEPT_NAMED])
    more = f" and {len(kept) - MAX_KEPT_NAMED} more" if len(kept) > MAX_KEPT_NAMED else ""
    kept_how = f"the re-plan moved {named}{more} to keep it" if kept else "the re-plan's placement keeps it"
    text = f"the change would have broken {rule}{who} on {site} ({message}); {kept_how}"
    return Finding(rule, workload, site, "error", text, "compliance", averted=True, kept_by=kept)


def dependency_ends(estate: Estate, wids: set[str]) -> dict[str, set[str]]:
    """For each of `wids`, the workloads it depends on and those depending on it (one pass over the dependencies)."""
    if not wids:
        return {}
    t = estate.table
    rows = np.array(sorted(estate.workload_index[w] for w in wids if w in estate.workload_index), dtype=np.int64)
    src, dst = t.deps.src, t.deps.dst
    out: dict[str, set[str]] = {w: set() for w in wids}
    for k in np.nonzero(np.isin(src, rows) | np.isin(dst, rows))[0].tolist():
        a, b = t.ids[int(src[k])], t.ids[int(dst[k])]
        if a in out:
            out[a].add(b)
        if b in out:
            out[b].add(a)
    return out


__all__ = ["averted", "dependency_ends", "faulted", "run_check"]
