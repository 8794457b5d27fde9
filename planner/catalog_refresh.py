"""Rebuild the VM catalogue from a SKU source and a price source.

Pure joining logic: which rows count as the Linux pay-as-you-go price of a size, how a
region's managed-disk price is derived, and what is kept from the previous catalogue when a
service has no answer. The sources decide where the data comes from (Azure, a fake, the
shipped snapshot).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from planner.catalog import Catalog, RegionPrices, VmSku, parse_catalog
from planner.sources import PriceRow, PriceSource, SkuInfo, SkuSource

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


def is_linux_payg(row: PriceRow) -> bool:
    """Whether a VM price row is a Linux pay-as-you-go hourly price (no Windows, Spot, Low Priority)."""
    names = f"{row.product_name} {row.sku_name} {row.meter_name}".lower()
    return (
        row.type == "Consumption"
        and bool(row.arm_sku_name)
        and row.retail_price > 0
        and row.unit_of_measure.replace(" ", "").lower() in ("1hour", "1hours")
        and "windows" not in names
        and "spot" not in names
        and "low priority" not in names
    )


def vm_prices(rows: Iterable[PriceRow], region: str) -> dict[str, float]:
    """armSkuName -> hourly price in `region`; of several rows the newest wins, then the cheapest."""
    best: dict[str, tuple[str, float]] = {}
    for row in rows:
        if row.arm_region_name != region or not is_linux_payg(row) or row.tier_minimum_units > 0:
            continue
        key = (row.effective_start_date, -row.retail_price)
        have = best.get(row.arm_sku_name)
        if have is None or key > (have[0], -have[1]):
            best[row.arm_sku_name] = (row.effective_start_date, row.retail_price)
    return {name: price for name, (_, price) in best.items()}


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
        hourly = vm_prices(prices.price_rows(service=VM_SERVICE, region=region, currency=currency), region)
        here: list[VmSku] = []
        for name in sorted(offered):
            sku = offered[name]
            if name not in hourly:
                unpriced += 1
                continue
            here.append(VmSku(region, name, sku.vcpu, sku.memory_gb, round(hourly[name], 6)))
            families[(region, name)] = sku.family
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
        skus=tuple(sorted(found)),
        regions=region_prices,
        source=(
            f"Azure resource SKUs and Retail Prices API, Linux pay-as-you-go, {currency}, refreshed {day}; "
            "egress kept from the previous catalogue"
        ),
    )
    return RefreshResult(catalog, families, warnings, restricted, unpriced)


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
