"""The hard rules (docs/explanation/rules.md): whether a workload may sit on a site, and why not.

`violations(estate, w, site)` is the single answer to "may w go to site?" for every rule
that concerns one workload and one site. `placement_violations(estate, site_of)` checks
the rules between workloads (capacity, dependency latency, anti-affinity) on a whole
placement, for the verifier and `diff`; the solver models them, and the wave rules live
in waves.py and verify.py, all with the same :class:`Rule` names, so plan.json, `explain`, reports and CI quote the
same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Mapping

import numpy as np

from planner.domain.costs import is_rate_priced, monthly_run
from planner.domain.estate import Estate
from planner.domain.model import Site, Workload
from planner.domain.presets import Residency

RESOURCES = ("vcpu", "memory_gb", "storage_gb")


class Rule(str, Enum):
    """A hard rule; the value is its stable id in plan.json and CI findings."""

    PIN = "pin"
    ALLOWED_KINDS = "allowed-kinds"
    CERTIFICATION = "certification"
    RESIDENCY = "residency"
    USER_LATENCY = "user-latency"
    SITE_CLOSING = "site-closing"
    SIZE = "size"
    NO_VM_SIZE = "no-vm-size"
    CAPACITY = "capacity"
    DEPENDENCY_LATENCY = "dependency-latency"
    ANTI_AFFINITY = "anti-affinity"
    ASSIGNMENT = "assignment"
    WAVES = "waves"
    WAVE_ORDER = "wave-order"
    WAVE_CAPACITY = "wave-capacity"
    COST = "cost"
    CARBON_CAP = "carbon-cap"

    @property
    def text(self) -> str:
        """What the rule demands, in a sentence fragment a person reads."""
        return _TEXT[self]


_TEXT = {
    Rule.PIN: "a pinned workload stays exactly on its pinned site",
    Rule.ALLOWED_KINDS: "a workload goes only to the site kinds it allows",
    Rule.CERTIFICATION: "a workload goes only to sites holding every certification it requires",
    Rule.RESIDENCY: "data lives only in countries that every policy on its data classes allows",
    Rule.USER_LATENCY: "users reach the workload within their latency budget",
    Rule.SITE_CLOSING: "nothing remains on a site that closes before the horizon ends",
    Rule.SIZE: "a workload fits inside the site's whole capacity",
    Rule.NO_VM_SIZE: "an Azure region offers a VM size large enough for the workload",
    Rule.CAPACITY: "the workloads on a site fit its capacity",
    Rule.DEPENDENCY_LATENCY: "a workload reaches what it depends on within the dependency's latency budget",
    Rule.ANTI_AFFINITY: "no two workloads of an anti-affinity group share a site",
    Rule.ASSIGNMENT: "every workload sits on exactly one known site",
    Rule.WAVES: "move groups fit the wave rules (size, effort, order, pilots, deadlines)",
    Rule.WAVE_CAPACITY: ("after each wave no site holds more than its capacity, unless it already did before the wave "
                         "and the wave brings it nothing"),
    Rule.WAVE_ORDER: ("a dependency's target moves no later than its dependants, and in the same wave when moving it "
                      "first would break their latency budget"),
    Rule.COST: "every cost and total matches the cost model",
    Rule.CARBON_CAP: "the plan's emissions over the horizon stay within scenario.carbon.cap_tonnes",
}


@dataclass(frozen=True, order=True)
class Violation:
    """One rule a placement breaks, with the sentence that says how."""

    rule: Rule
    message: str


def profile_violations(estate: Estate, w: Workload, site: Site) -> list[Violation]:
    """Rules that depend on the workload's needs but not its size: pin, kinds, certifications, residency, users, closing."""
    out: list[Violation] = []
    if w.pin is not None and w.pin != site.id:
        out.append(Violation(Rule.PIN, f"{w.id} is pinned to {w.pin}"))
    if w.allowed_kinds is not None and site.kind not in w.allowed_kinds:
        kinds = ", ".join(k.value for k in w.allowed_kinds)
        out.append(Violation(Rule.ALLOWED_KINDS, f"{w.id} allows only {kinds} sites; {site.id} is {site.kind.value}"))
    missing = sorted(set(w.requires) - set(site.certifications))
    if missing:
        out.append(Violation(Rule.CERTIFICATION, f"{w.id} requires {', '.join(missing)}, which {site.id} does not hold"))
    country = estate.site_country(site)
    for cls in sorted(set(w.data)):
        for pol in estate.policies_by_class.get(cls, ()):
            res = estate.policy_residency[pol.id]
            if not residency_allows(res, country, site):
                out.append(Violation(Rule.RESIDENCY, f"{pol.id} ({pol.name}) keeps {cls} data in {res.text}; {site.id} is in {country}"))
    for user in w.users:
        ms = estate.latency(site.zone, user.zone)
        if ms > user.max_latency_ms:
            out.append(Violation(Rule.USER_LATENCY, f"{w.id} must answer {user.zone} users within {user.max_latency_ms:g} ms; {site.id} ({site.zone}) has {latency_text(ms)}"))
    if estate.closes_in_horizon(site):
        out.append(Violation(Rule.SITE_CLOSING, f"{site.id} closes on {site.closes}, within the horizon (its last day is {estate.scenario.last_day})"))
    return out


def residency_allows(res: Residency, country: str, site: Site) -> bool:
    """Whether a policy lets its data live on `site` in `country`: outright, or as a certified recipient."""
    return country in res.countries or any(c.country == country and c.certification in site.certifications for c in res.conditional)


def fits_whole_capacity(site: Site, vcpu: np.ndarray, memory_gb: np.ndarray, storage_gb: np.ndarray) -> np.ndarray:
    """Per workload, whether it fits inside the site's whole capacity in every resource (the size rule on columns)."""
    ok = np.ones(len(vcpu), dtype=bool)
    if site.capacity is not None:
        for res, need in (("vcpu", vcpu), ("memory_gb", memory_gb), ("storage_gb", storage_gb)):
            cap = getattr(site.capacity, res)
            if cap is not None:
                ok &= need <= cap
    return ok


def size_violations(estate: Estate, w: Workload, site: Site) -> list[Violation]:
    """Rules on the workload's size alone: it fits the site's whole capacity, and a VM size exists."""
    out: list[Violation] = []
    if site.capacity is not None:
        for res in RESOURCES:
            cap = getattr(site.capacity, res)
            need = getattr(w, res)
            if cap is not None and need > cap:
                out.append(Violation(Rule.SIZE, f"{w.id} needs {need:g} {res}, more than {site.id}'s whole capacity of {cap:g}"))
    if not is_rate_priced(site) and monthly_run(estate, w, site) is None:
        big_cpu, big_mem = estate.catalog.largest(site.region or "")
        out.append(Violation(Rule.NO_VM_SIZE, f"no VM size in {site.region} covers {w.id} (largest: {big_cpu} vCPU, {big_mem:g} GB)"))
    return out


def violations(estate: Estate, w: Workload, site: Site) -> list[Violation]:
    """Every single-site rule `w` would break on `site`; empty means the site is admissible."""
    return profile_violations(estate, w, site) + size_violations(estate, w, site)


def latency_text(ms: float) -> str:
    """A measured latency as a sentence fragment ("12 ms", or no path at all)."""
    return "no known network path" if ms == float("inf") else f"{ms:g} ms"


@dataclass(frozen=True, order=True)
class PlacementViolation:
    """A rule between workloads that a whole placement breaks."""

    rule: Rule
    workloads: tuple[str, ...]  # sorted; for a dependency (dependant, target)
    sites: tuple[str, ...]  # the site, or (dependant's site, target's site) for a dependency
    detail: str  # the resource, the dependency's target, or the anti-affinity group
    message: str


def placement_violations(estate: Estate, site_of: Mapping[str, str]) -> list[PlacementViolation]:
    """Capacity, dependency latency and anti-affinity on a placement (workload id -> site id).

    Workloads missing from `site_of`, or on sites the inventory lacks, are left out: saying
    so is the caller's job.
    """
    index = estate.site_index
    site_no = np.array([index.get(site_of.get(w, ""), -1) for w in estate.table.ids], dtype=np.int64)
    return placement_violations_columns(estate, site_no)


def placement_violations_columns(estate: Estate, site_no: np.ndarray) -> list[PlacementViolation]:
    """:func:`placement_violations` over a site number per workload row (-1: not placed), on arrays."""
    t = estate.table
    ids = t.ids
    out: list[PlacementViolation] = []
    placed = site_no >= 0
    n_s = len(estate.sites)
    for res in RESOURCES:
        size = getattr(t, res)
        load = np.bincount(site_no[placed], weights=size[placed], minlength=n_s)
        for j, site in enumerate(estate.sites):
            limit = getattr(site.capacity, res) if site.capacity is not None else None
            if limit is not None and load[j] > limit + 1e-6:
                on = tuple(sorted(ids[i] for i in np.nonzero(site_no == j)[0].tolist()))
                out.append(PlacementViolation(Rule.CAPACITY, on, (site.id,), res, f"{site.id} holds {load[j]:g} {res}, over its capacity of {limit:g}"))
    d = t.deps
    both = placed[d.src] & placed[d.dst] & ~np.isnan(d.max_latency_ms)
    zone = estate.site_zone_index
    ms = np.full(len(d), -np.inf)
    ms[both] = estate.latency_matrix[zone[site_no[d.src[both]]], zone[site_no[d.dst[both]]]]
    for k in np.nonzero(both & (ms > np.nan_to_num(d.max_latency_ms, nan=np.inf)))[0].tolist():
        a, b = int(d.src[k]), int(d.dst[k])
        sa, sb = estate.sites[int(site_no[a])], estate.sites[int(site_no[b])]
        limit = float(d.max_latency_ms[k])
        out.append(PlacementViolation(Rule.DEPENDENCY_LATENCY, (ids[a], ids[b]), (sa.id, sb.id), ids[b],
            f"{ids[a]} ({sa.id}, {sa.zone}) must reach {ids[b]} ({sb.id}, {sb.zone}) within {limit:g} ms; "
            f"the path is {latency_text(float(ms[k]))}"))
    aa = t.anti_affinity
    member = placed & (aa.codes >= 0)
    if member.any():
        rows = np.nonzero(member)[0]
        key = aa.codes[rows].astype(np.int64) * (n_s + 1) + site_no[rows]
        order = np.argsort(key, kind="stable")
        k_sorted = key[order]
        starts = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]])
        ends = np.r_[starts[1:], len(k_sorted)]
        for a, b in zip(starts.tolist(), ends.tolist()):
            if b - a > 1:
                ws = tuple(sorted(ids[i] for i in rows[order[a:b]].tolist()))
                first = int(rows[order[a]])
                name, sid = aa.names[int(aa.codes[first])], estate.sites[int(site_no[first])].id
                out.append(PlacementViolation(Rule.ANTI_AFFINITY, ws, (sid,), name, f"anti-affinity group {name} has {', '.join(ws)} together on {sid}"))
    return sorted(out)
