"""The outside services the planner reads, as small interfaces.

The core never imports ``azure``: it asks a :class:`PriceSource` for retail price rows, a
:class:`SkuSource` for the VM sizes a region offers and a :class:`VmInventorySource` for the
VMs already running. :mod:`planner.inputs.azure` implements them against the real services; the
static sources here serve the shipped snapshot and the fakes turn plain data or functions
into a source for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Optional,
    Protocol,
    Union,
    runtime_checkable,
)

from planner.base.errors import PlannerError
from planner.domain.catalog import Catalog

__all__ = [
    "PriceRow",
    "SkuInfo",
    "RunningVm",
    "PriceSource",
    "SkuSource",
    "VmInventorySource",
    "SourceError",
    "CredentialError",
    "ServiceError",
    "StaticPriceSource",
    "StaticSkuSource",
    "FakePriceSource",
    "FakeSkuSource",
    "FakeVmInventorySource",
]


class SourceError(PlannerError, RuntimeError):
    """An outside service could not give what was asked; the message is for a person."""


class CredentialError(SourceError):
    """Credentials are missing or were rejected (HTTP 401/403)."""


class ServiceError(SourceError):
    """The service failed, answered something malformed, or could not be reached."""


@dataclass(frozen=True)
class PriceRow:
    """One row of the Azure Retail Prices API, reduced to the fields the catalogue needs."""

    arm_sku_name: str
    arm_region_name: str
    retail_price: float
    currency_code: str
    type: str = "Consumption"
    service_name: str = "Virtual Machines"
    product_name: str = ""
    sku_name: str = ""
    meter_name: str = ""
    unit_of_measure: str = "1 Hour"
    effective_start_date: str = ""
    tier_minimum_units: float = 0.0
    reservation_term: str = ""  # "1 Year" or "3 Years" on Reservation rows
    savings_plan: tuple[tuple[str, float], ...] = ()  # (term, hourly retail price) on Consumption rows

    @classmethod
    def from_api(cls, item: Mapping[str, object]) -> "PriceRow":
        """A row from one ``Items`` entry of the API; raises ValueError on a malformed entry."""
        if not isinstance(item, Mapping):
            raise ValueError(f"an item is {type(item).__name__}, not an object")
        try:
            price = item["retailPrice"]
            if isinstance(price, bool) or not isinstance(price, (int, float)):
                raise ValueError(f"retailPrice is {price!r}, not a number")
            return cls(
                arm_sku_name=str(item.get("armSkuName") or ""),
                arm_region_name=str(item.get("armRegionName") or ""),
                retail_price=float(price),
                currency_code=str(item.get("currencyCode") or ""),
                type=str(item.get("type") or ""),
                service_name=str(item.get("serviceName") or ""),
                product_name=str(item.get("productName") or ""),
                sku_name=str(item.get("skuName") or ""),
                meter_name=str(item.get("meterName") or ""),
                unit_of_measure=str(item.get("unitOfMeasure") or ""),
                effective_start_date=str(item.get("effectiveStartDate") or ""),
                tier_minimum_units=float(item.get("tierMinimumUnits") or 0.0),  # type: ignore[arg-type]
                reservation_term=str(item.get("reservationTerm") or ""),
                savings_plan=_savings_plan(item.get("savingsPlan")),
            )
        except KeyError as exc:
            raise ValueError(f"an item has no {exc.args[0]!r}") from exc
        except TypeError as exc:
            raise ValueError(f"an item has a field of the wrong type ({exc})") from exc


def _savings_plan(value: object) -> tuple[tuple[str, float], ...]:
    """The ``savingsPlan`` list of an API item as (term, retailPrice) pairs; ValueError when malformed."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"savingsPlan is {type(value).__name__}, not a list")
    out = []
    for plan in value:
        if not isinstance(plan, Mapping):
            raise ValueError(f"a savingsPlan entry is {type(plan).__name__}, not an object")
        price, term = plan.get("retailPrice", plan.get("unitPrice")), plan.get("term")
        if isinstance(price, bool) or not isinstance(price, (int, float)):
            raise ValueError(f"a savingsPlan retailPrice is {price!r}, not a number")
        if not isinstance(term, str):
            raise ValueError(f"a savingsPlan term is {term!r}, not a string")
        out.append((term, float(price)))
    return tuple(sorted(out))


@dataclass(frozen=True)
class SkuInfo:
    """A VM size offered in a region; `restricted` when the subscription may not deploy it there."""

    name: str
    region: str
    vcpu: int
    memory_gb: float
    family: str = ""
    restricted: bool = False


@dataclass(frozen=True)
class RunningVm:
    """A VM that already runs in Azure, as the inventory importer needs it."""

    name: str
    region: str
    size: str
    id: str = ""
    resource_group: str = ""
    os_type: str = ""
    os_disk_gb: Optional[float] = None
    data_disks_gb: tuple[Optional[float], ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class PriceSource(Protocol):
    """Retail price rows of one service in one region and currency, of one price type
    (``Consumption`` or ``Reservation``)."""

    def price_rows(
        self, *, service: str, region: str, currency: str, product: Optional[str] = None,
        price_type: str = "Consumption",
    ) -> Iterator[PriceRow]: ...


@runtime_checkable
class SkuSource(Protocol):
    """The VM sizes one region offers."""

    def vm_skus(self, region: str) -> Iterator[SkuInfo]: ...


@runtime_checkable
class VmInventorySource(Protocol):
    """The VMs running in one subscription."""

    def running_vms(self) -> Iterator[RunningVm]: ...


# --- the shipped snapshot as a source ---------------------------------------------------


class StaticSkuSource:
    """SKU shapes from a catalogue (by default the shipped snapshot)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def vm_skus(self, region: str) -> Iterator[SkuInfo]:
        for sku in sorted(self._catalog.skus):
            if sku.region == region:
                yield SkuInfo(sku.name, sku.region, sku.vcpu, sku.memory_gb)


# Hours in a reservation term: the Retail Prices API gives a reservation's price for the whole term.
_TERM_HOURS = {"1 Year": 8760.0, "3 Years": 26280.0}


class StaticPriceSource:
    """VM price rows from a catalogue's prices, as the Retail Prices API would give them (other services have none)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def price_rows(
        self, *, service: str, region: str, currency: str, product: Optional[str] = None,
        price_type: str = "Consumption",
    ) -> Iterator[PriceRow]:
        if service != "Virtual Machines" or currency != self._catalog.currency:
            return
        for sku in sorted(self._catalog.skus, key=lambda s: (s.region, s.name)):
            if sku.region != region:
                continue
            product_name = f"Virtual Machines {sku.name}"
            if price_type == "Reservation":
                for term, price in (("1 Year", sku.reserved_1y), ("3 Years", sku.reserved_3y)):
                    if price is not None:
                        yield PriceRow(sku.name, region, price * _TERM_HOURS[term], currency, type="Reservation",
                                       product_name=product_name, reservation_term=term)
                continue
            if price_type != "Consumption":
                continue
            plans = tuple((term, price) for term, price in (("1 Year", sku.savings_plan_1y),
                                                            ("3 Years", sku.savings_plan_3y)) if price is not None)
            yield PriceRow(sku.name, region, sku.hourly, currency, product_name=product_name, savings_plan=plans)
            if sku.windows_hourly is not None:
                yield PriceRow(sku.name, region, sku.windows_hourly, currency, product_name=f"{product_name} Windows")


# --- fakes for tests ----------------------------------------------------------------------

# (service, region, currency, product, price_type) -> rows
PriceFn = Callable[[str, str, str, Optional[str], str], Iterable[PriceRow]]


class FakePriceSource:
    """A price source from a list of rows (filtered like the API filters) or a function."""

    def __init__(self, rows: Union[Iterable[PriceRow], PriceFn]) -> None:
        self._fn: Optional[PriceFn] = rows if callable(rows) else None
        self._rows: tuple[PriceRow, ...] = () if callable(rows) else tuple(rows)
        self.calls: list[tuple[str, str, str, Optional[str], str]] = []

    def price_rows(
        self, *, service: str, region: str, currency: str, product: Optional[str] = None,
        price_type: str = "Consumption",
    ) -> Iterator[PriceRow]:
        self.calls.append((service, region, currency, product, price_type))
        if self._fn is not None:
            yield from self._fn(service, region, currency, product, price_type)
            return
        for row in self._rows:
            if (row.service_name, row.arm_region_name, row.currency_code, row.type) == (
                service, region, currency, price_type
            ) and (product is None or row.product_name == product):
                yield row


class FakeSkuSource:
    """A SKU source from a list of SKUs or a function of the region."""

    def __init__(self, skus: Union[Iterable[SkuInfo], Callable[[str], Iterable[SkuInfo]]]) -> None:
        self._fn = skus if callable(skus) else None
        self._skus: tuple[SkuInfo, ...] = () if callable(skus) else tuple(skus)

    def vm_skus(self, region: str) -> Iterator[SkuInfo]:
        if self._fn is not None:
            yield from self._fn(region)
        else:
            yield from (s for s in self._skus if s.region == region)


class FakeVmInventorySource:
    """An inventory source from a list of VMs or a function returning them."""

    def __init__(self, vms: Union[Iterable[RunningVm], Callable[[], Iterable[RunningVm]]]) -> None:
        self._fn = vms if callable(vms) else None
        self._vms: tuple[RunningVm, ...] = () if callable(vms) else tuple(vms)

    def running_vms(self) -> Iterator[RunningVm]:
        yield from (self._fn() if self._fn is not None else self._vms)
