"""What a valid VM catalogue file holds: its limits, and the checks that find every breach.

A catalogue comes from outside (a refresh, a colleague, a hand edit), so nothing in it is
trusted: each price must be a finite, non-negative number under a sane ceiling, each shape a
positive size, each SKU unique and in a priced region. :func:`check_document` turns the JSON
text into plain checked values, or into the list of problems, never into a traceback. It
knows nothing of :mod:`planner.domain.catalog`, which builds its objects from the result.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from planner.base.bounded import env_limit

CATALOG_FORMAT = "azure-vm-catalog/1"

# The SKU price fields: the Linux pay-as-you-go price every SKU has, and the optional ones.
REQUIRED_PRICE = "hourly"
OPTIONAL_PRICES = ("windows_hourly", "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y")
# A SKU's optional `basis` says per price field where the figure comes from: `retail-YYYY-MM-DD` (Retail
# Prices API rows of that day) or `approximation` (a documented estimate). Catalogues without it still load.
BASIS_APPROXIMATION = "approximation"
MAX_BASIS_TEXT = 100

# Ceilings that no real list price comes near (the dearest Azure VM costs around 150 USD an
# hour with Windows), so a value above one is a typo or garbage, not a price. They are in
# the catalogue's currency, scaled for currencies whose unit is worth far less than a dollar.
MAX_VM_HOURLY = 10_000.0
MAX_DISK_GB_MONTH = 100.0
MAX_EGRESS_GB = 100.0
SMALL_UNIT_CURRENCIES = {"CLP": 1000.0, "COP": 1000.0, "HUF": 1000.0, "IDR": 10000.0, "INR": 1000.0,
                         "JPY": 1000.0, "KRW": 1000.0, "RUB": 1000.0, "TWD": 1000.0, "VND": 10000.0}
# The largest Azure VM has under 1,000 vCPUs and 32 TiB of memory.
MAX_VCPU = 4096
MAX_MEMORY_GB = 65536.0
# A catalogue of every public region and VM size is about 20 MB; far beyond that is not one.
MAX_DOCUMENT_BYTES = env_limit("PLANNER_MAX_CATALOG_BYTES", 64 << 20)
CATALOG_BYTES_SETTING = "PLANNER_MAX_CATALOG_BYTES"
MAX_PROBLEMS = 50  # reported per file; the rest are counted

_CURRENCY = re.compile(r"[A-Z]{3}")


def price_ceiling(currency: str) -> float:
    """How many times the base ceilings a price in `currency` may reach."""
    return SMALL_UNIT_CURRENCIES.get(currency, 1.0)


@dataclass(frozen=True)
class CheckedSku:
    """One SKU entry with checked types; `prices` maps every price field to a number or None."""

    region: str
    name: str
    vcpu: int
    memory_gb: float
    prices: dict[str, Optional[float]]
    basis: dict[str, str] = field(default_factory=dict)  # price field -> where its figure comes from


@dataclass
class CheckedDocument:
    """A catalogue document whose every field passed the checks."""

    currency: str
    snapshot_date: str
    snapshot: bool
    source: str
    regions: dict[str, tuple[float, float]]  # region -> (disk_gb_month, egress_gb)
    skus: list[CheckedSku]


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(message)


def _is_number(value: object) -> bool:
    # JSON true/false arrive as bool, a subclass of int: never a price or a size.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: object) -> str:
    """A short, escaped rendering of an untrusted value for a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_PLAIN = re.compile(r"[A-Za-z0-9_.:+-]{1,80}")


def _label(text: str) -> str:
    """A region or SKU name as a message shows it: as is when plain, else quoted and escaped."""
    return text if _PLAIN.fullmatch(text) else _show(text)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


class _Constant:
    """NaN or Infinity as written in the file: kept as a marker so its field's check names it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _number(problems: _Problems, where: str, key: str, value: object, *, ceiling: float, unit: str,
            positive: bool = False) -> Optional[float]:
    """`value` as a float when it is a finite number in [0, ceiling] (above 0 when `positive`)."""
    if not _is_number(value):
        problems.add(f"{where}: {key} is {_show(value)}, not a finite number")
        return None
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        problems.add(f"{where}: {key} is {_show(value)}, not a finite number")
    elif number < 0 or (positive and number == 0):
        problems.add(f"{where}: {key} is {_show(value)}; it must be {'above' if positive else 'at least'} 0")
    elif number > ceiling:
        problems.add(f"{where}: {key} is {_show(value)}, above the ceiling of {ceiling:g} {unit}")
    else:
        return number
    return None


def _text(problems: _Problems, where: str, key: str, value: object) -> Optional[str]:
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{where}: {key} is {_show(value)}, not a non-empty string")
        return None
    return value


def _load_json(text: str, problems: _Problems) -> Any:
    if len(text) > MAX_DOCUMENT_BYTES:
        problems.add(f"the document is {len(text):,} characters, over the limit of {MAX_DOCUMENT_BYTES:,}")
        return None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_Constant)
    except RecursionError:
        problems.add("the JSON is nested too deeply to be a VM catalogue")
    except MemoryError:
        problems.add("the JSON is too large to read")
    except json.JSONDecodeError as exc:
        problems.add(f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    except ValueError as exc:  # duplicate keys, integers of too many digits
        problems.add(f"not a valid VM catalogue: {exc}")
    return None


def _check_regions(doc: dict[str, Any], problems: _Problems, scale: float) -> dict[str, tuple[float, float]]:
    regions = doc.get("regions")
    if not isinstance(regions, dict):
        problems.add(f"regions is {_show(regions)}, not an object of region -> prices")
        return {}
    out: dict[str, tuple[float, float]] = {}
    for region, prices in regions.items():
        where = f"region {region!r}"
        if not region.strip():
            problems.add("regions: a region has an empty name")
            continue
        if not isinstance(prices, dict):
            problems.add(f"{where}: its prices are {_show(prices)}, not an object")
            continue
        got = []
        for key, ceiling, unit in (("disk_gb_month", MAX_DISK_GB_MONTH, "per GB-month"),
                                   ("egress_gb", MAX_EGRESS_GB, "per GB")):
            if key not in prices:
                problems.add(f"{where}: {key} is missing")
                got.append(None)
            else:
                got.append(_number(problems, where, key, prices[key], ceiling=ceiling * scale, unit=unit))
        if got[0] is not None and got[1] is not None:
            out[region] = (got[0], got[1])
    return out


def _check_sku(index: int, entry: object, problems: _Problems, scale: float) -> Optional[CheckedSku]:
    if not isinstance(entry, dict):
        problems.add(f"skus[{index}] is {_show(entry)}, not an object")
        return None
    region, name = entry.get("region"), entry.get("name")
    where = f"skus[{index}]" + (f" ({_label(region)} {_label(name)})"
                                if isinstance(region, str) and isinstance(name, str) else "")
    before = problems.count
    region = _text(problems, where, "region", region)
    name = _text(problems, where, "name", name)
    vcpu = entry.get("vcpu")
    if not isinstance(vcpu, int) or isinstance(vcpu, bool) or not 0 < vcpu <= MAX_VCPU:
        problems.add(f"{where}: vcpu is {_show(vcpu)}, not a whole number from 1 to {MAX_VCPU}")
    memory = _number(problems, where, "memory_gb", entry.get("memory_gb"), ceiling=MAX_MEMORY_GB, unit="GB",
                     positive=True)
    prices: dict[str, Optional[float]] = {}
    ceiling = MAX_VM_HOURLY * scale
    if REQUIRED_PRICE not in entry:
        problems.add(f"{where}: hourly (the Linux pay-as-you-go price) is missing")
    else:
        prices[REQUIRED_PRICE] = _number(problems, where, REQUIRED_PRICE, entry[REQUIRED_PRICE], ceiling=ceiling,
                                         unit="per hour")
    for key in OPTIONAL_PRICES:
        value = entry.get(key)
        prices[key] = None if value is None else _number(problems, where, key, value, ceiling=ceiling,
                                                         unit="per hour")
    linux, windows = prices.get(REQUIRED_PRICE), prices["windows_hourly"]
    if linux is not None and windows is not None and windows < linux:
        problems.add(f"{where}: windows_hourly {windows:g} is below hourly {linux:g}; "
                     "the Windows price includes the Linux compute price plus the licence")
    basis = _check_basis(problems, where, entry.get("basis"))
    if problems.count > before:
        return None
    return CheckedSku(region, name, vcpu, memory, prices, basis)  # type: ignore[arg-type]


def _check_basis(problems: _Problems, where: str, value: object) -> dict[str, str]:
    """The optional per-price provenance: an object of price field -> a short non-empty text."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(f"{where}: basis is {_show(value)}, not an object of price field -> source")
        return {}
    fields = (REQUIRED_PRICE,) + OPTIONAL_PRICES
    out = {}
    for key, text in value.items():
        if key not in fields:
            problems.add(f"{where}: basis names {_show(key)}, not a price field ({', '.join(fields)})")
        elif not isinstance(text, str) or not text.strip() or len(text) > MAX_BASIS_TEXT:
            problems.add(f"{where}: basis of {key} is {_show(text)}, not a short non-empty string")
        else:
            out[key] = text
    return out


def _check_header(doc: dict[str, Any], problems: _Problems) -> tuple[str, str, bool, str]:
    currency = doc.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        problems.add(f"currency is {_show(currency)}, not a three-letter code in capitals such as 'EUR'")
        currency = ""
    day = doc.get("snapshot_date")
    try:
        if not isinstance(day, str):
            raise ValueError
        dt.date.fromisoformat(day)
    except ValueError:
        problems.add(f"snapshot_date is {_show(day)}, not a date (YYYY-MM-DD)")
        day = ""
    snapshot = doc.get("snapshot", False)
    if not isinstance(snapshot, bool):
        problems.add(f"snapshot is {_show(snapshot)}, not true or false")
        snapshot = False
    source = doc.get("source", "")
    if not isinstance(source, str):
        problems.add(f"source is {_show(source)}, not a string")
        source = ""
    return currency, day, snapshot, source


def check_document(text: str) -> tuple[Optional[CheckedDocument], list[str], int]:
    """The checked catalogue in `text`, or None with the problems found (at most MAX_PROBLEMS) and their count."""
    problems = _Problems()
    doc = _load_json(text, problems)
    if problems.count:
        return None, problems.items, problems.count
    if not isinstance(doc, dict):
        problems.add(f"the document is {type(doc).__name__}, not a JSON object")
        return None, problems.items, problems.count
    if doc.get("format") != CATALOG_FORMAT:
        problems.add(f"format is {_show(doc.get('format'))}, expected {CATALOG_FORMAT!r}")
        return None, problems.items, problems.count
    currency, day, snapshot, source = _check_header(doc, problems)
    scale = price_ceiling(currency)
    regions = _check_regions(doc, problems, scale)
    entries = doc.get("skus")
    skus: list[CheckedSku] = []
    if not isinstance(entries, list):
        problems.add(f"skus is {_show(entries)}, not a list")
        entries = []
    known = doc["regions"] if isinstance(doc.get("regions"), dict) else {}
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(entries):
        sku = _check_sku(index, entry, problems, scale)
        if sku is None:
            continue
        where = f"skus[{index}] ({_label(sku.region)} {_label(sku.name)})"
        key = (sku.region, sku.name)
        if key in seen:
            problems.add(f"{where}: the same region and name as skus[{seen[key]}]")
            continue
        seen[key] = index
        if sku.region not in known:
            problems.add(f"{where}: region {sku.region!r} is not in regions (it has no disk and egress prices)")
            continue
        skus.append(sku)
    if problems.count:
        return None, problems.items, problems.count
    return CheckedDocument(currency, day, snapshot, source, regions, skus), [], 0
