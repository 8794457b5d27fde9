"""Derive the shipped Azure region and latency tables from Microsoft's published data.

Usage: python tools/derive_network.py REALDATA_DIR

Reads, from REALDATA_DIR:
- latency/azure_latency_p50_2026-07-30_matrix.csv and ..._p95_... : the round-trip latency matrices at
  the end of Microsoft's "Azure network round-trip latency statistics" article
  (MicrosoftDocs/azure-docs, articles/networking/azure-network-latency.md, ms.date 07/30/2026;
  30 days ending 2026-07-30); rows are the source region, columns the destination;
- regions/azure_regions.csv and regions/azure_regions_with_country_derived.csv: Azure's
  `az account list-locations` (Azure/terraform-azurerm-avm-utl-regions, cached 2026-03-12) with each
  physical region's country;
and writes planner/data/azure_regions.csv and planner/data/azure_latency.csv, each opening with `#`
lines that name the source and date. The inventory's latency is symmetric and the published matrix is
not (a few pairs differ by direction), so a pair's figure is the larger of its two directions: a
budget met at that figure is met both ways.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "planner" / "data"
LATENCY_SOURCE = ("Microsoft, Azure network round-trip latency statistics (learn.microsoft.com/azure/networking/"
                  "azure-network-latency), P50 and P95 over the 30 days ending 2026-07-30")
REGIONS_SOURCE = "Azure `az account list-locations` as cached by Azure/terraform-azurerm-avm-utl-regions, 2026-03-12"
# ISO 3166 alpha-3 to alpha-2, for the countries that hold an Azure region.
ISO2 = {
    "ARE": "AE", "AUS": "AU", "AUT": "AT", "BEL": "BE", "BRA": "BR", "CAN": "CA", "CHE": "CH", "CHL": "CL", "DEU": "DE",
    "DNK": "DK", "ESP": "ES", "FRA": "FR", "GBR": "GB", "HKG": "HK", "IDN": "ID", "IND": "IN", "IRL": "IE", "ISR": "IL",
    "ITA": "IT", "JPN": "JP", "KOR": "KR", "MEX": "MX", "MYS": "MY", "NLD": "NL", "NOR": "NO", "NZL": "NZ", "POL": "PL",
    "QAT": "QA", "SGP": "SG", "SWE": "SE", "USA": "US", "ZAF": "ZA", "TWN": "TW", "FIN": "FI", "GRC": "GR", "SAU": "SA",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _matrix(path: Path) -> dict[tuple[str, str], float]:
    """(source, destination) -> ms, by region name (display names lower-cased without spaces)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head = [_name(c) for c in rows[0][1:]]
    out: dict[tuple[str, str], float] = {}
    for row in rows[1:]:
        src = _name(row[0])
        for dst, cell in zip(head, row[1:]):
            if cell.strip() and src != dst:
                out[(src, dst)] = float(cell)
    return out


def _name(display: str) -> str:
    return display.strip().lower().replace(" ", "")


def main(realdata: Path) -> None:
    regions = {r["armRegionName"]: r for r in _rows(realdata / "regions" / "azure_regions.csv")}
    countries = {r["armRegionName"]: r["country_iso3_derived"]
                 for r in _rows(realdata / "regions" / "azure_regions_with_country_derived.csv")}
    p50 = _matrix(realdata / "latency" / "azure_latency_p50_2026-07-30_matrix.csv")
    p95 = _matrix(realdata / "latency" / "azure_latency_p95_2026-07-30_matrix.csv")
    missing = sorted({a for a, _ in p50} - set(regions))
    if missing:
        raise SystemExit(f"latency regions without a region row: {missing}")
    with (OUT / "azure_regions.csv").open("w", newline="", encoding="utf-8") as f:
        f.write(f"# source: {REGIONS_SOURCE}; country codes ISO 3166-1 alpha-2\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["region", "name", "country", "geography", "latitude", "longitude"])
        for name in sorted(regions):
            r = regions[name]
            w.writerow([name, r["displayName"], ISO2[countries[name]], r["geography"], r["latitude"], r["longitude"]])
    pairs = sorted({tuple(sorted(k)) for k in p50})
    with (OUT / "azure_latency.csv").open("w", newline="", encoding="utf-8") as f:
        f.write(f"# source: {LATENCY_SOURCE}\n# a pair's figure is the larger of its two directions (ms, round trip)\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["a", "b", "p50_ms", "p95_ms"])
        for a, b in pairs:
            w.writerow([a, b, _ms(max(p50.get((a, b), 0), p50.get((b, a), 0))), _ms(max(p95.get((a, b), 0), p95.get((b, a), 0)))])
    print(f"wrote {len(regions)} regions and {len(pairs)} region pairs into {OUT}")


def _ms(x: float) -> str:
    return f"{x:g}"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
