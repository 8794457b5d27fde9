"""`planner catalog refresh` end to end: the real SDK and prices client against the stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from standin import SUBSCRIPTION, FakeCredential, StandIn, price, sku

import planner.inputs.azure.arm as arm
from planner.cli.imports import catalog_group
from planner.domain.catalog import load_catalog


@pytest.fixture
def azure(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """The stand-in behind both endpoints, a fake login, and no real waiting between retries."""
    monkeypatch.setenv("PLANNER_ARM_ENDPOINT", standin.url)
    monkeypatch.setenv("PLANNER_PRICES_ENDPOINT", f"{standin.url}/api/retail/prices")
    monkeypatch.setattr(arm, "default_credential", lambda: FakeCredential())
    monkeypatch.setattr("planner.inputs.azure.prices.time.sleep", lambda s: None)
    for region in ("westeurope", "brazilsouth"):
        standin.skus += [sku("Standard_D2s_v5", 2, 8, region), sku("Standard_E4s_v5", 4, 32, region),
                         sku("Standard_M64s_v2", 64, 1024, region, restricted=True)]
        factor = 1.0 if region == "westeurope" else 1.3
        standin.prices += [
            price("Standard_D2s_v5", region, round(0.1 * factor, 4),
                  savings_plan={"1 Year": round(0.072 * factor, 4), "3 Years": round(0.048 * factor, 4)}),
            price("Standard_D2s_v5", region, 0.2, product="Virtual Machines Dsv5 Series Windows"),
            price("Standard_D2s_v5", region, 0.02, sku_name="D2s v5 Spot"),
            price("Standard_D2s_v5", region, 0.03, product="Virtual Machines Dsv5 Series Windows",
                  sku_name="D2s v5 Spot"),
            price("Standard_D2s_v5", region, round(525.6 * factor, 2), term="1 Year"),
            price("Standard_D2s_v5", region, round(1051.2 * factor, 2), term="3 Years"),
            price("Standard_E4s_v5", region, round(0.25 * factor, 4), product="Virtual Machines Esv5 Series"),
            price("Standard_M64s_v2", region, 7.0, product="Virtual Machines MSv2 Series"),
            price("", region, round(130.0 * factor, 2), service="Storage", product="Premium SSD Managed Disks",
                  sku_name="P30 LRS", meter="P30 LRS Disk", unit="1/Month"),
        ]
    return standin


def refresh(*args: str) -> Result:
    return CliRunner().invoke(catalog_group, ["refresh", *args])


def test_refresh_writes_a_catalogue_the_planner_reads(azure: StandIn, tmp_path: Path):
    out = tmp_path / "catalog.json"
    result = refresh("--region", "westeurope", "--region", "brazilsouth", "--subscription", SUBSCRIPTION,
                     "--out", str(out))
    assert result.exit_code == 0, result.output
    cat = load_catalog(out)
    assert not cat.snapshot and cat.currency == "EUR"
    assert sorted((s.region, s.name, s.hourly) for s in cat.skus) == [
        ("brazilsouth", "Standard_D2s_v5", 0.13), ("brazilsouth", "Standard_E4s_v5", 0.325),
        ("westeurope", "Standard_D2s_v5", 0.1), ("westeurope", "Standard_E4s_v5", 0.25)]
    assert cat.regions["westeurope"].disk_gb_month == pytest.approx(130 / 1024, abs=1e-6)
    assert cat.regions["westeurope"].egress_gb == load_catalog().regions["westeurope"].egress_gb
    assert "wrote" in result.stderr and "2 restricted" in result.stderr
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_a_refreshed_catalogue_carries_every_option_a_size_is_priced_for(azure: StandIn, tmp_path: Path):
    out = tmp_path / "catalog.json"
    result = refresh("--region", "westeurope", "--subscription", SUBSCRIPTION, "--out", str(out))
    assert result.exit_code == 0, result.output
    by = {s.name: s for s in load_catalog(out).skus}
    d2 = by["Standard_D2s_v5"]
    assert (d2.hourly, d2.windows_hourly) == (0.1, 0.2)
    assert (d2.reserved_1y, d2.reserved_3y) == (0.06, 0.04)  # 525.6 / 8760 h, 1051.2 / 26280 h
    assert (d2.savings_plan_1y, d2.savings_plan_3y) == (0.072, 0.048)
    e4 = by["Standard_E4s_v5"]  # no Windows, reservation or savings-plan rows: no such prices
    assert e4.hourly == 0.25 and e4.windows_hourly is None and e4.reserved_1y is None and e4.reserved_3y is None
    assert e4.savings_plan_1y is None and e4.savings_plan_3y is None
    assert "priced beyond Linux pay-as-you-go: windows 1, reserved-1y 1, reserved-3y 1, savings-plan-1y 1, " \
           "savings-plan-3y 1" in result.stderr
    queries = [r["query"] for r in azure.requests if r["api"] == "prices"]
    assert {q["$filter"][0].split("priceType eq ")[1].split(" ")[0] for q in queries} == {
        "'Consumption'", "'Reservation'"}
    # Six VM Consumption rows two a page, two Reservation rows, one disk row: every page followed.
    assert len(queries) == 3 + 1 + 1


def test_the_subscription_may_come_from_the_environment(azure: StandIn, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    result = refresh("--region", "westeurope", "--out", str(tmp_path / "c.json"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert f"/subscriptions/{SUBSCRIPTION}/" in azure.requests[0]["path"]
    assert '"skus": 2' in result.stderr


def test_no_subscription_is_exit_2(azure: StandIn, tmp_path: Path):
    result = refresh("--out", str(tmp_path / "c.json"))
    assert result.exit_code == 2 and "--subscription" in result.stderr


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_exit_2_with_one_line_and_keep_the_old_file(azure: StandIn, tmp_path: Path, status: int):
    out = tmp_path / "catalog.json"
    out.write_text("old")
    azure.queue("arm", status, {"error": {"code": "AuthorizationFailed", "message": "no access"}})
    result = refresh("--region", "westeurope", "--subscription", SUBSCRIPTION, "--out", str(out))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("Error: Azure rejected the credentials")  # progress, then error
    assert f"HTTP {status}" in lines[-1] and "Traceback" not in result.output
    assert out.read_text() == "old"


def test_missing_credentials_exit_2_with_a_clear_message(standin: StandIn, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    """The real DefaultAzureCredential, with every way to log in absent (managed identity: the stand-in)."""
    monkeypatch.setenv("PLANNER_ARM_ENDPOINT", standin.url)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", standin.url)  # never the real IMDS address
    monkeypatch.setenv("PATH", str(tmp_path))  # no az, azd or pwsh
    monkeypatch.setenv("HOME", str(tmp_path))  # no token cache
    result = refresh("--region", "westeurope", "--subscription", SUBSCRIPTION, "--out", str(tmp_path / "c.json"))
    assert result.exit_code == 2
    assert "Error: no usable Azure credential for listing VM sizes in westeurope" in result.stderr
    assert "az login" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "c.json").exists()
    assert all(r["path"].startswith("/metadata/") for r in standin.requests)  # ARM never called without a token


def test_throttled_prices_are_retried(azure: StandIn, tmp_path: Path):
    azure.queue("prices", 429, {"Message": "Too many requests"}, {"Retry-After": "2"}, times=2)
    azure.queue("prices", 503, b"")
    result = refresh("--region", "westeurope", "--subscription", SUBSCRIPTION, "--out", str(tmp_path / "c.json"))
    assert result.exit_code == 0, result.output
    assert result.stderr.count("HTTP 429, retry") == 2 and result.stderr.count("HTTP 503, retry") == 1
    assert load_catalog(tmp_path / "c.json") == load_catalog(_refreshed_without_throttling(azure, tmp_path))


def _refreshed_without_throttling(azure: StandIn, tmp_path: Path) -> Path:
    out = tmp_path / "plain.json"
    assert refresh("--region", "westeurope", "--subscription", SUBSCRIPTION, "--out", str(out)).exit_code == 0
    return out


def test_malformed_prices_exit_2_and_write_nothing(azure: StandIn, tmp_path: Path):
    azure.queue("prices", 200, b"{\"Items\": [")
    result = refresh("--region", "westeurope", "--subscription", SUBSCRIPTION, "--out", str(tmp_path / "c.json"))
    assert result.exit_code == 2
    assert "malformed answer from the prices API" in result.stderr and "not JSON" in result.stderr
    assert not (tmp_path / "c.json").exists()


def test_nothing_priced_exit_2(azure: StandIn, tmp_path: Path):
    result = refresh("--region", "atlantis", "--subscription", SUBSCRIPTION, "--out", str(tmp_path / "c.json"))
    assert result.exit_code == 2 and "nothing to write" in result.stderr
    assert "atlantis: no VM size" in result.stderr


def test_an_absurd_price_from_the_api_writes_nothing(azure: StandIn, tmp_path: Path):
    azure.prices = [p for p in azure.prices if p["armSkuName"] != "Standard_E4s_v5"]
    azure.prices.append(price("Standard_E4s_v5", "westeurope", 25_000.0, product="Virtual Machines Esv5 Series"))
    out = tmp_path / "c.json"
    result = refresh("--region", "westeurope", "--subscription", SUBSCRIPTION, "--out", str(out))
    assert result.exit_code == 2
    assert "the refreshed catalogue would not be valid, nothing written" in result.stderr
    assert "Standard_E4s_v5): hourly is 25000.0, above the ceiling of 10000 per hour" in result.stderr
    assert not out.exists() and "Traceback" not in result.output
