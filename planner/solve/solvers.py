"""The one solver layer: every LP and MIP of the placement is solved through here.

A model is arrays (:mod:`~planner.solve.matrices`). A :class:`Solver` solves its MIPs and answers a
:class:`Result` with a :class:`Status` and an honest bound: :class:`Highs` drives HiGHS directly (the
default), :class:`Pulp` hands the model to any solver PuLP knows (`cbc`, from the `cbcbox` package,
or whatever `pulp.listSolvers(onlyAvailable=True)` reports: Gurobi, CPLEX, SCIP, HiGHS through PuLP
as `HiGHS`...). `--backend` names the solver of every MIP: islands, the masters' integer choices,
the fixing MILP, the baseline's fewest moves and the diagnosis.

LPs (island relaxations for reduced costs, the relaxed master for capacity prices) are always
solved by HiGHS, which every install has: they need duals and warm starts, which PuLP does not
give. Searches are limited by work (:mod:`~planner.solve.limits`) so the answer does not depend
on the machine's speed; the time limit only stops a run early.
"""

from __future__ import annotations

import abc
import enum
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from planner.solve import limits
from planner.solve.matrices import Columns, SubModel

DIRECT = "highs"
CBC = "cbc"

Model = Union[SubModel, Columns]


class Status(str, enum.Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"  # proven within the gap asked
    FEASIBLE = "feasible"  # a solution, the search stopped by a limit
    INFEASIBLE = "infeasible"  # proven to have none
    NO_SOLUTION = "no-solution"  # none found, none proven impossible

    def __str__(self) -> str:
        return self.value


@dataclass
class Result:
    """A MIP's answer: `bound` is a proven lower bound on the objective."""

    status: Status
    x: Optional[np.ndarray]
    objective: float
    bound: float


@dataclass
class Relaxation:
    """An LP's answer: column values, objective, and (when asked) columns' reduced costs and rows' duals."""

    status: Status
    x: Optional[np.ndarray]
    objective: float
    col_dual: Optional[np.ndarray] = None
    row_dual: Optional[np.ndarray] = None


class Solver(abc.ABC):
    """A MIP solver: `mip` takes either model shape."""

    name: str = ""

    @abc.abstractmethod
    def mip(self, model: Model, gap: float = 1e-4, abs_gap: float = 0.0, time_limit: float = 1e6,
            start: Optional[np.ndarray] = None, threads: int = 1, nodes: Optional[int] = None,
            target: Optional[float] = None) -> Result:
        """Solve `model` within the relative `gap` (or `abs_gap`), warm-started from `start` when given, at most `nodes`
        branch-and-bound nodes (default: `Limits.mip_nodes`); a solver that can stops at a solution costing at most
        `target` (its bound then proves less)."""


class Highs(Solver):
    """HiGHS through highspy: the model passed as one sparse matrix, warm-started when a start is given."""

    name = DIRECT

    def mip(self, model: Model, gap: float = 1e-4, abs_gap: float = 0.0, time_limit: float = 1e6,
            start: Optional[np.ndarray] = None, threads: int = 1, nodes: Optional[int] = None,
            target: Optional[float] = None) -> Result:
        import highspy

        nodes = limits.current().mip_nodes if nodes is None else nodes
        if isinstance(model, SubModel):
            h = _highs(model, relax=False, gap=gap, abs_gap=abs_gap, time_limit=time_limit, threads=threads, nodes=nodes)
        else:
            h = _highs_columns(model, gap, abs_gap, time_limit, threads, nodes)
        if target is not None and math.isfinite(target):
            h.setOptionValue("objective_target", float(target))
        if start is not None:
            known = highspy.HighsSolution()
            known.col_value = np.asarray(start, dtype=float)
            known.value_valid = True
            h.setSolution(known)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        S = highspy.HighsModelStatus
        if status in (S.kInfeasible, S.kUnboundedOrInfeasible):
            return Result(Status.INFEASIBLE, None, math.inf, math.inf)
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return Result(Status.NO_SOLUTION, None, math.inf, -math.inf)
        bound = float(info.mip_dual_bound)
        return Result(Status.OPTIMAL if status == S.kOptimal else Status.FEASIBLE, np.asarray(h.getSolution().col_value),
                      float(info.objective_function_value), bound if math.isfinite(bound) else -math.inf)


class Pulp(Solver):
    """Any solver PuLP knows, the model built row by row."""

    def __init__(self, name: str):
        self.name = name

    def mip(self, model: Model, gap: float = 1e-4, abs_gap: float = 0.0, time_limit: float = 1e6,
            start: Optional[np.ndarray] = None, threads: int = 1, nodes: Optional[int] = None,
            target: Optional[float] = None) -> Result:
        sub = model if isinstance(model, SubModel) else model.as_rows()
        return pulp_mip(sub, self.name, gap, abs_gap, time_limit, threads,
                        nodes=limits.current().mip_nodes if nodes is None else nodes)


def solver(name: str) -> Solver:
    """The solver `--backend name` asks for (see :func:`backend_problem` for whether it can run here)."""
    return Highs() if name == DIRECT else Pulp(name)


def available_backends() -> list[str]:
    """Backend names `--backend` accepts here: highs, cbc, and every other solver PuLP finds installed."""
    import pulp

    names = [DIRECT, CBC]
    for name in pulp.listSolvers(onlyAvailable=True):
        if name not in ("PULP_CBC_CMD", "COIN_CMD"):
            names.append(name)
    return names


def backend_problem(name: str) -> str:
    """Why `name` cannot be used as a backend here ("" when it can)."""
    if name in (DIRECT, CBC):
        if name == CBC and _cbc_path() is None:
            return "CBC is not installed: pip install 'hybrid-migration-planner[cbc]' (the CBC binary, 600 MB, is an extra)"
        return ""
    import pulp

    known = {s.lower(): s for s in pulp.listSolvers()}
    if name.lower() not in known:
        return f"unknown solver '{name}'; known to PuLP: {', '.join(sorted(pulp.listSolvers()))}"
    if known[name.lower()] not in pulp.listSolvers(onlyAvailable=True):
        return f"PuLP knows solver '{known[name.lower()]}' but it is not installed or licensed here"
    return ""


def _cbc_path() -> Optional[str]:
    return shutil.which("cbc")


def _log() -> bool:
    return os.environ.get("PLANNER_SOLVER_LOG", "") not in ("", "0")


def _highs(sub: SubModel, relax: bool, gap: float, abs_gap: float, time_limit: float, threads: int = 1,  # noqa: ANN202
           nodes: int = 0):  # nodes: the MIP's node limit (an LP has none)
    import highspy

    n = sub.n_cols
    h = highspy.Highs()
    h.setOptionValue("output_flag", _log())
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    if not relax:
        h.setOptionValue("mip_rel_gap", float(gap))
        if abs_gap > 0:
            h.setOptionValue("mip_abs_gap", float(abs_gap))
        h.setOptionValue("mip_max_nodes", int(nodes))
    if n >= 5000:
        # Probing and enumeration are most of presolve's time on a large merged group, for little gain.
        h.setOptionValue("presolve_rule_off", 32768 + 65536)
    else:
        # Islands are small and mostly solved at the root: presolve and the feasibility-jump heuristic
        # cost more than they save there.
        h.setOptionValue("presolve", "off")
        if not relax:
            h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
    # The flat-array form of passModel: an order of magnitude faster than filling a HighsLp's fields, which
    # matters for the thousands of small batch LPs of a pricing run.
    integrality = sub.integer().astype(np.int32) if not relax else np.zeros(n, dtype=np.int32)
    h.passModel(n, len(sub.row_lower), len(sub.index), int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize), 0.0,
                np.asarray(sub.cost, dtype=float), np.zeros(n), sub.col_upper(), np.asarray(sub.row_lower, dtype=float),
                np.asarray(sub.row_upper, dtype=float), np.asarray(sub.start[:-1], dtype=np.int32),
                np.asarray(sub.index, dtype=np.int32), np.asarray(sub.value, dtype=float), integrality)
    return h


def _highs_columns(model: Columns, gap: float, abs_gap: float, time_limit: float, threads: int, nodes: int):  # noqa: ANN202
    """A column-wise integer program in HiGHS, with its own presolve and heuristics (masters are not islands)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", _log())
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("mip_max_nodes", int(nodes))
    h.setOptionValue("time_limit", max(1.0, float(time_limit)))
    h.setOptionValue("mip_rel_gap", float(gap))
    if abs_gap > 0:
        h.setOptionValue("mip_abs_gap", float(abs_gap))
    h.addRows(len(model.row_lower), model.row_lower, model.row_upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    n = model.n_cols
    h.addCols(n, model.cost, np.zeros(n), model.upper, len(model.index), model.start[:-1].astype(np.int32),
              model.index.astype(np.int32), model.value)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
    return h


def relaxation(sub: SubModel, time_limit: float = 1e6, duals: bool = False, row_duals: bool = False) -> Relaxation:
    """The LP relaxation, by HiGHS; the columns' reduced costs when `duals`, the rows' duals when `row_duals`."""
    import highspy

    h = _highs(sub, relax=True, gap=0.0, abs_gap=0.0, time_limit=time_limit)
    h.run()
    status = h.getModelStatus()
    S = highspy.HighsModelStatus
    if status == S.kInfeasible:
        return Relaxation(Status.INFEASIBLE, None, math.inf)
    if status != S.kOptimal:
        return Relaxation(Status.NO_SOLUTION, None, math.inf)
    sol = h.getSolution()
    return Relaxation(Status.OPTIMAL, np.asarray(sol.col_value), float(h.getInfo().objective_function_value),
                      np.asarray(sol.col_dual) if duals else None, np.asarray(sol.row_dual) if row_duals else None)


def relaxed_value(model: Columns, iteration_limit: int) -> Optional[float]:
    """The optimal value of `model`'s LP relaxation (its columns continuous in [0, upper]), by HiGHS's simplex within
    `iteration_limit` iterations (a work limit); None when it stops first or has no optimum."""
    lp = columns_relaxation(model, iteration_limit)
    return None if lp is None else lp.objective


def columns_relaxation(model: Columns, iteration_limit: int) -> Optional[Relaxation]:
    """`model`'s LP relaxation (columns continuous in [0, upper]) with its reduced costs, by HiGHS's simplex within
    `iteration_limit` iterations (a work limit); None when it stops first or has no optimum."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", _log())
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_iteration_limit", int(iteration_limit))
    n = model.n_cols
    h.passModel(n, len(model.row_lower), len(model.index), int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
                np.asarray(model.cost, dtype=float), np.zeros(n), np.asarray(model.upper, dtype=float),
                np.asarray(model.row_lower, dtype=float), np.asarray(model.row_upper, dtype=float),
                np.asarray(model.start[:-1], dtype=np.int32), np.asarray(model.index, dtype=np.int32),
                np.asarray(model.value, dtype=float), np.zeros(n, dtype=np.int32))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    sol = h.getSolution()
    return Relaxation(Status.OPTIMAL, np.asarray(sol.col_value), float(h.getInfo().objective_function_value),
                      np.asarray(sol.col_dual))


class LiveLP:
    """An LP kept alive in HiGHS and grown column by column: each solve starts from the last basis."""

    def __init__(self, row_lower: np.ndarray, row_upper: np.ndarray):
        import highspy

        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("random_seed", 0)
        self.h.setOptionValue("threads", 1)
        self.n_rows = len(row_lower)
        self.n_cols = 0
        self.h.addRows(self.n_rows, np.asarray(row_lower, float), np.asarray(row_upper, float), 0, np.zeros(0, np.int32),
                       np.zeros(0, np.int32), np.zeros(0))

    def add(self, cols: Columns) -> None:
        """Add `cols` as continuous columns in [0, upper] (their row bounds are ignored: the rows exist)."""
        if cols.n_cols == 0:
            return
        if len(cols.index) and int(cols.index.max()) >= self.n_rows:
            raise ValueError(f"live LP: a column uses row {int(cols.index.max())} of {self.n_rows}")
        self.h.addCols(cols.n_cols, cols.cost, np.zeros(cols.n_cols), cols.upper, len(cols.index),
                       cols.start[:-1].astype(np.int32), cols.index.astype(np.int32), cols.value)
        self.n_cols += cols.n_cols

    def solve(self) -> Optional[tuple[float, np.ndarray, np.ndarray]]:
        """(value, row duals, column values), or None when the LP has no optimum."""
        import highspy

        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # A warm start from the last basis can fail on a badly scaled LP (a simplex error, no status):
            # the same LP from scratch solves.
            self.h.clearSolver()
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
        sol = self.h.getSolution()
        return float(self.h.getInfo().objective_function_value), np.asarray(sol.row_dual), np.asarray(sol.col_value)


def pulp_mip(sub: SubModel, backend: str, gap: float, abs_gap: float = 0.0, time_limit: float = 1e6, threads: int = 1, *,
             nodes: int) -> Result:
    """The MIP with a PuLP solver (`cbc` is PuLP's COIN_CMD on the `cbcbox` CBC)."""
    import pulp

    prob = pulp.LpProblem("placement", pulp.LpMinimize)
    n_xy = sub.n_x + sub.n_y
    xs = [prob.add_variable(f"x{k:08d}", 0, 1, cat=pulp.LpBinary if k < sub.n_x else pulp.LpContinuous) for k in range(n_xy)]
    xs += [prob.add_variable(f"n{k:08d}", 0, float(u), cat=pulp.LpInteger) for k, u in enumerate(np.asarray(sub.int_upper).tolist())]
    prob += pulp.LpAffineExpression(zip(xs, np.asarray(sub.cost).tolist()))
    for r in range(len(sub.row_lower)):
        a, b = int(sub.start[r]), int(sub.start[r + 1])
        expr = pulp.LpAffineExpression(zip((xs[c] for c in sub.index[a:b].tolist()), sub.value[a:b].tolist()))
        lo, up = float(sub.row_lower[r]), float(sub.row_upper[r])
        if lo == up:
            prob += (expr == lo, f"r{r}")
        else:
            if math.isfinite(up):
                prob += (expr <= up, f"u{r}")
            if math.isfinite(lo):
                prob += (expr >= lo, f"l{r}")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "solver.log"
        if backend == CBC:
            solver = pulp.COIN_CMD(path=_cbc_path(), msg=_log(), timeLimit=time_limit, gapRel=gap, gapAbs=abs_gap or None,
                                   threads=threads, logPath=str(log), options=["randomSeed 1", f"maxNodes {nodes}"])
        else:
            name = next(s for s in pulp.listSolvers(onlyAvailable=True) if s.lower() == backend.lower())
            solver = pulp.getSolver(name, msg=_log(), timeLimit=time_limit, gapRel=gap)
        prob.solve(solver)
        text = log.read_text(errors="replace") if log.exists() else ""
    if prob.status == pulp.LpStatusInfeasible:
        return Result(Status.INFEASIBLE, None, math.inf, math.inf)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return Result(Status.NO_SOLUTION, None, math.inf, -math.inf)
    x = np.array([v.varValue or 0.0 for v in xs])
    obj = float(np.dot(sub.cost, x))
    proven = prob.sol_status == pulp.LpSolutionOptimal
    return Result(Status.OPTIMAL if proven else Status.FEASIBLE, x, obj, _bound(text, obj, proven, gap, abs_gap))


def _bound(log: str, obj: float, proven: bool, gap: float, abs_gap: float) -> float:
    """The solver's best bound from CBC's log; otherwise what its proven gap tolerance guarantees."""
    found = re.findall(r"(?:Lower bound|Best possible)[:\s]+(-?[0-9.eE+]+)", log)
    if found:
        return min(float(found[-1]), obj)
    if proven:
        return obj - max(gap * abs(obj), abs_gap)
    return -math.inf


def for_pulp(backend: str, time_limit: float, gap: float, nodes: int, start: Optional[dict[str, float]] = None):  # noqa: ANN201
    """A PuLP solver for a model built with PuLP (the wave schedule): HiGHS in-process, warm-started from `start`
    (variable name -> value) and stopped after `nodes` branch-and-bound nodes; CBC, or any solver PuLP knows, by name."""
    import pulp

    if backend == DIRECT:
        import highspy

        class WarmHiGHS(pulp.HiGHS):
            def callSolver(self, lp):  # noqa: ANN001, ANN202 - pulp's hook
                if start:
                    values = [0.0] * lp.solverModel.getNumCol()
                    for var in lp.variables():
                        values[var.index] = start.get(var.name, 0.0)
                    sol = highspy.HighsSolution()
                    sol.col_value = values
                    sol.value_valid = True
                    lp.solverModel.setSolution(sol)
                lp.solverModel.run()

            def findSolutionValues(self, lp):  # noqa: ANN001, ANN202 - pulp's hook
                try:
                    return super().findSolutionValues(lp)
                except KeyError:  # PuLP 3.3 has no status for the node limit (kSolutionLimit); the values are read by now
                    if lp.solverModel.getModelStatus() != highspy.HighsModelStatus.kSolutionLimit:
                        raise
                    if lp.solverModel.getSolution().value_valid:
                        return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
                    return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound

        return WarmHiGHS(msg=_log(), timeLimit=time_limit, gapRel=gap, random_seed=0, threads=1, mip_max_nodes=nodes)
    if backend == CBC:
        return pulp.COIN_CMD(path=_cbc_path(), msg=_log(), timeLimit=time_limit, gapRel=gap, threads=1,
                             options=["randomSeed 1", f"maxNodes {nodes}"])
    name = next(s for s in pulp.listSolvers(onlyAvailable=True) if s.lower() == backend.lower())
    return pulp.getSolver(name, msg=_log(), timeLimit=time_limit, gapRel=gap)


def solve_mip(sub: SubModel, backend: str, gap: float, abs_gap: float = 0.0, time_limit: float = 1e6,
              start: Optional[np.ndarray] = None, threads: int = 1, lp_first: bool = True, nodes: Optional[int] = None,
              target: Optional[float] = None) -> Result:
    """One island or merged group on `backend`; with HiGHS, its LP relaxation first: an integral LP optimum is the
    MIP optimum."""
    if backend == DIRECT and lp_first:
        lp = relaxation(sub, time_limit)
        if lp.status == Status.INFEASIBLE:
            return Result(Status.INFEASIBLE, None, math.inf, math.inf)
        if lp.x is not None and _integral(lp.x[: sub.n_x]):
            return Result(Status.OPTIMAL, np.round(lp.x, 9), lp.objective, lp.objective)
    return solver(backend).mip(sub, gap, abs_gap, time_limit, start, threads, nodes, target)


def _integral(x: np.ndarray) -> bool:
    return bool(np.all(np.minimum(np.abs(x), np.abs(1.0 - x)) <= 1e-9))
