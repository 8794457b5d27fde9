"""The shipped VM catalogue snapshot: marked as a snapshot, complete, and plausible."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from planner.domain.catalog import (
    PRICING_OPTIONS,
    CatalogError,
    load_catalog,
    parse_catalog,
)

REGIONS = {
    "westeurope", "northeurope", "spaincentral", "germanywestcentral", "uksouth", "ukwest", "francecentral",
    "swedencentral", "italynorth", "polandcentral", "brazilsouth", "brazilsoutheast", "mexicocentral", "chilecentral",
}  # fmt: skip
SHAPES = {
    "Standard_B2s": (2, 4), "Standard_B2ms": (2, 8), "Standard_B4ms": (4, 16), "Standard_B8ms": (8, 32),
    "Standard_D2s_v5": (2, 8), "Standard_D16s_v5": (16, 64), "Standard_D8ds_v5": (8, 32),
    "Standard_D4as_v5": (4, 16), "Standard_E8s_v5": (8, 64), "Standard_E96s_v5": (96, 672),
    "Standard_F16s_v2": (16, 32), "Standard_F72s_v2": (72, 144),
    "Standard_M64ms_v2": (64, 1792), "Standard_M128ms_v2": (128, 3892),
}  # fmt: skip


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(resources.files("planner").joinpath("data/azure_vm_catalog.json").read_text("utf-8"))


def test_it_says_it_is_a_dated_snapshot_of_the_retail_prices_api(doc: dict):
    cat = load_catalog()
    assert cat.snapshot is True and doc["snapshot"] is True
    assert cat.currency == "EUR" and len(cat.snapshot_date) == 10
    assert "Retail Prices API" in cat.source and "Linux pay-as-you-go" in cat.source and "EUR" in cat.source


def test_every_region_has_vm_sizes_disk_and_egress_prices():
    cat = load_catalog()
    assert set(cat.regions) == REGIONS
    for region in REGIONS:
        assert cat.has_region(region), region
        prices = cat.regions[region]
        assert 0.05 < prices.disk_gb_month < 0.5 and 0.02 < prices.egress_gb < 0.3


def test_sizes_have_their_real_shapes_wherever_offered():
    cat = load_catalog()
    seen = set()
    for sku in cat.skus:
        if sku.name in SHAPES:
            assert (sku.vcpu, sku.memory_gb) == SHAPES[sku.name], sku
            seen.add(sku.name)
    assert seen == set(SHAPES)
    assert cat.largest("westeurope") == (128, 3892.0)


def test_prices_are_plausible_and_brazil_is_dearer_than_europe():
    cat = load_catalog()
    by = {(s.region, s.name): s.hourly for s in cat.skus}
    assert 0.08 < by[("westeurope", "Standard_D2s_v5")] < 0.15
    # Brazil South (approximate) is dearer than West Europe (real rows) for every size, by a fifth or more typically.
    ratios = sorted(hourly / by[("westeurope", name)] for (region, name), hourly in by.items()
                    if region == "brazilsouth" and ("westeurope", name) in by)
    assert ratios[0] > 1.05 and ratios[len(ratios) // 2] > 1.2
    # Within a family the price grows with the size.
    assert by[("westeurope", "Standard_D4s_v5")] == pytest.approx(2 * by[("westeurope", "Standard_D2s_v5")], rel=0.01)


def test_the_cheapest_cover_lookup_works_on_it():
    cat = load_catalog()
    small = cat.cheapest("spaincentral", 2, 8)
    assert small is not None and small.vcpu >= 2 and small.memory_gb >= 8
    big = cat.cheapest("westeurope", 100, 3000)
    assert big is not None and big.name == "Standard_M128ms_v2"
    assert cat.cheapest("chilecentral", 100, 3000) is None


def test_every_size_carries_every_option_as_a_stated_approximation(doc: dict):
    cat = load_catalog()
    for sku in cat.skus:
        assert sku.windows_hourly is not None
        assert all(sku.compute_hourly(option) is not None for option in PRICING_OPTIONS), sku
    for note in ("windows_hourly", "per vCPU-hour", "reserved_1y x0.6", "reserved_3y x0.4", "savings_plan_1y x0.72",
                 "savings_plan_3y x0.48", "Approximate"):
        assert note in cat.source, note
    for region in ("westeurope", "spaincentral"):  # a region with real rows, and one without
        d2 = next(s for s in cat.skus if (s.region, s.name) == (region, "Standard_D2s_v5"))
        # Windows adds Azure's licence rate (0.092 USD an hour on a D2s v5), 0.078 to 0.084 EUR.
        assert 0.076 < d2.windows_hourly - d2.hourly < 0.086
        assert d2.reserved_3y < d2.savings_plan_3y < d2.reserved_1y < d2.savings_plan_1y < d2.hourly
        b2 = next(s for s in cat.skus if (s.region, s.name) == (region, "Standard_B2ms"))
        assert b2.windows_hourly - b2.hourly < 0.02  # the burstable B-series pays a smaller licence


RETAIL = ("francecentral", "northeurope", "swedencentral", "westeurope")


def test_each_price_says_whether_it_is_a_real_row_or_the_approximation():
    cat = load_catalog()
    for sku in cat.skus:
        basis = dict(sku.basis)
        assert set(basis) == {"hourly", "windows_hourly", "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y"}
        real = {k for k, v in basis.items() if v != "approximation"}
        assert real <= {"hourly", "windows_hourly", "savings_plan_1y"} and set(basis.values()) <= {"approximation", "retail-2026-08-20"}
        assert real == ({"hourly", "windows_hourly", "savings_plan_1y"} if sku.region in RETAIL else set()), sku
    assert "1 EUR = 1.1739 USD" in cat.source and "2026-08-20" in cat.source
    # The real row: Standard_D2s_v5 in westeurope, 0.115 USD an hour on Linux, 0.207 on Windows, 0.0874 on a 1-year plan.
    d2 = next(s for s in cat.skus if (s.region, s.name) == ("westeurope", "Standard_D2s_v5"))
    assert (d2.hourly, d2.windows_hourly, d2.savings_plan_1y) == pytest.approx((0.115 / 1.1739, 0.207 / 1.1739, 0.0874 / 1.1739), abs=1e-6)


def test_a_catalogue_without_basis_still_loads(doc: dict):
    old = {**doc, "skus": [{k: v for k, v in s.items() if k != "basis"} for s in doc["skus"]]}
    cat = parse_catalog(json.dumps(old), "old.json")
    assert len(cat.skus) == len(doc["skus"]) and all(s.basis == () for s in cat.skus)
    bad = {**doc, "skus": [{**doc["skus"][0], "basis": {"hourly": 3}}] + doc["skus"][1:]}
    with pytest.raises(CatalogError, match="basis of hourly"):
        parse_catalog(json.dumps(bad), "bad.json")


def test_the_generator_has_written_the_snapshot_it_would_write_now():
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, str(root / "tools" / "make_vm_catalog_snapshot.py"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
