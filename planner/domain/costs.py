"""The cost model (docs/design.md, "One rule set, one cost model"), the one implementation the solver, verifier, explain and reports use.

`monthly_run` prices workloads on a site: per-unit rates when the site has `cost.vcpu_month`
(plus `windows_vcpu_month` for Windows workloads), otherwise the cheapest catalogue VM in the
site's region that covers the right-sized need, at the scenario's pricing option
(pay-as-you-go, a reservation or a savings plan; Windows pays its licence unless Hybrid
Benefit brings it), at 730 hours a month, plus managed-disk storage. It is written over
columns (`run_columns`): the candidate builder prices every workload on a site in one call,
per distinct (size, OS) for catalogue sites, and the one-workload functions call it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

from planner.domain.carbon import monthly_kg
from planner.domain.catalog import HOURS_PER_MONTH, Catalog, VmSku
from planner.domain.estate import Estate
from planner.domain.model import Site, Workload
from planner.domain.workloads import OSES

# Float noise such as 10 * 0.5 * 1.2 = 6.000000000000001 must not buy a bigger VM.
_CEIL_EPS = 1e-9
RATE_PRICED = -1  # sku code of a workload on a per-unit priced site
NO_VM = -2  # sku code where no catalogue VM is large enough


@dataclass(frozen=True)
class RunCost:
    """A workload's monthly run cost on a site, and the VM size and pricing option when catalogue-priced."""

    monthly: float
    sku: Optional[str] = None
    pricing: Optional[str] = None


def rightsize(size: np.ndarray, util: np.ndarray, comfort: float) -> np.ndarray:
    """The capacity to buy: ceil(size * util * comfort), or the full size where util is NaN (not measured)."""
    need = np.where(np.isnan(util), size, size * np.nan_to_num(util) * comfort)
    return np.ceil(need - _CEIL_EPS).astype(np.int64)


def is_rate_priced(site: Site) -> bool:
    """Whether the site is priced per unit (its cost block has vcpu_month) rather than per VM size."""
    return site.cost is not None and site.cost.vcpu_month is not None


def vm_hourly(estate: Estate, sku: VmSku, os: str) -> Optional[float]:
    """The hourly price of `sku` for a workload running `os`, at the scenario's pricing option."""
    p = estate.scenario.pricing
    return sku.hourly_price(p.azure, os, p.hybrid_benefit)


def _cheapest(catalog: Catalog, estate: Estate, region: str, vcpu: int, memory_gb: float, os: str) -> Optional[VmSku]:
    p = estate.scenario.pricing
    return catalog.cheapest(region, vcpu, memory_gb, os=os, option=p.azure, hybrid_benefit=p.hybrid_benefit)


@dataclass(frozen=True)
class Columns:
    """Monthly run cost of some workloads on one site, and per workload the SKU (index into the catalogue's `skus`,
    or RATE_PRICED, or NO_VM)."""

    monthly: np.ndarray
    sku: np.ndarray


def _rate(site: Site, vcpu, memory_gb, storage_gb, windows):  # noqa: ANN001, ANN202 - floats or arrays alike
    """Monthly cost at the site's per-unit rates (Windows adds its licence per vCPU)."""
    c = site.cost
    assert c is not None and c.vcpu_month is not None
    return vcpu * (c.vcpu_month + np.where(windows, c.windows_vcpu_month, 0.0)) + memory_gb * c.memory_gb_month + storage_gb * c.storage_gb_month


def _vm(estate: Estate, region: str, need_cpu: int, need_mem: int, windows: bool) -> tuple[float, int]:
    """(hourly price, SKU number) of the cheapest VM covering a right-sized need; (NaN, NO_VM) when none does."""
    cache = estate.__dict__.setdefault("_vm_cache", {})
    key = (region, need_cpu, need_mem, windows)
    if key not in cache:
        os = OSES[1] if windows else OSES[0]
        found = _cheapest(estate.catalog, estate, region, need_cpu, float(need_mem), os)
        cache[key] = (float("nan"), NO_VM) if found is None else (vm_hourly(estate, found, os), sku_numbers(estate.catalog)[found])
    return cache[key]


def run_columns(estate: Estate, rows: np.ndarray, site: Site) -> Columns:
    """`monthly_run(w, site)` for the workloads `rows` (row numbers of `estate.table`) at once."""
    t = estate.table
    return run_arrays(estate, site, t.vcpu[rows], t.memory_gb[rows], t.storage_gb[rows], t.cpu_util_p95[rows],
                      t.mem_util_p95[rows], t.os[rows] == OSES.index("windows"))


def workload_arrays(workloads: Sequence[Workload]) -> tuple[np.ndarray, ...]:
    """The columns :func:`run_arrays` prices, read from workload objects: (vcpu, memory_gb, storage_gb,
    cpu_util_p95, mem_util_p95 (NaN: not measured), windows)."""
    return (np.array([w.vcpu for w in workloads], dtype=float), np.array([w.memory_gb for w in workloads], dtype=float),
            np.array([w.storage_gb for w in workloads], dtype=float),
            np.array([np.nan if w.cpu_util_p95 is None else w.cpu_util_p95 for w in workloads], dtype=float),
            np.array([np.nan if w.mem_util_p95 is None else w.mem_util_p95 for w in workloads], dtype=float),
            np.array([w.os == "windows" for w in workloads], dtype=bool))


def run_arrays(estate: Estate, site: Site, vcpu: np.ndarray, mem: np.ndarray, sto: np.ndarray, cpu_util: np.ndarray,
               mem_util: np.ndarray, windows: np.ndarray) -> Columns:
    """`monthly_run` on `site` for workloads given as columns (sizes, utilisation with NaN where not measured, Windows or not).

    The same arithmetic as :func:`monthly_run`, element by element, so each cost is the same float.
    """
    if is_rate_priced(site):
        return Columns(_rate(site, vcpu, mem, sto, windows), np.full(len(vcpu), RATE_PRICED, dtype=np.int32))
    assert site.region is not None
    comfort = estate.scenario.comfort_factor
    key = np.stack([rightsize(vcpu, cpu_util, comfort), rightsize(mem, mem_util, comfort), windows.astype(np.int64)])
    if len(vcpu) == 0:
        return Columns(np.zeros(0), np.zeros(0, dtype=np.int32))
    distinct, inverse = np.unique(key, axis=1, return_inverse=True)
    found = [_vm(estate, site.region, int(c), int(m), bool(win)) for c, m, win in distinct.T.tolist()]
    hourly = np.array([f[0] for f in found])[inverse.ravel()]
    sku = np.array([f[1] for f in found], dtype=np.int32)[inverse.ravel()]
    disk = estate.catalog.regions[site.region].disk_gb_month
    return Columns(np.where(np.isnan(hourly), 0.0, np.nan_to_num(hourly) * HOURS_PER_MONTH + sto * disk), sku)


def sku_numbers(catalog: Catalog) -> dict[VmSku, int]:
    """Each SKU's position in `catalog.skus`: how the columns name a SKU."""
    cached = getattr(catalog, "_sku_numbers", None)
    if cached is None:
        cached = {s: k for k, s in enumerate(catalog.skus)}
        object.__setattr__(catalog, "_sku_numbers", cached)
    return cached


def sku_name(estate: Estate, code: int) -> Optional[str]:
    """The VM size name of a SKU code (None for a per-unit priced site)."""
    return estate.catalog.skus[code].name if code >= 0 else None


def pricing_of(estate: Estate, site: Site) -> Optional[str]:
    """The pricing option of a workload on `site`: the scenario's for catalogue-priced Azure sites, None for unit rates."""
    return None if is_rate_priced(site) else estate.scenario.pricing.azure


def monthly_run(estate: Estate, w: Workload, site: Site) -> Optional[RunCost]:
    """`monthly_run(w, s)` for one workload (as given, in the estate or not); None when no VM is large enough."""
    windows = w.os == "windows"
    if is_rate_priced(site):
        return RunCost(float(_rate(site, w.vcpu, w.memory_gb, w.storage_gb, windows)))
    assert site.region is not None
    comfort = estate.scenario.comfort_factor
    need = [int(rightsize(np.array([size]), np.array([np.nan if util is None else util]), comfort)[0])
            for size, util in ((w.vcpu, w.cpu_util_p95), (w.memory_gb, w.mem_util_p95))]
    hourly, code = _vm(estate, site.region, need[0], need[1], windows)
    if code == NO_VM:
        return None
    monthly = hourly * HOURS_PER_MONTH + w.storage_gb * estate.catalog.regions[site.region].disk_gb_month
    return RunCost(float(monthly), sku_name(estate, code), pricing_of(estate, site))


def egress_price(estate: Estate, site: Site) -> float:
    """Price per GB leaving `site`: its cost block's egress_gb, else the catalogue region's, else 0."""
    if site.cost is not None and site.cost.egress_gb is not None:
        return site.cost.egress_gb
    if site.region is not None and not is_rate_priced(site) and site.region in estate.catalog.regions:
        return estate.catalog.regions[site.region].egress_gb
    return 0.0


def egress_prices(estate: Estate) -> np.ndarray:
    """Per site (in `estate.sites` order), the price per GB leaving it."""
    return np.array([egress_price(estate, s) for s in estate.sites])


def horizon_cost(estate: Estate, monthly: float, one_time: float) -> float:
    """What one placement costs over the horizon."""
    return estate.scenario.horizon_months * monthly + one_time


def egress_columns(estate: Estate, site_of: np.ndarray) -> np.ndarray:
    """Monthly egress of every dependency (in `table.deps` order) under a placement (site number per workload)."""
    d = estate.table.deps
    src, dst = site_of[d.src], site_of[d.dst]
    return np.where(src != dst, d.traffic_gb_month * egress_prices(estate)[src], 0.0)


def monthly_egress(estate: Estate, site_of: Mapping[str, str]) -> float:
    """Egress per month of a placement: each dependency whose ends sit apart pays at its source's price."""
    return float(egress_columns(estate, site_numbers(estate, site_of)).sum())


def site_numbers(estate: Estate, site_of: Mapping[str, str]) -> np.ndarray:
    """A placement (workload id -> site id) as a site number per workload row (KeyError when one is missing)."""
    index = estate.site_index
    return np.array([index[site_of[w]] for w in estate.table.ids], dtype=np.int64)


def dependency_egress(estate: Estate, traffic_gb_month: float, source: Site, target_site_id: str) -> float:
    """Monthly egress of one dependency whose source end sits on `source`: its traffic at that site's price, 0 when both ends share a site."""
    if not traffic_gb_month or source.id == target_site_id:
        return 0.0
    return traffic_gb_month * egress_price(estate, source)


def run_on_sites(estate: Estate, site_no: np.ndarray) -> Columns:
    """Each workload's monthly run cost on the site `site_no` gives it (one call per site)."""
    monthly = np.zeros(len(site_no))
    sku = np.full(len(site_no), NO_VM, dtype=np.int32)
    for j in np.unique(site_no).tolist():
        rows = np.nonzero(site_no == j)[0]
        col = run_columns(estate, rows, estate.sites[j])
        monthly[rows] = col.monthly
        sku[rows] = col.sku
    return Columns(monthly, sku)


def stay_put_columns(estate: Estate) -> Columns:
    """Every workload's monthly run cost where it runs today."""
    return run_on_sites(estate, estate.table.current_site.astype(np.int64))


def stay_put_monthly(estate: Estate) -> float:
    """Monthly run cost of every workload where it runs today (the baseline a plan is compared with)."""
    col = stay_put_columns(estate)
    return float(np.where(col.sku == NO_VM, 0.0, col.monthly).sum())


def stay_put_horizon(estate: Estate, monthly_run: Optional[float] = None) -> float:
    """Staying put over the horizon, priced like a plan's horizon cost: run plus egress where everything runs today.

    `monthly_run` is plan.json's `stay_put_monthly_run_cost` when given (rounded to cents, as
    the reports use it), else computed.
    """
    run = stay_put_monthly(estate) if monthly_run is None else monthly_run
    today = estate.table.current_site.astype(np.int64)
    return estate.scenario.horizon_months * (run + float(egress_columns(estate, today).sum()))


def carbon_monthly(estate: Estate, site_no: np.ndarray) -> np.ndarray:
    """Per workload, its carbon charge per month on the site `site_no` gives it: kgCO2e / 1000 x the scenario's
    `carbon.price_per_tonne` (0 without a price). A horizon cost gains horizon_months times it, as the run cost does."""
    return monthly_kg(estate, site_no) * (estate.scenario.carbon.price_per_tonne / 1000.0)
