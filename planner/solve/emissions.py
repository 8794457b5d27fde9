"""The carbon cap before and after solving: the least emissions any plan can reach, and the sentence saying a cap misses it.

The cap itself is one more linking row of the placement model (:mod:`planner.solve.reduce`, resource CARBON), priced
with the capacity rows; this module only explains a cap that cannot be met.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from planner.base.problem import Problem
from planner.domain.carbon import site_factors, workload_energy
from planner.domain.estate import Estate
from planner.domain.rules import Rule
from planner.solve.candidates import Candidates


def least_tonnes(estate: Estate, cands: Candidates) -> float:
    """Each workload on its cleanest admissible site: a lower bound of any plan's horizon tCO2e (the other rules relaxed)."""
    if len(cands.site) == 0:
        return 0.0
    tonnes = estate.scenario.horizon_months * workload_energy(estate)[cands.owner] * site_factors(estate)[cands.site] / 1e6
    has = np.diff(cands.ptr) > 0
    return float(np.minimum.reduceat(tonnes, cands.ptr[:-1][has]).sum())


def cap_problem(estate: Estate, least: float, reached: Optional[float] = None) -> Problem:
    """The problem of a cap below `least` tCO2e (the least reachable; `reached`: the least the other rules allow)."""
    cap = estate.scenario.carbon.cap_tonnes
    assert cap is not None
    floor = least if reached is None else reached
    how = ("with every workload on its cleanest admissible site" if reached is None
           else "under the estate's other rules (capacity, latency, anti-affinity)")
    if floor <= cap:  # the least-emissions solve did not finish: say what is known
        return Problem(Rule.CARBON_CAP.value, (), (), (
            f"scenario.carbon.cap_tonnes is {cap:,.1f} tCO2e and no plan was found within it together with the estate's other "
            f"rules (capacity, latency, anti-affinity); every workload on its cleanest admissible site would emit {least:,.1f} t. "
            "Raise the cap, or give the clean sites more capacity"))
    return Problem(Rule.CARBON_CAP.value, (), (), (
        f"scenario.carbon.cap_tonnes is {cap:,.1f} tCO2e, but no plan emits less than {floor:,.1f} tCO2e over the horizon "
        f"{how}: the cap misses it by {floor - cap:,.1f} t ({(floor - cap) / max(floor, 1e-9):.1%}). "
        f"Raise the cap to at least {floor:,.1f}, or give sites cleaner energy"))


def check_cap(estate: Estate, cands: Candidates) -> Optional[Problem]:
    """The carbon-cap problem when even the cleanest admissible site of every workload exceeds the cap, else None."""
    cap = estate.scenario.carbon.cap_tonnes
    if cap is None:
        return None
    least = least_tonnes(estate, cands)
    return cap_problem(estate, least) if least > cap * (1 + 1e-9) + 1e-9 else None
