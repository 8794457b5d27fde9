"""The same placement written as one plain PuLP model and solved with HiGHS: the yardstick of bench.py --plain.

What an engineer would write first: a binary per admissible (workload, site), one assignment row per
workload, a capacity row per site and resource, an anti-affinity row per group and site, for each
latency-bound dependency and site of its dependant a row asking for its target within the budget, and
an egress variable per dependency and shared site, and with a carbon cap one emissions row over every site. No reductions, islands or pricing. Both plans are
timed from the inventory on disk to placed workloads (waves left out of both).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Union


def plain_solve(estate, gap: float) -> tuple[float, float, str]:  # noqa: ANN001
    """(seconds, objective, status) of the plain model of `estate`."""
    import numpy as np
    import pulp

    from planner.solve.candidates import build_candidates

    t0 = time.perf_counter()
    c = build_candidates(estate)
    t = estate.table
    owner = c.owner
    prob = pulp.LpProblem("plain", pulp.LpMinimize)
    x = [prob.add_variable(f"x{e}", 0, 1, cat=pulp.LpBinary) for e in range(len(c.site))]
    cost = c.total.tolist()
    # One coefficient per variable, summed: LpAffineExpression keeps the last of repeated (variable, cost) pairs.
    coef: dict = dict(zip(x, cost))
    for i in range(len(t)):
        prob += pulp.lpSum(x[e] for e in range(c.ptr[i], c.ptr[i + 1])) == 1
    size = {"vcpu": t.vcpu, "memory_gb": t.memory_gb, "storage_gb": t.storage_gb}
    for j, s in enumerate(estate.sites):
        if s.capacity is None:
            continue
        on = np.nonzero(c.site == j)[0]
        for res, arr in size.items():
            cap = getattr(s.capacity, res)
            if cap is not None:
                prob += pulp.lpSum(arr[owner[e]] * x[e] for e in on.tolist()) <= cap
    cap = estate.scenario.carbon.cap_tonnes
    if cap is not None:  # one row over every site: the horizon's emissions of the chosen placements
        from planner.domain.carbon import site_factors, workload_energy

        tonnes = estate.scenario.horizon_months * workload_energy(estate)[owner] * site_factors(estate)[c.site] / 1e6
        prob += pulp.lpSum(float(tonnes[e]) * x[e] for e in range(len(c.site))) <= cap
    for members in estate.anti_affinity_groups.values():
        for j in range(len(estate.sites)):
            es = [e for m in members for e in range(c.ptr[m], c.ptr[m + 1]) if c.site[e] == j]
            if len(es) > 1:
                prob += pulp.lpSum(x[e] for e in es) <= 1
    lat, zone = estate.latency_matrix, estate.site_zone_index
    d = t.deps
    for k in range(len(d)):
        a, b = int(d.src[k]), int(d.dst[k])
        ea, eb = range(c.ptr[a], c.ptr[a + 1]), range(c.ptr[b], c.ptr[b + 1])
        if not np.isnan(d.max_latency_ms[k]):
            for e in ea:
                ok = [f for f in eb if lat[zone[c.site[e]], zone[c.site[f]]] <= d.max_latency_ms[k]]
                if len(ok) < len(eb):
                    prob += x[e] <= pulp.lpSum(x[f] for f in ok)
        if d.traffic_gb_month[k] > 0:
            at = {int(c.site[f]): f for f in eb}
            for e in ea:
                price = c.horizon * d.traffic_gb_month[k] * c.egress[c.site[e]]
                if price <= 0:
                    continue
                if int(c.site[e]) in at:
                    y = prob.add_variable(f"y{k}_{e}", 0, 1)
                    prob += y >= x[e] - x[at[int(c.site[e])]]
                    coef[y] = price
                else:
                    coef[x[e]] += price
    prob += pulp.LpAffineExpression(coef)
    prob.solve(pulp.getSolver("HiGHS", msg=False, gapRel=gap, threads=1))
    return time.perf_counter() - t0, float(pulp.value(prob.objective)), pulp.LpStatus[prob.status]


def compare(source: Union[int, str, Path], seed: int, gap: float) -> None:
    """Print planner vs plain PuLP seconds (inventory loaded to workloads placed) on one estate: `source` is a
    workload count (a `planner synth` estate of that size and `seed`, written as Parquet tables) or the path of an
    inventory (a YAML file or folder, e.g. /work/shared/cases/tight-3000.yaml)."""
    from planner.domain.estate import Estate
    from planner.domain.model import SolverSettings
    from planner.inputs.load import load_inventory
    from planner.inputs.synth import synth_tables
    from planner.solve import solve

    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(source, int):
            folder = Path(tmp) / "estate"
            synth_tables(folder, source, seed, "parquet")
            label = f"{source:,} workloads"
        else:
            folder = Path(source)
            label = str(folder)
        t0 = time.perf_counter()
        inv = load_inventory(folder)
        placement = solve(Estate.of(inv), SolverSettings(gap=gap, time_limit_s=3600))
        ours = time.perf_counter() - t0
        if not isinstance(source, int):
            label = f"{label} ({len(inv.workloads):,} workloads)"
        t0 = time.perf_counter()
        estate = Estate.of(load_inventory(folder))
        load = time.perf_counter() - t0
        plain, objective, status = plain_solve(estate, gap)
    print(f"\n{label}, gap {gap:.4%}: planner {ours:.1f} s ({placement.status}, {placement.objective:,.2f}); "
          f"plain PuLP + HiGHS {load + plain:.1f} s ({status}, {objective:,.2f}); ratio {(load + plain) / ours:.1f}x")
