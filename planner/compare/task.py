"""What a worker does for one scenario: plan it from the snapshot, render its reports, sum it up; then say what differs.

These run in worker processes (local or on a Dask cluster), so they are module-level
functions of (snapshot, item) that return plain picklable results; a process runs one at a time. A scenario's own solver
settings are kept; only its island pool is held to what the executor allows
(`planner.executor.island_workers`: one process when the scenario sets no `solver.threads`), since
the scenarios themselves fill the machine: the pool's results are
the same on any number of processes, so the plan is too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Optional

from planner.base.errors import CannotPlanHere, InventoryError, PlannerFault
from planner.compare.differences import Differences, differences
from planner.compare.figures import Figures, figures
from planner.compare.snapshot import Snapshot, materialised
from planner.domain.catalog import CatalogError, parse_catalog
from planner.domain.estate import Estate
from planner.domain.inventory import Inventory
from planner.domain.model import SolverSettings
from planner.executor import island_workers
from planner.inputs.load import load_inventory
from planner.outputs.publish import PLAN_FILE
from planner.plan.document import Plan

PRELOAD = ("planner.compare.task", "planner.pipeline", "planner.outputs.report")  # what a local worker imports before its first task

# Matplotlib is not thread-safe (its SVG writer shares state between figures), so one process renders one
# scenario at a time, however many threads its executor gives it (a Dask worker's --nthreads); the island
# pool itself keeps no process-wide state.
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Overrides:
    """Solver settings given on the command line (None: the scenario's own)."""

    backend: Optional[str] = None
    time_limit_s: Optional[float] = None
    gap: Optional[float] = None
    threads: Optional[int] = None

    def settings(self, inv: Inventory) -> SolverSettings:
        settings = inv.scenario.solver.overridden(self.backend, self.time_limit_s, self.gap, self.threads)
        if settings.threads != island_workers(settings.threads):  # the executor says how many island workers a task forks
            settings = settings.model_copy(update={"threads": island_workers(settings.threads)})
        return settings


@dataclass(frozen=True)
class PlanTask:
    scenario: str
    overrides: Overrides = field(default_factory=Overrides)
    reports: bool = True


@dataclass
class PlanRun:
    """One scenario planned: its folder's files, its figures and its plan; `errors` when it could not be loaded, `fault` when
    the planner failed on it (its verifier rejected the plan: nothing to publish)."""

    scenario: str
    files: dict[str, bytes]
    figures: Optional[Figures]
    plan: Optional[Plan]
    errors: list[str] = field(default_factory=list)
    fault: Optional[PlannerFault] = None


@dataclass(frozen=True)
class DiffTask:
    scenario: str
    base: Plan
    plan: Plan


def _load(snap: Snapshot, scenario: str) -> tuple[Inventory, Estate]:
    """The scenario's merged inventory and estate, from the snapshot (raises InventoryError or CatalogError)."""
    catalog = parse_catalog(snap.catalog.decode("utf-8"), snap.catalog_origin)
    with materialised(snap, scenario) as (inventory, overlays, shown):
        try:
            inv = load_inventory(inventory, catalog, overlays)
        except InventoryError as exc:  # named as the user's files, not this worker's copies
            raise InventoryError([replace(i, file=shown(i.file), message=_unpath(i.message, shown)) for i in exc.issues]) from None
    return inv, Estate.of(inv, catalog)


def _unpath(message: str, shown) -> str:  # noqa: ANN001 - the callable from materialised
    """A message that quotes another file (`first at FILE:LINE`) with the user's name for it."""
    return " ".join(shown(word) if "/planner-scenario-" in word else word for word in message.split(" "))


def plan_scenario(snap: Snapshot, task: PlanTask) -> PlanRun:
    """Plan one scenario and render what `planner plan` would write for it."""
    with _ONE_AT_A_TIME:
        return _plan(snap, task)


def _plan(snap: Snapshot, task: PlanTask) -> PlanRun:
    try:
        inv, estate = _load(snap, task.scenario)
    except InventoryError as exc:
        return PlanRun(task.scenario, {}, None, None, [str(i) for i in exc.issues])
    except CatalogError as exc:
        return PlanRun(task.scenario, {}, None, None, [str(exc)])
    from planner.pipeline import make_plan

    try:
        result = make_plan(inv, task.overrides.settings(inv), None, estate)
    except PlannerFault as exc:  # an answer, not a raise: the executor takes whatever a task raises for a broken worker
        return PlanRun(task.scenario, {}, None, None, fault=exc)
    except CannotPlanHere as exc:
        return PlanRun(task.scenario, {}, None, None, [str(exc)])
    plan = result.plan
    files: dict[str, bytes] = {}
    if task.reports:
        from planner.outputs.report import ReportError, render_files

        try:
            files = render_files(plan, estate, None, ("html", "md"), findings=result.findings)
        except ReportError as exc:
            return PlanRun(task.scenario, {}, None, None, [str(exc)])
    files[PLAN_FILE] = plan.to_json().encode("utf-8")
    return PlanRun(task.scenario, files, figures(plan, estate), plan)


def explain_scenario(snap: Snapshot, task: DiffTask) -> Differences:
    """How the scenario places workloads differently from the base, each with its reason."""
    with _ONE_AT_A_TIME:
        _, estate = _load(snap, task.scenario)
        return differences(task.base, task.plan, estate)


__all__ = ["PRELOAD", "DiffTask", "Overrides", "PlanRun", "PlanTask", "explain_scenario", "plan_scenario"]
