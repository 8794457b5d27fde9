"""Why an estate has no plan as a whole: the fewest rules that must give.

Each coupling rule (a site's capacity in one resource, an anti-affinity group on one
site, one dependency's latency budget from one zone) gets a 0/1 "give" column that
relaxes it; minimising how many give finds a smallest set of rules that cannot hold
together, which we then name in inventory terms.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .candidates import Candidates, Problem
from .estate import Estate
from .model import SolverSettings
from .rules import Rule
from .solver import RESOURCES, CoreModel, _sizes, run_highs

_LISTED = 12


def diagnose_core(estate: Estate, cands: Candidates, core: CoreModel, settings: SolverSettings) -> list[Problem]:
    """Problems naming a smallest set of coupling rules whose relaxation makes the estate placeable."""
    owner = cands.owners()[core.entries]
    site = cands.site[core.entries]
    sizes = _sizes(estate)
    base = core.n_x + core.n_y
    index = list(core.index)
    value = list(core.value)
    relaxed: list[int] = []
    for r, tag in enumerate(core.row_tags):
        if tag[0] in ("capacity", "anti-affinity", "dependency"):
            slack = float(np.abs(core.value[r]).sum()) + 1.0  # enough to switch the row off
            index[r] = np.append(core.index[r], base + len(relaxed))
            value[r] = np.append(core.value[r], -slack)
            relaxed.append(r)
    elastic = replace(core, cost=np.concatenate([np.zeros(base), np.ones(len(relaxed))]), index=index, value=value, n_z=len(relaxed))
    status, x, _, _ = run_highs(elastic, settings.model_copy(update={"gap": 0.0}))
    if x is None:
        return [Problem(Rule.CAPACITY.value, (), (), "the estate has no plan, and finding which rules collide did not finish in time; "
                        "raise solver.time_limit_s to get a precise explanation")]
    xs = np.asarray(x)
    chosen = xs[: core.n_x] > 0.5
    problems: list[Problem] = []
    for k, r in enumerate(relaxed):
        if xs[base + k] < 0.5:
            continue
        tag = core.row_tags[r]
        if tag[0] == "capacity":
            _, j, res = tag
            s = estate.sites[j]
            on = chosen & (site == j)
            ws = owner[on]
            need = float(sizes[res][ws].sum())
            cap = float(getattr(s.capacity, res))
            names = _names(estate, ws, sizes[res])
            problems.append(Problem(Rule.CAPACITY.value, tuple(sorted(estate.workloads[i].id for i in ws)), (s.id,),
                f"{s.id} has {cap:g} {res}, but the workloads that can only go there or to other full sites need "
                f"{need:g} ({need - cap:g} over): {names}. Add capacity, or allow those workloads elsewhere"))
        elif tag[0] == "anti-affinity":
            _, group, j = tag
            members = set(estate.anti_affinity_groups[group])
            ws = sorted({estate.workloads[i].id for i in owner[chosen & (site == j)].tolist() if i in members})
            problems.append(Problem(Rule.ANTI_AFFINITY.value, tuple(ws), (estate.sites[j].id,),
                f"anti-affinity group {group} needs its workloads on different sites, but {', '.join(ws)} "
                f"have no admissible sites left apart from {estate.sites[j].id}"))
        elif tag[0] == "dependency":
            _, a, b, _ = tag
            wa, wb = estate.workloads[a], estate.workloads[b]
            limit = next(d.max_latency_ms for d in wa.depends_on if d.workload == wb.id)
            sites = sorted({estate.sites[int(j)].id for j in site[chosen & ((owner == a) | (owner == b))]})
            problems.append(Problem(Rule.DEPENDENCY_LATENCY.value, tuple(sorted((wa.id, wb.id))), tuple(sites),
                f"{wa.id} must reach {wb.id} within {limit:g} ms, which cannot hold together with the estate's other rules "
                f"(capacity, anti-affinity, other dependencies); closest plan puts them on {', '.join(sites)}"))
    if not problems:
        problems.append(Problem(Rule.CAPACITY.value, (), (), "the solver reports no plan, but no single rule family explains it; "
                                "check capacities and dependency budgets together"))
    return sorted(set(problems))


def _names(estate: Estate, ws: np.ndarray, size: np.ndarray) -> str:
    order = sorted(ws.tolist(), key=lambda i: (-size[i], estate.workloads[i].id))
    shown = ", ".join(f"{estate.workloads[i].id} ({size[i]:g})" for i in order[:_LISTED])
    return shown + (f" and {len(order) - _LISTED} more" if len(order) > _LISTED else "")


__all__ = ["diagnose_core", "RESOURCES"]
