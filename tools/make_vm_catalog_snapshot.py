#!/usr/bin/env python3
"""Regenerate the prices of the shipped VM catalogue snapshot beyond Linux pay-as-you-go.

The snapshot's shapes, disk and egress prices, and its Linux pay-as-you-go prices (``hourly``)
where no real row exists, are the approximate list prices it has always carried. Where
``tools/derive_prices.py`` has put real Retail Prices API figures (a SKU's ``basis`` names
them ``retail-2026-08-20``), they are kept. Every other price is derived here from ``hourly``
with the published ratios below and marked ``approximation``, so each figure says what it is.
Deterministic: the same file in gives the same bytes out.

    python tools/make_vm_catalog_snapshot.py           # rewrite planner/data/azure_vm_catalog.json
    python tools/make_vm_catalog_snapshot.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "planner" / "data" / "azure_vm_catalog.json"

# Azure bills Windows VMs as the Linux rate plus a Windows Server licence per vCPU-hour:
# 0.046 USD for most sizes (a D2s v5 costs 0.092 USD an hour more on Windows), 0.008 USD on
# the burstable B-series. At the rate the snapshot's EUR prices imply (about 0.91), in EUR:
WINDOWS_LICENCE_VCPU_HOUR = 0.042
WINDOWS_LICENCE_VCPU_HOUR_BURSTABLE = 0.0073
BURSTABLE_FAMILIES = {"standardBSFamily"}

# Effective hourly price of each commitment as a share of Linux pay-as-you-go: typical of
# the general-purpose families' list prices (Dsv5: about -41% and -62% reserved, -28% and
# -52% on a savings plan). Applied alike to every family of the snapshot.
RATIOS = {
    "reserved_1y": 0.60,
    "reserved_3y": 0.40,
    "savings_plan_1y": 0.72,
    "savings_plan_3y": 0.48,
}

# The real rows tools/derive_prices.py reads: Retail Prices API, USD, converted to EUR at this rate.
RETAIL_DATE = "2026-08-20"
RETAIL_BASIS = f"retail-{RETAIL_DATE}"
APPROXIMATION = "approximation"
RETAIL_REGIONS = ("francecentral", "northeurope", "swedencentral", "westeurope")
USD_PER_EUR = 1.1739
RATE_NOTE = (f"1 EUR = {USD_PER_EUR} USD, the ECB euro reference rate as reported on 22 January 2026 "
             "(businessnovinite.bg/bg-biznes/kursat-na-dolara-za-22-januari-2026-g.html); the ECB rate of "
             f"{RETAIL_DATE} itself could not be established offline")
PRICE_FIELDS = ("hourly", "windows_hourly", "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y")

SOURCE = (
    f"Calibrated on real rows: in {', '.join(RETAIL_REGIONS)}, hourly (Linux pay-as-you-go), windows_hourly "
    f"(Windows pay-as-you-go) and savings_plan_1y are Azure Retail Prices API rows of {RETAIL_DATE} (USD, standard "
    f"tier, 'Virtual Machines' products) converted at {RATE_NOTE}. Each SKU's `basis` says per price which it is "
    f"({RETAIL_BASIS} or approximation). The rest: "
    "Approximate snapshot of Azure Retail Prices API list prices (prices.azure.com/api/retail/prices) joined "
    "with Azure resource SKU shapes, in EUR. hourly: Linux pay-as-you-go, type Consumption, no Windows, Spot or "
    "Low Priority rows. windows_hourly: hourly plus the Windows Server licence as Azure charges it per vCPU-hour "
    f"(about {WINDOWS_LICENCE_VCPU_HOUR} EUR, {WINDOWS_LICENCE_VCPU_HOUR_BURSTABLE} EUR on B-series). "
    "Commitments as effective hourly compute prices, a share of hourly: "
    f"reserved_1y x{RATIOS['reserved_1y']} (-40%), reserved_3y x{RATIOS['reserved_3y']} (-60%), "
    f"savings_plan_1y x{RATIOS['savings_plan_1y']} (-28%), savings_plan_3y x{RATIOS['savings_plan_3y']} (-52%), "
    "typical of general-purpose families. disk_gb_month is a Premium SSD P30 LRS disk per GiB-month, egress_gb "
    "the first paid internet-egress tier. Prices move: run `planner catalog refresh` for current ones."
)


def derived(sku: dict[str, Any]) -> dict[str, Any]:
    """The SKU entry with its Windows and commitment prices set from its Linux price, except real figures."""
    hourly, vcpu = float(sku["hourly"]), int(sku["vcpu"])
    burstable = sku.get("family") in BURSTABLE_FAMILIES
    licence = WINDOWS_LICENCE_VCPU_HOUR_BURSTABLE if burstable else WINDOWS_LICENCE_VCPU_HOUR
    basis = {key: sku.get("basis", {}).get(key, APPROXIMATION) for key in PRICE_FIELDS}
    out = dict(sku)
    if basis["windows_hourly"] == APPROXIMATION:
        out["windows_hourly"] = round(hourly + vcpu * licence, 4)
    for key, ratio in RATIOS.items():
        if basis[key] == APPROXIMATION:
            out[key] = round(hourly * ratio, 4)
    out["basis"] = basis
    return out


def render(doc: dict[str, Any]) -> str:
    """The snapshot document with every derived price and the source note regenerated."""
    new = dict(doc)
    new["skus"] = [derived(s) for s in sorted(doc["skus"], key=lambda s: (s["region"], s["name"]))]
    new["source"] = SOURCE
    new["snapshot"] = True
    return json.dumps(new, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the snapshot is not what this writes")
    args = parser.parse_args(argv)
    current = SNAPSHOT.read_text(encoding="utf-8")
    text = render(json.loads(current))
    if args.check:
        if text != current:
            print(f"{SNAPSHOT.relative_to(ROOT)} is stale: run python tools/make_vm_catalog_snapshot.py",
                  file=sys.stderr)
            return 1
        return 0
    sys.path.insert(0, str(ROOT))
    from planner.base.atomic_write import write_atomic
    from planner.domain.catalog import parse_catalog

    parse_catalog(text, str(SNAPSHOT))  # never ship what the planner could not read
    write_atomic(SNAPSHOT, text)
    print(f"wrote {SNAPSHOT.relative_to(ROOT)} ({len(json.loads(text)['skus'])} SKUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
