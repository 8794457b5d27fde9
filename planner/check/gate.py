"""The CI gate itself: validate, re-plan against the baseline, verify, diff, apply thresholds and waivers.

:func:`run_check` never prints and never exits: it returns a :class:`CheckResult` (a
result with verdict ``error`` for bad input), which the CLI renders and turns into the
exit code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable, Optional

from ..catalog import CatalogError, load_catalog
from ..diff import diff_plans
from ..errors import InventoryError, PlanFileError
from ..estate import Estate
from ..load import load_inventory
from ..pipeline import make_plan
from ..plan import Plan, read_plan
from ..verify import verify_plan
from .findings import BASELINE, COST_THRESHOLD, INPUT, WAIVER_FILE, Finding, compare, from_problem, place
from .locate import Locations
from .result import CheckResult, decide
from .thresholds import Threshold, evaluate
from .waivers import Waiver, WaiverFileError, apply_waivers, load_waivers


def run_check(
    inventory: Path,
    baseline: Path,
    *,
    today: dt.date,
    warn_over: Optional[Threshold] = None,
    fail_over: Optional[Threshold] = None,
    waivers_path: Optional[Path] = None,
    catalog_path: Optional[Path] = None,
    backend: Optional[str] = None,
    time_limit: Optional[float] = None,
    gap: Optional[float] = None,
    threads: Optional[int] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> CheckResult:
    """Check INVENTORY against the BASELINE plan; see the README's "The CI gate"."""
    say = progress or (lambda _m: None)
    errors: list[Finding] = []
    catalog = None
    try:
        catalog = load_catalog(catalog_path)
    except CatalogError as exc:
        errors.append(Finding(INPUT, "--catalog", "", "error", str(exc), "input", str(catalog_path or "")))
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
    if waivers_path is not None:
        try:
            waivers = load_waivers(waivers_path)
        except WaiverFileError as exc:
            errors += [Finding(WAIVER_FILE, i.field, "", "error", f"{i.field}: {i.message}" if i.field else i.message, "waivers", i.file, i.line)
                       for i in exc.issues]
    if inv is not None:
        for flag, th in (("--warn-over", warn_over), ("--fail-over", fail_over)):
            if th is not None and th.currency is not None and th.currency != inv.scenario.currency:
                errors.append(Finding(INPUT, flag, "", "error", f"{flag} {th.text} is in {th.currency}, but the scenario's currency is "
                                      f"{inv.scenario.currency}; give the amount in {inv.scenario.currency} or as a percentage", "input"))
    common = dict(inventory=str(inventory), baseline=str(baseline), today=today, warn_over=warn_over, fail_over=fail_over,
                  waivers=tuple(waivers),
                  waivers_file=str(waivers_path) if waivers_path is not None else None)
    if errors or inv is None or base is None:
        found = tuple(sorted(errors, key=lambda f: (f.file, f.line, f.sort_key)))
        n = len(found)
        return CheckResult("error", (f"{n} problem{'s' if n != 1 else ''} in the input; nothing was planned",), found,
                           currency=inv.scenario.currency if inv else None, **common)

    say(f"loaded {len(inv.workloads)} workloads, {len(inv.sites)} sites from {inventory}; baseline {baseline} ({base.status})")
    estate = Estate.of(inv, catalog)
    settings = inv.scenario.solver.overridden(backend, time_limit, gap, threads)
    new = make_plan(inv, settings, say, estate, baseline=base).plan
    feasible = new.has_plan
    say(f"re-planned: {new.status}; verifying and comparing with the baseline")
    verify = verify_plan(estate, new) if feasible else []
    d = diff_plans(base, new, estate)
    moved_to = {m.workload: m.new_site for m in d.moves}

    current = [from_problem(p, "plan") for p in new.problems] if not feasible else []
    current += [from_problem(p, "verify") for p in verify]
    before = [from_problem(p, "plan") for p in base.problems]
    if feasible:
        current += [Finding(c.rule, c.workload, c.site, "error", c.message, "compliance") for c in d.compliance if c.change == "new"]
        for c in d.compliance:
            if c.change == "resolved":
                where = moved_to.get(c.workload)
                fix = f" (the re-plan moves {c.workload} to {where})" if where else ""
                before.append(Finding(c.rule, c.workload, c.site, "error", f"the baseline placement breaks {c.rule}: {c.message}{fix}", "compliance"))
    findings = compare(before, current)

    if not feasible:
        cost = evaluate(base.totals.get("horizon_cost", 0.0), 0.0, warn_over, fail_over, inv.scenario.currency, "the re-plan has no plan")
    elif not base.has_plan:
        cost = evaluate(0.0, new.totals["horizon_cost"], warn_over, fail_over, inv.scenario.currency, "the baseline plan is infeasible, so it has no cost")
    else:
        cost = evaluate(base.totals["horizon_cost"], new.totals["horizon_cost"], warn_over, fail_over, inv.scenario.currency)
    if cost.level in ("warn", "fail"):
        findings.append(Finding(COST_THRESHOLD, "", "", "error" if cost.level == "fail" else "warning", cost.sentence, "threshold"))
    findings = apply_waivers(findings, waivers, today)
    where = Locations(inventory)
    findings = sorted((place(f, where.workload, where.site) for f in findings), key=lambda f: f.sort_key)
    verdict, reasons = decide(findings, new.status, cost)
    notes = []
    if base.inventory_sha256 == inv.sha256:
        notes.append("the baseline was planned from this very inventory")
    return CheckResult(verdict, reasons, tuple(findings), currency=inv.scenario.currency, horizon_months=inv.scenario.horizon_months,
                       diff=d, status_baseline=base.status, status_new=new.status, cost=cost, workloads=len(inv.workloads),
                       notes=tuple(notes), **common)


__all__ = ["run_check"]
