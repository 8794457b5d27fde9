"""The Azure VM catalogue: SKU sizes and their prices per region, under every pricing option.

The planner core reads a catalogue file (JSON, format ``azure-vm-catalog/1``); it never
talks to Azure. A snapshot ships inside the package (``planner/data/azure_vm_catalog.json``,
marked ``"snapshot": true`` with its date); ``planner catalog refresh`` rebuilds one from
the live APIs through :mod:`planner.inputs.azure`. What a valid file holds is
:mod:`planner.domain.catalog_schema`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Optional, Sequence

from planner.base.bounded import RefusedFile, read_bounded
from planner.base.errors import PlannerError
from planner.domain.catalog_schema import (
    CATALOG_BYTES_SETTING,
    CATALOG_FORMAT,
    MAX_DOCUMENT_BYTES,
    OPTIONAL_PRICES,
    check_document,
)

__all__ = [
    "CATALOG_FORMAT",
    "HOURS_PER_MONTH",
    "OPERATING_SYSTEMS",
    "PRICING_OPTIONS",
    "Catalog",
    "CatalogError",
    "RegionPrices",
    "VmSku",
    "load_catalog",
    "parse_catalog",
]

HOURS_PER_MONTH = 730.0
PRICING_OPTIONS = ("payg", "reserved-1y", "reserved-3y", "savings-plan-1y", "savings-plan-3y")
OPERATING_SYSTEMS = ("linux", "windows")
SNAPSHOT_ORIGIN = "planner/data/azure_vm_catalog.json"

# The VmSku field holding each option's compute price.
_OPTION_FIELD = {
    "payg": "hourly",
    "reserved-1y": "reserved_1y",
    "reserved-3y": "reserved_3y",
    "savings-plan-1y": "savings_plan_1y",
    "savings-plan-3y": "savings_plan_3y",
}


@dataclass(frozen=True, order=True)
class VmSku:
    """One VM size in one region with its hourly prices; an option the catalogue lacks is None."""

    region: str
    name: str
    vcpu: int
    memory_gb: float
    hourly: float  # Linux pay-as-you-go
    windows_hourly: Optional[float] = None  # Windows pay-as-you-go: compute plus licence
    reserved_1y: Optional[float] = None  # effective hourly price of a 1-year reservation (compute)
    reserved_3y: Optional[float] = None
    savings_plan_1y: Optional[float] = None  # effective hourly savings-plan price (compute)
    savings_plan_3y: Optional[float] = None
    # (price field, where its figure comes from: `retail-YYYY-MM-DD` or `approximation`); empty when not stated
    basis: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def compute_hourly(self, option: str) -> Optional[float]:
        """The compute price per hour under `option` (one of PRICING_OPTIONS), None when not priced."""
        try:
            return getattr(self, _OPTION_FIELD[option])  # type: ignore[no-any-return]
        except KeyError:
            raise ValueError(f"unknown pricing option {option!r}; expected one of {', '.join(PRICING_OPTIONS)}") from None

    def hourly_price(self, option: str, os: str, hybrid_benefit: bool) -> Optional[float]:
        """The compute price of `option`, plus for os == 'windows' without hybrid benefit the licence
        (windows_hourly - hourly); None when a needed price is missing."""
        if os not in OPERATING_SYSTEMS:
            raise ValueError(f"unknown operating system {os!r}; expected linux or windows")
        compute = self.compute_hourly(option)
        if compute is None or os == "linux" or hybrid_benefit:
            return compute
        if self.windows_hourly is None:
            return None
        # Azure bills Windows as the Linux compute rate plus a licence rate; commitments cover compute only.
        return compute + (self.windows_hourly - self.hourly)


@dataclass(frozen=True)
class RegionPrices:
    """Per-region prices that are not VM sizes: managed disk and internet egress."""

    disk_gb_month: float
    egress_gb: float


_Ranked = list[tuple[float, str, VmSku]]


@dataclass
class Catalog:
    """VM sizes and prices, with the cheapest-cover lookup the cost model needs.

    `origin` names the file it was read from (for messages); it is not part of the document.
    """

    currency: str
    snapshot_date: str
    snapshot: bool
    skus: tuple[VmSku, ...]
    regions: dict[str, RegionPrices]
    source: str = ""
    origin: str = field(default="", compare=False)
    _by_region: dict[str, list[VmSku]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _ranked: dict[tuple[str, str, str, bool], _Ranked] = field(default_factory=dict, init=False, repr=False,
                                                               compare=False)
    _cache: dict[tuple[str, int, float, str, str, bool], Optional[VmSku]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for sku in sorted(self.skus, key=lambda s: (s.region, s.name)):
            self._by_region.setdefault(sku.region, []).append(sku)

    def has_region(self, region: str) -> bool:
        """Whether the catalogue prices VMs in `region`."""
        return region in self._by_region and region in self.regions

    def _priced(self, region: str, option: str, os: str, hybrid_benefit: bool) -> _Ranked:
        """The region's SKUs with a price for this combination, cheapest first (ties by name)."""
        key = (region, option, os, bool(hybrid_benefit))
        if key not in self._ranked:
            priced = []
            for sku in self._by_region.get(region, ()):
                price = sku.hourly_price(option, os, hybrid_benefit)
                if price is not None:
                    priced.append((price, sku.name, sku))
            priced.sort(key=lambda t: (t[0], t[1]))
            self._ranked[key] = priced
        return self._ranked[key]

    def cheapest(self, region: str, vcpu: int, memory_gb: float, os: str = "linux", option: str = "payg",
                 hybrid_benefit: bool = False) -> Optional[VmSku]:
        """The cheapest SKU in `region` with at least `vcpu` vCPUs and `memory_gb` memory at
        hourly_price(option, os, hybrid_benefit), ties by name; SKUs without that price are skipped."""
        key = (region, vcpu, memory_gb, option, os, bool(hybrid_benefit))
        if key not in self._cache:
            best = None
            for _price, _name, sku in self._priced(region, option, os, hybrid_benefit):
                if sku.vcpu >= vcpu and sku.memory_gb >= memory_gb - 1e-9:
                    best = sku
                    break
            self._cache[key] = best
        return self._cache[key]

    def offers(self, region: str, option: str, os: str, hybrid_benefit: bool) -> bool:
        """Whether any SKU in `region` has a price for this option, OS and licence choice."""
        return bool(self._priced(region, option, os, hybrid_benefit))

    def largest(self, region: str) -> tuple[int, float]:
        """The most vCPUs and the most memory any one SKU in `region` offers."""
        skus = self._by_region.get(region, ())
        return (max((s.vcpu for s in skus), default=0), max((s.memory_gb for s in skus), default=0.0))

    def to_json(self) -> str:
        """The catalogue as deterministic JSON (sorted keys and SKUs; prices it lacks are left out)."""
        doc = {
            "format": CATALOG_FORMAT,
            "currency": self.currency,
            "snapshot": self.snapshot,
            "snapshot_date": self.snapshot_date,
            "source": self.source,
            "regions": {r: {"disk_gb_month": p.disk_gb_month, "egress_gb": p.egress_gb} for r, p in sorted(self.regions.items())},
            "skus": [_sku_entry(s) for s in sorted(self.skus, key=lambda s: (s.region, s.name))],
        }
        return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def _sku_entry(sku: VmSku) -> dict[str, object]:
    entry: dict[str, object] = {"region": sku.region, "name": sku.name, "vcpu": sku.vcpu,
                                "memory_gb": sku.memory_gb, "hourly": sku.hourly}
    for key in OPTIONAL_PRICES:
        value = getattr(sku, key)
        if value is not None:
            entry[key] = value
    if sku.basis:
        entry["basis"] = dict(sku.basis)
    return entry


class CatalogError(PlannerError, ValueError):
    """A catalogue file that cannot be read; `problems` lists what is wrong (the message shows the first)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


def parse_catalog(text: str, origin: str) -> Catalog:
    """Parse and check a catalogue document; `origin` names it in errors and becomes `Catalog.origin`."""
    checked, problems, count = check_document(text)
    if checked is None:
        lines = [f"{origin}: {p}" for p in problems]
        more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
        raise CatalogError(f"{lines[0]}{more}", lines)
    skus = tuple(
        VmSku(s.region, s.name, s.vcpu, s.memory_gb, **s.prices, basis=tuple(sorted(s.basis.items())))  # type: ignore[arg-type]
        for s in checked.skus
    )
    return Catalog(
        currency=checked.currency,
        snapshot_date=checked.snapshot_date,
        snapshot=checked.snapshot,
        skus=skus,
        regions={r: RegionPrices(disk, egress) for r, (disk, egress) in checked.regions.items()},
        source=checked.source,
        origin=origin,
    )


_default: Optional[Catalog] = None


def load_catalog(path: Optional[Path] = None) -> Catalog:
    """The catalogue at `path`, or the shipped snapshot when `path` is None."""
    global _default
    if path is not None:
        try:
            text = read_bounded(path, MAX_DOCUMENT_BYTES, CATALOG_BYTES_SETTING).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start}); a VM catalogue is JSON") from None
        except RefusedFile as exc:
            raise CatalogError(f"{path}: not read as a VM catalogue: {exc.strerror}") from None
        except OSError as exc:
            raise CatalogError(f"{path}: cannot read the VM catalogue ({exc.strerror or exc})") from None
        return parse_catalog(text, str(path))
    if _default is None:
        text = resources.files("planner").joinpath("data/azure_vm_catalog.json").read_text(encoding="utf-8")
        _default = parse_catalog(text, SNAPSHOT_ORIGIN)
    return _default
