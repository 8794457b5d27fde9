"""Rebuild the VM catalogue from a SKU source and a price source.

Pure joining logic: which rows count as a size's Linux or Windows pay-as-you-go price, its
reservation and savings-plan prices, how a region's managed-disk price is derived, and what
is kept from the previous catalogue when a service has no answer. The sources decide where
the data comes from (Azure, a fake, the shipped snapshot).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Optional

from planner.domain.catalog import Catalog, RegionPrices, VmSku, parse_catalog
from planner.domain.catalog_schema import OPTIONAL_PRICES
from planner.inputs.sources import PriceRow, PriceSource, SkuInfo, SkuSource

VM_SERVICE = "Virtual Machines"
DISK_SERVICE = "Storage"
DISK_PRODUCT = "Premium SSD Managed Disks"
# A P30 (1 TiB) premium disk: its monthly price per GiB is the catalogue's disk_gb_month.
DISK_SKU, DISK_GIB = "P30 LRS", 1024.0

DEFAULT_REGIONS = (
    "westeurope",
    "northeurope",
    "spaincentral",
    "germanywestcentral",
    "uksouth",
    "ukwest",
    "francecentral",
    "swedencentral",
    "italynorth",
    "polandcentral",
    "brazilsouth",
    "brazilsoutheast",
    "mexicocentral",
    "chilecentral",
)


# The Retail Prices API gives a reservation's price for its whole term, not per hour, even
# though such rows say "unitOfMeasure": "1 Hour": Microsoft's own sample Reservation row is an
# E64 v4 with "reservationTerm": "1 Year" and "unitPrice": 25007.0, about 2.85 USD an hour
# over the 8,760 hours of a year (https://learn.microsoft.com/rest/api/cost-management/
# retail-prices/azure-retail-prices, "API response examples"). The effective hourly price is
# therefore the term price over the term's hours: 365 * 24 = 8,760, and three times that.
TERM_HOURS = {"1 Year": 8760.0, "3 Years": 26280.0}
_NOT_ON_DEMAND = ("spot", "low priority", "cloud services")


def _names(row: PriceRow) -> str:
    return f"{row.product_name} {row.sku_name} {row.meter_name}".lower()


def _is_hourly(row: PriceRow) -> bool:
    return row.unit_of_measure.replace(" ", "").lower() in ("1hour", "1hours")


def _is_vm_row(row: PriceRow, price_type: str) -> bool:
    """A priced row of one VM size and `price_type`, not Spot, Low Priority or Cloud Services."""
    names = _names(row)
    return (
        row.type == price_type
        and bool(row.arm_sku_name)
        and row.retail_price > 0
        and row.tier_minimum_units <= 0
        and not any(word in names for word in _NOT_ON_DEMAND)
    )


def is_linux_payg(row: PriceRow) -> bool:
    """Whether a VM price row is a Linux pay-as-you-go hourly price (no Windows, Spot, Low Priority)."""
    return _is_vm_row(row, "Consumption") and _is_hourly(row) and "windows" not in _names(row)


def is_windows_payg(row: PriceRow) -> bool:
    """Whether a VM price row is a Windows pay-as-you-go hourly price (compute plus licence)."""
    return _is_vm_row(row, "Consumption") and _is_hourly(row) and "windows" in row.product_name.lower()


def is_reservation(row: PriceRow) -> bool:
    """Whether a VM price row is the price of a 1- or 3-year reservation (compute only)."""
    return (_is_vm_row(row, "Reservation") and row.reservation_term in TERM_HOURS
            and "windows" not in _names(row))


def _newest(rows: Iterable[PriceRow], region: str, keep: Callable[[PriceRow], bool],
            key: Callable[[PriceRow], object] = lambda r: r.arm_sku_name) -> dict[object, PriceRow]:
    """The row kept per `key` in `region`: of several, the newest wins, then the cheapest."""
    best: dict[object, PriceRow] = {}
    for row in rows:
        if row.arm_region_name != region or not keep(row):
            continue
        have = best.get(key(row))
        if have is None or (row.effective_start_date, -row.retail_price) > (have.effective_start_date, -have.retail_price):
            best[key(row)] = row
    return best


def vm_prices(rows: Iterable[PriceRow], region: str) -> dict[str, float]:
    """armSkuName -> Linux pay-as-you-go hourly price in `region`; of several rows the newest wins, then the cheapest."""
    return {str(name): row.retail_price for name, row in _newest(rows, region, is_linux_payg).items()}


def windows_prices(rows: Iterable[PriceRow], region: str) -> dict[str, float]:
    """armSkuName -> Windows pay-as-you-go hourly price in `region`."""
    return {str(name): row.retail_price for name, row in _newest(rows, region, is_windows_payg).items()}


def savings_plan_prices(rows: Iterable[PriceRow], region: str) -> dict[str, dict[str, float]]:
    """armSkuName -> {term: hourly savings-plan price}, from the Linux pay-as-you-go row (compute only)."""
    out: dict[str, dict[str, float]] = {}
    for name, row in _newest(rows, region, is_linux_payg).items():
        plans = {term: price for term, price in row.savings_plan if term in TERM_HOURS and price > 0}
        if plans:
            out[str(name)] = plans
    return out


def reservation_prices(rows: Iterable[PriceRow], region: str) -> dict[str, dict[str, float]]:
    """armSkuName -> {term: effective hourly price}: each term's price over the hours of the term."""
    out: dict[str, dict[str, float]] = {}
    picked = _newest(rows, region, is_reservation, key=lambda r: (r.arm_sku_name, r.reservation_term))
    for (name, term), row in sorted(picked.items()):  # type: ignore[misc]
        out.setdefault(name, {})[term] = row.retail_price / TERM_HOURS[term]
    return out


def disk_gb_month(rows: Iterable[PriceRow], region: str) -> Optional[float]:
    """The Premium SSD price per GiB-month in `region` (from a P30 LRS disk), or None."""
    prices = [
        r.retail_price
        for r in rows
        if r.arm_region_name == region
        and r.type == "Consumption"
        and r.sku_name == DISK_SKU
        and r.meter_name.endswith("Disk")
        and "month" in r.unit_of_measure.lower()
        and r.retail_price > 0
    ]
    return round(min(prices) / DISK_GIB, 6) if prices else None


def _previous_in(previous: Optional[Catalog], region: str, currency: str, now: list[VmSku]) -> Optional[RegionPrices]:
    """The previous catalogue's region prices, converted to `currency` when it was priced in another.

    The exchange rate is the median ratio of new to old hourly prices of the sizes both price in
    the region: the rate Microsoft itself applied, with no outside data needed.
    """
    if previous is None or region not in previous.regions:
        return None
    old = previous.regions[region]
    if previous.currency == currency:
        return old
    before = {s.name: s.hourly for s in previous.skus if s.region == region and s.hourly > 0}
    ratios = sorted(s.hourly / before[s.name] for s in now if s.name in before)
    if not ratios:
        return None
    rate = ratios[len(ratios) // 2]
    return RegionPrices(round(old.disk_gb_month * rate, 6), round(old.egress_gb * rate, 6))


def _dearest_egress(previous: Optional[Catalog], currency: str) -> Optional[float]:
    """The highest egress rate of the previous catalogue: a cautious guess for a region it lacks."""
    if previous is None or previous.currency != currency or not previous.regions:
        return None
    return max(p.egress_gb for p in previous.regions.values())


@dataclass
class RefreshResult:
    """A rebuilt catalogue and what a person should know about how it was built."""

    catalog: Catalog
    families: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    skipped_restricted: int = 0
    skipped_unpriced: int = 0


def refresh_catalog(
    regions: Iterable[str],
    currency: str,
    skus: SkuSource,
    prices: PriceSource,
    *,
    previous: Optional[Catalog] = None,
    today: Optional[dt.date] = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> RefreshResult:
    """Join SKU shapes and prices per region into a new (non-snapshot) catalogue.

    The API prices internet egress per zone, not per region: each region keeps its egress
    rate from `previous` (the catalogue being replaced; a new region gets its dearest rate,
    flagged). A missing disk price is kept from `previous` too; a region still lacking one,
    or any priced VM size, is left out. Every fallback is a warning.
    """
    found: list[VmSku] = []
    region_prices: dict[str, RegionPrices] = {}
    families: dict[tuple[str, str], str] = {}
    warnings: list[str] = []
    restricted = unpriced = 0
    for region in sorted(set(regions)):
        progress(f"refreshing {region}")
        offered: dict[str, SkuInfo] = {}
        for sku in skus.vm_skus(region):
            if sku.restricted:
                restricted += 1
            else:
                offered[sku.name] = sku
        consumption = list(prices.price_rows(service=VM_SERVICE, region=region, currency=currency))
        reservations = list(prices.price_rows(service=VM_SERVICE, region=region, currency=currency,
                                              price_type="Reservation"))
        here = priced_skus(region, offered, consumption, reservations, warnings)
        unpriced += len(offered) - len(here)
        families.update({(region, s.name): offered[s.name].family for s in here})
        if not here:
            warnings.append(f"{region}: no VM size has both a shape and a Linux pay-as-you-go price; region left out")
            continue
        disk_rows = prices.price_rows(service=DISK_SERVICE, region=region, currency=currency, product=DISK_PRODUCT)
        disk = disk_gb_month(disk_rows, region)
        old = _previous_in(previous, region, currency, here)
        if old is not None and previous is not None and previous.currency != currency:
            warnings.append(f"{region}: previous prices were in {previous.currency}; converted at the rate its "
                            f"VM prices imply ({old.egress_gb} {currency} per GB egress)")
        if disk is None and old is not None:
            disk = old.disk_gb_month
            warnings.append(f"{region}: no {DISK_SKU} disk price; kept {disk} per GB-month from the previous catalogue")
        egress = old.egress_gb if old is not None else _dearest_egress(previous, currency)
        if egress is None:
            warnings.append(f"{region}: no previous egress price in {currency}; region left out (add it by hand)")
            continue
        if old is None:
            warnings.append(f"{region}: new region; egress set to the dearest known rate, {egress} per GB (check it)")
        if disk is None:
            warnings.append(f"{region}: no managed-disk price; region left out")
            continue
        region_prices[region] = RegionPrices(disk_gb_month=disk, egress_gb=egress)
        found.extend(here)
    day = (today or dt.date.today()).isoformat()
    catalog = Catalog(
        currency=currency,
        snapshot_date=day,
        snapshot=False,
        skus=tuple(sorted((retail_basis(s, day) for s in found), key=lambda s: (s.region, s.name))),
        regions=region_prices,
        source=(
            f"Azure resource SKUs and Retail Prices API, {currency}, refreshed "
            f"{day}: Linux pay-as-you-go (hourly) and Windows pay-as-you-go (windows_hourly) Consumption rows; "
            "1- and 3-year Reservation rows as their term price over 8760 or 26280 hours; 1- and 3-year savings "
            "plans from the Linux rows' savingsPlan; egress kept from the previous catalogue"
        ),
    )
    return RefreshResult(catalog, families, warnings, restricted, unpriced)


def priced_skus(region: str, offered: dict[str, SkuInfo], consumption: list[PriceRow],
                reservations: list[PriceRow], warnings: list[str]) -> list[VmSku]:
    """The offered sizes that have a Linux pay-as-you-go price, with every other option's price found.

    A Windows price below the Linux one would make the licence negative: it is left out, with a warning.
    """
    linux = vm_prices(consumption, region)
    windows = windows_prices(consumption, region)
    plans = savings_plan_prices(consumption, region)
    reserved = reservation_prices(reservations, region)
    here: list[VmSku] = []
    cheaper_windows = []
    for name in sorted(offered):
        if name not in linux:
            continue
        win = windows.get(name)
        if win is not None and win < linux[name]:
            cheaper_windows.append(name)
            win = None
        terms, plan = reserved.get(name, {}), plans.get(name, {})
        here.append(VmSku(
            region, name, offered[name].vcpu, offered[name].memory_gb, _rounded(linux[name]),
            windows_hourly=_rounded(win),
            reserved_1y=_rounded(terms.get("1 Year")), reserved_3y=_rounded(terms.get("3 Years")),
            savings_plan_1y=_rounded(plan.get("1 Year")), savings_plan_3y=_rounded(plan.get("3 Years")),
        ))
    if cheaper_windows:
        warnings.append(f"{region}: {len(cheaper_windows)} size(s) priced below Linux on Windows "
                        f"({', '.join(cheaper_windows[:5])}{', ...' if len(cheaper_windows) > 5 else ''}); "
                        "their Windows price is left out")
    return here


def retail_basis(sku: VmSku, day: str) -> VmSku:
    """The SKU with every price it has marked as read from the Retail Prices API on `day`."""
    fields = ("hourly",) + OPTIONAL_PRICES
    return replace(sku, basis=tuple((f, f"retail-{day}") for f in sorted(fields) if getattr(sku, f) is not None))


def _rounded(price: Optional[float]) -> Optional[float]:
    return None if price is None else round(price, 6)


def option_counts(catalog: Catalog) -> dict[str, int]:
    """How many SKUs carry each price beyond Linux pay-as-you-go (for the refresh summary)."""
    fields = {"windows": "windows_hourly", "reserved-1y": "reserved_1y", "reserved-3y": "reserved_3y",
              "savings-plan-1y": "savings_plan_1y", "savings-plan-3y": "savings_plan_3y"}
    return {label: sum(getattr(s, key) is not None for s in catalog.skus) for label, key in fields.items()}


def catalog_document(result: RefreshResult) -> str:
    """The catalogue JSON, with each SKU's family as an extra field readers may ignore."""
    doc = json.loads(result.catalog.to_json())
    for sku in doc["skus"]:
        family = result.families.get((sku["region"], sku["name"]))
        if family:
            sku["family"] = family
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    parse_catalog(text, "the refreshed catalogue")  # never write what load_catalog could not read back
    return text
