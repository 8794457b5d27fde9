"""Joining SKU shapes and retail prices into a catalogue, with fake and static sources."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from planner.domain.catalog import (
    Catalog,
    RegionPrices,
    VmSku,
    load_catalog,
    parse_catalog,
)
from planner.inputs.catalog_refresh import (
    catalog_document,
    is_linux_payg,
    is_reservation,
    is_windows_payg,
    refresh_catalog,
    reservation_prices,
    vm_prices,
)
from planner.inputs.sources import (
    FakePriceSource,
    FakeSkuSource,
    PriceRow,
    SkuInfo,
    StaticPriceSource,
    StaticSkuSource,
)

WE = "westeurope"


def vm_row(name: str, value: float, **kw: object) -> PriceRow:
    short = name.removeprefix("Standard_").replace("_", " ")
    fields = {"product_name": "Virtual Machines Dsv5 Series", "sku_name": short, "meter_name": short}
    fields.update(kw)  # type: ignore[arg-type]
    return PriceRow(name, str(fields.pop("region", WE)), value, "EUR", **fields)  # type: ignore[arg-type]


DISK = PriceRow("", WE, 122.88, "EUR", service_name="Storage", product_name="Premium SSD Managed Disks",
                sku_name="P30 LRS", meter_name="P30 LRS Disk", unit_of_measure="1/Month")
PREVIOUS = Catalog("EUR", "2026-01-01", True, (), {WE: RegionPrices(0.2, 0.08), "northeurope": RegionPrices(0.1, 0.07)})


@pytest.mark.parametrize(
    ("row", "kept"),
    [
        (vm_row("Standard_D2s_v5", 0.1), True),
        (vm_row("Standard_D2s_v5", 0.2, product_name="Virtual Machines Dsv5 Series Windows"), False),
        (vm_row("Standard_D2s_v5", 0.02, sku_name="D2s v5 Spot", meter_name="D2s v5 Spot"), False),
        (vm_row("Standard_D2s_v5", 0.02, sku_name="D2s v5 Low Priority"), False),
        (vm_row("Standard_D2s_v5", 0.06, type="DevTestConsumption"), False),
        (vm_row("Standard_D2s_v5", 500.0, type="Reservation", unit_of_measure="1 Year"), False),
        (vm_row("Standard_D2s_v5", 0.0), False),
        (vm_row("", 0.1), False),
    ],
)
def test_only_linux_pay_as_you_go_rows_count(row: PriceRow, kept: bool):
    assert is_linux_payg(row) is kept


@pytest.mark.parametrize(
    ("row", "windows", "reservation"),
    [
        (vm_row("Standard_D2s_v5", 0.2, product_name="Virtual Machines Dsv5 Series Windows"), True, False),
        (vm_row("Standard_D2s_v5", 0.1), False, False),
        (vm_row("Standard_D2s_v5", 0.04, product_name="Virtual Machines Dsv5 Series Windows",
                sku_name="D2s v5 Spot", meter_name="D2s v5 Spot"), False, False),
        (vm_row("Standard_D2s_v5", 0.05, product_name="Virtual Machines Dsv5 Series Windows",
                sku_name="D2s v5 Low Priority"), False, False),
        (vm_row("Standard_D2s_v5", 0.3, product_name="Cloud Services Dsv5 Series Windows"), False, False),
        (vm_row("Standard_D2s_v5", 519.0, type="Reservation", reservation_term="1 Year"), False, True),
        (vm_row("Standard_D2s_v5", 997.0, type="Reservation", reservation_term="3 Years"), False, True),
        (vm_row("Standard_D2s_v5", 1500.0, type="Reservation", reservation_term="5 Years"), False, False),
        (vm_row("Standard_D2s_v5", 519.0, type="Reservation"), False, False),  # no term: cannot be priced per hour
        (vm_row("Standard_D2s_v5", 519.0, type="DevTestConsumption", reservation_term="1 Year"), False, False),
    ],
)
def test_windows_and_reservation_rows(row: PriceRow, windows: bool, reservation: bool):
    assert (is_windows_payg(row), is_reservation(row)) == (windows, reservation)


def test_a_reservation_is_priced_per_hour_over_its_whole_term():
    new = "2026-03-01T00:00:00Z"
    rows = [vm_row("Standard_D2s_v5", 876.0, type="Reservation", reservation_term="1 Year", effective_start_date=new),
            vm_row("Standard_D2s_v5", 1314.0, type="Reservation", reservation_term="3 Years"),
            vm_row("Standard_D2s_v5", 900.0, type="Reservation", reservation_term="1 Year",
                   effective_start_date="2025-01-01T00:00:00Z")]  # older: the newer price wins
    assert reservation_prices(rows, WE) == {"Standard_D2s_v5": {"1 Year": 0.1, "3 Years": 0.05}}


def test_the_newest_price_wins_then_the_cheapest():
    rows = [
        vm_row("Standard_D2s_v5", 0.12, effective_start_date="2025-01-01T00:00:00Z"),
        vm_row("Standard_D2s_v5", 0.10, effective_start_date="2026-03-01T00:00:00Z"),
        vm_row("Standard_D2s_v5", 0.11, effective_start_date="2026-03-01T00:00:00Z"),
        vm_row("Standard_D4s_v5", 0.3, region="northeurope"),
    ]
    assert vm_prices(rows, WE) == {"Standard_D2s_v5": 0.10}


def test_refresh_joins_shapes_and_prices_per_region():
    skus = FakeSkuSource([
        SkuInfo("Standard_D2s_v5", WE, 2, 8.0, "standardDSv5Family"),
        SkuInfo("Standard_D4s_v5", WE, 4, 16.0, "standardDSv5Family"),
        SkuInfo("Standard_M64s_v2", WE, 64, 1024.0, restricted=True),
        SkuInfo("Standard_NV6", WE, 6, 56.0),  # no Linux price: left out
    ])
    prices = FakePriceSource([
        vm_row("Standard_D2s_v5", 0.105),
        vm_row("Standard_D4s_v5", 0.21),
        vm_row("Standard_D4s_v5", 0.4, product_name="Virtual Machines Dsv5 Series Windows"),
        vm_row("Standard_M64s_v2", 7.0),
        vm_row("Standard_NV6", 1.2, product_name="Virtual Machines NV Series Windows"),
        DISK,
    ])
    result = refresh_catalog([WE], "EUR", skus, prices, previous=PREVIOUS, today=dt.date(2026, 11, 23))
    cat = result.catalog

    assert [(s.name, s.vcpu, s.memory_gb, s.hourly) for s in cat.skus] == [
        ("Standard_D2s_v5", 2, 8.0, 0.105), ("Standard_D4s_v5", 4, 16.0, 0.21)]
    assert cat.regions[WE] == RegionPrices(disk_gb_month=0.12, egress_gb=0.08)  # 122.88 / 1024 GiB; egress kept
    assert (result.skipped_restricted, result.skipped_unpriced) == (1, 1)
    assert not cat.snapshot and cat.snapshot_date == "2026-11-23" and cat.currency == "EUR"
    assert ("Virtual Machines", WE, "EUR", None, "Consumption") in prices.calls
    assert ("Virtual Machines", WE, "EUR", None, "Reservation") in prices.calls
    assert ("Storage", WE, "EUR", "Premium SSD Managed Disks", "Consumption") in prices.calls

    doc = catalog_document(result)
    assert json.loads(doc)["skus"][0]["family"] == "standardDSv5Family"
    again = parse_catalog(doc, "refreshed")  # readers ignore the extra field
    assert again.cheapest(WE, 3, 10) == VmSku(WE, "Standard_D4s_v5", 4, 16.0, 0.21, windows_hourly=0.4)


def test_refresh_carries_every_option_a_size_has_and_none_it_lacks():
    skus = FakeSkuSource([SkuInfo("Standard_D2s_v5", WE, 2, 8.0), SkuInfo("Standard_F2s_v2", WE, 2, 4.0),
                          SkuInfo("Standard_E2s_v5", WE, 2, 16.0)])
    prices = FakePriceSource([
        vm_row("Standard_D2s_v5", 0.1, savings_plan=(("1 Year", 0.072), ("3 Years", 0.048))),
        vm_row("Standard_D2s_v5", 0.19, product_name="Virtual Machines Dsv5 Series Windows",
               savings_plan=(("1 Year", 0.16), ("3 Years", 0.14))),  # a Windows row's plan is not compute-only
        vm_row("Standard_D2s_v5", 525.6, type="Reservation", reservation_term="1 Year"),
        vm_row("Standard_D2s_v5", 1051.2, type="Reservation", reservation_term="3 Years"),
        vm_row("Standard_F2s_v2", 0.09),  # Linux only
        vm_row("Standard_E2s_v5", 0.14),
        vm_row("Standard_E2s_v5", 0.12, product_name="Virtual Machines Esv5 Series Windows"),  # below Linux
        DISK,
    ])
    result = refresh_catalog([WE], "EUR", skus, prices, previous=PREVIOUS)
    by = {s.name: s for s in result.catalog.skus}
    assert by["Standard_D2s_v5"] == VmSku(WE, "Standard_D2s_v5", 2, 8.0, 0.1, windows_hourly=0.19, reserved_1y=0.06,
                                          reserved_3y=0.04, savings_plan_1y=0.072, savings_plan_3y=0.048)
    assert by["Standard_F2s_v2"] == VmSku(WE, "Standard_F2s_v2", 2, 4.0, 0.09)
    assert by["Standard_E2s_v5"].windows_hourly is None
    assert any("1 size(s) priced below Linux on Windows (Standard_E2s_v5)" in w for w in result.warnings)
    parse_catalog(catalog_document(result), "refreshed")  # what is written reads back


def test_missing_prices_fall_back_or_leave_the_region_out_with_a_warning():
    skus = FakeSkuSource(lambda region: [SkuInfo("Standard_D2s_v5", region, 2, 8.0)])
    new_disk = PriceRow("", "swedencentral", 102.4, "EUR", service_name="Storage", sku_name="P30 LRS",
                        meter_name="P30 LRS Disk", unit_of_measure="1/Month", product_name="Premium SSD Managed Disks")
    prices = FakePriceSource([vm_row("Standard_D2s_v5", 0.1, region=r)
                              for r in (WE, "northeurope", "brazilsouth", "swedencentral")] + [DISK, new_disk])
    regions = [WE, "northeurope", "brazilsouth", "swedencentral", "nowhere"]
    result = refresh_catalog(regions, "EUR", skus, prices, previous=PREVIOUS)

    assert sorted(result.catalog.regions) == ["northeurope", "swedencentral", WE]
    assert result.catalog.regions["northeurope"] == RegionPrices(0.1, 0.07)  # disk price kept from the previous one
    assert result.catalog.regions["swedencentral"] == RegionPrices(0.1, 0.08)  # egress: the dearest known rate
    assert {s.region for s in result.catalog.skus} == {"northeurope", "swedencentral", WE}
    warnings = "\n".join(result.warnings)
    assert "nowhere: no VM size has both a shape and a Linux pay-as-you-go price; region left out" in warnings
    assert "northeurope: no P30 LRS disk price; kept 0.1 per GB-month from the previous catalogue" in warnings
    assert "brazilsouth: no managed-disk price; region left out" in warnings
    assert "swedencentral: new region; egress set to the dearest known rate, 0.08 per GB (check it)" in warnings


def test_the_shipped_snapshot_round_trips_through_the_static_sources():
    snap = load_catalog()
    region_prices = {r: p for r, p in snap.regions.items()}
    disk_rows = [
        PriceRow("", r, p.disk_gb_month * 1024, "EUR", service_name="Storage", sku_name="P30 LRS",
                 meter_name="P30 LRS Disk", unit_of_measure="1/Month", product_name="Premium SSD Managed Disks")
        for r, p in region_prices.items()
    ]
    static = StaticPriceSource(snap)

    def prices(service: str, region: str, currency: str, product: object, price_type: str) -> list[PriceRow]:
        if service == "Storage":
            return [r for r in disk_rows if r.arm_region_name == region]
        return list(static.price_rows(service=service, region=region, currency=currency, price_type=price_type))

    result = refresh_catalog(sorted(snap.regions), "EUR", StaticSkuSource(snap), FakePriceSource(prices), previous=snap)
    assert sorted(result.catalog.skus) == sorted(snap.skus)  # every option's price too
    assert {r: (round(p.disk_gb_month, 4), p.egress_gb) for r, p in result.catalog.regions.items()} == {
        r: (p.disk_gb_month, p.egress_gb) for r, p in snap.regions.items()}
    assert not result.warnings


def test_a_new_currency_converts_kept_prices_at_the_rate_vm_prices_imply():
    previous = Catalog("EUR", "2026-01-01", True, (VmSku(WE, "Standard_D2s_v5", 2, 8.0, 0.1),
                                                   VmSku(WE, "Standard_D4s_v5", 4, 16.0, 0.2)),
                       {WE: RegionPrices(0.12, 0.08)})
    skus = FakeSkuSource([SkuInfo("Standard_D2s_v5", WE, 2, 8.0), SkuInfo("Standard_D4s_v5", WE, 4, 16.0)])
    prices = FakePriceSource([
        PriceRow("Standard_D2s_v5", WE, 0.11, "USD"), PriceRow("Standard_D4s_v5", WE, 0.22, "USD"),
    ])
    result = refresh_catalog([WE], "USD", skus, prices, previous=previous)
    assert result.catalog.currency == "USD"
    assert result.catalog.regions[WE] == RegionPrices(disk_gb_month=0.132, egress_gb=0.088)
    assert any("previous prices were in EUR; converted" in w for w in result.warnings)
