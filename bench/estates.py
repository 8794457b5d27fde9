"""Planted estates for the referee campaign: a second generator, built unlike planner/synth.py.

The geography is drawn per seed: continents of metros scattered on a plane, one to three zones per
metro, latency from distance with some pairs left out (no known path). A hidden placement is drawn
before any limit, and every limit is then set so that it holds: capacities cover its load, latency
budgets its latencies, data classes, certifications, pins, kinds and anti-affinity groups agree with
it. So each estate is feasible, and that placement's cost bounds the optimum from above.

Usage: python bench/estates.py N SEED OUT [--loose] [--format yaml|parquet|csv] [--sites S]

--format yaml (the default) writes OUT as one YAML file, as before. --format parquet or csv writes OUT as an
inventory folder in DESIGN.md's tabular format: `topology.yaml` (zones, latency, countries, policies, sites,
scenario) and `workloads.<fmt>`, `dependencies.<fmt>` and `users.<fmt>` (write_tables); the same estate as the
YAML file of the same arguments, field for field, loadable by `planner.load_inventory(OUT)` and
`planner validate OUT`. Tables are written 100,000 workloads at a time, each file renamed into place when whole.

Sites: --sites S keeps at most S sites (each continent's first own data centre and first Azure site, and others
drawn at random; fewer metros are drawn to match); --sites 0 keeps whatever the geography opens. Without --sites
the size rule `sites_for` applies: no cap below 500,000 workloads (every estate there is byte for byte what it
always was), 24 sites from 500,000 workloads up. A million-workload estate then has about 18 metros (users'
zones) and 24 sites whose own data centres and edge sites hold the planted load plus 0-3% on a binding resource
(the default, tight; --loose leaves 30-100%), so shared capacity binds: the optimum would pour more into the cheap growing data centres
than they hold (a 20,000-workload estate with --sites 24 plans with five data centres full on some resource).

Scale: a million workloads as Parquet take about 1.5 minutes and 1.1 GB (52 s of CPU). The per-workload draws go through
`_pick`/`_uniform`/`_weighted`, which take exactly the draws numpy's `choice`/`uniform` take from the same
stream (tests/test_bench_estates.py checks the equivalence), with per-site look-ups computed once.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import yaml

__all__ = ["Planted", "generate", "plant", "sites_for", "write_tables", "write_yaml"]

EU = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
      "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")
CONTINENTS: dict[str, tuple[str, ...]] = {
    "europe": ("ES", "FR", "DE", "NL", "IE", "IT", "PL", "SE", "PT", "BE", "AT", "DK", "FI", "GB", "CH", "NO"),
    "latam": ("BR", "AR", "CL", "PE", "CO", "MX", "UY"),
    "northam": ("US", "CA"),
    "apac": ("JP", "KR", "SG", "AU", "IN"),
}
# Regions the shipped VM catalogue prices, by country: catalogue-priced sites open only where that country was drawn.
CATALOGUE_REGIONS: dict[str, tuple[str, ...]] = {
    "ES": ("spaincentral",), "FR": ("francecentral",), "DE": ("germanywestcentral",), "IT": ("italynorth",),
    "PL": ("polandcentral",), "SE": ("swedencentral",), "GB": ("uksouth", "ukwest"), "IE": ("northeurope",),
    "NL": ("westeurope",), "BR": ("brazilsouth", "brazilsoutheast"), "MX": ("mexicocentral",), "CL": ("chilecentral",),
}
CERTIFICATIONS = ("ISO27001", "PCI-DSS", "SOC2", "C5", "ENS-high", "HDS", "TISAX", "NIS2")
VCPUS = (1, 2, 2, 4, 4, 4, 8, 8, 16, 32)
GB_PER_VCPU = (2, 4, 4, 8)
STORAGE = (0, 20, 50, 100, 250, 500, 1000, 4000)
NONPROD_ENVS = ("dev", "test", "uat")
# The one field a near-duplicate differs in from its original.
CLONE_FIELDS = ("vcpu", "memory_gb", "storage_gb", "os", "current_site", "migration_cost", "data", "users", "requires",
                "cpu_util_p95", "criticality", "depends_on")
RESOURCES = ("vcpu", "memory_gb", "storage_gb")
# The size rule for sites (sites_for): from LARGE workloads up, at most LARGE_SITES sites.
LARGE = 500_000
LARGE_SITES = 24
# DESIGN.md's "Tabular workloads": the list fields and the number fields of the three tables.
LIST_FIELDS = ("data", "requires", "allowed_kinds")
NUMBER_FIELDS = ("vcpu", "memory_gb", "storage_gb", "cpu_util_p95", "mem_util_p95", "migration_cost", "migration_effort_hours",
                 "max_latency_ms", "traffic_gb_month")


@dataclass(frozen=True)
class Planted:
    """An inventory (the YAML format of DESIGN.md, as a dict) and the hidden placement it was built around."""

    inventory: dict[str, Any]
    placement: dict[str, str]


@dataclass
class _Metro:
    id: str
    continent: str
    country: str
    x: float
    y: float
    zones: list[str]


@dataclass
class _Site:
    id: str
    kind: str
    zone: str
    metro: int
    role: str  # closing, shrinking, growing (own data centres), azure, catalogue, edge
    cost: Optional[dict[str, float]] = None
    region: Optional[str] = None
    certifications: list[str] = field(default_factory=list)
    closes: Optional[str] = None
    capacity: Optional[dict[str, float]] = None


@dataclass(slots=True)
class _W:
    id: str
    app: int
    env: str
    group: int
    home: int  # metro
    current: int  # site
    planted: int  # site
    vcpu: float
    memory_gb: float
    storage_gb: float
    criticality: str = "medium"
    cpu_util_p95: Optional[float] = None
    os: str = "linux"
    migration_cost: Optional[float] = None
    effort: Optional[float] = None
    data: list[str] = field(default_factory=list)
    users: list[tuple[str, float]] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    pin: Optional[str] = None
    kinds: Optional[list[str]] = None
    anti_affinity: Optional[str] = None
    deps: list[tuple[str, Optional[float], float]] = field(default_factory=list)
    base: Optional[int] = None  # a near-duplicate of this workload (index)
    clone_field: str = ""
    head: bool = False  # first of a chain: its users pin the chain down
    next: Optional[int] = None  # the next workload of its chain, which it depends on


def _ceil1(ms: float) -> float:
    """Round a latency budget up to 0.1 ms, never below what it must admit."""
    return math.ceil(round(ms * 10, 6)) / 10


class _Builder:
    def __init__(self, n: int, seed: int, tight: bool, sites: Optional[int] = None):
        self.n, self.tight, self.site_target = n, tight, sites
        self.rng = np.random.default_rng([seed, n, 2027])
        self._cache: dict[Any, Any] = {}  # per-workload look-ups that depend on a few keys only (no draws)
        self.metros: list[_Metro] = []
        self.lat: dict[tuple[str, str], float] = {}
        self.sites: list[_Site] = []
        self.ws: list[_W] = []
        self.groups: list[list[int]] = []  # move groups: indices into ws
        self.group_prod: list[bool] = []
        self.intra = float(self.rng.choice([0.5, 1.0, 1.0, 1.5]))

    # ---- draws --------------------------------------------------------------------------------------------
    # The hot loops draw through these: the same draws from the same stream as `rng.choice(seq)`,
    # `rng.uniform(lo, hi)` and `rng.choice(len(p), p=p)`, without numpy's per-call conversions, so the
    # estates stay byte for byte what they were while a million workloads take a minute or two.
    def _pick(self, seq: Any) -> Any:
        """`rng.choice(seq)` for a non-empty sequence (one bounded integer draw), as a Python value."""
        return seq[int(self.rng.integers(0, len(seq)))]

    def _uniform(self, lo: float, hi: float) -> float:
        """`rng.uniform(lo, hi)`: numpy computes `lo + (hi - lo) * next_double` too."""
        return lo + (hi - lo) * self.rng.random()

    def _weighted(self, key: Any, options: list[int], weights: Any) -> int:
        """`options[rng.choice(len(options), p=w / w.sum())]` with `weights()` computed once per `key`:
        numpy draws one double and looks it up in the normalised cumulative sum, as here."""
        cdf = self._cache.get(key)
        if cdf is None:
            w = np.asarray(weights(), dtype=float)
            p = w / w.sum()
            c = p.cumsum()
            c /= c[-1]
            cdf = self._cache[key] = c.tolist()
        return options[bisect.bisect_right(cdf, self.rng.random())]

    def _memo(self, key: Any, make: Any) -> Any:
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = make()
        return value

    # ---- geography ---------------------------------------------------------------------------------------
    def geography(self) -> None:
        r = self.rng
        names = ["europe"]
        if self.n >= 20 or r.random() < 0.5:
            names.append("latam")
        for extra in ("northam", "apac"):
            if self.n >= 100 and r.random() < 0.4:
                names.append(extra)
        centres: list[tuple[float, float]] = []
        while len(centres) < len(names):  # continents at least 4,000 km apart
            c = (float(r.uniform(0, 20000)), float(r.uniform(0, 10000)))
            if all(math.dist(c, d) > 4000 for d in centres):
                centres.append(c)
        total = int(np.clip(round(4 + math.sqrt(self.n) / 4 + r.integers(-1, 2)), 3, 30))
        if self.site_target:  # about 1.5 sites a metro before trimming: a few more metros than sites/1.5
            total = min(total, max(3, math.ceil(self.site_target * 0.75)))
        share = np.array([3.0] + [1.0 + r.random() for _ in names[1:]])
        counts = np.maximum(1, np.floor(share / share.sum() * total)).astype(int)
        for k, name in enumerate(names):
            pool = CONTINENTS[name]
            n_c = min(len(pool), max(1, int(counts[k]) // 2 + 1))
            countries = [str(c) for c in r.choice(pool, size=n_c, replace=False)]
            if name == "europe" and "GB" not in countries and r.random() < 0.8:
                countries[-1] = "GB"
            if name == "latam" and "BR" not in countries:
                countries[0] = "BR"
            spread = float(r.uniform(300, 1500))
            for m in range(int(counts[k])):
                country = countries[m] if m < len(countries) else str(r.choice(countries))
                mid = f"{country.lower()}{len(self.metros):02d}"
                n_z = int(r.choice([1, 1, 1, 2, 2, 3]))
                self.metros.append(_Metro(mid, name, country, centres[k][0] + float(r.normal(0, spread)),
                                          centres[k][1] + float(r.normal(0, spread)), [f"{mid}-{'abc'[z]}" for z in range(n_z)]))
        p_far, p_near = float(r.uniform(0, 0.35)), float(r.uniform(0, 0.08))
        for i, a in enumerate(self.metros):
            for z1 in range(len(a.zones)):
                for z2 in range(z1 + 1, len(a.zones)):
                    self._link(a.zones[z1], a.zones[z2], float(r.uniform(0.4, 2.5)))
            for b in self.metros[i + 1:]:
                far = a.continent != b.continent
                if r.random() < (p_far if far else p_near):
                    continue  # no known path between these metros
                base = (40.0 if far else 1.0) + math.dist((a.x, a.y), (b.x, b.y)) / 100 * float(r.uniform(1.0, 1.8))
                for za in a.zones:
                    for zb in b.zones:
                        self._link(za, zb, base + float(r.uniform(0, 1.0)))

    def _link(self, a: str, b: str, ms: float) -> None:
        self.lat[(a, b)] = self.lat[(b, a)] = round(ms, 1)

    def latency(self, a: str, b: str) -> float:
        return self.intra if a == b else self.lat.get((a, b), math.inf)

    def site_latency(self, s: int, t: int) -> float:
        return self.latency(self.sites[s].zone, self.sites[t].zone)

    def dist(self, m1: int, m2: int) -> float:
        a, b = self.metros[m1], self.metros[m2]
        return math.dist((a.x, a.y), (b.x, b.y))

    # ---- sites -------------------------------------------------------------------------------------------
    def make_sites(self) -> None:
        r = self.rng
        for k, m in enumerate(self.metros):
            for z in m.zones:
                if r.random() < (0.55 if z == m.zones[0] else 0.25):
                    self._site(f"dc-{z}", "onprem", k, str(r.choice(["growing", "growing", "shrinking"])), zone=z)
                if r.random() < 0.3:
                    self._site(f"edge-{z}", "edge", k, "edge", zone=z)
            if r.random() < 0.5:
                self._site(f"az-{m.id}", "azure", k, "azure")
        for cont in dict.fromkeys(m.continent for m in self.metros):
            here = [k for k, m in enumerate(self.metros) if m.continent == cont]
            if not any(self.metros[s.metro].continent == cont and s.kind == "onprem" for s in self.sites):
                k = int(r.choice(here))
                self._site(f"dc-{self.metros[k].zones[0]}", "onprem", k, "growing", zone=self.metros[k].zones[0])
            if not any(self.metros[s.metro].continent == cont and s.role == "azure" for s in self.sites):
                k = int(r.choice(here))
                self._site(f"az-{self.metros[k].id}", "azure", k, "azure")
        for country, regions in CATALOGUE_REGIONS.items():
            where = [k for k, m in enumerate(self.metros) if m.country == country]
            for region in regions:
                if where and r.random() < 0.5:
                    self._site(f"az-{region}", "azure", int(r.choice(where)), "catalogue", region=region)
        if self.site_target and len(self.sites) > self.site_target:
            self._trim(self.site_target)
        dcs = [j for j, s in enumerate(self.sites) if s.kind == "onprem"]
        # A data centre closes: the planted placement leaves it, so a workload may never stay there.
        for j in r.choice(dcs, size=1 if len(dcs) < 4 or r.random() < 0.8 else 2, replace=False).tolist():
            self.sites[j].role = "closing"
        self.sites.sort(key=lambda s: s.id)

    def _trim(self, target: int) -> None:
        """Keep `target` sites: each continent's first own data centre and first Azure site (every workload keeps
        somewhere to run and to go), and others drawn at random."""
        must: list[int] = []
        for cont in dict.fromkeys(m.continent for m in self.metros):
            for role in ("onprem", "azure"):
                here = [j for j, s in enumerate(self.sites) if self.continent_of(j) == cont
                        and (s.kind == "onprem" if role == "onprem" else s.role == "azure")]
                if here:
                    must.append(here[0])
        rest = [j for j in range(len(self.sites)) if j not in must]
        extra = max(0, target - len(must))
        keep = set(must) | {rest[k] for k in self.rng.choice(len(rest), size=min(extra, len(rest)), replace=False).tolist()}
        self.sites = [s for j, s in enumerate(self.sites) if j in keep]

    def _site(self, sid: str, kind: str, metro: int, role: str, zone: Optional[str] = None, region: Optional[str] = None) -> None:
        r = self.rng
        if any(s.id == sid for s in self.sites):
            return
        zone = zone or str(r.choice(self.metros[metro].zones))
        n_cert = {"onprem": (1, 4), "azure": (3, 6), "edge": (0, 2)}[kind]
        certs = sorted(str(c) for c in r.choice(CERTIFICATIONS, size=int(r.integers(n_cert[0], n_cert[1] + 1)), replace=False))
        cost = None
        if role != "catalogue":
            cheap = 0.6 if role == "growing" else 1.0
            vcpu, mem, sto, egress = {"onprem": ((10, 24), (0.8, 2.4), (0.015, 0.06), (0.0, 0.02)),
                                      "azure": ((15, 32), (1.5, 3.5), (0.04, 0.14), (0.02, 0.12)),
                                      "edge": ((28, 45), (3.0, 5.5), (0.1, 0.25), (0.0, 0.03))}[kind]
            cost = {"vcpu_month": round(float(r.uniform(*vcpu)) * cheap, 2), "memory_gb_month": round(float(r.uniform(*mem)) * cheap, 3),
                    "storage_gb_month": round(float(r.uniform(*sto)), 4)}
            if kind != "onprem" or r.random() < 0.3:
                cost["egress_gb"] = round(float(r.uniform(*egress)), 3)
            if r.random() < 0.4:
                cost["windows_vcpu_month"] = round(float(r.uniform(2, 9)), 2)
        self.sites.append(_Site(sid, kind, zone, metro, role, cost, region, certs))

    def continent_of(self, s: int) -> str:
        return self.metros[self.sites[s].metro].continent

    def country_of(self, s: int) -> str:
        return self.metros[self.sites[s].metro].country

    # ---- workloads ---------------------------------------------------------------------------------------
    def skeleton(self) -> None:
        """Apps, move groups, sizes, current and planted sites; near-duplicates are reserved as slots."""
        r = self.rng
        app = 0
        while len(self.ws) < self.n:
            app += 1
            home = int(r.integers(len(self.metros)))
            crit = self._pick(("low", "medium", "medium", "high"))
            n_prod = min(int(r.geometric(0.3)), 15) if self.n >= 20 else int(r.integers(1, 4))
            n_non = self._pick((0, 0, 1, 2, 3, 5)) if self.n >= 20 else int(r.integers(0, 2))
            for prod, size in ((False, n_non), (True, n_prod)):
                size = min(size, self.n - len(self.ws))
                if size <= 0:
                    continue
                env = "prod" if prod else self._pick(NONPROD_ENVS)
                g = len(self.groups)
                members: list[int] = []
                for k in range(size):
                    i = len(self.ws)
                    bases = [m for m in members if self.ws[m].base is None]
                    if bases and r.random() < 0.3:  # a near-duplicate of an earlier workload of the group
                        b = self._pick(bases)
                        w = _W(f"a{app:04d}.{env}.{k:02d}", app, env, g, home, self.ws[b].current, self.ws[b].planted,
                               self.ws[b].vcpu, self.ws[b].memory_gb, self.ws[b].storage_gb, base=b)
                    else:
                        w = self._fresh(f"a{app:04d}.{env}.{k:02d}", app, env, g, home, crit)
                    self.ws.append(w)
                    members.append(i)
                self.groups.append(members)
                self.group_prod.append(prod)

    def _fresh(self, wid: str, app: int, env: str, g: int, home: int, crit: str) -> _W:
        r, pick = self.rng, self._pick
        cont = self.metros[home].continent
        dcs = self._memo(("dcs", cont), lambda: [j for j, s in enumerate(self.sites) if s.kind == "onprem" and self.continent_of(j) == cont])
        if r.random() < 0.08:
            dcs = self._memo(("azure", cont), lambda: [j for j, s in enumerate(self.sites) if s.role == "azure"
                                                       and self.continent_of(j) == cont]) or dcs
        current = self._near(dcs, home, 800)
        vcpu = float(pick(VCPUS))
        w = _W(wid, app, env, g, home, current, current, vcpu, vcpu * float(pick(GB_PER_VCPU)), float(pick(STORAGE)),
               criticality=crit if r.random() < 0.85 else pick(("low", "medium", "high")))
        if r.random() < 0.5:
            w.cpu_util_p95 = round(self._uniform(0.05, 0.95), 2)
        if r.random() < 0.2:
            w.os = "windows"
        if r.random() < 0.6:
            w.migration_cost = float(pick((0, 100, 250, 400, 800, 1500, 3000)))
        if r.random() < 0.5:
            w.effort = float(pick((2, 4, 8, 16, 40)))
        w.planted = self._target(w)
        return w

    def _near(self, sites: list[int], metro: int, scale: float) -> int:
        return int(self._weighted(("near", tuple(sites), metro, scale), sites,
                                  lambda: [math.exp(-self.dist(self.sites[j].metro, metro) / scale) + 1e-6 for j in sites]))

    def targets(self, w: _W) -> list[int]:
        """Sites the hidden placement may use for `w`: its continent's rate-priced sites that stay open, and
        a shrinking data centre only for what already runs there (it takes no one new)."""
        cont = self.metros[w.home].continent
        key = ("targets", cont, w.current if self.sites[w.current].role == "shrinking" else -1, w.vcpu > 8)
        return self._memo(key, lambda: self._targets(cont, w))

    def _targets(self, cont: str, w: _W) -> list[int]:
        out = []
        for j, s in enumerate(self.sites):
            if self.continent_of(j) != cont or s.role in ("closing", "catalogue"):
                continue
            if s.role == "shrinking" and j != w.current:
                continue
            if s.kind == "edge" and w.vcpu > 8:
                continue
            out.append(j)
        return out

    def _target(self, w: _W) -> int:
        here = self.sites[w.current]
        if here.role in ("growing", "shrinking", "azure") and self.rng.random() < (0.7 if here.role == "shrinking" else 0.45):
            return w.current
        options = self.targets(w)
        kind_weight = {"onprem": 3, "azure": 2, "edge": 0.5}
        return int(self._weighted(("target", id(options), w.home), options, lambda: np.array(
            [math.exp(-self.dist(self.sites[j].metro, w.home) / 600) * kind_weight[self.sites[j].kind] for j in options]) + 1e-9))

    def chains_and_pairs(self) -> None:
        """Dependency chains planted on nearby sites (tight budgets cascade), and anti-affinity groups on distinct sites."""
        r = self.rng
        for g, members in enumerate(self.groups):
            solo = [m for m in members if self.ws[m].base is None and not any(self.ws[c].base == m for c in members)]
            if len(solo) >= 3 and r.random() < (0.45 if self.tight else 0.25):
                chain = solo[:int(r.integers(3, min(5, len(solo)) + 1))]
                for a, b in zip(chain, chain[1:]):
                    wa, wb = self.ws[a], self.ws[b]
                    near = sorted((self.site_latency(wa.planted, j), self.sites[j].id, j) for j in self.targets(wb))
                    near = [t for t in near if t[0] < math.inf][:3]
                    if near:
                        wb.planted = near[int(r.integers(len(near)))][2]
                    wa.next = b
                self.ws[chain[0]].head = True
                solo = [m for m in solo if m not in chain]
            if len(solo) >= 2 and r.random() < 0.3:
                pair = [int(m) for m in r.choice(solo, size=min(len(solo), int(r.integers(2, 4))), replace=False)]
                used: set[int] = set()
                for m in sorted(pair):
                    w = self.ws[m]
                    if w.planted in used:
                        free = [j for j in self.targets(w) if j not in used]
                        if not free:
                            break
                        w.planted = self._near(free, w.home, 600)
                    used.add(w.planted)
                else:
                    for m in pair:
                        self.ws[m].anti_affinity = f"a{self.ws[m].app:04d}-ha{g}"

    def derive(self, policies: list[dict[str, Any]], groups: dict[str, list[str]]) -> None:
        """Needs that the planted site meets: data classes, users, certifications, pins and kinds."""
        r = self.rng
        allowed = _allowed_classes(policies, groups)
        zones_of = {cont: [z for m in self.metros if m.continent == cont for z in m.zones] for cont in CONTINENTS}
        pick_one, uniform = self._pick, self._uniform
        for w in self.ws:
            if w.base is not None:
                continue
            site = self.sites[w.planted]
            country = self.country_of(w.planted)
            ok = self._memo(("ok", country), lambda: [c for c, countries in allowed.items() if country in countries])
            pick = r.random()
            if ok and pick < 0.55:
                # One of `ok` without replacement is one bounded draw, as `rng.choice(ok)` (numpy's Floyd sampling).
                w.data = [pick_one(ok)] if pick < 0.45 or len(ok) < 2 else sorted({str(c) for c in r.choice(ok, size=2, replace=False)})
            for _ in range(max(int(w.head), pick_one((0, 0, 1, 1, 2)))):
                zones = self._memo(("zones", self.metros[w.home].continent, site.zone), lambda: [
                    z for z in zones_of[self.metros[w.home].continent] if self.latency(site.zone, z) < math.inf])
                near = site.kind == "edge" or w.head or r.random() < 0.3
                zone = pick_one(self.metros[site.metro].zones) if near else pick_one(zones)
                slack = uniform(0, 2) if (self.tight or near) else uniform(3, 25)
                if zone not in (u[0] for u in w.users):
                    w.users.append((zone, _ceil1(self.latency(site.zone, zone) + slack)))
            if site.certifications and r.random() < 0.25:
                k = min(len(site.certifications), int(r.integers(1, 3)))
                w.requires = [pick_one(site.certifications)] if k == 1 else \
                    sorted(str(c) for c in r.choice(site.certifications, size=k, replace=False))
            if r.random() < 0.02:
                w.pin = site.id
            if r.random() < 0.08:
                w.kinds = sorted({site.kind, pick_one(("onprem", "azure", "edge"))})

    def clones(self, policies: list[dict[str, Any]], groups: dict[str, list[str]]) -> None:
        """Each near-duplicate copies its original and changes exactly one field, keeping the planted site admissible."""
        r = self.rng
        allowed = _allowed_classes(policies, groups)
        for w in self.ws:
            if w.base is None:
                continue
            b = self.ws[w.base]
            for name in ("current", "planted", "vcpu", "memory_gb", "storage_gb", "criticality", "cpu_util_p95", "os",
                         "migration_cost", "effort", "pin", "anti_affinity"):
                setattr(w, name, getattr(b, name))
            w.data, w.users, w.requires, w.kinds = list(b.data), list(b.users), list(b.requires), b.kinds and list(b.kinds)
            site = self.sites[w.planted]
            country = self.country_of(w.planted)
            for name in [CLONE_FIELDS[k] for k in r.permutation(len(CLONE_FIELDS)).tolist()]:  # = r.permutation(CLONE_FIELDS)
                if self._mutate(w, b, name, site, country, allowed):
                    w.clone_field = name
                    break

    def _mutate(self, w: _W, b: _W, name: str, site: _Site, country: str, allowed: dict[str, set[str]]) -> bool:
        r = self.rng
        if name == "vcpu":
            w.vcpu = float(self._pick([v for v in VCPUS if v != b.vcpu and (site.kind != "edge" or v <= 8)]))
        elif name == "memory_gb":
            w.memory_gb = b.memory_gb * 2 if b.memory_gb <= 256 else b.memory_gb / 2
        elif name == "storage_gb":
            w.storage_gb = float(self._pick([s for s in STORAGE if s != b.storage_gb]))
        elif name == "os":
            w.os = "windows" if b.os == "linux" else "linux"
        elif name == "current_site":
            cont = self.metros[w.home].continent
            other = [j for j, s in enumerate(self.sites) if s.kind == "onprem" and self.continent_of(j) == cont and j != b.current
                     and not (s.role == "shrinking" and j == w.planted)]
            if not other or (self.sites[b.current].role == "shrinking" and b.planted == b.current):
                return False  # a shrinking data centre takes no one new, so the original must stay its only occupant from there
            w.current = int(self._pick(other))
        elif name == "migration_cost":
            costs = [c for c in (None, 0.0, 150.0, 650.0, 2200.0) if c != b.migration_cost]
            w.migration_cost = costs[int(r.integers(len(costs)))]
        elif name == "data":
            ok = sorted(c for c, countries in allowed.items() if country in countries and c not in b.data)
            changed = _drop_or_add(r, b.data, ok)
            if changed is None:
                return False
            w.data = changed
        elif name == "users":
            if b.users:
                zone, ms = b.users[0]
                w.users = [(zone, _ceil1(ms + self._uniform(0.5, 8)))] + b.users[1:]
            else:
                w.users = [(site.zone, _ceil1(self.intra + self._uniform(0, 3)))]
        elif name == "requires":
            extra = [c for c in site.certifications if c not in b.requires]
            changed = _drop_or_add(r, b.requires, extra)
            if changed is None:
                return False
            w.requires = changed
        elif name == "cpu_util_p95":
            w.cpu_util_p95 = None if b.cpu_util_p95 is not None and r.random() < 0.5 else round(self._uniform(0.05, 0.95), 2)
            if w.cpu_util_p95 == b.cpu_util_p95:
                return False
        elif name == "criticality":
            w.criticality = self._pick([c for c in ("low", "medium", "high") if c != b.criticality])
        elif name == "depends_on":
            return True  # its dependencies are drawn with the others (dependencies)
        return True

    def dependencies(self) -> None:
        """Chains, dependencies inside a move group and between production groups of a few apps; all acyclic."""
        r = self.rng
        bases_of = {g: [m for m in members if self.ws[m].base is None] for g, members in enumerate(self.groups)}
        for g, bases in bases_of.items():
            for k, a in enumerate(bases):
                wa = self.ws[a]
                later = bases[k + 1:]
                if wa.next is not None:
                    b = wa.next
                    slack = self._uniform(0, 0.3) if self.tight else self._uniform(0, 3)
                    ms = self.site_latency(wa.planted, self.ws[b].planted)
                    if ms < math.inf:
                        wa.deps.append((self.ws[b].id, _ceil1(ms + slack), float(self._pick((0, 5, 50, 500)))))
                        continue
                if later and r.random() < 0.35:
                    self._dep(wa, self.ws[int(self._pick(later))], budget=r.random() < 0.5)
        prod_groups = [g for g in range(len(self.groups)) if self.group_prod[g] and bases_of[g]]
        for k, g in enumerate(prod_groups):
            # Production groups of up to three apps in a row form a system: the later ones call the earlier ones.
            earlier = [h for h in prod_groups[max(0, k - 2):k] if self.ws[bases_of[h][0]].home == self.ws[bases_of[g][0]].home
                       or r.random() < 0.5]
            if earlier and r.random() < 0.3:
                self._dep(self.ws[int(self._pick(bases_of[g]))], self.ws[int(self._pick(bases_of[int(self._pick(earlier))]))],
                          budget=r.random() < 0.4)
        for w in self.ws:
            if w.base is None:
                continue
            w.deps = list(self.ws[w.base].deps)
            if w.clone_field == "depends_on":
                group = bases_of[w.group]
                targets = [t for t in group if t != w.base and self.site_latency(w.planted, self.ws[t].planted) < math.inf] or [w.base]
                t = self.ws[int(self._pick(targets))]
                ms = self.site_latency(w.planted, t.planted)
                w.deps = [d for d in w.deps if d[0] != t.id] + [(t.id, _ceil1(ms + self._uniform(0, 2)), float(self._pick((0, 20))))]
                if w.deps == self.ws[w.base].deps:
                    w.deps = w.deps[:-1]

    def _dep(self, a: _W, b: _W, budget: bool) -> None:
        if any(d[0] == b.id for d in a.deps):
            return
        ms = self.site_latency(a.planted, b.planted)
        limit = _ceil1(ms + self._uniform(0, 15)) if budget and ms < math.inf else None
        traffic = float(self._pick((0, 1, 10, 50, 200, 1000))) if self.rng.random() < 0.7 else 0.0
        a.deps.append((b.id, limit, traffic))

    def capacities(self) -> None:
        """Own data centres and edge sites just hold the planted load, in any wave order; some Azure sites get a quota."""
        r = self.rng
        # Sizes are whole numbers, so these sums are exact in any order.
        n_sites = len(self.sites)
        size = np.array([(w.vcpu, w.memory_gb, w.storage_gb) for w in self.ws], dtype=float).reshape(-1, 3)
        current = np.fromiter((w.current for w in self.ws), dtype=np.int64, count=len(self.ws))
        planted = np.fromiter((w.planted for w in self.ws), dtype=np.int64, count=len(self.ws))
        stays = current == planted

        def load(at: Any, mask: Any) -> dict[int, Any]:
            sums = np.stack([np.bincount(at[mask], weights=size[mask, k], minlength=n_sites) for k in range(3)], axis=1)
            return {j: sums[j] for j in range(n_sites)}

        cur, stay, arrive = load(current, np.ones(len(self.ws), bool)), load(planted, stays), load(planted, ~stays)
        for j, s in enumerate(self.sites):
            if s.role == "catalogue" or (s.role == "azure" and r.random() > 0.15):
                continue
            if s.role == "closing":
                s.capacity = None if r.random() < 0.5 else {k: float(math.floor(v * r.uniform(0.5, 1.1))) for k, v in zip(RESOURCES, cur[j])}
                continue
            # A shrinking site holds only what stays; anything else must fit today's load plus every arrival,
            # so the planted moves fit between waves whatever their order.
            need = stay[j] if s.role == "shrinking" else cur[j] + arrive[j]
            if not need.any():
                need = np.array([float(r.integers(4, 33)), float(r.integers(16, 129)), float(r.integers(100, 2001))])
            binding = int(r.integers(3))
            cap: dict[str, float] = {}
            for k, res in enumerate(RESOURCES):
                if s.role == "azure" and res != "vcpu":
                    continue
                if k != binding and r.random() < 0.3:
                    continue  # unlimited
                slack = (float(r.uniform(0, 0.03)) if k == binding or r.random() < 0.4 else float(r.uniform(0.05, 0.5))) if self.tight \
                    else float(r.uniform(0.3, 1.0))
                cap[res] = float(math.ceil(need[k] * (1 + slack)))
            s.capacity = cap or None

    # ---- output ------------------------------------------------------------------------------------------
    def document(self, policies: list[dict[str, Any]], groups: dict[str, list[str]], workloads: bool = True) -> dict[str, Any]:
        """The inventory as a dict; without `workloads`, everything but them (a tables folder's topology.yaml)."""
        r = self.rng
        start = dt.date(2027, int(r.choice([1, 4, 7])), 1)
        horizon = int(r.choice([24, 36, 36, 48]))
        for s in self.sites:
            if s.role == "closing":
                s.closes = (_add_months(start, int(r.integers(8, horizon - 3))) - dt.timedelta(days=1)).isoformat()
        n = self.n
        wave_max = max(200, math.ceil(n / 4))
        waves = {"length_days": 30, "max_workloads": wave_max, "max_effort_hours": float(wave_max * 50),
                 "first_wave_max_workloads": max(30, math.ceil(n / 30)), "growth_per_wave": max(30, math.ceil(n / 15)),
                 "pilot_waves": int(r.choice([0, 1, 2]))}
        scenario: dict[str, Any] = {
            "start": start.isoformat(), "horizon_months": horizon, "currency": "EUR",
            "default_migration_cost": float(r.choice([500, 800, 1200])), "default_migration_effort_hours": 8.0,
            "comfort_factor": float(r.choice([1.2, 1.3, 1.5])), "intra_zone_ms": self.intra, "waves": waves,
            "solver": {"backend": "highs", "time_limit_s": 600.0, "gap": 0.0001},
            "pricing": {"azure": str(r.choice(["payg", "payg", "reserved-1y", "reserved-3y", "savings-plan-3y"])),
                        "hybrid_benefit": bool(r.random() < 0.3)},
        }
        zones = [{"id": z, "country": m.country} for m in self.metros for z in m.zones]
        latency = [[a, b, ms] for (a, b), ms in sorted(self.lat.items()) if a < b]
        doc = {"zones": zones, "latency_ms": latency, "countries": groups, "policies": policies,
               "sites": [_site_doc(s) for s in self.sites], "workloads": None, "scenario": scenario}
        if workloads:
            doc["workloads"] = [self._workload_doc(w) for w in self.ws]
        else:
            del doc["workloads"]
        return doc

    def table_blocks(self, block: int = 100_000) -> Any:
        """The workloads as DESIGN.md's three tables, `block` workloads at a time: (workloads, dependencies, users),
        each a dict of columns (None = absent; list columns hold lists of strings). The same values as
        :meth:`_workload_doc`, field by field."""
        site_ids = [s.id for s in self.sites]
        for lo in range(0, len(self.ws), block):
            ws = self.ws[lo:lo + block]
            cols: dict[str, list[Any]] = {
                "id": [w.id for w in ws], "app": [f"a{w.app:04d}" for w in ws], "env": [w.env for w in ws],
                "criticality": [w.criticality for w in ws], "vcpu": [w.vcpu for w in ws], "memory_gb": [w.memory_gb for w in ws],
                "storage_gb": [w.storage_gb for w in ws], "cpu_util_p95": [w.cpu_util_p95 for w in ws],
                "current_site": [site_ids[w.current] for w in ws], "data": [w.data or None for w in ws],
                "requires": [w.requires or None for w in ws], "pin": [w.pin for w in ws], "allowed_kinds": [w.kinds for w in ws],
                "anti_affinity": [w.anti_affinity for w in ws], "migration_cost": [w.migration_cost for w in ws],
                "migration_effort_hours": [w.effort for w in ws], "os": [w.os for w in ws]}
            deps: dict[str, list[Any]] = {"workload": [], "depends_on": [], "max_latency_ms": [], "traffic_gb_month": []}
            users: dict[str, list[Any]] = {"workload": [], "zone": [], "max_latency_ms": []}
            for w in ws:
                for t, ms, tr in w.deps:
                    deps["workload"].append(w.id)
                    deps["depends_on"].append(t)
                    deps["max_latency_ms"].append(ms)
                    deps["traffic_gb_month"].append(tr)
                for z, ms in w.users:
                    users["workload"].append(w.id)
                    users["zone"].append(z)
                    users["max_latency_ms"].append(ms)
            yield cols, deps, users

    def _workload_doc(self, w: _W) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": w.id, "app": f"a{w.app:04d}", "env": w.env, "criticality": w.criticality, "vcpu": w.vcpu,
                               "memory_gb": w.memory_gb, "storage_gb": w.storage_gb, "current_site": self.sites[w.current].id, "os": w.os}
        optional = {"cpu_util_p95": w.cpu_util_p95, "migration_cost": w.migration_cost, "migration_effort_hours": w.effort,
                    "data": w.data or None, "requires": w.requires or None, "pin": w.pin, "allowed_kinds": w.kinds,
                    "anti_affinity": w.anti_affinity}
        doc.update({k: v for k, v in optional.items() if v is not None})
        if w.users:
            doc["users"] = [{"zone": z, "max_latency_ms": ms} for z, ms in w.users]
        if w.deps:
            doc["depends_on"] = [{"workload": t, **({"max_latency_ms": ms} if ms is not None else {}), "traffic_gb_month": tr}
                                 for t, ms, tr in w.deps]
        return doc


def _drop_or_add(r: np.random.Generator, values: list[str], extra: list[str]) -> Optional[list[str]]:
    """`values` less its first item or plus one of `extra` (a coin decides when both can be), None when neither can."""
    if values and (not extra or r.random() < 0.5):
        return values[1:]
    if extra:
        return sorted(values + [str(extra[int(r.integers(0, len(extra)))])])  # = r.choice(extra), one bounded draw
    return None


def _site_doc(s: _Site) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": s.id, "kind": s.kind, "zone": s.zone}
    for key in ("region", "cost", "capacity", "closes"):
        if getattr(s, key) is not None:
            doc[key] = getattr(s, key)
    if s.certifications:
        doc["certifications"] = s.certifications
    return doc


def _add_months(first: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `first` (a first of the month)."""
    m0 = first.month - 1 + months
    return dt.date(first.year + m0 // 12, m0 % 12 + 1, 1)


def _residency(rng: np.random.Generator, present: list[str]) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """Country groups (nested) and the policies of this seed: GDPR-like, UK, LGPD-like, sovereign and sector rules."""
    groups = {"EU": list(EU), "EEA": ["EU", "IS", "LI", "NO"], "ADEQUATE": ["EEA", "GB", "CH", "JP", "KR", "UY", "AR", "CA"],
              "OPERATING": sorted(set(present))}
    gdpr = [["ADEQUATE"], ["EEA", "GB", "CH"], ["EEA"]][int(rng.integers(3))]
    policies = [
        {"id": "gdpr", "name": "GDPR: personal data of EU residents", "data_class": "personal-eu", "allowed_countries": gdpr},
        {"id": "uk-gdpr", "name": "UK GDPR", "data_class": "personal-uk", "allowed_countries": [["GB"], ["GB", "EEA"]][int(rng.integers(2))]},
        {"id": "lgpd", "name": "LGPD: personal data of Brazilian residents", "data_class": "personal-br", "allowed_countries": ["BR"]},
        {"id": "anonymised", "name": "Aggregated data: any country we operate in", "data_class": "anonymised", "allowed_countries": ["OPERATING"]},
    ]
    if rng.random() < 0.5:  # a second policy on one class: both must hold
        policies.append({"id": "eu-sovereign", "name": "Sovereign cloud: EU members only", "data_class": "personal-eu", "allowed_countries": ["EU"]})
    for country, cls in (("ES", "public-sector-es"), ("DE", "health-de"), ("FR", "health-fr")):
        if country in present and rng.random() < 0.6:
            policies.append({"id": f"{cls}-rule", "name": f"{cls} stays in {country}", "data_class": cls, "allowed_countries": [country]})
    return groups, policies


def _expand(names: list[str], groups: dict[str, list[str]], seen: frozenset[str] = frozenset()) -> set[str]:
    out: set[str] = set()
    for name in names:
        if name in groups and name not in seen:
            out |= _expand(groups[name], groups, seen | {name})
        elif name not in groups:
            out.add(name)
    return out


def _allowed_classes(policies: list[dict[str, Any]], groups: dict[str, list[str]]) -> dict[str, set[str]]:
    """Per data class, the countries every policy on it allows."""
    out: dict[str, set[str]] = {}
    for p in policies:
        countries = _expand(p["allowed_countries"], groups)
        out[p["data_class"]] = out[p["data_class"]] & countries if p["data_class"] in out else countries
    return out


def sites_for(n_workloads: int) -> int:
    """The size rule for the number of sites: 0 (no cap: whatever the drawn geography opens, as ever) below
    LARGE workloads, LARGE_SITES from there on (a million workloads on about two dozen sites)."""
    return LARGE_SITES if n_workloads >= LARGE else 0


def _build(n_workloads: int, seed: int, tight: bool, sites: Optional[int]) -> tuple[_Builder, list[dict[str, Any]], dict[str, list[str]]]:
    if n_workloads < 1:
        raise ValueError("an estate needs at least one workload")
    b = _Builder(n_workloads, seed, tight, sites_for(n_workloads) if sites is None else sites)
    b.geography()
    b.make_sites()
    groups, policies = _residency(b.rng, [m.country for m in b.metros])
    b.skeleton()
    b.chains_and_pairs()
    b.derive(policies, groups)
    b.clones(policies, groups)
    b.dependencies()
    b.capacities()
    return b, policies, groups


def plant(n_workloads: int, seed: int, tight: bool = True, sites: Optional[int] = None) -> Planted:
    """A feasible estate of `n_workloads` workloads (deterministic per arguments) and its hidden placement.

    `sites`: at most this many sites (0: no cap; None: the size rule :func:`sites_for`)."""
    b, policies, groups = _build(n_workloads, seed, tight, sites)
    doc = b.document(policies, groups)
    return Planted(doc, {w.id: b.sites[w.planted].id for w in b.ws})


def generate(n_workloads: int, seed: int, tight: bool = True, sites: Optional[int] = None) -> dict[str, Any]:
    """An inventory dict in DESIGN.md's YAML format: feasible, deterministic per (n_workloads, seed, tight, sites)."""
    return plant(n_workloads, seed, tight, sites).inventory


def _dump(doc: dict[str, Any]) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, default_flow_style=None, width=200)


def write_yaml(inventory: dict[str, Any], path: Union[str, Path]) -> Path:
    """Write `inventory` as one YAML file; return its path."""
    path = Path(path)
    path.write_text(_dump(inventory), encoding="utf-8")
    return path


def _arrow_table(kind: str, cols: dict[str, list[Any]], parquet: bool) -> Any:
    """One block of a table in DESIGN.md's tabular format: numbers as float64, text as strings, list fields as
    lists of strings (Parquet) or one `;`-separated cell (CSV); None is a null (an empty CSV cell)."""
    import pyarrow as pa

    arrays = []
    for name, values in cols.items():
        if name in LIST_FIELDS:
            arrays.append(pa.array(values, type=pa.list_(pa.string())) if parquet else
                          pa.array([None if v is None else ";".join(v) for v in values], type=pa.string()))
        elif name in NUMBER_FIELDS:
            arrays.append(pa.array(values, type=pa.float64()))
        else:
            arrays.append(pa.array(values, type=pa.string()))
    return pa.Table.from_arrays(arrays, names=list(cols))


def write_tables(folder: Union[str, Path], n_workloads: int, seed: int, tight: bool = True, sites: Optional[int] = None,
                 fmt: str = "parquet") -> list[Path]:
    """Write the estate of :func:`plant` (same arguments, same estate) as an inventory folder: `topology.yaml`
    (zones, latency, countries, policies, sites, scenario) beside `workloads`, `dependencies` and `users` tables
    in `fmt` (parquet or csv), DESIGN.md's "Tabular workloads". Each file is written beside its place and renamed
    into it. Returns the paths written."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be parquet or csv, not {fmt!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    b, policies, groups = _build(n_workloads, seed, tight, sites)
    doc = b.document(policies, groups, workloads=False)
    parquet = fmt == "parquet"
    csv_options = pacsv.WriteOptions(quoting_style="needed")  # RFC 4180 quoting where a cell needs it
    paths = {kind: folder / f"{kind}.{fmt}" for kind in ("workloads", "dependencies", "users")}
    tmp = {kind: path.with_name(f".{path.name}.tmp") for kind, path in paths.items()}
    writers: dict[str, Any] = {}
    try:
        for block in b.table_blocks():
            for kind, cols in zip(paths, block):
                table = _arrow_table(kind, cols, parquet)
                if kind not in writers:
                    writers[kind] = (pq.ParquetWriter(str(tmp[kind]), table.schema, compression="zstd") if parquet else
                                     pacsv.CSVWriter(str(tmp[kind]), table.schema, write_options=csv_options))
                writers[kind].write_table(table)
        for kind in paths:
            writers.pop(kind).close()
            tmp[kind].replace(paths[kind])
    finally:
        for kind, w in writers.items():
            w.close()
            tmp[kind].unlink(missing_ok=True)
    topology = folder / "topology.yaml"
    tmp_topology = folder / ".topology.yaml.tmp"
    tmp_topology.write_text(_dump(doc), encoding="utf-8")
    tmp_topology.replace(topology)
    return [topology, *paths.values()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", type=int)
    ap.add_argument("seed", type=int)
    ap.add_argument("out", type=Path, help="the YAML file (--format yaml) or the folder (parquet, csv) to write")
    ap.add_argument("--loose", action="store_true", help="generous capacities and latency budgets")
    ap.add_argument("--format", choices=("yaml", "parquet", "csv"), default="yaml",
                    help="one YAML file (default), or a folder of topology.yaml and workloads/dependencies/users tables")
    ap.add_argument("--sites", type=int, default=None,
                    help=f"at most this many sites (0: no cap; default: {LARGE_SITES} from {LARGE:,} workloads up, else no cap)")
    args = ap.parse_args()
    if args.format == "yaml":
        write_yaml(generate(args.workloads, args.seed, tight=not args.loose, sites=args.sites), args.out)
    else:
        write_tables(args.out, args.workloads, args.seed, tight=not args.loose, sites=args.sites, fmt=args.format)


if __name__ == "__main__":
    main()
