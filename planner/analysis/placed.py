"""A plan's placement over an estate, indexed for "what if this one workload sat elsewhere?".

`diff` and `explain` both ask, for one workload and one site, with every other workload
where a plan puts it: which coupled rules would break (capacity, anti-affinity, dependency
latency) and what the workload's dependencies would cost in egress. The answers use the
rule names of :mod:`planner.domain.rules` and the cost functions of :mod:`planner.domain.costs`.
Indexes are built once in O(workloads + dependencies), so asking about every workload of a
large estate stays linear.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

from planner.domain.costs import dependency_egress
from planner.domain.estate import Estate
from planner.domain.model import Dependency, Site, Workload
from planner.domain.rules import Rule, Violation, latency_text

RESOURCES = ("vcpu", "memory_gb", "storage_gb")


@dataclass
class Placed:
    """Every workload of `estate` on the site `site_of` gives it (workloads it leaves out are ignored)."""

    estate: Estate
    site_of: Mapping[str, str]

    @cached_property
    def dependents(self) -> dict[str, list[tuple[Workload, Dependency]]]:
        """Workload id to the (workload, dependency) pairs that depend on it."""
        out: dict[str, list[tuple[Workload, Dependency]]] = defaultdict(list)
        for w in self.estate.workloads:
            for d in w.depends_on:
                out[d.workload].append((w, d))
        return dict(out)

    @cached_property
    def load(self) -> dict[str, dict[str, float]]:
        """Site id to resource to the amount the placed workloads use."""
        used: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(RESOURCES, 0.0))
        for w in self.estate.workloads:
            sid = self.site_of.get(w.id)
            if sid is not None:
                for res in RESOURCES:
                    used[sid][res] += getattr(w, res)
        return dict(used)

    @cached_property
    def groups(self) -> dict[str, list[str]]:
        """Anti-affinity group to its member workload ids."""
        wls = self.estate.workloads
        return {name: [wls[i].id for i in members] for name, members in self.estate.anti_affinity_groups.items()}

    def site(self, workload_id: str) -> Site | None:
        sid = self.site_of.get(workload_id)
        return self.estate.site_by_id.get(sid) if sid is not None else None

    def egress(self, w: Workload, site: Site) -> float:
        """Monthly egress of `w`'s dependencies, both ways, if `w` sat on `site` and the others where placed."""
        total = 0.0
        for d in w.depends_on:
            other = self.site_of.get(d.workload)
            if other is not None:
                total += dependency_egress(self.estate, d.traffic_gb_month, site, other)
        for src, d in self.dependents.get(w.id, ()):
            src_site = self.site(src.id)
            if src_site is not None and src.id != w.id:
                total += dependency_egress(self.estate, d.traffic_gb_month, src_site, site.id)
        return total

    def coupled_violations(self, w: Workload, site: Site) -> list[Violation]:
        """Rules between workloads that `w` would break on `site`, with every other workload where placed."""
        out: list[Violation] = []
        est = self.estate
        here = self.site_of.get(w.id) == site.id
        if site.capacity is not None:
            used = self.load.get(site.id, dict.fromkeys(RESOURCES, 0.0))
            for res in RESOURCES:
                cap = getattr(site.capacity, res)
                need = getattr(w, res)
                others = used[res] - (need if here else 0.0)
                if cap is not None and others + need > cap + 1e-6:
                    out.append(Violation(Rule.CAPACITY, f"{site.id} is full: the other workloads placed there use {others:g} of its {cap:g} {res}, and {w.id} needs {need:g}"))
        if w.anti_affinity is not None:
            mates = sorted(m for m in self.groups.get(w.anti_affinity, ()) if m != w.id and self.site_of.get(m) == site.id)
            if mates:
                out.append(Violation(Rule.ANTI_AFFINITY, f"{', '.join(mates)} of anti-affinity group {w.anti_affinity} already sits on {site.id}"))
        for d in w.depends_on:
            other = self.site(d.workload)
            if d.max_latency_ms is not None and other is not None and d.workload != w.id:
                ms = est.latency(site.zone, other.zone)
                if ms > d.max_latency_ms:
                    out.append(Violation(Rule.DEPENDENCY_LATENCY, _latency_message(w.id, d.workload, other, site, ms, d.max_latency_ms)))
        for src, d in self.dependents.get(w.id, ()):
            other = self.site(src.id)
            if d.max_latency_ms is not None and other is not None and src.id != w.id:
                ms = est.latency(site.zone, other.zone)
                if ms > d.max_latency_ms:
                    out.append(Violation(Rule.DEPENDENCY_LATENCY, _latency_message(w.id, src.id, other, site, ms, d.max_latency_ms)))
        return sorted(set(out))


def _latency_message(wid: str, other_id: str, other: Site, site: Site, ms: float, limit: float) -> str:
    return (f"{wid} and {other_id} (on {other.id}, {other.zone}) must be within {limit:g} ms; from {site.id} ({site.zone}) "
            f"it is {latency_text(ms)}")
