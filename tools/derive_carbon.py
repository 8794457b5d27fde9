"""Derive the shipped grid carbon-intensity tables from published data.

Usage: python tools/derive_carbon.py REALDATA_DIR

Reads, from REALDATA_DIR/carbon:
- codecarbon-3.3.2_global_energy_mix.json: per country (ISO 3166-1 alpha-3) the carbon intensity of its
  electricity in gCO2e/kWh and the year of that figure (Our World in Data / Ember, as shipped in the
  codecarbon 3.3.2 wheel, codecarbon/data/private_infra/global_energy_mix.json);
- azure_region_grid_intensity_derived.csv: each Azure region's country and, for the Nordic regions, its
  electricity bidding zone and that zone's factor (codecarbon 3.3.2 nordic_emissions.json, 2025);
and writes planner/data/grid_carbon.csv (country ISO 3166-1 alpha-2 -> gCO2e/kWh, plus the row `*`: the
generation-weighted mean of every country, for a country the table lacks) and
planner/data/azure_grid_carbon.csv (region -> gCO2e/kWh: its bidding zone's factor where it has one,
else its country's), each opening with `#` lines naming the source and date.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "planner" / "data"
MIX = "codecarbon-3.3.2_global_energy_mix.json"
REGIONS = "azure_region_grid_intensity_derived.csv"
MIX_SOURCE = ("Our World in Data / Ember electricity mix as shipped in codecarbon 3.3.2 (PyPI wheel, "
              "codecarbon/data/private_infra/global_energy_mix.json); figures for 2022 or 2023 as each row says")
ZONE_SOURCE = "codecarbon 3.3.2 private_infra/nordic_emissions.json (Nordic bidding zones, 2025)"
# ISO 3166-1 alpha-3 to alpha-2 for every country the mix covers.
ISO2 = dict(pair.split(":") for pair in """
ABW:AW AFG:AF AGO:AO ALB:AL ARE:AE ARG:AR ARM:AM ASM:AS ATG:AG AUS:AU AUT:AT AZE:AZ BDI:BI BEL:BE BEN:BJ BFA:BF
BGD:BD BGR:BG BHR:BH BHS:BS BIH:BA BLR:BY BLZ:BZ BMU:BM BOL:BO BRA:BR BRB:BB BRN:BN BTN:BT BWA:BW CAF:CF CAN:CA
CHE:CH CHL:CL CHN:CN CIV:CI CMR:CM COD:CD COG:CG COK:CK COL:CO COM:KM CPV:CV CRI:CR CUB:CU CYM:KY CYP:CY CZE:CZ
DEU:DE DJI:DJ DMA:DM DNK:DK DOM:DO DZA:DZ ECU:EC EGY:EG ERI:ER ESH:EH ESP:ES EST:EE ETH:ET FIN:FI FJI:FJ FLK:FK
FRA:FR FRO:FO GAB:GA GBR:GB GEO:GE GHA:GH GIB:GI GIN:GN GLP:GP GMB:GM GNB:GW GNQ:GQ GRC:GR GRD:GD GRL:GL GTM:GT
GUF:GF GUM:GU GUY:GY HKG:HK HND:HN HRV:HR HTI:HT HUN:HU IDN:ID IND:IN IRL:IE IRN:IR IRQ:IQ ISL:IS ISR:IL ITA:IT
JAM:JM JOR:JO JPN:JP KAZ:KZ KEN:KE KGZ:KG KHM:KH KIR:KI KNA:KN KOR:KR KWT:KW LAO:LA LBN:LB LBR:LR LBY:LY LCA:LC
LKA:LK LSO:LS LTU:LT LUX:LU LVA:LV MAC:MO MAR:MA MDA:MD MDG:MG MDV:MV MEX:MX MKD:MK MLI:ML MLT:MT MMR:MM MNE:ME
MNG:MN MOZ:MZ MRT:MR MSR:MS MTQ:MQ MUS:MU MWI:MW MYS:MY NAM:NA NCL:NC NER:NE NGA:NG NIC:NI NLD:NL NOR:NO NPL:NP
NRU:NR NZL:NZ OMN:OM PAK:PK PAN:PA PER:PE PHL:PH PNG:PG POL:PL PRI:PR PRK:KP PRT:PT PRY:PY PSE:PS PYF:PF QAT:QA
REU:RE ROU:RO RUS:RU RWA:RW SAU:SA SDN:SD SEN:SN SGP:SG SHN:SH SLB:SB SLE:SL SLV:SV SOM:SO SPM:PM SRB:RS SSD:SS
STP:ST SUR:SR SVK:SK SVN:SI SWE:SE SWZ:SZ SYC:SC SYR:SY TCA:TC TCD:TD TGO:TG THA:TH TJK:TJ TKM:TM TLS:TL TON:TO
TTO:TT TUN:TN TUR:TR TWN:TW TZA:TZ UGA:UG UKR:UA URY:UY USA:US UZB:UZ VCT:VC VEN:VE VGB:VG VIR:VI VNM:VN VUT:VU
WSM:WS YEM:YE ZAF:ZA ZMB:ZM ZWE:ZW
""".split())


def _g(x: float) -> str:
    return f"{round(x, 1):g}"


def main(realdata: Path) -> None:
    carbon = realdata / "carbon"
    mix = json.loads((carbon / MIX).read_text(encoding="utf-8"))
    missing = sorted(set(mix) - set(ISO2))
    if missing:
        raise SystemExit(f"countries without an alpha-2 code: {missing}")
    rows = sorted((ISO2[k], float(v["carbon_intensity"]), int(v["year"])) for k, v in mix.items())
    twh = {ISO2[k]: float(v.get("total_TWh") or 0.0) for k, v in mix.items()}
    world = sum(g * twh[c] for c, g, _ in rows) / sum(twh[c] for c, _, _ in rows)
    with (OUT / "grid_carbon.csv").open("w", newline="", encoding="utf-8") as f:
        f.write(f"# source: {MIX_SOURCE}\n# gco2_kwh: lifecycle gCO2e per kWh of the country's electricity; "
                "country `*`: the generation-weighted mean of every row, for a country not listed\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["country", "gco2_kwh", "year", "source"])
        w.writerow(["*", _g(world), max(y for _, _, y in rows), "generation-weighted mean of this table"])
        for country, g, year in rows:
            w.writerow([country, _g(g), year, "owid-ember"])
    by_country = {c: (g, y) for c, g, y in rows}
    with (carbon / REGIONS).open(newline="", encoding="utf-8") as f:
        regions = sorted(csv.DictReader(f), key=lambda r: r["armRegionName"])
    with (OUT / "azure_grid_carbon.csv").open("w", newline="", encoding="utf-8") as f:
        f.write(f"# source: per region its electricity bidding zone where Nordic ({ZONE_SOURCE}), else its country "
                f"({MIX_SOURCE})\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["region", "gco2_kwh", "year", "source"])
        for r in regions:
            country = ISO2[r["country_iso3"]]
            if r["bidding_zone_gco2_per_kwh"]:  # a zone named without a factor (denmarkeast, DK2) takes its country
                w.writerow([r["armRegionName"], _g(float(r["bidding_zone_gco2_per_kwh"])), r["bidding_zone_year"],
                            f"bidding-zone {r['bidding_zone']}"])
            else:
                g, year = by_country[country]
                w.writerow([r["armRegionName"], _g(g), year, f"country {country}"])
    print(f"wrote {len(rows)} countries and {len(regions)} Azure regions into {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
