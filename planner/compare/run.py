"""Running a comparison: every scenario planned through an executor, then what differs from the base, then one result.

1. The scenarios' files are read once into a :class:`~planner.compare.snapshot.Snapshot`, sent
   once to every worker.
2. Every scenario (the base too) is planned and its reports rendered in parallel
   (:func:`~planner.compare.task.plan_scenario`). The first scenario whose inventory has errors
   stops the run: :class:`CompareInputError` lists its problems, naming the overlay's file and line.
   The first scenario on which the planner fails (its own verifier rejects the plan) stops it
   too: :class:`ScenarioFault`, a fault of the planner (exit 3), so no folder is written.
3. What differs from the base is worked out per scenario, again in parallel, with each
   scenario's own inventory (:func:`~planner.compare.task.explain_scenario`).
4. The results, gathered in the order given, make one :class:`~planner.compare.model.Comparison`.

Nothing is written here: :func:`planner.compare.write.write_comparison` publishes the folders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from planner.base.errors import PlannerFault
from planner.compare.differences import NONE, Differences
from planner.compare.model import Comparison, build
from planner.compare.scenarios import ScenarioSpec, overlay_problems
from planner.compare.snapshot import Snapshot, take
from planner.compare.task import (
    DiffTask,
    Overrides,
    PlanRun,
    PlanTask,
    explain_scenario,
    plan_scenario,
)
from planner.executor import Done, Executor, ExecutorError, Task

Progress = Callable[[str], None]
Tick = Callable[[int, int, str], None]  # (scenarios done, scenarios in all, what just finished)


class ScenarioFault(PlannerFault):
    """The planner failed on a scenario (its own verifier rejected the plan): `fault` says how; nothing is compared."""

    def __init__(self, scenario: str, fault: PlannerFault):
        self.scenario = scenario
        self.fault = fault
        super().__init__(f"scenario {scenario}: {fault}")


class CompareInputError(Exception):
    """A scenario's inventory cannot be planned; `problems` are its errors, one line each (file:line: field: message)."""

    def __init__(self, scenario: str, problems: list[str]):
        self.scenario = scenario
        self.problems = problems
        super().__init__(f"scenario {scenario}: {len(problems)} problem(s)")


@dataclass
class CompareResult:
    """The comparison and, per scenario in the same order, the files of its folder."""

    comparison: Comparison
    folders: dict[str, dict[str, bytes]]

    @property
    def exit_code(self) -> int:
        """0 when every scenario has a plan, 1 when one has none."""
        return 0 if self.comparison.all_planned else 1


class _Eta:
    """`3/11 scenarios planned (close-bcn: optimal); about 1m20s left`, from the pace so far."""

    def __init__(self, total: int, what: str):
        self.total, self.what = total, what
        self.done = 0
        self.t0 = time.perf_counter()

    def line(self, detail: str) -> str:
        self.done += 1
        elapsed = time.perf_counter() - self.t0
        left = elapsed / self.done * (self.total - self.done)
        eta = f"; about {_duration(left)} left" if self.done < self.total else ""
        return f"{self.done}/{self.total} {self.what} ({detail}){eta}"


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def compare(inventory: Path, specs: Sequence[ScenarioSpec], executor: Executor, *, catalog: Optional[Path] = None,
            overrides: Overrides = Overrides(), reports: bool = True, progress: Optional[Progress] = None,
            tick: Optional[Tick] = None) -> CompareResult:
    """Plan every scenario of `specs` (the base first) on `executor` and compare them.

    `progress` gets a line per step and per scenario planned (with the ETA); `tick` instead, when
    given, gets each scenario's count (for a progress bar).

    Raises :class:`CompareInputError` for a scenario with input errors, :class:`ScenarioFault` for one
    the planner failed on, :class:`ExecutorError` when the executor fails, OSError when an input file cannot be read.
    """
    say = progress or (lambda _m: None)
    for spec in specs:  # what can be told from an overlay alone (YAML, sections), before any planning
        problems = overlay_problems(spec)
        if problems:
            raise CompareInputError(spec.id, problems)
    snap = take(inventory, specs, catalog)
    say(f"planning {len(specs)} scenario(s) on {executor.description}")
    eta = _Eta(len(specs), "scenarios planned")

    def planned(_i: int, run: PlanRun) -> None:
        if run.errors:
            raise CompareInputError(run.scenario, run.errors)
        if run.fault is not None:
            raise ScenarioFault(run.scenario, run.fault)
        detail = f"{run.scenario}: {run.plan.status if run.plan else 'no plan'}"
        if tick is not None:
            eta.done += 1
            tick(eta.done, len(specs), detail)
        else:
            say(eta.line(detail))

    tasks = [PlanTask(s.id, overrides, reports) for s in specs]
    runs: list[PlanRun] = _run(executor, plan_scenario, tasks, snap, planned)
    base = runs[0]
    todo = [i for i, r in enumerate(runs) if i > 0 and r.plan is not None and r.plan.has_plan and base.plan.has_plan]
    diffs: dict[int, Differences] = {}
    if todo:
        say(f"working out what differs from the base in {len(todo)} scenario(s)")
        found = _run(executor, explain_scenario, [DiffTask(specs[i].id, base.plan, runs[i].plan) for i in todo], snap, None)
        diffs = dict(zip(todo, found))
    comparison = build([(s.id, s.name, r.figures, diffs.get(i, NONE)) for i, (s, r) in enumerate(zip(specs, runs))])
    return CompareResult(comparison, {s.id: r.files for s, r in zip(specs, runs)})


def _run(executor: Executor, fn: Task, items: Sequence[Any], snap: Snapshot, done: Done) -> list[Any]:
    """Executor.map, with any failure of the machinery (not of an inventory) as one ExecutorError."""
    try:
        return executor.map(fn, items, shared=snap, done=done)
    except (CompareInputError, ScenarioFault, ExecutorError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a worker that cannot run the planner (not installed, another version, out of memory)
        text = str(exc).splitlines()[0] if str(exc) else ""
        raise ExecutorError(f"a scenario could not be planned on {executor.description}: {type(exc).__name__}: {text}"
                            f"{'; install the same planner on every worker' if isinstance(exc, ImportError) else ''}") from None


__all__ = ["CompareInputError", "CompareResult", "ScenarioFault", "compare"]
