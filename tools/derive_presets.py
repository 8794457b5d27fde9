"""Derive planner/data/residency_presets.yaml from the real transfer-rule file.

    python tools/derive_presets.py /work/shared/realdata [--out planner/data/residency_presets.yaml]

GDPR and LGPD come from `compliance/gdpr_lgpd_transfer_rules.yaml` (EEA membership, the EU
adequacy list, the ANPD's recognition of the EU/EEA, dates and source URLs). That file says
nothing about the UK's own transfer rules, so the UK GDPR list is written below by hand with
its legal sources and marked as such. Countries are ISO 3166-1 alpha-2, as inventory zones
use. A jurisdiction whose adequacy covers only certified recipients (the US) is not allowed
outright: it is `conditional`, allowed only on sites that declare the certification.
The output is byte-for-byte reproducible (tests/test_presets.py checks it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import yaml

RULES = "compliance/gdpr_lgpd_transfer_rules.yaml"
OUT = Path(__file__).resolve().parent.parent / "planner" / "data" / "residency_presets.yaml"

# ISO 3166-1 alpha-3 -> alpha-2 for every code the rule file uses.
ISO3_TO_ISO2 = {
    "AUT": "AT", "BEL": "BE", "BGR": "BG", "HRV": "HR", "CYP": "CY", "CZE": "CZ", "DNK": "DK", "EST": "EE",
    "FIN": "FI", "FRA": "FR", "DEU": "DE", "GRC": "GR", "HUN": "HU", "IRL": "IE", "ITA": "IT", "LVA": "LV",
    "LTU": "LT", "LUX": "LU", "MLT": "MT", "NLD": "NL", "POL": "PL", "PRT": "PT", "ROU": "RO", "SVK": "SK",
    "SVN": "SI", "ESP": "ES", "SWE": "SE", "ISL": "IS", "LIE": "LI", "NOR": "NO", "AND": "AD", "ARG": "AR",
    "CAN": "CA", "FRO": "FO", "GGY": "GG", "ISR": "IL", "IMN": "IM", "JPN": "JP", "JEY": "JE", "NZL": "NZ",
    "KOR": "KR", "CHE": "CH", "GBR": "GB", "USA": "US", "URY": "UY", "BRA": "BR",
}
# Adequacy that covers only recipients certified under a framework: allowed on a site that declares it.
CERTIFIED_ONLY = {"USA": "DPF"}

# UK GDPR: not in the rule file. The UK's adequacy regulations (DPA 2018 s.17A, Schedule 21 para 4-5)
# recognise the EEA, Gibraltar and the EU adequacy decisions in force on 31 Dec 2020; since then the
# Republic of Korea (Data Protection (Adequacy) (Republic of Korea) Regulations 2022, in force 19 Dec 2022) and the US for organisations in the UK
# Extension to the EU-US Data Privacy Framework (SI 2023/1028, in force 12 Oct 2023).
UK_AS_OF = "2023-10-12"
UK_BY_HAND = ["GB", "GI", "AD", "AR", "CA", "CH", "FO", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "UY"]
UK_SCOPES = {"CA": "commercial organisations subject to PIPEDA only", "JP": "private sector under APPI + Supplementary Rules"}
UK_SOURCES = [
    "https://www.legislation.gov.uk/ukpga/2018/12/schedule/21",
    "https://www.legislation.gov.uk/uksi/2023/1028/contents/made",
    "https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/international-transfers/",
]

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_DAY = re.compile(r"(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (\d{4})")


def _day(text: str) -> str:
    """The one 'D Mon YYYY' date in `text`, as YYYY-MM-DD."""
    m = _DAY.search(text)
    if not m:
        raise SystemExit(f"{RULES}: no date like '27 Jan 2026' in {text!r}")
    return dt.date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1))).isoformat()


def _iso2(iso3: str) -> str:
    if iso3 not in ISO3_TO_ISO2:
        raise SystemExit(f"{RULES}: no alpha-2 code known for {iso3}; add it to ISO3_TO_ISO2")
    return ISO3_TO_ISO2[iso3]


def _sources(rules: dict, *words: str) -> list[str]:
    """The URLs of the rule file's sources whose description mentions any of `words`."""
    return [s["url"] for s in rules["sources"] if any(w.lower() in s["what"].lower() for w in words)]


def derive(rules: dict) -> dict[str, Any]:
    """The presets document from the parsed rule file."""
    eea = [_iso2(c) for c in rules["eea"]["eu_member_states"] + rules["eea"]["eea_non_eu"]]
    adequacy = rules["gdpr_adequacy"]
    brazil = next(a for a in adequacy if a["iso3"] == "BRA")
    gdpr_full = [_iso2(a["iso3"]) for a in adequacy if a["iso3"] not in CERTIFIED_ONLY]
    gdpr_scopes = {_iso2(a["iso3"]): a["scope"] for a in adequacy if a["scope"] != "full" and a["iso3"] not in CERTIFIED_ONLY}
    conditional = [{"country": _iso2(a["iso3"]), "certification": CERTIFIED_ONLY[a["iso3"]], "scope": a["scope"]}
                   for a in adequacy if a["iso3"] in CERTIFIED_ONLY]
    lgpd = rules["brazil_lgpd"]
    anpd = lgpd["adequacy_granted_by_brazil"][0]
    return {
        "format": "residency-presets/1",
        "presets": {
            "gdpr": {
                "title": "GDPR: the EEA plus the countries with an EU adequacy decision",
                "legal_basis": ("Regulation (EU) 2016/679, Chapter V: no transfer within the EEA; Art. 45 adequacy decisions. "
                                "Transfers elsewhere need SCCs/BCRs (Art. 46-47), which a preset does not cover."),
                "as_of": _day(brazil["adopted"]),
                "sources": _sources(rules, "adequacy list", "review of 11", "UK renewal to", "EU adequacy for Brazil published"),
                "allowed_countries": sorted(set(eea) | set(gdpr_full)),
                "scopes": dict(sorted(gdpr_scopes.items())),
                "conditional": conditional,
            },
            "lgpd": {
                "title": "LGPD: Brazil plus the countries the ANPD recognises as adequate",
                "legal_basis": (f"{lgpd['law']}; adequacy recognised by the ANPD: {anpd['entity']} ({anpd['instrument']}). "
                                "Transfers elsewhere need ANPD standard clauses or another Art. 33 ground, which a preset does not cover."),
                "as_of": _day(anpd["instrument"]),
                "sources": _sources(rules, "ANPD Resolution"),
                "allowed_countries": sorted({"BR"} | set(eea)),
                "scopes": {},
                "conditional": [],
            },
            "uk-gdpr": {
                "title": "UK GDPR: the UK plus the countries covered by UK adequacy regulations",
                "legal_basis": ("UK GDPR Art. 45 and Data Protection Act 2018 s.17A and Schedule 21: the EEA, Gibraltar, the EU adequacy "
                                "decisions in force on 31 Dec 2020, the Republic of Korea (2022) and the UK Extension to the EU-US DPF (2023). "
                                "Compiled by hand in tools/derive_presets.py, not from the realdata rule file."),
                "as_of": UK_AS_OF,
                "sources": UK_SOURCES,
                "allowed_countries": sorted(set(UK_BY_HAND) | set(eea)),
                "scopes": dict(sorted(UK_SCOPES.items())),
                "conditional": [{"country": "US", "certification": "DPF-UK",
                                 "scope": "only organisations certified under the UK Extension to the EU-US Data Privacy Framework"}],
            },
        },
    }


HEADER = """\
# Dated residency presets: the countries a data-protection law lets personal data go to.
# Generated by tools/derive_presets.py from {rules} (realdata, compiled December 2026 from public
# pages, secondary sources: verify against the regulator's own list before relying on it). Not legal advice.
# Edit the tool, not this file. Countries are ISO 3166-1 alpha-2. `conditional`: allowed only on a site
# whose `certifications` name the certification (adequacy that covers only certified recipients).
"""


def render(doc: dict[str, Any]) -> str:
    """The YAML text written to the package."""
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)
    return HEADER.format(rules=RULES) + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("realdata", type=Path, help="the realdata folder (holds compliance/)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rules = yaml.safe_load((args.realdata / RULES).read_text(encoding="utf-8"))
    text = render(derive(rules))
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.splitlines())} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
