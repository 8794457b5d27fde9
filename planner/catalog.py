"""The Azure VM catalogue: SKU sizes and pay-as-you-go prices per region.

The planner core reads a catalogue file (JSON, format ``azure-vm-catalog/1``); it never
talks to Azure. A snapshot ships inside the package (``planner/data/azure_vm_catalog.json``,
marked ``"snapshot": true`` with its date); ``planner catalog refresh`` rebuilds one from
the live APIs through :mod:`planner.azure`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Optional

HOURS_PER_MONTH = 730.0
CATALOG_FORMAT = "azure-vm-catalog/1"


@dataclass(frozen=True, order=True)
class VmSku:
    """One VM size in one region, priced per hour (Linux, pay-as-you-go)."""

    region: str
    name: str
    vcpu: int
    memory_gb: float
    hourly: float


@dataclass(frozen=True)
class RegionPrices:
    """Per-region prices that are not VM sizes: managed disk and internet egress."""

    disk_gb_month: float
    egress_gb: float


@dataclass
class Catalog:
    """VM sizes and prices, with the cheapest-cover lookup the cost model needs."""

    currency: str
    snapshot_date: str
    snapshot: bool
    skus: tuple[VmSku, ...]
    regions: dict[str, RegionPrices]
    source: str = ""
    _by_region: dict[str, list[VmSku]] = field(default_factory=dict, init=False, repr=False)
    _cache: dict[tuple[str, int, float], Optional[VmSku]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for sku in sorted(self.skus, key=lambda s: (s.region, s.hourly, s.name)):
            self._by_region.setdefault(sku.region, []).append(sku)

    def has_region(self, region: str) -> bool:
        """Whether the catalogue prices VMs in `region`."""
        return region in self._by_region and region in self.regions

    def cheapest(self, region: str, vcpu: int, memory_gb: float) -> Optional[VmSku]:
        """The cheapest SKU in `region` with at least `vcpu` vCPUs and `memory_gb` memory (ties by name)."""
        key = (region, vcpu, memory_gb)
        if key not in self._cache:
            best = None
            for sku in self._by_region.get(region, ()):  # sorted by price, then name
                if sku.vcpu >= vcpu and sku.memory_gb >= memory_gb - 1e-9:
                    best = sku
                    break
            self._cache[key] = best
        return self._cache[key]

    def largest(self, region: str) -> tuple[int, float]:
        """The most vCPUs and the most memory any one SKU in `region` offers."""
        skus = self._by_region.get(region, ())
        return (max((s.vcpu for s in skus), default=0), max((s.memory_gb for s in skus), default=0.0))

    def to_json(self) -> str:
        """The catalogue as deterministic JSON (sorted keys and SKUs)."""
        doc = {
            "format": CATALOG_FORMAT,
            "currency": self.currency,
            "snapshot": self.snapshot,
            "snapshot_date": self.snapshot_date,
            "source": self.source,
            "regions": {r: {"disk_gb_month": p.disk_gb_month, "egress_gb": p.egress_gb} for r, p in sorted(self.regions.items())},
            "skus": [
                {"region": s.region, "name": s.name, "vcpu": s.vcpu, "memory_gb": s.memory_gb, "hourly": s.hourly}
                for s in sorted(self.skus)
            ],
        }
        return json.dumps(doc, indent=1, sort_keys=True) + "\n"


class CatalogError(ValueError):
    """A catalogue file that cannot be read."""


def parse_catalog(text: str, origin: str) -> Catalog:
    """Parse a catalogue document; `origin` names it in errors."""
    try:
        doc = json.loads(text)
        if doc.get("format") != CATALOG_FORMAT:
            raise CatalogError(f"{origin}: format is {doc.get('format')!r}, expected {CATALOG_FORMAT!r}")
        skus = tuple(
            VmSku(str(s["region"]), str(s["name"]), int(s["vcpu"]), float(s["memory_gb"]), float(s["hourly"]))
            for s in doc["skus"]
        )
        regions = {
            str(r): RegionPrices(float(p["disk_gb_month"]), float(p["egress_gb"])) for r, p in doc["regions"].items()
        }
        return Catalog(
            currency=str(doc["currency"]),
            snapshot_date=str(doc["snapshot_date"]),
            snapshot=bool(doc.get("snapshot", False)),
            skus=skus,
            regions=regions,
            source=str(doc.get("source", "")),
        )
    except CatalogError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CatalogError(f"{origin}: not a valid VM catalogue ({exc.__class__.__name__}: {exc})") from exc


_default: Optional[Catalog] = None


def load_catalog(path: Optional[Path] = None) -> Catalog:
    """The catalogue at `path`, or the shipped snapshot when `path` is None."""
    global _default
    if path is not None:
        try:
            return parse_catalog(Path(path).read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise CatalogError(f"{path}: cannot read the VM catalogue ({exc.strerror})") from exc
    if _default is None:
        text = resources.files("planner").joinpath("data/azure_vm_catalog.json").read_text(encoding="utf-8")
        _default = parse_catalog(text, "planner/data/azure_vm_catalog.json")
    return _default
