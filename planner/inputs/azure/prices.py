"""The Azure Retail Prices API as a :class:`planner.inputs.sources.PriceSource`.

The API is public and unauthenticated: plain HTTPS GETs with an OData ``$filter``, paged
through ``NextPageLink``. Throttling (429) and transient 5xx answers are retried a bounded
number of times, waiting what ``Retry-After`` asks (capped). Requests name api-version
``2023-01-01-preview``, the version whose Consumption items list savings plans, and ask for
primary meters only (``meterRegion='primary'``): the API otherwise adds each meter's
non-primary copies, more pages of the same prices.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Iterator, Optional

from planner.inputs.sources import PriceRow, ServiceError

DEFAULT_PRICES_ENDPOINT = "https://prices.azure.com/api/retail/prices"
PRICES_ENDPOINT_ENV = "PLANNER_PRICES_ENDPOINT"
# "Rates for savings plans are only available with ...?api-version=2023-01-01-preview"
# (https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices).
API_VERSION = "2023-01-01-preview"
_RETRIED = {429, 500, 502, 503, 504}
_MAX_PAGES = 10_000  # a guard against a service that pages forever


def _odata_literal(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def _retry_after_seconds(header: Optional[str], default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not header:
        return default
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


class RetailPriceSource:
    """Price rows from the Retail Prices API (``PLANNER_PRICES_ENDPOINT`` overrides the URL)."""

    def __init__(
        self,
        endpoint: Optional[str] = None,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 5,
        max_wait_s: float = 60.0,
        sleep: Optional[Callable[[float], None]] = None,
        progress: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.endpoint = endpoint or os.environ.get(PRICES_ENDPOINT_ENV) or DEFAULT_PRICES_ENDPOINT
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.max_wait_s = max_wait_s
        self._sleep = sleep if sleep is not None else time.sleep
        self._progress = progress

    def price_rows(
        self, *, service: str, region: str, currency: str, product: Optional[str] = None,
        price_type: str = "Consumption",
    ) -> Iterator[PriceRow]:
        """Rows of `price_type` for `service` in `region`, priced in `currency`, following every page."""
        clauses = [
            f"serviceName eq {_odata_literal(service)}",
            f"armRegionName eq {_odata_literal(region)}",
            f"priceType eq {_odata_literal(price_type)}",
        ]
        if product:
            clauses.append(f"productName eq {_odata_literal(product)}")
        query = urllib.parse.urlencode(
            {"api-version": API_VERSION, "meterRegion": "'primary'", "currencyCode": _odata_literal(currency),
             "$filter": " and ".join(clauses)},
            quote_via=urllib.parse.quote,
        )
        url: Optional[str] = f"{self.endpoint}?{query}"
        seen: set[str] = set()
        pages = 0
        while url:
            if url in seen or pages >= _MAX_PAGES:
                raise ServiceError(f"the prices API pages without end (at {url})")
            seen.add(url)
            pages += 1
            doc = self._get_json(url)
            items = doc.get("Items")
            if not isinstance(items, list):
                raise ServiceError(f"malformed answer from the prices API at {url}: no 'Items' list")
            for item in items:
                try:
                    yield PriceRow.from_api(item)
                except ValueError as exc:
                    raise ServiceError(f"malformed answer from the prices API at {url}: {exc}") from None
            if self._progress is not None:
                self._progress(f"prices: {service} {price_type} {region} page {pages} ({len(items)} rows)")
            url = self._next_link(doc.get("NextPageLink"), url)

    def _next_link(self, link: object, current: str) -> Optional[str]:
        """The next page, only on the endpoint's own host (a link elsewhere is not followed)."""
        if not link:
            return None
        if not isinstance(link, str):
            raise ServiceError(f"malformed answer from the prices API at {current}: NextPageLink is not a string")
        here, there = urllib.parse.urlsplit(self.endpoint), urllib.parse.urlsplit(link)
        if there.hostname != here.hostname:
            raise ServiceError(f"the prices API sent a next page on another host ({there.hostname}); not followed")
        # The live API answers with an explicit :443, which is the same place. A link that drops
        # the api-version would page on in the default version, without savings plans.
        query = there.query
        if "api-version" not in urllib.parse.parse_qs(query):
            query = f"api-version={API_VERSION}" + (f"&{query}" if query else "")
        return urllib.parse.urlunsplit((here.scheme, here.netloc, there.path, query, ""))

    def _get_json(self, url: str) -> dict[str, object]:
        """GET `url` as JSON, retrying throttling and transient failures a bounded number of times."""
        attempt = 0
        while True:
            request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "planner"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 (our URL)
                    body = response.read()
                break
            except urllib.error.HTTPError as exc:
                status = exc.code
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                exc.close()
                if status in _RETRIED and attempt < self.max_retries:
                    wait = min(self.max_wait_s, _retry_after_seconds(retry_after, default=2.0**attempt))
                    attempt += 1
                    if self._progress is not None:
                        self._progress(f"prices: HTTP {status}, retry {attempt}/{self.max_retries} in {wait:.0f} s")
                    self._sleep(wait)
                    continue
                if status in (401, 403):
                    raise ServiceError(f"the prices API refused the request (HTTP {status}) at {url}") from None
                if status in _RETRIED:
                    raise ServiceError(
                        f"the prices API still answers HTTP {status} after {self.max_retries} retries; try again later"
                    ) from None
                raise ServiceError(f"the prices API answered HTTP {status} at {url}") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise ServiceError(f"cannot reach the prices API at {self.endpoint}: {reason}") from None
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ServiceError(f"malformed answer from the prices API at {url}: not JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise ServiceError(f"malformed answer from the prices API at {url}: not a JSON object")
        return doc
