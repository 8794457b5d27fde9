"""The Retail Prices API client against the local stand-in: paging, throttling, bad answers."""

from __future__ import annotations

import email.utils
import time

import pytest
from standin import StandIn, price

from planner.inputs.azure.prices import RetailPriceSource
from planner.inputs.sources import PriceSource, ServiceError


class Sleeps(list):
    """Records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source(standin: StandIn, sleeps: Sleeps, **kwargs: object) -> RetailPriceSource:
    return RetailPriceSource(f"{standin.url}/api/retail/prices", sleep=sleeps, **kwargs)  # type: ignore[arg-type]


def rows(src: RetailPriceSource, region: str = "westeurope") -> list:
    return list(src.price_rows(service="Virtual Machines", region=region, currency="EUR"))


def test_follows_next_page_links_with_the_filter_and_currency(standin: StandIn):
    standin.prices = [price(f"Standard_D{n}s_v5", "westeurope", 0.05 * n) for n in (2, 4, 8, 16, 32)]
    standin.prices.append(price("Standard_D2s_v5", "northeurope", 0.09))
    standin.prices.append(price("Standard_D2s_v5", "westeurope", 0.2, currency="USD"))
    src = source(standin, Sleeps())
    assert isinstance(src, PriceSource)

    got = rows(src)
    assert [r.arm_sku_name for r in got] == [f"Standard_D{n}s_v5" for n in (2, 4, 8, 16, 32)]
    assert got[0].retail_price == pytest.approx(0.1) and got[0].currency_code == "EUR"
    first = standin.requests[0]["query"]
    assert first["currencyCode"] == ["'EUR'"]
    assert first["$filter"] == ["serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' "
                                "and priceType eq 'Consumption'"]
    assert first["api-version"] == ["2023-01-01-preview"] and first["meterRegion"] == ["'primary'"]
    assert len(standin.requests) == 3  # five rows, two a page
    assert all(r["query"]["api-version"] == ["2023-01-01-preview"] for r in standin.requests)


def test_reservation_rows_and_savings_plans_are_read_across_pages(standin: StandIn):
    standin.prices = [
        price("Standard_D2s_v5", "westeurope", 0.1, savings_plan={"1 Year": 0.072, "3 Years": 0.048}),
        price("Standard_D2s_v5", "westeurope", 0.19, product="Virtual Machines Dsv5 Series Windows"),
        price("Standard_D2s_v5", "westeurope", 0.1, primary=False),  # a non-primary copy of the meter
        price("Standard_D2s_v5", "westeurope", 525.6, term="1 Year"),
        price("Standard_D2s_v5", "westeurope", 1051.2, term="3 Years"),
        price("Standard_D4s_v5", "westeurope", 1051.2, term="1 Year"),
    ]
    src = source(standin, Sleeps())
    consumption = rows(src)
    assert [(r.product_name, r.savings_plan) for r in consumption] == [
        ("Virtual Machines Dsv5 Series", (("1 Year", 0.072), ("3 Years", 0.048))),
        ("Virtual Machines Dsv5 Series Windows", ()),
    ]
    reserved = list(src.price_rows(service="Virtual Machines", region="westeurope", currency="EUR",
                                   price_type="Reservation"))
    assert [(r.arm_sku_name, r.type, r.reservation_term, r.retail_price) for r in reserved] == [
        ("Standard_D2s_v5", "Reservation", "1 Year", 525.6), ("Standard_D2s_v5", "Reservation", "3 Years", 1051.2),
        ("Standard_D4s_v5", "Reservation", "1 Year", 1051.2)]
    assert "priceType eq 'Reservation'" in standin.requests[-1]["query"]["$filter"][0]
    assert len(standin.requests) == 1 + 2  # one page of Consumption rows, two of Reservation rows


def test_a_next_page_without_the_api_version_keeps_it(standin: StandIn):
    standin.prices = [price("Standard_D2s_v5", "westeurope", 0.1, savings_plan={"1 Year": 0.07})]
    standin.queue("prices", 200, {"Items": [], "NextPageLink": f"{standin.url}/api/retail/prices?$skip=0&"
                                  "currencyCode=%27EUR%27&meterRegion=%27primary%27"})
    got = rows(source(standin, Sleeps()))
    assert [r.savings_plan for r in got] == [(("1 Year", 0.07),)]  # the stand-in lists plans only in that version
    assert standin.requests[1]["query"]["api-version"] == ["2023-01-01-preview"]


def test_throttled_reservation_pages_are_retried(standin: StandIn):
    standin.prices = [price(f"Standard_D{n}s_v5", "westeurope", 500.0 * n, term="1 Year") for n in (2, 4, 8)]
    sleeps = Sleeps()
    src = source(standin, sleeps)
    pages = src.price_rows(service="Virtual Machines", region="westeurope", currency="EUR", price_type="Reservation")
    first = next(pages)
    standin.queue("prices", 429, {"Message": "Too many requests"}, {"Retry-After": "3"})  # in front of page two
    assert [first.arm_sku_name] + [r.arm_sku_name for r in pages] == [
        "Standard_D2s_v5", "Standard_D4s_v5", "Standard_D8s_v5"]
    assert sleeps == [3.0]


def test_a_product_narrows_the_filter_and_quotes_are_escaped(standin: StandIn):
    standin.prices = [price("", "westeurope", 135.0, service="Storage", product="Premium SSD Managed Disks",
                            sku_name="P30 LRS", meter="P30 LRS Disk", unit="1/Month")]
    got = list(source(standin, Sleeps()).price_rows(service="Storage", region="westeurope", currency="EUR",
                                                    product="Premium SSD Managed Disks"))
    assert [r.sku_name for r in got] == ["P30 LRS"]
    assert "productName eq 'Premium SSD Managed Disks'" in standin.requests[0]["query"]["$filter"][0]
    list(source(standin, Sleeps()).price_rows(service="O'Brien", region="westeurope", currency="EUR"))
    assert "serviceName eq 'O''Brien'" in standin.requests[-1]["query"]["$filter"][0]


def test_throttling_waits_what_retry_after_asks(standin: StandIn):
    standin.prices = [price("Standard_D2s_v5", "westeurope", 0.1)]
    standin.queue("prices", 429, {"Message": "Too many requests"}, {"Retry-After": "7"}, times=2)
    sleeps = Sleeps()
    assert len(rows(source(standin, sleeps))) == 1
    assert sleeps == [7.0, 7.0]


def test_retry_after_as_an_http_date_and_capped(standin: StandIn):
    standin.prices = [price("Standard_D2s_v5", "westeurope", 0.1)]
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    standin.queue("prices", 503, b"", {"Retry-After": later})
    sleeps = Sleeps()
    assert len(rows(source(standin, sleeps, max_wait_s=30.0))) == 1
    assert sleeps == [30.0]


def test_throttling_without_end_gives_up_after_bounded_retries(standin: StandIn):
    standin.queue("prices", 429, b"", {"Retry-After": "1"}, times=10)
    sleeps = Sleeps()
    with pytest.raises(ServiceError, match="HTTP 429 after 3 retries"):
        rows(source(standin, sleeps, max_retries=3))
    assert sleeps == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<html>gateway</html>", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"Count": 0}', "no 'Items' list"),
        (b'{"Items": [{"armSkuName": "Standard_D2s_v5", "retailPrice": "cheap"}]}', "retailPrice is 'cheap'"),
        (b'{"Items": [{"armSkuName": "Standard_D2s_v5"}]}', "no 'retailPrice'"),
        (b'{"Items": [], "NextPageLink": 42}', "NextPageLink is not a string"),
        (b'{"Items": [{"retailPrice": 0.1, "savingsPlan": {"term": "1 Year"}}]}', "savingsPlan is dict, not a list"),
        (b'{"Items": [{"retailPrice": 0.1, "savingsPlan": [{"term": "1 Year", "retailPrice": null}]}]}',
         "savingsPlan retailPrice is None"),
        (b'{"Items": [{"retailPrice": 0.1, "savingsPlan": [{"retailPrice": 0.05}]}]}', "savingsPlan term is None"),
    ],
)
def test_malformed_answers_are_service_errors(standin: StandIn, body: bytes, expected: str):
    standin.queue("prices", 200, body)
    with pytest.raises(ServiceError, match="malformed answer from the prices API") as err:
        rows(source(standin, Sleeps()))
    assert expected in str(err.value)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_is_a_service_error(standin: StandIn, status: int):
    standin.queue("prices", status, {"error": "denied"})
    with pytest.raises(ServiceError, match=f"refused the request \\(HTTP {status}\\)"):
        rows(source(standin, Sleeps()))


def test_a_next_page_on_another_host_is_not_followed(standin: StandIn):
    standin.queue("prices", 200, {"Items": [], "NextPageLink": "https://evil.example/api/retail/prices?$skip=100"})
    with pytest.raises(ServiceError, match="another host"):
        rows(source(standin, Sleeps()))


def test_a_page_loop_is_detected(standin: StandIn):
    loop = {"Items": [], "NextPageLink": f"{standin.url}/api/retail/prices?$skip=100"}
    standin.queue("prices", 200, loop, times=2)
    with pytest.raises(ServiceError, match="pages without end"):
        rows(source(standin, Sleeps()))


def test_an_unreachable_service_is_a_service_error():
    with pytest.raises(ServiceError, match="cannot reach the prices API"):
        rows(RetailPriceSource("http://127.0.0.1:9/api/retail/prices", timeout_s=2))


def test_the_endpoint_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PLANNER_PRICES_ENDPOINT", "http://127.0.0.1:1/prices")
    assert RetailPriceSource().endpoint == "http://127.0.0.1:1/prices"
    monkeypatch.delenv("PLANNER_PRICES_ENDPOINT")
    assert RetailPriceSource().endpoint == "https://prices.azure.com/api/retail/prices"
