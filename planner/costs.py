"""The cost model of DESIGN.md, the one implementation the solver, verifier and reports use.

`monthly_run` prices a workload on a site: per-unit rates when the site has
`cost.vcpu_month`, otherwise the cheapest catalogue VM in the site's region that covers
the right-sized need, at 730 hours a month, plus managed-disk storage. The rate formula
is written once over numbers or numpy arrays, so the vectorised candidate builder and the
scalar path cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, TypeVar

import numpy as np

from .catalog import HOURS_PER_MONTH, VmSku
from .estate import Estate
from .model import Site, SiteCost, Workload

Num = TypeVar("Num", float, np.ndarray)
# Float noise such as 10 * 0.5 * 1.2 = 6.000000000000001 must not buy a bigger VM.
_CEIL_EPS = 1e-9


@dataclass(frozen=True)
class RunCost:
    """A workload's monthly run cost on a site, and the VM size when catalogue-priced."""

    monthly: float
    sku: Optional[str] = None


def rate_cost(vcpu: Num, memory_gb: Num, storage_gb: Num, cost: SiteCost) -> Num:
    """Monthly cost at per-unit rates; works on floats and numpy arrays alike."""
    assert cost.vcpu_month is not None
    return vcpu * cost.vcpu_month + memory_gb * cost.memory_gb_month + storage_gb * cost.storage_gb_month


def rightsize(size: np.ndarray, util: np.ndarray, comfort: float) -> np.ndarray:
    """The capacity to buy: ceil(size * util * comfort), or the full size where util is NaN (not measured)."""
    need = np.where(np.isnan(util), size, size * np.nan_to_num(util) * comfort)
    return np.ceil(need - _CEIL_EPS).astype(np.int64)


def _util(value: Optional[float]) -> float:
    return float("nan") if value is None else value


def is_rate_priced(site: Site) -> bool:
    """Whether the site is priced per unit (its cost block has vcpu_month) rather than per VM size."""
    return site.cost is not None and site.cost.vcpu_month is not None


def catalogue_sku(estate: Estate, w: Workload, site: Site) -> Optional[VmSku]:
    """The cheapest VM in the site's region covering the right-sized need of `w`, or None."""
    comfort = estate.scenario.comfort_factor
    need_cpu = rightsize(np.array([w.vcpu]), np.array([_util(w.cpu_util_p95)]), comfort)[0]
    need_mem = rightsize(np.array([w.memory_gb]), np.array([_util(w.mem_util_p95)]), comfort)[0]
    assert site.region is not None
    return estate.catalog.cheapest(site.region, int(need_cpu), float(need_mem))


def sku_monthly(estate: Estate, sku: VmSku, storage_gb: Num, region: str) -> Num:
    """Monthly cost of a catalogue VM plus its managed-disk storage."""
    return sku.hourly * HOURS_PER_MONTH + storage_gb * estate.catalog.regions[region].disk_gb_month


def monthly_run(estate: Estate, w: Workload, site: Site) -> Optional[RunCost]:
    """`monthly_run(w, s)` of DESIGN.md; None when no catalogue VM is large enough."""
    if is_rate_priced(site):
        assert site.cost is not None
        return RunCost(float(rate_cost(w.vcpu, w.memory_gb, w.storage_gb, site.cost)))
    sku = catalogue_sku(estate, w, site)
    if sku is None:
        return None
    assert site.region is not None
    return RunCost(float(sku_monthly(estate, sku, w.storage_gb, site.region)), sku.name)


def egress_price(estate: Estate, site: Site) -> float:
    """Price per GB leaving `site`: its cost block's egress_gb, else the catalogue region's, else 0."""
    if site.cost is not None and site.cost.egress_gb is not None:
        return site.cost.egress_gb
    if site.region is not None and not is_rate_priced(site) and site.region in estate.catalog.regions:
        return estate.catalog.regions[site.region].egress_gb
    return 0.0


def horizon_cost(estate: Estate, monthly: float, one_time: float) -> float:
    """What one placement costs over the horizon."""
    return estate.scenario.horizon_months * monthly + one_time


def monthly_egress(estate: Estate, site_of: dict[str, str]) -> float:
    """Egress per month of a placement: each dependency whose ends sit apart pays at its source's price."""
    total = 0.0
    for w in estate.workloads:
        src = site_of[w.id]
        for d in w.depends_on:
            if d.traffic_gb_month and site_of[d.workload] != src:
                total += d.traffic_gb_month * egress_price(estate, estate.site_by_id[src])
    return total


def dependency_egress(estate: Estate, traffic_gb_month: float, source: Site, target_site_id: str) -> float:
    """Monthly egress of one dependency whose source end sits on `source`: its traffic at that site's price, 0 when both ends share a site."""
    if not traffic_gb_month or source.id == target_site_id:
        return 0.0
    return traffic_gb_month * egress_price(estate, source)


def stay_put_monthly(estate: Estate) -> float:
    """Monthly run cost of every workload where it runs today (the baseline a plan is compared with)."""
    total = 0.0
    for w in estate.workloads:
        run = monthly_run(estate, w, estate.site_by_id[w.current_site])
        total += run.monthly if run is not None else 0.0
    return total


def stay_put_horizon(estate: Estate, monthly_run: Optional[float] = None) -> float:
    """Staying put over the horizon, priced like a plan's horizon cost: run plus egress where everything runs today.

    `monthly_run` is plan.json's `stay_put_monthly_run_cost` when given (rounded to cents, as
    the reports use it), else computed.
    """
    today = {w.id: w.current_site for w in estate.workloads}
    run = stay_put_monthly(estate) if monthly_run is None else monthly_run
    return estate.scenario.horizon_months * (run + monthly_egress(estate, today))
