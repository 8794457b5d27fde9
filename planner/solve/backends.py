"""The MILP solvers: HiGHS driven directly (the default), and any solver PuLP knows.

Every backend solves the same :class:`~planner.solve.core.SubModel` and answers a
:class:`Result` with an honest bound. HiGHS gets the model as one row-wise sparse matrix and
can also solve its LP relaxation (most islands' relaxations are integral, which saves the MIP);
PuLP builds the model column by column and hands it to CBC (`cbc`, from the `cbcbox`
package) or to any other solver `pulp.listSolvers(onlyAvailable=True)` reports (Gurobi, CPLEX,
SCIP, COPT, HiGHS through PuLP as `HiGHS`...). Searches are limited by work (branch-and-bound
nodes, simplex iterations) so the answer does not depend on the machine's speed; the time limit
only stops a run early.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .core import SubModel

MIP_NODE_LIMIT = 20_000  # per island or merged group: a work limit, the same on every machine
PRICING_NODE_LIMIT = 100  # an island priced in a round needs a good plan and a bound, not the last node
DIRECT = "highs"
CBC = "cbc"


@dataclass
class Result:
    """`status` optimal | feasible | infeasible | no-solution; `bound` a proven lower bound on the objective."""

    status: str
    x: Optional[np.ndarray]
    objective: float
    bound: float


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
            return "CBC is not installed (pip install 'pulp[cbc]')"
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
           nodes: int = MIP_NODE_LIMIT):
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
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(sub.row_lower)
    lp.col_cost_ = np.asarray(sub.cost, dtype=float)
    lp.col_lower_ = np.zeros(n)
    x_upper = np.ones(sub.n_x) if sub.x_upper is None else np.asarray(sub.x_upper, dtype=float)
    lp.col_upper_ = np.concatenate([x_upper, np.ones(sub.n_y), np.asarray(sub.int_upper, dtype=float)])
    lp.row_lower_ = np.asarray(sub.row_lower, dtype=float)
    lp.row_upper_ = np.asarray(sub.row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.asarray(sub.start, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(sub.index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(sub.value, dtype=float)
    if not relax:
        kinds = highspy.HighsVarType
        lp.integrality_ = [kinds.kInteger] * sub.n_x + [kinds.kContinuous] * sub.n_y + [kinds.kInteger] * len(sub.int_upper)
    h.passModel(lp)
    return h


def highs_lp(sub: SubModel, time_limit: float = 1e6, duals: bool = False, row_duals: bool = False):  # noqa: ANN201
    """The LP relaxation with HiGHS: (status, x, objective), then the columns' reduced costs when `duals`, then
    the rows' duals when `row_duals`."""
    import highspy

    h = _highs(sub, relax=True, gap=0.0, abs_gap=0.0, time_limit=time_limit)
    h.run()
    status = h.getModelStatus()
    S = highspy.HighsModelStatus
    extra = (None,) * (int(duals) + int(row_duals))
    if status == S.kInfeasible:
        return ("infeasible", None, math.inf, *extra)
    if status != S.kOptimal:
        return ("no-solution", None, math.inf, *extra)
    sol = h.getSolution()
    out = ("optimal", np.asarray(sol.col_value), float(h.getInfo().objective_function_value))
    if duals:
        out += (np.asarray(sol.col_dual),)
    if row_duals:
        out += (np.asarray(sol.row_dual),)
    return out


def highs_mip(sub: SubModel, gap: float, abs_gap: float = 0.0, time_limit: float = 1e6, start: Optional[np.ndarray] = None,
              threads: int = 1, nodes: int = MIP_NODE_LIMIT) -> Result:
    """The MIP with HiGHS, warm-started from `start` when given."""
    import highspy

    h = _highs(sub, relax=False, gap=gap, abs_gap=abs_gap, time_limit=time_limit, threads=threads, nodes=nodes)
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
        return Result("infeasible", None, math.inf, math.inf)
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return Result("no-solution", None, math.inf, -math.inf)
    bound = float(info.mip_dual_bound)
    return Result("optimal" if status == S.kOptimal else "feasible", np.asarray(h.getSolution().col_value),
                  float(info.objective_function_value), bound if math.isfinite(bound) else -math.inf)


def pulp_mip(sub: SubModel, backend: str, gap: float, abs_gap: float = 0.0, time_limit: float = 1e6, threads: int = 1) -> Result:
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
                                   threads=threads, logPath=str(log), options=["randomSeed 1", f"maxNodes {MIP_NODE_LIMIT}"])
        else:
            name = next(s for s in pulp.listSolvers(onlyAvailable=True) if s.lower() == backend.lower())
            solver = pulp.getSolver(name, msg=_log(), timeLimit=time_limit, gapRel=gap)
        prob.solve(solver)
        text = log.read_text(errors="replace") if log.exists() else ""
    if prob.status == pulp.LpStatusInfeasible:
        return Result("infeasible", None, math.inf, math.inf)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return Result("no-solution", None, math.inf, -math.inf)
    x = np.array([v.varValue or 0.0 for v in xs])
    obj = float(np.dot(sub.cost, x))
    proven = prob.sol_status == pulp.LpSolutionOptimal
    return Result("optimal" if proven else "feasible", x, obj, _bound(text, obj, proven, gap, abs_gap))


def _bound(log: str, obj: float, proven: bool, gap: float, abs_gap: float) -> float:
    """The solver's best bound from CBC's log; otherwise what its proven gap tolerance guarantees."""
    found = re.findall(r"(?:Lower bound|Best possible)[:\s]+(-?[0-9.eE+]+)", log)
    if found:
        return min(float(found[-1]), obj)
    if proven:
        return obj - max(gap * abs(obj), abs_gap)
    return -math.inf


def solve_mip(sub: SubModel, backend: str, gap: float, abs_gap: float = 0.0, time_limit: float = 1e6,
              start: Optional[np.ndarray] = None, threads: int = 1, lp_first: bool = True, nodes: int = MIP_NODE_LIMIT) -> Result:
    """One MIP on `backend`; with HiGHS, its LP relaxation first: an integral LP optimum is the MIP optimum."""
    if backend == DIRECT:
        if lp_first:
            status, x, obj = highs_lp(sub, time_limit)
            if status == "infeasible":
                return Result("infeasible", None, math.inf, math.inf)
            if x is not None and _integral(x[: sub.n_x]):
                return Result("optimal", np.round(x, 9), obj, obj)
        return highs_mip(sub, gap, abs_gap, time_limit, start, threads, nodes)
    return pulp_mip(sub, backend, gap, abs_gap, time_limit, threads)


def _integral(x: np.ndarray) -> bool:
    return bool(np.all(np.minimum(np.abs(x), np.abs(1.0 - x)) <= 1e-9))
