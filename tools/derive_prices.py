"""Calibrate the shipped VM catalogue on real Azure Retail Prices API rows.

    python tools/derive_prices.py /work/shared/realdata

Reads ``prices/azure_vm_consumption_eu5_2026-08-20.csv`` (USD, five regions) and, for every SKU
and region of ``planner/data/azure_vm_catalog.json`` that has real rows, sets ``hourly`` (Linux
pay-as-you-go), ``windows_hourly`` (Windows pay-as-you-go) and ``savings_plan_1y`` (the Linux
row's 1-year savings plan) in EUR at ``USD_PER_EUR``, and marks them ``retail-2026-08-20`` in
the SKU's ``basis``. Then ``tools/make_vm_catalog_snapshot.py`` re-derives every other figure
(reservations, 3-year savings plans, other regions) as the documented approximation.

Rows: `tier` standard (no Spot, no Low Priority), `type` Consumption, hourly, and the current
product (`productName` starting "Virtual Machines": the same size is also sold as a legacy
"... Cloud Services" product at another price). Windows rows are those whose product ends in
"Windows". After that, one row per (region, size, OS) of the catalogue must remain (legacy sizes
outside it, such as Basic/Standard A0, have several); the tool stops otherwise.
belgiumcentral has rows but no disk or egress prices and no sample site: it is not added.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_vm_catalog_snapshot as snapshot

PRICES = "prices/azure_vm_consumption_eu5_2026-08-20.csv"
REAL_FIELDS = ("hourly", "windows_hourly", "savings_plan_1y")
Key = tuple[str, str, str]  # (region, armSkuName, os)


def real_rows(path: Path) -> dict[Key, list[dict[str, str]]]:
    """The standard-tier, current-product hourly rows per (region, size, OS)."""
    out: dict[Key, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if (row["tier"] != "standard" or row["type"] != "Consumption" or row["unitOfMeasure"] != "1 Hour"
                    or not row["productName"].startswith("Virtual Machines") or row["currencyCode"] != "USD"):
                continue
            os_ = "windows" if row["productName"].endswith("Windows") else "linux"
            out.setdefault((row["armRegionName"], row["armSkuName_derived"], os_), []).append(row)
    return out


def _one(rows: dict[Key, list[dict[str, str]]], key: Key) -> dict[str, str] | None:
    found = rows.get(key, [])
    if len(found) > 1:
        raise SystemExit(f"{PRICES}: {len(found)} standard rows for {key}: {', '.join(r['skuId'] for r in found)}")
    return found[0] if found else None


def _eur(usd: str) -> float:
    return round(float(usd) / snapshot.USD_PER_EUR, 6)


def calibrate(doc: dict, rows: dict[Key, list[dict[str, str]]]) -> tuple[dict, int]:
    """The catalogue with real figures put in where rows exist; how many SKU entries got them."""
    out = dict(doc)
    skus, real = [], 0
    for sku in doc["skus"]:
        sku = dict(sku)
        basis = dict(sku.get("basis", {}))
        linux = _one(rows, (sku["region"], sku["name"], "linux"))
        windows = _one(rows, (sku["region"], sku["name"], "windows"))
        figures = {}
        if linux is not None:
            figures["hourly"] = _eur(linux["retailPrice"])
            if linux["savingsPlan_1y_retailPrice"]:
                figures["savings_plan_1y"] = _eur(linux["savingsPlan_1y_retailPrice"])
        if windows is not None and linux is not None and float(windows["retailPrice"]) >= float(linux["retailPrice"]):
            figures["windows_hourly"] = _eur(windows["retailPrice"])
        for key in REAL_FIELDS:
            if key in figures:
                sku[key] = figures[key]
                basis[key] = snapshot.RETAIL_BASIS
            elif basis.get(key) == snapshot.RETAIL_BASIS:  # no longer backed by a row: back to the approximation
                basis[key] = snapshot.APPROXIMATION
        sku["basis"] = basis
        real += bool(figures)
        skus.append(sku)
    out["skus"] = skus
    return out, real


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("realdata", type=Path, help="the realdata folder (holds prices/)")
    ap.add_argument("--out", type=Path, default=snapshot.SNAPSHOT)
    args = ap.parse_args(argv)
    rows = real_rows(args.realdata / PRICES)
    regions = sorted({k[0] for k in rows})
    if tuple(r for r in regions if r in json.loads(snapshot.SNAPSHOT.read_text("utf-8"))["regions"]) != snapshot.RETAIL_REGIONS:
        raise SystemExit(f"the rows' catalogue regions are not RETAIL_REGIONS in make_vm_catalog_snapshot.py: {regions}")
    doc, real = calibrate(json.loads(snapshot.SNAPSHOT.read_text("utf-8")), rows)
    text = snapshot.render(doc)
    sys.path.insert(0, str(snapshot.ROOT))
    from planner.base.atomic_write import write_atomic
    from planner.domain.catalog import parse_catalog

    parse_catalog(text, str(args.out))  # never ship what the planner could not read
    write_atomic(args.out, text)
    print(f"wrote {args.out}: {real} of {len(doc['skus'])} SKU entries calibrated on {PRICES}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
