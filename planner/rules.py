"""The hard rules of DESIGN.md: whether a workload may sit on a site, and why not.

`violations(estate, w, site)` is the single answer to "may w go to site?" for every rule
that concerns one workload and one site. `placement_violations(estate, site_of)` checks
the rules between workloads (capacity, dependency latency, anti-affinity) on a whole
placement, for the verifier and `diff`; the solver models them, and the wave rules live
in waves.py and verify.py, all with the same :class:`Rule` names, so plan.json, `explain`, reports and CI quote the
same words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from typing import Mapping

from .costs import catalogue_sku, is_rate_priced
from .estate import Estate
from .model import Site, Workload


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
    COST = "cost"

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
    Rule.WAVE_ORDER: ("a dependency's target moves no later than its dependants, and in the same wave when moving it "
                      "first would break their latency budget"),
    Rule.COST: "every cost and total matches the cost model",
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
            if country not in estate.policy_countries[pol.id]:
                allowed = ", ".join(pol.allowed_countries)
                out.append(Violation(Rule.RESIDENCY, f"{pol.id} ({pol.name}) keeps {cls} data in {allowed}; {site.id} is in {country}"))
    for user in w.users:
        ms = estate.latency(site.zone, user.zone)
        if ms > user.max_latency_ms:
            out.append(Violation(Rule.USER_LATENCY, f"{w.id} must answer {user.zone} users within {user.max_latency_ms:g} ms; {site.id} ({site.zone}) has {latency_text(ms)}"))
    if estate.closes_in_horizon(site):
        out.append(Violation(Rule.SITE_CLOSING, f"{site.id} closes on {site.closes}, before the horizon ends on {estate.scenario.horizon_end}"))
    return out


def size_violations(estate: Estate, w: Workload, site: Site) -> list[Violation]:
    """Rules on the workload's size alone: it fits the site's whole capacity, and a VM size exists."""
    out: list[Violation] = []
    if site.capacity is not None:
        for res in ("vcpu", "memory_gb", "storage_gb"):
            cap = getattr(site.capacity, res)
            need = getattr(w, res)
            if cap is not None and need > cap:
                out.append(Violation(Rule.SIZE, f"{w.id} needs {need:g} {res}, more than {site.id}'s whole capacity of {cap:g}"))
    if not is_rate_priced(site) and catalogue_sku(estate, w, site) is None:
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
    out: list[PlacementViolation] = []
    placed = {wid: estate.site_by_id[sid] for wid, sid in site_of.items() if sid in estate.site_by_id and wid in estate.workload_index}
    load: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(("vcpu", "memory_gb", "storage_gb"), 0.0))
    on_site: dict[str, list[str]] = defaultdict(list)
    for w in estate.workloads:
        site = placed.get(w.id)
        if site is None:
            continue
        on_site[site.id].append(w.id)
        for res in load[site.id]:
            load[site.id][res] += getattr(w, res)
        for d in w.depends_on:
            other = placed.get(d.workload)
            if d.max_latency_ms is None or other is None:
                continue
            ms = estate.latency(site.zone, other.zone)
            if ms > d.max_latency_ms:
                out.append(PlacementViolation(Rule.DEPENDENCY_LATENCY, (w.id, d.workload), (site.id, other.id), d.workload,
                    f"{w.id} ({site.id}, {site.zone}) must reach {d.workload} ({other.id}, {other.zone}) within {d.max_latency_ms:g} ms; "
                    f"the path is {latency_text(ms)}"))
    for sid, used in sorted(load.items()):
        cap = estate.site_by_id[sid].capacity
        for res, amount in used.items():
            limit = getattr(cap, res) if cap is not None else None
            if limit is not None and amount > limit + 1e-6:
                out.append(PlacementViolation(Rule.CAPACITY, tuple(sorted(on_site[sid])), (sid,), res,
                                              f"{sid} holds {amount:g} {res}, over its capacity of {limit:g}"))
    for name, members in sorted(estate.anti_affinity_groups.items()):
        by_site: dict[str, list[str]] = defaultdict(list)
        for i in members:
            site = placed.get(estate.workloads[i].id)
            if site is not None:
                by_site[site.id].append(estate.workloads[i].id)
        for sid, ws in sorted(by_site.items()):
            if len(ws) > 1:
                out.append(PlacementViolation(Rule.ANTI_AFFINITY, tuple(sorted(ws)), (sid,), name,
                                              f"anti-affinity group {name} has {', '.join(sorted(ws))} together on {sid}"))
    return out
