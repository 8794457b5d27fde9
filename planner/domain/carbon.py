"""The energy and emissions model: what a workload's electricity emits on a site, as a workload column times a site column.

Monthly energy of a workload (kWh, IT load) = used vCPU x KWH_PER_VCPU_HOUR x 730 + storage TB x KWH_PER_TB_MONTH,
where used vCPU is vcpu x cpu_util_p95 when measured, else vcpu. A site's factor is PUE x grid gCO2e/kWh, so
monthly kgCO2e(w, s) = kWh(w) x factor(s) / 1000. Defaults: the grid of the site's Azure region or zone country
(shipped tables, derived by tools/derive_carbon.py) and a PUE by site kind; a site's `energy` block overrides
either. The sources of every constant are in docs/how-to/carbon.md.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from io import StringIO

import numpy as np

from planner.domain.catalog import HOURS_PER_MONTH
from planner.domain.estate import Estate
from planner.domain.model import Site, SiteKind

# Cloud Carbon Footprint's Azure coefficients (methodology appendix; AzureFootprintEstimationConstants.ts):
# 3.76 W per vCPU at full load (MAX_WATTS_AVG) and 1.2 Wh per TB-hour of SSD storage.
KWH_PER_VCPU_HOUR = 3.76 / 1000
KWH_PER_TB_MONTH = 1.2 * HOURS_PER_MONTH / 1000
# Power usage effectiveness by site kind when the inventory gives none: Uptime Institute Global Data Center
# Survey 2024 (average 1.56) for on-prem rooms; for Azure 1.18, between Microsoft's published design PUE of its
# newest data centres (1.12) and its older generations; 1.8 for edge rooms (an assumption). docs/how-to/carbon.md.
DEFAULT_PUE = {SiteKind.ONPREM: 1.56, SiteKind.AZURE: 1.18, SiteKind.EDGE: 1.8}
WORLD = "*"  # the grid table's row for a country it does not list


def _table(name: str) -> dict[str, float]:
    text = resources.files("planner").joinpath(f"data/{name}").read_text(encoding="utf-8")
    rows = csv.DictReader(StringIO("".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))))
    first = "country" if name == "grid_carbon.csv" else "region"
    return {r[first]: float(r["gco2_kwh"]) for r in rows}


@lru_cache(maxsize=None)
def country_grid() -> dict[str, float]:
    """Country (ISO 3166-1 alpha-2, and WORLD) -> grid gCO2e/kWh, from the shipped table."""
    return _table("grid_carbon.csv")


@lru_cache(maxsize=None)
def region_grid() -> dict[str, float]:
    """Azure region -> grid gCO2e/kWh, from the shipped table."""
    return _table("azure_grid_carbon.csv")


def site_energy(estate: Estate, site: Site) -> tuple[float, float]:
    """(PUE, grid gCO2e/kWh) of a site: its `energy` block where given, else the defaults."""
    given = getattr(site, "energy", None)
    pue = given.pue if given is not None and given.pue is not None else DEFAULT_PUE[site.kind]
    if given is not None and given.grid_gco2_kwh is not None:
        return pue, given.grid_gco2_kwh
    if site.kind == SiteKind.AZURE and site.region is not None and site.region in region_grid():
        return pue, region_grid()[site.region]
    grid = country_grid()
    return pue, grid.get(estate.site_country(site), grid[WORLD])


def site_factors(estate: Estate) -> np.ndarray:
    """Per site (in `estate.sites` order), gCO2e per kWh of IT load: PUE x grid intensity."""
    cache = estate.__dict__.setdefault("_carbon_factors", {})
    if "f" not in cache:
        cache["f"] = np.array([p * g for p, g in (site_energy(estate, s) for s in estate.sites)], dtype=float)
    return cache["f"]


def energy_arrays(vcpu: np.ndarray, cpu_util: np.ndarray, storage_gb: np.ndarray) -> np.ndarray:
    """Monthly kWh of IT load of workloads given as columns (cpu_util NaN: not measured, the full size runs)."""
    used = np.where(np.isnan(cpu_util), vcpu, vcpu * np.nan_to_num(cpu_util))
    return used * KWH_PER_VCPU_HOUR * HOURS_PER_MONTH + storage_gb / 1000.0 * KWH_PER_TB_MONTH


def workload_energy(estate: Estate) -> np.ndarray:
    """Per workload (table order), its monthly kWh of IT load."""
    cache = estate.__dict__.setdefault("_carbon_energy", {})
    if "e" not in cache:
        t = estate.table
        cache["e"] = energy_arrays(t.vcpu.astype(float), t.cpu_util_p95.astype(float), t.storage_gb.astype(float))
    return cache["e"]


def monthly_kg(estate: Estate, site_no: np.ndarray) -> np.ndarray:
    """Per workload, its monthly kgCO2e on the site `site_no` gives it."""
    return workload_energy(estate) * site_factors(estate)[site_no] / 1000.0


def price_per_kwh(estate: Estate) -> np.ndarray:
    """Per site, the carbon charge per kWh of IT load in the scenario's currency (0 without a carbon price)."""
    return estate.scenario.carbon.price_per_tonne / 1e6 * site_factors(estate)


def horizon_tonnes(estate: Estate, site_no: np.ndarray) -> float:
    """A placement's emissions over the horizon in tCO2e, counted as the cost model counts money: horizon_months x monthly."""
    return estate.scenario.horizon_months * float(monthly_kg(estate, site_no).sum()) / 1000.0


def stay_put_tonnes(estate: Estate) -> float:
    """Emissions over the horizon if every workload stays where it runs today."""
    return horizon_tonnes(estate, estate.table.current_site.astype(np.int64))
