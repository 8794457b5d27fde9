"""Synthetic estates of any size, for benchmarks, demos and scale tests.

:func:`synth_yaml` streams one inventory document for ``workloads`` workloads, the same
bytes for the same ``(workloads, seed)`` on every machine and Python version. The estate
reads like a pan-European and Latin-American telco: metros with real coordinates and
fibre-like latencies, own data centres (one, in Slough, closing within the horizon),
Azure regions (catalogue-priced, plus cost-block ones where the catalogue has no
prices), 5G MEC edge sites, residency classes (GDPR, UK GDPR, LGPD, ENS, anonymised),
HA pairs, pins and dependencies.

Feasibility is built in rather than hoped for: every workload starts where all its
rules hold (current placement is a valid plan apart from the closing site), HA partners
sit on a second admissible site, the closing site's workloads can always move to Azure in
the same country, site capacities are sized from the workloads actually emitted (which
is why ``sites`` comes last), and the wave rules scale with the estate so that every move
group fits one wave.

The generator streams: memory stays flat however many workloads are asked for, and a
million workloads take seconds, not minutes.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Union

from planner.base.atomic_write import write_atomic

__all__ = ["synth_tables", "synth_to_file", "synth_yaml", "wave_rules_for"]

START = "2027-01-01"
HORIZON_MONTHS = 36
CLOSES = "2028-06-30"  # the Slough colocation contract ends 18 months in
CLOSING_SITE = "lon-dc1"
RAN_TO_METRO_MS = 6  # RAN aggregation to the metro core: above a UPF's 5 ms budget
_CHUNK_LINES = 4096

# metro id: (country, three-letter code, latitude, longitude)
_METROS: dict[str, tuple[str, str, float, float]] = {
    "madrid": ("ES", "mad", 40.42, -3.70), "barcelona": ("ES", "bcn", 41.39, 2.17),
    "valencia": ("ES", "vlc", 39.47, -0.38), "sevilla": ("ES", "svq", 37.39, -5.98),
    "bilbao": ("ES", "bio", 43.26, -2.93), "malaga": ("ES", "agp", 36.72, -4.42),
    "zaragoza": ("ES", "zaz", 41.65, -0.89), "lisbon": ("PT", "lis", 38.72, -9.14),
    "porto": ("PT", "opo", 41.15, -8.61), "paris": ("FR", "par", 48.86, 2.35),
    "marseille": ("FR", "mrs", 43.30, 5.37), "lyon": ("FR", "lys", 45.76, 4.84),
    "london": ("GB", "lon", 51.51, -0.13), "manchester": ("GB", "man", 53.48, -2.24),
    "cardiff": ("GB", "cwl", 51.48, -3.18), "birmingham": ("GB", "bhx", 52.49, -1.89),
    "edinburgh": ("GB", "edi", 55.95, -3.19), "dublin": ("IE", "dub", 53.35, -6.26),
    "amsterdam": ("NL", "ams", 52.37, 4.90), "brussels": ("BE", "bru", 50.85, 4.35),
    "frankfurt": ("DE", "fra", 50.11, 8.68), "berlin": ("DE", "ber", 52.52, 13.40),
    "munich": ("DE", "muc", 48.14, 11.58), "hamburg": ("DE", "ham", 53.55, 9.99),
    "dusseldorf": ("DE", "dus", 51.23, 6.78), "milan": ("IT", "mil", 45.46, 9.19),
    "rome": ("IT", "rom", 41.90, 12.50), "zurich": ("CH", "zrh", 47.37, 8.54),
    "vienna": ("AT", "vie", 48.21, 16.37), "warsaw": ("PL", "waw", 52.23, 21.01),
    "gavle": ("SE", "gvx", 60.67, 17.14), "stockholm": ("SE", "sto", 59.33, 18.07),
    "copenhagen": ("DK", "cph", 55.68, 12.57), "oslo": ("NO", "osl", 59.91, 10.75),
    "sao-paulo": ("BR", "sao", -23.55, -46.63), "campinas": ("BR", "cpq", -22.91, -47.06),
    "rio-de-janeiro": ("BR", "rio", -22.91, -43.17), "belo-horizonte": ("BR", "bhz", -19.92, -43.94),
    "brasilia": ("BR", "bsb", -15.79, -47.88), "curitiba": ("BR", "cwb", -25.43, -49.27),
    "porto-alegre": ("BR", "poa", -30.03, -51.23), "recife": ("BR", "rec", -8.05, -34.88),
    "mexico-city": ("MX", "mex", 19.43, -99.13), "queretaro": ("MX", "qro", 20.59, -100.39),
    "monterrey": ("MX", "mty", 25.69, -100.32), "guadalajara": ("MX", "gdl", 20.67, -103.35),
    "bogota": ("CO", "bog", 4.71, -74.07), "santiago": ("CL", "scl", -33.45, -70.67),
    "buenos-aires": ("AR", "bue", -34.60, -58.38), "lima": ("PE", "lim", -12.05, -77.04),
    "montevideo": ("UY", "mvd", -34.90, -56.16),
}
# The order in which metros join the estate as it grows (user locations).
_PRIORITY = (
    "madrid", "london", "frankfurt", "sao-paulo", "amsterdam", "dublin", "paris", "campinas", "barcelona",
    "cardiff", "gavle", "lisbon", "manchester", "berlin", "rio-de-janeiro", "mexico-city", "queretaro", "milan",
    "valencia", "munich", "brussels", "warsaw", "zurich", "bogota", "santiago", "sevilla", "porto", "hamburg",
    "vienna", "lima", "buenos-aires", "belo-horizonte", "brasilia", "lyon", "marseille", "stockholm",
    "copenhagen", "oslo", "curitiba", "porto-alegre", "recife", "monterrey", "bilbao", "rome", "edinburgh",
    "birmingham", "dusseldorf", "malaga", "guadalajara", "montevideo", "zaragoza",
)
# Where own data centres are opened, in order; every one has an HA partner within 25 ms.
_DC_METROS = (
    "madrid", "london", "sao-paulo", "frankfurt", "barcelona", "mexico-city", "manchester", "lisbon", "berlin",
    "rio-de-janeiro", "milan", "valencia", "munich", "santiago", "warsaw", "paris", "amsterdam", "sevilla",
    "hamburg", "brasilia", "belo-horizonte", "monterrey", "porto", "curitiba", "dublin", "bilbao", "birmingham",
    "rome", "zaragoza", "lyon", "marseille", "dusseldorf", "edinburgh", "guadalajara", "porto-alegre",
)
# Azure regions the shipped VM catalogue prices: (region, metro).
_AZURE_CATALOGUE = (
    ("spaincentral", "madrid"), ("westeurope", "amsterdam"), ("northeurope", "dublin"),
    ("germanywestcentral", "frankfurt"), ("uksouth", "london"), ("ukwest", "cardiff"),
    ("francecentral", "paris"), ("swedencentral", "gavle"), ("brazilsouth", "campinas"),
)
# Azure regions priced by a cost block (not in the catalogue), opened where we have a DC in the country.
_AZURE_RATED = {
    "IT": ("italynorth", "milan", "{vcpu_month: 20.5, memory_gb_month: 3.1, storage_gb_month: 0.125, egress_gb: 0.08}"),
    "PL": ("polandcentral", "warsaw", "{vcpu_month: 20.0, memory_gb_month: 3.0, storage_gb_month: 0.12, egress_gb: 0.08}"),
    "MX": ("mexicocentral", "queretaro", "{vcpu_month: 24.0, memory_gb_month: 3.5, storage_gb_month: 0.15, egress_gb: 0.1}"),
    "CL": ("chilecentral", "santiago", "{vcpu_month: 25.0, memory_gb_month: 3.6, storage_gb_month: 0.16, egress_gb: 0.1}"),
}
_EU = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
       "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")
_EU_ADEQUACY = ("AD", "AR", "CA", "CH", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "UY")
_POLICIES = """\
policies:
  - {id: gdpr, name: "GDPR: personal data of EU customers, in the EEA or an EU-adequate country", data_class: personal-eu, allowed_countries: [EEA, EU_ADEQUACY]}
  - {id: uk-gdpr, name: "UK GDPR: personal data of UK customers stays in GB (group policy)", data_class: personal-uk, allowed_countries: [GB]}
  - {id: lgpd, name: "LGPD: personal data of Brazilian customers stays in Brazil", data_class: personal-br, allowed_countries: [BR]}
  - {id: ens-high, name: "ENS high: Spanish public-sector data stays in Spain (sites certified ENS-high)", data_class: public-sector-es, allowed_countries: [ES]}
  - {id: anonymised, name: "Anonymised, aggregated data: any country the group operates in", data_class: anonymised, allowed_countries: [OPERATING]}
"""
# Residency class of an app's production data, by home country: (class or "", weight).
_DATA_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "ES": (("personal-eu", 0.5), ("public-sector-es", 0.08), ("anonymised", 0.12), ("", 0.3)),
    "GB": (("personal-uk", 0.6), ("anonymised", 0.1), ("", 0.3)),
    "BR": (("personal-br", 0.6), ("anonymised", 0.1), ("", 0.3)),
    "EU": (("personal-eu", 0.6), ("anonymised", 0.1), ("", 0.3)),
    "LATAM": (("anonymised", 0.3), ("", 0.7)),
}
# Per-role shape: (vCPU choices, memory GB per vCPU choices, storage GB low/high, p95 utilisation
# cpu lo/hi mem lo/hi, migration extras). Memory stays <= 256 GB except for the "big" roles, so
# that an Azure VM exists for everything that may have to leave the closing site.
_DB_EXTRA = (4000, 40)  # (migration_cost, migration_effort_hours)
_BULK_EXTRA = (2500, 24)
_ROLES: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, int], Optional[tuple[float, float, float, float]], tuple]] = {
    "web": ((2, 4, 4, 8), (2, 4), (50, 150), (0.1, 0.5, 0.3, 0.7), ""),
    "app": ((4, 8, 8, 16), (4, 4, 8), (100, 300), (0.15, 0.6, 0.35, 0.75), ""),
    "cache": ((4, 8), (8,), (50, 200), (0.1, 0.4, 0.5, 0.9), ""),
    "batch": ((8, 16, 32), (4,), (500, 2000), (0.5, 0.9, 0.4, 0.7), ""),
    "pay": ((4, 8), (4,), (100, 300), (0.2, 0.5, 0.3, 0.6), ""),
    "db": ((8, 16, 32, 32, 64), (4, 8), (1000, 10000), (0.3, 0.7, 0.65, 0.9), _DB_EXTRA),
    "store": ((8, 16), (8,), (10000, 40000), None, _BULK_EXTRA),
    "etl": ((8, 16, 32), (4,), (500, 3000), (0.4, 0.8, 0.3, 0.6), ""),
    "ml": ((16, 32), (8,), (500, 2000), (0.1, 0.5, 0.3, 0.7), ""),
    "api": ((4, 8), (4,), (50, 200), (0.1, 0.5, 0.3, 0.6), ""),
    "collector": ((2, 4), (2, 4), (100, 500), (0.2, 0.6, 0.3, 0.6), ""),
    "proc": ((8, 16), (4,), (200, 1000), (0.3, 0.8, 0.4, 0.7), ""),
    "tsdb": ((8, 16), (8,), (4000, 15000), (0.3, 0.6, 0.6, 0.9), _BULK_EXTRA),
    "upf": ((16, 24, 32), (2, 4), (100, 300), None, (3000, 24)),
    "amf": ((4, 8), (4,), (50, 200), (0.1, 0.4, 0.3, 0.6), ""),
    "smf": ((4, 8), (4,), (50, 200), (0.1, 0.4, 0.3, 0.6), ""),
    "nf": ((4, 8), (4,), (50, 200), (0.1, 0.4, 0.3, 0.6), ""),
    "udm": ((8,), (8,), (500, 2000), (0.3, 0.7, 0.65, 0.9), _DB_EXTRA),
    "lpar": ((32, 64), (8,), (20000, 60000), None, ""),
    "gw": ((4, 8), (4,), (50, 200), (0.1, 0.5, 0.3, 0.6), ""),
}
_BIG_ROLES = ("lpar",)
_MAX_APP = 60  # so that either move group of an app always fits one wave


def solver_settings_for(workloads: int) -> dict[str, object]:
    """Solver settings that fit the estate's size, so `planner plan` on a synthetic estate finishes as benchmarked.

    Up to 20k workloads: 60 s to a 0.01% gap; larger estates: 0.1%, with 5 minutes up to 200k
    and 30 minutes beyond (the benchmark's floors).
    """
    if workloads <= 20_000:
        return {"backend": "highs", "time_limit_s": 60, "gap": 0.0001}
    return {"backend": "highs", "time_limit_s": 300 if workloads <= 200_000 else 1800, "gap": 0.001}


def wave_rules_for(workloads: int) -> dict[str, int]:
    """The wave rules a synthetic estate of this size gets.

    The factory scales with the estate so the whole of it could move in about 20 waves
    (well inside the 36-month horizon, and the closing site's share in a few); every move
    group (at most 60 workloads and well under 1,000 effort hours) fits one wave.
    """
    max_workloads = max(60, -(-workloads // 16 // 10) * 10)
    return {
        "length_days": 30,
        "max_workloads": max_workloads,
        "max_effort_hours": max(1000, 12 * max_workloads),
        "first_wave_max_workloads": 20,
        "growth_per_wave": max(20, max_workloads // 4 // 10 * 10),
        "pilot_waves": 2,
    }


def _haversine_km(a: str, b: str) -> float:
    _, _, lat1, lon1 = _METROS[a]
    _, _, lat2, lon2 = _METROS[b]
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def _is_latam(metro: str) -> bool:
    return _METROS[metro][0] in ("BR", "MX", "CO", "CL", "AR", "PE", "UY")


# Measured round trips the distance formula gets wrong (fibre routes, sea cables).
_LATENCY_OVERRIDES = {
    ("barcelona", "madrid"): 8, ("frankfurt", "madrid"): 30, ("dublin", "london"): 12, ("madrid", "sao-paulo"): 190,
}


def metro_latency_ms(a: str, b: str) -> int:
    """Round-trip ms between two metros: fibre runs ~1.9x the great circle in Europe, ~2x in
    Latin America, and sea cables between the continents ~2.25x."""
    if a == b:
        return 1
    known = _LATENCY_OVERRIDES.get((a, b) if a < b else (b, a))
    if known is not None:
        return known
    km = _haversine_km(a, b)
    if _is_latam(a) != _is_latam(b):
        return max(1, round(km * 0.0225))
    return max(1, round(1 + km * (0.02 if _is_latam(a) else 0.019)))


@dataclass
class _Site:
    """A site being built: what it is and what the emitted workloads use of it."""

    id: str
    kind: str
    zone: str
    metro: str
    country: str
    name: str
    region: str = ""
    cost: str = ""
    certs: tuple[str, ...] = ()
    closes: str = ""
    headroom: float = 0.0  # 0: no capacity limit (Azure)
    use: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])


@dataclass
class _Tier:
    """One role of one app in one environment: `n` instances with a shared shape."""

    role: str
    env: str
    n: int
    vcpu: int
    mem: int
    storage: int
    sites: tuple[int, ...]  # site index per instance, cycled
    app: str = ""
    crit: str = ""
    data: tuple[str, ...] = ()
    users: tuple[tuple[str, int], ...] = ()  # (zone, max_latency_ms)
    requires: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    extra: tuple = ()  # (migration_cost, migration_effort_hours) or ()
    util: Optional[tuple[float, float, float, float]] = None
    ha: bool = False
    pin: bool = False
    cross: Optional[tuple[str, int]] = None  # (workload, traffic_gb_month): a dependency on another app, on the first instance
    deps: list[tuple["_Tier", bool, Optional[int], int]] = field(default_factory=list)  # (target, round-robin, ms, GB)
    first: int = 0  # number of the first instance's workload id


class _World:
    """The sites and zones of an estate of a given size, and the latency between zones."""

    def __init__(self, workloads: int, rng: random.Random):
        n_dc = max(4, min(60, -(-workloads // 25000) + 3))
        self.sites: list[_Site] = []
        dc_metros: list[str] = []
        count: dict[str, int] = {}
        for k in range(n_dc):
            metro = _DC_METROS[k % len(_DC_METROS)]
            country, code = _METROS[metro][:2]
            count[metro] = count.get(metro, 0) + 1
            site_id = f"{code}-dc{count[metro]}"
            # Fully loaded per-vCPU rates: a new DC undercuts Azure pay-as-you-go, an old one does not.
            vcpu = round(rng.uniform(15, 28) * (1.1 if country in ("BR", "MX", "CL") else 1.0), 1)
            cost = (f"{{vcpu_month: {vcpu}, memory_gb_month: {round(vcpu * rng.uniform(0.08, 0.1), 2)}, "
                    f"storage_gb_month: {round(rng.uniform(0.04, 0.09), 3)}, egress_gb: 0.01}}")
            certs = ("PCI-DSS", "ISO27001") + (("ENS-high",) if country == "ES" else ())
            closing = site_id == CLOSING_SITE
            # A quarter of the DCs are nearly full: the optimiser cannot pour work into them.
            headroom = rng.uniform(1.0, 1.04) if rng.random() < 0.25 else rng.uniform(1.05, 1.4)
            self.sites.append(_Site(site_id, "onprem", metro, metro, country,
                                    f"{metro.replace('-', ' ').title()} DC {count[metro]}" + (" (colocation, contract ends)" if closing else ""),
                                    cost=cost, certs=certs, closes=CLOSES if closing else "", headroom=headroom))
            dc_metros.append(metro)
        countries = {s.country for s in self.sites}
        for region, metro in _AZURE_CATALOGUE:
            country = _METROS[metro][0]
            certs = ("PCI-DSS", "ISO27001") + (("ENS-high",) if country == "ES" else ())
            cost = "{egress_gb: 0.02}" if region in ("spaincentral", "germanywestcentral") else ""  # ExpressRoute
            self.sites.append(_Site(f"az-{region}", "azure", metro, metro, country, f"Azure {region}", region=region,
                                    cost=cost, certs=certs))
        for country, (region, metro, cost) in sorted(_AZURE_RATED.items()):
            if country in countries:
                self.sites.append(_Site(f"az-{region}", "azure", metro, metro, country, f"Azure {region}",
                                        region=region, cost=cost, certs=("PCI-DSS", "ISO27001")))
        # 5G MEC pairs in the RAN zones of the first DC metros.
        self.edge_metros: list[str] = []
        for metro in dc_metros:
            if metro not in self.edge_metros and len(self.edge_metros) < max(3, min(8, n_dc // 3 + 1)):
                self.edge_metros.append(metro)
        self.mec: dict[str, tuple[int, int]] = {}
        for metro in self.edge_metros:
            country, code = _METROS[metro][:2]
            pair = []
            for k in (1, 2):
                vcpu = round(rng.uniform(38, 48), 1)
                pair.append(len(self.sites))
                self.sites.append(_Site(f"mec-{code}-{k}", "edge", f"{metro}-ran", metro, country,
                                        f"5G MEC {metro.replace('-', ' ').title()} {k}",
                                        cost=f"{{vcpu_month: {vcpu}, memory_gb_month: {round(vcpu / 10, 2)}, "
                                             f"storage_gb_month: 0.2, egress_gb: 0.0}}",
                                        certs=("ISO27001",), headroom=1.5))
            self.mec[metro] = (pair[0], pair[1])
        active = set(_PRIORITY[: max(11, round(6 * math.log10(workloads + 1)))]) | {s.metro for s in self.sites}
        self.metros = [m for m in _PRIORITY if m in active]
        self.by_country: dict[str, list[str]] = {}
        for m in self.metros:
            self.by_country.setdefault(_METROS[m][0], []).append(m)
        self.zones = self.metros + [f"{m}-ran" for m in self.edge_metros]
        self.dcs = list(range(n_dc))
        self.partner = {i: self._partner(i) for i in self.dcs}

    def zone_latency(self, a: str, b: str) -> int:
        """Round-trip ms between two zones (a RAN zone is 6 ms from its metro)."""
        ma, mb = a.removesuffix("-ran"), b.removesuffix("-ran")
        extra = (RAN_TO_METRO_MS if a.endswith("-ran") else 0) + (RAN_TO_METRO_MS if b.endswith("-ran") else 0)
        if ma == mb:
            return extra if extra else 1
        return metro_latency_ms(ma, mb) + extra

    def _partner(self, dc: int) -> int:
        """The HA partner of a DC: the nearest other non-closing DC or Azure site in the same
        country, else the nearest Azure site allowed for EU data."""
        home = self.sites[dc]
        best: tuple[int, int, str] = (10**9, 0, "")
        for i, s in enumerate(self.sites):
            if i == dc or s.kind == "edge" or s.closes:
                continue
            same = s.country == home.country
            if not same and not (home.country in _EU and s.country in _EU and s.kind == "azure"):
                continue
            key = (0 if same else 1000) + metro_latency_ms(home.metro, s.metro)
            if (key, i, s.id) < best:
                best = (key, i, s.id)
        assert best[2], f"no HA partner for {home.id}"
        return best[1]

    def country_group(self, country: str) -> str:
        if country in ("ES", "GB", "BR"):
            return country
        return "EU" if country in _EU or country in ("CH", "NO") else "LATAM"

    def header(self, workloads: int, seed: int) -> str:
        """Everything before the workloads: scenario, zones, latency, countries, policies."""
        waves = wave_rules_for(workloads)
        lines = [
            f"# Synthetic estate: {workloads} workloads, seed {seed} (planner synth). Sites come last:",
            "# their capacities are sized from the workloads above them.",
            "scenario:",
            f"  start: {START}",
            f"  horizon_months: {HORIZON_MONTHS}",
            "  currency: EUR",
            "  default_migration_cost: 800",
            "  default_migration_effort_hours: 8",
            "  comfort_factor: 1.3",
            "  intra_zone_ms: 1",
            "  waves: {" + ", ".join(f"{k}: {v}" for k, v in waves.items()) + "}",
            "  solver: {" + ", ".join(f"{k}: {v}" for k, v in solver_settings_for(workloads).items()) + "}",
            "zones:",
        ]
        for z in self.zones:
            metro = z.removesuffix("-ran")
            suffix = " 5G RAN" if z.endswith("-ran") else ""
            lines.append(f"  - {{id: {z}, country: {_METROS[metro][0]}, name: {metro.replace('-', ' ').title()}{suffix}}}")
        lines.append("latency_ms:")
        for i, a in enumerate(self.zones):
            for b in self.zones[i + 1:]:
                lines.append(f"  - [{a}, {b}, {self.zone_latency(a, b)}]")
        operating = sorted({_METROS[m][0] for m in self.metros} - set(_EU) - {"IS", "LI", "NO"})
        lines += [
            "countries:",
            f"  EU: [{', '.join(_EU)}]",
            "  EEA: [EU, IS, LI, NO]",
            f"  EU_ADEQUACY: [{', '.join(_EU_ADEQUACY)}]",
            f"  OPERATING: [EEA, {', '.join(operating)}]",
        ]
        return "\n".join(lines) + "\n" + _POLICIES + "workloads:\n"

    def sites_yaml(self) -> str:
        """The sites, with DC and edge capacities sized from what the workloads use."""
        lines = ["sites:"]
        for s in self.sites:
            parts = [f"id: {s.id}", f"name: \"{s.name}\"", f"kind: {s.kind}", f"zone: {s.zone}"]
            if s.region:
                parts.append(f"region: {s.region}")
            if s.headroom:
                vcpu, mem, sto = (u * s.headroom for u in s.use)
                if s.kind == "edge":  # room for one more UPF besides what runs there
                    vcpu, mem, sto = max(vcpu, s.use[0] + 32), max(mem, s.use[1] + 128), max(sto, s.use[2] + 1000)
                parts.append(f"capacity: {{vcpu: {_up(vcpu, 8)}, memory_gb: {_up(mem, 64)}, storage_gb: {_up(sto, 1000)}}}")
            if s.cost:
                parts.append(f"cost: {s.cost}")
            if s.certs:
                parts.append(f"certifications: [{', '.join(s.certs)}]")
            if s.closes:
                parts.append(f"closes: {s.closes}")
            lines.append("  - {" + ", ".join(parts) + "}")
        return "\n".join(lines) + "\n"


def _up(value: float, step: int) -> int:
    """`value` rounded up to a multiple of `step` (at least one step)."""
    return max(step, -(-int(math.ceil(value - 1e-9)) // step) * step)


_UTIL = [f"{k / 100:.2f}".rstrip("0").rstrip(".") for k in range(101)]


class _Builder:
    """Emits apps one after another, keeping only O(sites) state."""

    def __init__(self, workloads: int, seed: int):
        self.rng = random.Random(f"planner-synth/{workloads}/{seed}")
        self.total = workloads
        self.world = _World(workloads, self.rng)
        self.wid_width = max(6, len(str(workloads)))
        self.next_id = 1
        self.app_no = 0
        self.app_width = max(4, len(str(workloads // 20 + 1)))
        self.recent_api: dict[str, list[str]] = {}  # country group -> api workload ids of recent apps
        sites = self.world.sites
        self.dc_weights = [(0.5 if sites[i].closes else 1.0) * (2.0 if k < 4 else 1.0) for k, i in enumerate(self.world.dcs)]
        self.edge_dcs = [i for i in self.world.dcs if sites[i].metro in self.world.mec and not sites[i].closes]
        self.pinnable = [i for i in self.world.dcs if not sites[i].closes]

    # -- app sizes --------------------------------------------------------------
    def app_sizes(self) -> Iterator[int]:
        """App sizes summing to the total: 20-60 each, the last one absorbing a small remainder."""
        left = self.total
        while left > 0:
            if left <= _MAX_APP:
                size = left
            elif left < _MAX_APP + 20:
                size = left // 2
            else:
                size = self.rng.randint(20, _MAX_APP)
            left -= size
            yield size

    # -- one app ----------------------------------------------------------------
    def app(self, size: int) -> list["Row"]:
        """The workloads of one app of `size` workloads."""
        rng, world = self.rng, self.world
        self.app_no += 1
        app = f"a{self.app_no:0{self.app_width}d}"
        home = rng.choices(world.dcs, weights=self.dc_weights)[0]
        home_site = world.sites[home]
        partner = world.partner[home]
        group = world.country_group(home_site.country)
        data_cls = rng.choices([c for c, _ in _DATA_MIX[group]], weights=[w for _, w in _DATA_MIX[group]])[0]
        crit = rng.choices(("high", "medium", "low"), weights=(0.25, 0.5, 0.25))[0]
        measured = rng.random() < 0.75
        prod_n = size if size < 3 else max(1, round(size * rng.uniform(0.5, 0.7)))
        np_n = size - prod_n

        archetype = "web"
        r = rng.random()
        if prod_n >= 10 and r < 0.06 and home in self.edge_dcs:
            archetype = "5g"
        elif prod_n >= 8 and r < 0.09 and home in self.pinnable and data_cls != "public-sector-es":
            archetype = "mainframe"
        elif prod_n >= 6 and r < 0.30:
            archetype = "data"
        elif prod_n >= 6 and r < 0.40:
            archetype = "network"

        ens = data_cls == "public-sector-es"
        data = (data_cls,) if data_cls else ()
        requires = ("ENS-high",) if ens else ()
        users = self._users(home_site.metro)
        ctx = _AppCtx(app, crit, measured, data, requires, users, home, partner)

        prod = self._prod_tiers(archetype, prod_n, ctx)
        nonprod = self._nonprod_tiers(archetype, prod, np_n, ctx, data_cls)
        tiers = prod + nonprod
        for t in tiers:
            t.first = self.next_id
            self.next_id += t.n
        front = next((t for t in prod if t.role in ("app", "api", "gw", "nf", "proc")), None)
        if front is not None:
            self._cross_app(front, group)
        return [line for t in tiers for line in self._emit(t, ctx)]

    def _users(self, metro: str) -> tuple[tuple[str, int], ...]:
        """Users in the home metro and up to two more metros of its country, with budgets the home meets."""
        rng, world = self.rng, self.world
        budget = rng.choice((20, 30, 40, 60, 80))
        zones = [metro]
        others = [m for m in world.by_country.get(_METROS[metro][0], ()) if m != metro]
        for m in rng.sample(others, min(len(others), rng.choice((0, 1, 2)))):
            zones.append(m)
        return tuple((z, max(budget, world.zone_latency(metro, z) + 10)) for z in zones)

    def _shape(self, role: str, big: bool = False) -> tuple[int, int, int]:
        vcpus, ratios, (lo, hi), _, _ = _ROLES[role]
        vcpu = self.rng.choice(vcpus)
        mem = vcpu * self.rng.choice(ratios)
        if not big:
            mem = min(mem, 256)
        return vcpu, mem, self.rng.randint(lo // 10, hi // 10) * 10

    def _tier(self, ctx: "_AppCtx", role: str, env: str, n: int, sites: tuple[int, ...], *, data: Optional[tuple] = None,
              users: tuple = (), requires: Optional[tuple] = None, kinds: tuple = (), pin: bool = False, ha: bool = False,
              crit: Optional[str] = None, shape: Optional[tuple[int, int, int]] = None) -> _Tier:
        vcpu, mem, storage = shape or self._shape(role, big=role in _BIG_ROLES)
        util = _ROLES[role][3] if ctx.measured else None
        crit = crit or ctx.crit
        if requires is None:  # a tier holding the app's data needs the certifications that data needs
            requires = ctx.requires if data is None else ()
        return _Tier(role, env, n, vcpu, mem, storage, sites, app=ctx.app, crit=crit, data=ctx.data if data is None else data,
                     users=users, requires=requires, kinds=kinds, extra=_ROLES[role][4], util=util, ha=ha, pin=pin)

    def _prod_tiers(self, archetype: str, n: int, ctx: "_AppCtx") -> list[_Tier]:
        home, partner = ctx.home, ctx.partner
        world, rng = self.world, self.rng
        ha_ms = world.zone_latency(world.sites[home].zone, world.sites[partner].zone)
        pair = (home, partner)
        env = "prod"
        tiers: list[_Tier] = []

        def add(t: _Tier) -> _Tier:
            tiers.append(t)
            return t

        if archetype == "5g":
            mec = world.mec[world.sites[home].metro]
            ran = world.sites[mec[0]].zone
            kinds_edge = ("edge", "onprem")
            cp_ms = max(20, world.zone_latency(world.sites[partner].zone, ran) + 5)
            upf = add(self._tier(ctx, "upf", env, 2 if n < 16 else 4, mec, data=(),
                                 users=((ran, 5),), kinds=kinds_edge, ha=True))
            kinds_cp = ("onprem", "azure")
            amf = add(self._tier(ctx, "amf", env, 2, pair, data=(), kinds=kinds_cp, ha=True,
                                 users=((ran, cp_ms + 10),)))
            smf = add(self._tier(ctx, "smf", env, 2, pair, data=(), kinds=kinds_cp, ha=True))
            smf.deps += [(upf, True, cp_ms, 40), (amf, True, cp_ms + ha_ms, 20)]
            udm = add(self._tier(ctx, "udm", env, 2, pair, kinds=kinds_cp, ha=True))
            udm.deps.append((udm, False, max(40, ha_ms + 10), 300))
            rest = n - sum(t.n for t in tiers)
            if rest > 0:
                nf = add(self._tier(ctx, "nf", env, rest, (home,), data=(), kinds=kinds_cp))
                nf.deps.append((amf, False, max(30, ha_ms + 10), 10))
            return tiers

        if archetype == "mainframe":
            lpar = add(self._tier(ctx, "lpar", env, rng.randint(2, 4), (home,), kinds=("onprem",),
                                  pin=True, crit="high"))
            gw = add(self._tier(ctx, "gw", env, rng.randint(2, 4), (home,)))
            gw.deps.append((lpar, True, 2, 500))
            rest = n - lpar.n - gw.n
            if rest > 0:
                app = add(self._tier(ctx, "app", env, rest, (home,), users=ctx.users))
                app.deps.append((gw, True, 10, 200))
            return tiers

        # The common shape: an HA database pair, then the archetype's roles.
        db = None
        if n >= 5:
            db = add(self._tier(ctx, "db", env, 2, pair, ha=True))
            db.deps.append((db, False, max(40, ha_ms + 10), 600))  # the standby replicates from the primary
        left = n - (db.n if db else 0)
        if archetype == "data":
            store = add(self._tier(ctx, "store", env, max(1, left // 4), (home,)))
            left -= store.n
            ml = add(self._tier(ctx, "ml", env, max(1, left // 4), (home,)))
            ml.deps.append((store, True, 10, 2000))
            left -= ml.n
            api = add(self._tier(ctx, "api", env, max(1, left // 3), (home,), users=ctx.users))
            api.deps += [(store, False, 10, 100), (db, False, 5, 100)] if db else [(store, False, 10, 100)]
            left -= api.n
            if left > 0:
                etl = add(self._tier(ctx, "etl", env, left, (home,)))
                etl.deps.append((store, True, 10, 1500))
            return tiers
        if archetype == "network":
            metro = world.sites[home].metro
            zone = f"{metro}-ran" if metro in world.mec else metro
            coll = add(self._tier(ctx, "collector", env, max(1, left // 3), (home,), data=(),
                                  users=((zone, 20),)))
            left -= coll.n
            tsdb = add(self._tier(ctx, "tsdb", env, max(1, left // 3), (home,)))
            left -= tsdb.n
            if left > 0:
                proc = add(self._tier(ctx, "proc", env, left, (home,)))
                proc.deps += [(tsdb, True, 5, 2000), (coll, True, None, 500)]
                if db:
                    proc.deps.append((db, False, 5, 200))
            return tiers
        # web/app/db with optional payments, cache and batch
        if db and left >= 10 and ctx.data and rng.random() < 0.3:
            certs = ("ENS-high", "PCI-DSS") if ctx.requires else ("PCI-DSS",)
            pay = add(self._tier(ctx, "pay", env, 2, pair, requires=certs, ha=True))
            pay.deps.append((db, False, max(10, ha_ms + 5), 100))
            left -= 2
        cache = None
        if db and left >= 8:
            cache = add(self._tier(ctx, "cache", env, rng.randint(1, 2), (home,)))
            left -= cache.n
        if db and left >= 6:
            batch = add(self._tier(ctx, "batch", env, rng.randint(1, 3), (home,)))
            batch.deps.append((db, False, 10, 1000))
            left -= batch.n
        n_app = max(1, (left * 2 + 2) // 3)
        app = add(self._tier(ctx, "app", env, n_app, (home,), users=ctx.users))
        if db:
            app.deps.append((db, False, 5, 300))
        if cache:
            app.deps.append((cache, True, 5, 100))
        if left - n_app > 0:
            web = add(self._tier(ctx, "web", env, left - n_app, (home,), users=ctx.users))
            web.deps.append((app, True, 5, 100))
        return tiers

    def _nonprod_tiers(self, archetype: str, prod: list[_Tier], n: int, ctx: "_AppCtx", data_cls: str) -> list[_Tier]:
        """Smaller copies: per environment a database (or the anchor role) and compute that uses it."""
        if n <= 0:
            return []
        rng = self.rng
        envs = ("staging", "test", "dev") if n >= 6 else ("test",) if n >= 2 else ("dev",)
        anchor_role = {"mainframe": "lpar", "5g": "udm"}.get(archetype, "db")
        anchor = next((t for t in prod if t.role == anchor_role), None)
        compute = next((t for t in prod if t.role in ("app", "proc", "etl", "api", "nf", "gw")), prod[-1])
        # Developers and testers work from the home metro: test systems stay on their continent.
        devs = ((self.world.sites[ctx.home].metro, 100),)
        tiers: list[_Tier] = []
        per_env = [n // len(envs) + (1 if k < n % len(envs) else 0) for k in range(len(envs))]
        for env, count in zip(envs, per_env, strict=True):
            real = env == "staging" and (data_cls == "public-sector-es" or rng.random() < 0.2)
            if real:
                data, requires = ctx.data, ctx.requires
            else:  # masked copies of production data
                data, requires = (("anonymised",) if data_cls else ()), ()
            crit = "medium" if env == "staging" and ctx.crit == "high" else "low"
            base = None
            if anchor is not None and count >= 2:
                pin = anchor.role == "lpar"
                base = self._tier(ctx, anchor.role, env, 1, (ctx.home,), data=data, requires=requires, crit=crit,
                                  kinds=("onprem",) if pin else (), pin=pin,
                                  shape=_smaller(anchor))
                tiers.append(base)
                count -= 1
            t = self._tier(ctx, compute.role, env, count, (ctx.home,), data=data, users=devs,
                           requires=requires, crit=crit, shape=_smaller(compute))
            if base is not None:
                t.deps.append((base, False, 5 if base.role != "lpar" else 2, 20))
            tiers.append(t)
        return tiers

    def _cross_app(self, front: _Tier, group: str) -> None:
        """Now and then an app feeds on an earlier app of the same country group (a batch feed, no latency budget)."""
        recent = self.recent_api.setdefault(group, [])
        if recent and self.rng.random() < 0.3:
            target = self.rng.choice(recent)
            front.cross = (target, self.rng.choice((50, 200, 1000)))
        recent.append(f"w{front.first:0{self.wid_width}d}")
        if len(recent) > 50:
            del recent[0]

    def _emit(self, t: _Tier, ctx: "_AppCtx") -> Iterator["Row"]:
        """The workloads of one tier's instances."""
        rng, world, width = self.rng, self.world, self.wid_width
        sites = world.sites
        lo, hi = max(20, t.storage * 8 // 10), max(20, t.storage * 12 // 10)
        util = t.util
        for k in range(t.n):
            site = sites[t.sites[k % len(t.sites)]]
            storage = rng.randint(lo // 10, hi // 10) * 10
            use = site.use
            use[0] += t.vcpu
            use[1] += t.mem
            use[2] += storage
            cpu = mem = None
            if util is not None:
                cpu = _UTIL[int(100 * rng.uniform(util[0], util[1]))]
                mem = _UTIL[int(100 * rng.uniform(util[2], util[3]))]
            deps = []
            for target, rr, ms, gb in t.deps:
                if target is t:  # replica -> primary: only the second and later instances
                    if k == 0:
                        continue
                    j = target.first
                else:
                    j = target.first + (k % target.n if rr else 0)
                deps.append((f"w{j:0{width}d}", ms, gb))
            if k == 0 and t.cross:
                deps.append((t.cross[0], None, t.cross[1]))
            aa = f"{ctx.app}-{t.role}-ha" + (f"{k // 2 + 1}" if t.n > 2 else "") if t.ha and t.n >= 2 else None
            yield Row(f"w{t.first + k:0{width}d}", t, storage, cpu, mem, site.id, site.id if t.pin else None, tuple(deps), aa)


@dataclass(frozen=True)
class Row:
    """One synthetic workload: its tier's shared fields and its own."""

    id: str
    tier: _Tier
    storage_gb: int
    cpu_util: Optional[str]  # the utilisation as written ("0.35")
    mem_util: Optional[str]
    site: str
    pin: Optional[str]
    deps: tuple[tuple[str, Optional[int], int], ...]  # (workload, max_latency_ms, traffic_gb_month)
    anti_affinity: Optional[str]

    def yaml(self) -> str:
        """The workload as one flow-style line of the inventory's `workloads:` list."""
        t = self.tier
        parts = [f"  - {{id: {self.id}, app: {t.app}, env: {t.env}, criticality: {t.crit}, vcpu: {t.vcpu}, memory_gb: {t.mem}, "
                 f"storage_gb: {self.storage_gb}"]
        if self.cpu_util is not None:
            parts.append(f", cpu_util_p95: {self.cpu_util}, mem_util_p95: {self.mem_util}")
        parts.append(f", current_site: {self.site}")
        if t.data:
            parts.append(f", data: [{', '.join(t.data)}]")
        if t.users:
            parts.append(", users: [" + ", ".join(f"{{zone: {z}, max_latency_ms: {ms}}}" for z, ms in t.users) + "]")
        if t.requires:
            parts.append(f", requires: [{', '.join(t.requires)}]")
        if t.kinds:
            parts.append(f", allowed_kinds: [{', '.join(t.kinds)}]")
        if self.pin:
            parts.append(f", pin: {self.pin}")
        if self.deps:
            parts.append(", depends_on: [" + ", ".join(
                f"{{workload: {w}" + (f", max_latency_ms: {ms}" if ms is not None else "") + f", traffic_gb_month: {gb}}}"
                for w, ms, gb in self.deps) + "]")
        if self.anti_affinity:
            parts.append(f", anti_affinity: {self.anti_affinity}")
        if t.extra:
            parts.append(f", migration_cost: {t.extra[0]}, migration_effort_hours: {t.extra[1]}")
        parts.append("}")
        return "".join(parts)


@dataclass(frozen=True)
class _AppCtx:
    """What every tier of one app shares."""

    app: str
    crit: str
    measured: bool
    data: tuple[str, ...]
    requires: tuple[str, ...]
    users: tuple[tuple[str, int], ...]
    home: int
    partner: int


def _smaller(t: _Tier) -> tuple[int, int, int]:
    """A non-production copy's shape: half the vCPUs and memory, a third of the storage."""
    return max(2, t.vcpu // 2), max(4, t.mem // 2), max(20, t.storage // 3 // 10 * 10)


def synth_yaml(workloads: int, seed: int) -> Iterator[str]:
    """Yield the text of one synthetic inventory document, chunk by chunk.

    Deterministic for ``(workloads, seed)``; ``workloads`` >= 1. Joined, the chunks are a
    single YAML file that :func:`planner.loader.load_inventory` accepts and that has a
    feasible plan. Memory use does not grow with ``workloads``.
    """
    if workloads < 1:
        raise ValueError(f"workloads must be at least 1, got {workloads}")
    builder = _Builder(workloads, seed)
    yield builder.world.header(workloads, seed)
    buf: list[str] = []
    for size in builder.app_sizes():
        buf.extend(row.yaml() for row in builder.app(size))
        if len(buf) >= _CHUNK_LINES:
            buf.append("")
            yield "\n".join(buf)
            buf = []
    buf.append("")
    yield "\n".join(buf)
    yield builder.world.sites_yaml()


def synth_to_file(path: Union[str, os.PathLike[str]], workloads: int, seed: int) -> None:
    """Write :func:`synth_yaml` to `path` atomically: a temporary file beside it, then a rename."""
    write_atomic(Path(path), synth_yaml(workloads, seed))


_BLOCK_ROWS = 100_000


def synth_tables(folder: Union[str, os.PathLike[str]], workloads: int, seed: int, fmt: str = "parquet") -> list[Path]:
    """The same estate as :func:`synth_yaml` as an inventory folder: `topology.yaml` (zones, latency, countries,
    policies, sites, scenario) and `workloads`, `dependencies` and `users` tables in `fmt` (csv or parquet).

    Written block by block, each file atomically; memory stays flat however many workloads are asked for.
    """
    from planner.inputs.table_format import TableWriter

    if workloads < 1:
        raise ValueError(f"workloads must be at least 1, got {workloads}")
    out = Path(folder)
    builder = _Builder(workloads, seed)
    header = builder.world.header(workloads, seed)
    paths = {kind: out / f"{kind}.{fmt}" for kind in ("workloads", "dependencies", "users")}
    with TableWriter(paths["workloads"], "workloads") as wt, TableWriter(paths["dependencies"], "dependencies") as dt_, \
            TableWriter(paths["users"], "users") as ut:
        cols: dict[str, list] = {}
        deps: dict[str, list] = {}
        users: dict[str, list] = {}
        n = 0

        def flush() -> None:
            if cols:
                wt.write(cols)
            if deps:
                dt_.write(deps)
            if users:
                ut.write(users)
            for d in (cols, deps, users):
                d.clear()

        for size in builder.app_sizes():
            for row in builder.app(size):
                _table_row(row, cols, deps, users)
                n += 1
            if n >= _BLOCK_ROWS:
                flush()
                n = 0
        flush()
    topology = out / "topology.yaml"
    write_atomic(topology, header.removesuffix("workloads:\n") + builder.world.sites_yaml())
    return [topology, *paths.values()]


def _table_row(row: Row, cols: dict[str, list], deps: dict[str, list], users: dict[str, list]) -> None:
    t = row.tier
    values = {"id": row.id, "app": t.app, "env": t.env, "criticality": t.crit, "vcpu": t.vcpu, "memory_gb": t.mem,
              "storage_gb": row.storage_gb, "cpu_util_p95": float(row.cpu_util) if row.cpu_util is not None else None,
              "mem_util_p95": float(row.mem_util) if row.mem_util is not None else None, "current_site": row.site,
              "data": list(t.data) or None, "requires": list(t.requires) or None, "pin": row.pin,
              "allowed_kinds": list(t.kinds) or None, "anti_affinity": row.anti_affinity,
              "migration_cost": t.extra[0] if t.extra else None, "migration_effort_hours": t.extra[1] if t.extra else None}
    for k, v in values.items():
        cols.setdefault(k, []).append(v)
    for w, ms, gb in row.deps:
        deps.setdefault("workload", []).append(row.id)
        deps.setdefault("depends_on", []).append(w)
        deps.setdefault("max_latency_ms", []).append(ms)
        deps.setdefault("traffic_gb_month", []).append(gb)
    for z, ms in t.users:
        users.setdefault("workload", []).append(row.id)
        users.setdefault("zone", []).append(z)
        users.setdefault("max_latency_ms", []).append(ms)
