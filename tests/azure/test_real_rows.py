"""`planner catalog refresh` on real Retail Prices API rows: their shape, nested savingsPlan list included."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from standin import SUBSCRIPTION, FakeCredential, StandIn, price, real_prices, sku

import planner.inputs.azure.arm as arm
from planner.cli.imports import catalog_group
from planner.domain.catalog import load_catalog
from planner.inputs.sources import PriceRow


def test_the_real_rows_parse_with_their_savings_plan_list():
    rows = [PriceRow.from_api(item) for item in real_prices()]
    d2 = next(r for r in rows if r.arm_sku_name == "Standard_D2s_v5" and r.sku_name == "Standard_D2s_v5"
              and not r.product_name.endswith("Windows"))
    assert (d2.retail_price, d2.type, d2.reservation_term, d2.savings_plan) == (0.115, "Consumption", "", (("1 Year", 0.0874),))
    assert {r.currency_code for r in rows} == {"USD"}


@pytest.fixture
def azure(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    monkeypatch.setenv("PLANNER_ARM_ENDPOINT", standin.url)
    monkeypatch.setenv("PLANNER_PRICES_ENDPOINT", f"{standin.url}/api/retail/prices")
    monkeypatch.setattr(arm, "default_credential", lambda: FakeCredential())
    standin.skus += [sku("Standard_D2s_v5", 2, 8, "westeurope"), sku("Standard_D2as_v5", 2, 8, "westeurope"),
                     sku("Standard_B2ms", 2, 8, "westeurope", family="standardBSFamily"),
                     sku("Standard_E8s_v5", 8, 64, "westeurope", family="standardESv5Family")]
    # The real rows, and a disk price (not among them) so that the region is complete.
    standin.prices += real_prices() + [price("", "westeurope", 135.17, currency="USD", service="Storage",
                                             product="Premium SSD Managed Disks", sku_name="P30 LRS",
                                             meter="P30 LRS Disk", unit="1/Month")]
    standin.page_size = 4
    return standin


def test_refresh_takes_the_real_rows(azure: StandIn, tmp_path: Path):
    out = tmp_path / "catalog.json"
    result = CliRunner().invoke(catalog_group, ["refresh", "--region", "westeurope", "--subscription", SUBSCRIPTION,
                                                "--currency", "USD", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cat = load_catalog(out)
    by = {s.name: s for s in cat.skus}
    assert set(by) == {"Standard_B2ms", "Standard_D2as_v5", "Standard_D2s_v5", "Standard_E8s_v5"}
    d2 = by["Standard_D2s_v5"]
    # Linux and Windows pay-as-you-go from the standard rows (not Spot 0.021252 or Low Priority 0.023), the 1-year plan
    # from the nested list; the data has no 3-year plan and no reservations.
    assert (d2.hourly, d2.windows_hourly, d2.savings_plan_1y) == (0.115, 0.207, 0.0874)
    assert d2.savings_plan_3y is None and d2.reserved_1y is None and d2.reserved_3y is None
    # The current product, not the legacy "Dasv5 Series Cloud Services" row of the same size (0.196).
    assert (by["Standard_D2as_v5"].hourly, by["Standard_D2as_v5"].windows_hourly) == (0.104, 0.196)
    assert (by["Standard_E8s_v5"].hourly, by["Standard_E8s_v5"].savings_plan_1y) == (0.608, 0.41113)
    day = cat.snapshot_date  # the refresh's day
    assert dict(d2.basis) == {"hourly": f"retail-{day}", "windows_hourly": f"retail-{day}", "savings_plan_1y": f"retail-{day}"}
