"""A local stand-in for Azure Resource Manager and the Retail Prices API, on 127.0.0.1.

The real azure-mgmt-compute SDK and our prices client talk to it over plain http. It pages
like the services do (ARM ``nextLink``, prices ``NextPageLink``), and a test can queue
canned answers (401, 403, 429 with Retry-After, malformed bodies) in front of the normal ones.
The prices side answers Consumption rows (Linux, Windows, Spot, with ``savingsPlan`` lists in
api-version 2023-01-01-preview only) and Reservation rows with ``reservationTerm``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections import deque
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional

from azure.core.credentials import AccessToken

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
PRICES_API_VERSION = "2023-01-01-preview"  # the first that lists savings plans
_FILTER_CLAUSE = re.compile(r"(\w+) eq '((?:[^']|'')*)'")


class FakeCredential:
    """A TokenCredential that hands out a fixed bearer token (or raises `error`)."""

    def __init__(self, token: str = "test-token", error: Optional[Exception] = None) -> None:
        self.token = token
        self.error = error
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        if self.error is not None:
            raise self.error
        return AccessToken(self.token, int(time.time()) + 3600)


def sku(name: str, vcpu: int, memory: float, region: str, *, family: str = "standardDSv5Family",
        restricted: bool = False, available: Optional[int] = None, rtype: str = "virtualMachines") -> dict:
    """A resource SKU as ARM returns it."""
    caps = [{"name": "vCPUs", "value": str(vcpu)}, {"name": "MemoryGB", "value": f"{memory:g}"}]
    if available is not None:
        caps.append({"name": "vCPUsAvailable", "value": str(available)})
    doc = {"resourceType": rtype, "name": name, "tier": "Standard", "size": name.removeprefix("Standard_"),
           "family": family, "locations": [region], "capabilities": caps, "restrictions": []}
    if restricted:
        doc["restrictions"] = [{"type": "Location", "values": [region], "reasonCode": "NotAvailableForSubscription",
                                "restrictionInfo": {"locations": [region]}}]
    return doc


def price(arm_sku: str, region: str, value: float, *, product: str = "Virtual Machines Dsv5 Series",
          sku_name: str = "", meter: str = "", ptype: str = "Consumption", currency: str = "EUR",
          service: str = "Virtual Machines", unit: str = "1 Hour", start: str = "2026-01-01T00:00:00Z",
          term: str = "", savings_plan: Optional[dict[str, float]] = None, primary: bool = True) -> dict:
    """A Retail Prices API item; `term` makes it a Reservation row (value: the whole term's price),
    `savings_plan` ({"1 Year": hourly, ...}) gives a Consumption row its savings-plan rates."""
    short = arm_sku.removeprefix("Standard_").replace("_", " ")
    item = {"currencyCode": currency, "tierMinimumUnits": 0.0, "retailPrice": value, "unitPrice": value,
            "armRegionName": region, "location": region, "effectiveStartDate": start, "meterName": meter or short,
            "productName": product, "skuName": sku_name or short, "serviceName": service, "serviceFamily": "Compute",
            "unitOfMeasure": unit, "type": ptype, "isPrimaryMeterRegion": primary, "armSkuName": arm_sku}
    if term:
        # The live API labels reservation rows "1 Hour" too, though the price is the term's.
        item.update(type="Reservation", reservationTerm=term)
    if savings_plan:
        item["savingsPlan"] = [{"unitPrice": v, "retailPrice": v, "term": t} for t, v in savings_plan.items()]
    return item


REAL_ROWS = Path(__file__).with_name("retail_rows_westeurope_2026-08-20.json")


def real_prices() -> list[dict]:
    """A handful of real Retail Prices API rows (westeurope, USD, 2026-08-20; see the file's `_source`), in the API's
    shape with its nested `savingsPlan` list, plus the fields the query that fetched them implies."""
    items = json.loads(REAL_ROWS.read_text(encoding="utf-8"))["Items"]
    return [{"serviceName": "Virtual Machines", "serviceFamily": "Compute", "isPrimaryMeterRegion": True,
             "location": "EU West", "tierMinimumUnits": 0.0, "effectiveStartDate": "2026-08-01T00:00:00Z", **item}
            for item in items]


def vm(name: str, size: str, region: str = "westeurope", rg: str = "rg-app", *, os_gb: Optional[int] = 128,
       data_gb: tuple[Optional[int], ...] = (), tags: Optional[dict] = None) -> dict:
    """A virtual machine as ARM's list_all returns it."""
    vm_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"
    os_disk: dict[str, Any] = {"osType": "Linux", "name": f"{name}-os", "createOption": "FromImage"}
    if os_gb is not None:
        os_disk["diskSizeGB"] = os_gb
    data = []
    for lun, gb in enumerate(data_gb):
        disk: dict[str, Any] = {"lun": lun, "createOption": "Empty", "name": f"{name}-data{lun}"}
        if gb is not None:
            disk["diskSizeGB"] = gb
        data.append(disk)
    return {"id": vm_id, "name": name, "type": "Microsoft.Compute/virtualMachines", "location": region,
            "tags": tags or {}, "properties": {"hardwareProfile": {"vmSize": size},
                                               "storageProfile": {"osDisk": os_disk, "dataDisks": data}}}


class StandIn:
    """The server's state: what it serves, what it was asked, and canned answers queued per API."""

    def __init__(self) -> None:
        self.skus: list[dict] = []
        self.vms: list[dict] = []
        self.prices: list[dict] = []
        self.page_size = 2
        self.queued: dict[str, deque[tuple[int, dict[str, str], bytes]]] = {"arm": deque(), "prices": deque()}
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def queue(self, api: str, status: int, body: Any = b"", headers: Optional[dict[str, str]] = None,
              times: int = 1) -> None:
        """Answer the next `times` requests to `api` ("arm" or "prices") with this, before normal answers."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        for _ in range(times):
            self.queued[api].append((status, headers or {}, raw))

    def answer(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(parts.query)
        api = "prices" if parts.path.startswith("/api/retail/prices") else "arm"
        self.requests.append({"api": api, "method": method, "path": parts.path, "query": query, "headers": headers})
        if self.queued[api]:
            return self.queued[api].popleft()
        if api == "prices":
            return self._prices(query)
        if not headers.get("authorization", "").startswith("Bearer "):
            return 401, {}, json.dumps({"error": {"code": "AuthenticationFailed", "message": "no token"}}).encode()
        match = re.fullmatch(r"/subscriptions/([^/]+)/providers/Microsoft\.Compute/(skus|virtualMachines)", parts.path)
        if not match:
            return 404, {}, json.dumps({"error": {"code": "NotFound", "message": parts.path}}).encode()
        if match.group(2) == "skus":
            location = dict(_FILTER_CLAUSE.findall(query.get("$filter", [""])[0])).get("location")
            items = [s for s in self.skus if location is None or location in s["locations"]]
        else:
            items = self.vms
        return self._page(items, query, parts.path, "value", "nextLink", "$skiptoken")

    def _prices(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        """Items as the live API filters them: by $filter clauses and currency; only primary meters
        with meterRegion='primary'; savingsPlan lists only in the api-version that has them."""
        clauses = {k: v.replace("''", "'") for k, v in _FILTER_CLAUSE.findall(query.get("$filter", [""])[0])}
        currency = query.get("currencyCode", ["'USD'"])[0].strip("'")
        fields = {"serviceName": "serviceName", "armRegionName": "armRegionName", "productName": "productName",
                  "priceType": "type"}
        primary_only = query.get("meterRegion", [""])[0] == "'primary'"
        with_plans = query.get("api-version", [""])[0] == PRICES_API_VERSION
        items = [p for p in self.prices if p["currencyCode"] == currency
                 and (p["isPrimaryMeterRegion"] or not primary_only)
                 and all(p.get(fields[k]) == v for k, v in clauses.items() if k in fields)]
        if not with_plans:
            items = [{k: v for k, v in p.items() if k != "savingsPlan"} for p in items]
        return self._page(items, query, "/api/retail/prices", "Items", "NextPageLink", "$skip")

    def _page(self, items: list[dict], query: dict[str, list[str]], path: str, key: str, link: str,
              skip_param: str) -> tuple[int, dict[str, str], bytes]:
        skip = int(query.get(skip_param, ["0"])[0])
        page = items[skip:skip + self.page_size]
        doc: dict[str, Any] = {key: page}
        if skip + self.page_size < len(items):
            rest = {k: v[0] for k, v in query.items() if k != skip_param}
            rest[skip_param] = str(skip + self.page_size)
            host = self.url.replace("http://", "")
            # The prices API writes an explicit port into its links (https://prices.azure.com:443/...).
            doc[link] = f"http://{host}{path}?{urllib.parse.urlencode(rest, quote_via=urllib.parse.quote)}"
        else:
            doc[link] = None
        if key == "Items":
            doc.update({"BillingCurrency": "USD", "CustomerEntityId": "Default", "Count": len(page)})
        return 200, {}, json.dumps(doc).encode()


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, body = self.server.standin.answer("GET", self.path, headers)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StandIn


@contextmanager
def running() -> Iterator[StandIn]:
    """A stand-in serving on 127.0.0.1 (a free port) until the block ends."""
    state = StandIn()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.standin = state
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="azure-standin", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
