"""Prices per pricing option, OS and licence choice: VmSku.hourly_price, Catalog.cheapest and offers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.domain.catalog import (
    PRICING_OPTIONS,
    Catalog,
    RegionPrices,
    VmSku,
    load_catalog,
    parse_catalog,
)

WE = "westeurope"
D2 = VmSku(WE, "Standard_D2s_v5", 2, 8.0, 0.10, windows_hourly=0.19, reserved_1y=0.06, reserved_3y=0.04,
           savings_plan_1y=0.072, savings_plan_3y=0.048)
B2 = VmSku(WE, "Standard_B2ms", 2, 8.0, 0.11, windows_hourly=0.125, reserved_1y=0.07)
F2 = VmSku(WE, "Standard_F2s_v2", 2, 8.0, 0.09)  # Linux pay-as-you-go only
E4 = VmSku(WE, "Standard_E4s_v5", 4, 32.0, 0.25, windows_hourly=0.43, reserved_3y=0.10)


def catalog(*skus: VmSku) -> Catalog:
    return Catalog("EUR", "2026-11-02", False, skus, {WE: RegionPrices(0.12, 0.08)})


@pytest.mark.parametrize(
    ("option", "os", "hybrid", "expected"),
    [
        ("payg", "linux", False, 0.10),
        ("payg", "windows", False, 0.19),
        ("payg", "windows", True, 0.10),  # the licence is brought: compute only
        ("reserved-1y", "linux", False, 0.06),
        ("reserved-3y", "windows", False, 0.04 + 0.09),  # reserved compute plus the licence
        ("reserved-3y", "windows", True, 0.04),
        ("savings-plan-1y", "windows", False, 0.072 + 0.09),
        ("savings-plan-3y", "linux", True, 0.048),  # hybrid benefit changes nothing on Linux
    ],
)
def test_hourly_price_is_the_options_compute_plus_the_windows_licence(option, os, hybrid, expected):
    assert D2.hourly_price(option, os, hybrid) == pytest.approx(expected)


def test_a_missing_price_is_none_not_zero():
    assert F2.compute_hourly("reserved-1y") is None
    assert F2.hourly_price("reserved-1y", "linux", False) is None
    assert F2.hourly_price("payg", "windows", False) is None  # no Windows price: the licence is unknown
    assert F2.hourly_price("payg", "windows", True) == 0.09  # ... and not needed with hybrid benefit
    assert B2.hourly_price("reserved-3y", "windows", True) is None


@pytest.mark.parametrize(("option", "os"), [("spot", "linux"), ("payg", "macos"), ("reserved_1y", "linux")])
def test_an_unknown_option_or_os_is_an_error(option, os):
    with pytest.raises(ValueError, match="unknown"):
        D2.hourly_price(option, os, False)


def test_cheapest_ranks_by_the_price_asked_for():
    cat = catalog(D2, B2, F2, E4)
    assert cat.cheapest(WE, 2, 8) == F2  # the Linux default, as before
    assert cat.cheapest(WE, 2, 8, os="windows") == B2  # F2 has no Windows price; B2's licence is cheap
    assert cat.cheapest(WE, 2, 8, os="windows", hybrid_benefit=True) == F2
    assert cat.cheapest(WE, 2, 8, option="reserved-1y") == D2
    assert cat.cheapest(WE, 2, 8, option="reserved-3y", os="windows") == D2
    assert cat.cheapest(WE, 3, 8, option="reserved-1y") is None  # E4 has no 1-year reservation
    assert cat.cheapest(WE, 3, 8, option="reserved-3y") == E4
    assert cat.cheapest(WE, 2, 8, option="savings-plan-1y", os="windows") == D2


def test_cheapest_breaks_ties_by_name():
    twin = VmSku(WE, "Standard_A2_v2", 2, 8.0, 0.10, reserved_1y=0.06)
    cat = catalog(D2, twin)
    assert cat.cheapest(WE, 2, 8).name == "Standard_A2_v2"
    assert cat.cheapest(WE, 2, 8, option="reserved-1y").name == "Standard_A2_v2"


def test_offers_says_whether_any_size_has_the_combination():
    cat = catalog(B2, F2)
    assert cat.offers(WE, "payg", "windows", False)
    assert cat.offers(WE, "reserved-1y", "windows", False)
    assert not cat.offers(WE, "reserved-3y", "linux", False)
    assert not cat.offers(WE, "savings-plan-1y", "windows", True)
    assert not cat.offers("brazilsouth", "payg", "linux", False)
    assert not catalog(F2).offers(WE, "payg", "windows", False)
    assert catalog(F2).offers(WE, "payg", "windows", True)


def test_an_older_file_without_the_options_still_reads():
    old = {"format": "azure-vm-catalog/1", "currency": "EUR", "snapshot": True, "snapshot_date": "2026-01-01",
           "source": "older", "regions": {WE: {"disk_gb_month": 0.12, "egress_gb": 0.08}},
           "skus": [{"region": WE, "name": "Standard_D2s_v5", "vcpu": 2, "memory_gb": 8.0, "hourly": 0.1}]}
    cat = parse_catalog(json.dumps(old), "old.json")
    assert cat.skus == (VmSku(WE, "Standard_D2s_v5", 2, 8.0, 0.1),)
    assert cat.offers(WE, "payg", "linux", False) and not cat.offers(WE, "reserved-3y", "linux", False)
    assert json.loads(cat.to_json()) == old  # nothing invented on the way back out
    assert cat.origin == "old.json"


def test_to_json_writes_the_options_sorted_and_reads_back():
    cat = catalog(E4, D2, F2)
    text = cat.to_json()
    assert text == catalog(F2, D2, E4).to_json()  # same catalogue, same bytes
    doc = json.loads(text)
    assert [s["name"] for s in doc["skus"]] == ["Standard_D2s_v5", "Standard_E4s_v5", "Standard_F2s_v2"]
    assert set(doc["skus"][0]) == {"region", "name", "vcpu", "memory_gb", "hourly", "windows_hourly",
                                   "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y"}
    assert set(doc["skus"][2]) == {"region", "name", "vcpu", "memory_gb", "hourly"}
    assert sorted(parse_catalog(text, "x").skus) == sorted(cat.skus)


def test_the_shipped_snapshot_keeps_the_invariants_for_every_size():
    cat = load_catalog()
    for sku in cat.skus:
        assert sku.hourly_price("payg", "windows", False) > sku.hourly, sku
        assert sku.hourly_price("payg", "windows", True) == sku.hourly, sku
        assert sku.hourly_price("reserved-3y", "linux", False) < sku.hourly, sku
        for option in PRICING_OPTIONS:
            compute = sku.compute_hourly(option)
            assert compute is not None and compute <= sku.hourly, (sku, option)
            assert sku.hourly_price(option, "windows", False) == pytest.approx(
                compute + sku.windows_hourly - sku.hourly), (sku, option)


_price = st.floats(min_value=0.001, max_value=100.0, allow_nan=False)


@st.composite
def skus(draw: st.DrawFn) -> VmSku:
    hourly = draw(_price)
    optional = {key: draw(st.none() | st.floats(min_value=0.0, max_value=hourly))
                for key in ("reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y")}
    licence = draw(st.none() | st.floats(min_value=0.0, max_value=10.0))
    return VmSku(WE, draw(st.sampled_from(["Standard_D2s_v5", "Standard_E4s_v5"])), draw(st.integers(1, 416)),
                 draw(st.floats(min_value=0.5, max_value=12000.0)), hourly,
                 windows_hourly=None if licence is None else hourly + licence, **optional)


@pytest.mark.slow
@given(skus(), st.sampled_from(PRICING_OPTIONS))
def test_windows_pays_the_options_compute_plus_the_licence_and_hybrid_pays_compute(sku: VmSku, option: str):
    compute = sku.compute_hourly(option)
    linux = sku.hourly_price(option, "linux", False)
    assert linux == compute == sku.hourly_price(option, "windows", True)
    windows = sku.hourly_price(option, "windows", False)
    if compute is None or sku.windows_hourly is None:
        assert windows is None
    else:
        assert windows == pytest.approx(compute + sku.windows_hourly - sku.hourly)
        assert windows >= compute - 1e-12  # a licence never pays you


@given(skus())
def test_every_valid_sku_survives_the_file_unchanged(sku: VmSku):
    cat = catalog(sku)
    assert parse_catalog(cat.to_json(), "x").skus == (sku,)
