"""Look-up structures over an inventory that every other module shares.

An :class:`Estate` is built once per inventory: indexes by id, the zone latency matrix,
expanded country groups, policies by data class, the VM catalogue, and the workloads'
columns (`table`) with their distinct profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import numpy as np

from planner.domain.catalog import Catalog, load_catalog
from planner.domain.inventory import Inventory
from planner.domain.model import Policy, Site, Workload
from planner.domain.presets import Residency, resolve
from planner.domain.workloads import WorkloadTable, WorkloadViews

NO_PATH = float("inf")


@dataclass
class Estate:
    """An inventory with the indexes the rules, costs and solver need."""

    inventory: Inventory
    catalog: Catalog

    @classmethod
    def of(cls, inventory: Inventory, catalog: Optional[Catalog] = None) -> "Estate":
        """Index `inventory`, pricing Azure sites from `catalog` (default: the shipped snapshot)."""
        return cls(inventory, catalog if catalog is not None else load_catalog())

    @property
    def scenario(self):  # noqa: ANN201 - Scenario, re-exported for brevity
        return self.inventory.scenario

    @cached_property
    def sites(self) -> tuple[Site, ...]:
        """Sites in id order: the solver's site index."""
        return tuple(sorted(self.inventory.sites, key=lambda s: s.id))

    @cached_property
    def site_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.sites)}

    @cached_property
    def site_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @property
    def table(self) -> WorkloadTable:
        """The workloads as columns, rows in id order: the solver's workload index."""
        return self.inventory.workloads

    @property
    def workloads(self) -> WorkloadViews:
        """Workloads in id order, as :class:`Workload` objects made when asked for (use `table` on hot paths)."""
        return self.table.views

    @property
    def workload_index(self) -> dict[str, int]:
        """Workload id to its row in `table` (built on first use)."""
        return self.table.index()

    def workload(self, wid: str) -> Workload:
        """The workload with id `wid` (KeyError when there is none)."""
        return self.table.workload(self.workload_index[wid])

    @cached_property
    def migration_cost(self) -> np.ndarray:
        """Per workload, its one-time cost of moving (the scenario's default where not given)."""
        return np.where(np.isnan(self.table.migration_cost), self.scenario.default_migration_cost, self.table.migration_cost)

    @cached_property
    def effort(self) -> np.ndarray:
        """Per workload, its migration effort in hours (the scenario's default where not given)."""
        e = self.table.migration_effort_hours
        return np.where(np.isnan(e), self.scenario.default_migration_effort_hours, e)

    @cached_property
    def profiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(profile of each workload, a representative row of each profile): workloads alike for the single-site rules.

        A profile is what those rules read besides size: pin, allowed kinds, certifications,
        data classes and users; estates have far fewer profiles than workloads.
        """
        t = self.table
        key = np.stack([t.pin.astype(np.int64), t.allowed_kinds.astype(np.int64), t.requires.astype(np.int64),
                        t.data.astype(np.int64), t.users.astype(np.int64)], axis=1)
        if len(key) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        return inverse.ravel().astype(np.int64), first.astype(np.int64)

    @cached_property
    def zone_index(self) -> dict[str, int]:
        return {z.id: i for i, z in enumerate(sorted(self.inventory.zones, key=lambda z: z.id))}

    @cached_property
    def zone_country(self) -> dict[str, str]:
        return {z.id: z.country for z in self.inventory.zones}

    def site_country(self, site: Site) -> str:
        """The country a site's data lives in: its zone's."""
        return self.zone_country[site.zone]

    @cached_property
    def latency_matrix(self) -> np.ndarray:
        """Zone-by-zone latency in ms (inf where no path is known), in `zone_index` order."""
        n = len(self.zone_index)
        lat = np.full((n, n), NO_PATH)
        np.fill_diagonal(lat, self.scenario.intra_zone_ms)
        for link in self.inventory.latency:
            i, j = self.zone_index[link.a], self.zone_index[link.b]
            lat[i, j] = lat[j, i] = link.ms
        return lat

    def latency(self, zone_a: str, zone_b: str) -> float:
        """Latency between two zones in ms; inf when no path is known."""
        return float(self.latency_matrix[self.zone_index[zone_a], self.zone_index[zone_b]])

    @cached_property
    def site_zone_index(self) -> np.ndarray:
        return np.array([self.zone_index[s.zone] for s in self.sites], dtype=np.int64)

    def expand_countries(self, names: tuple[str, ...] | list[str]) -> frozenset[str]:
        """Country codes that a list of codes and group names stands for (groups expand recursively)."""
        out: set[str] = set()
        stack = list(names)
        seen: set[str] = set()
        while stack:
            name = stack.pop()
            if name in self.inventory.countries:
                if name not in seen:
                    seen.add(name)
                    stack.extend(self.inventory.countries[name])
            else:
                out.add(name)
        return frozenset(out)

    @cached_property
    def policies_by_class(self) -> dict[str, tuple[Policy, ...]]:
        by: dict[str, list[Policy]] = {}
        for pol in sorted(self.inventory.policies, key=lambda p: p.id):
            by.setdefault(pol.data_class, []).append(pol)
        return {k: tuple(v) for k, v in by.items()}

    @cached_property
    def policy_residency(self) -> dict[str, Residency]:
        """Per policy, its preset and country list resolved to the countries it allows (the one place this happens)."""
        return {p.id: resolve(p.preset, p.allowed_countries, self.expand_countries) for p in self.inventory.policies}

    @cached_property
    def policy_countries(self) -> dict[str, frozenset[str]]:
        """Per policy, the countries it allows on any site (not those it allows only on certified sites)."""
        return {pid: r.countries for pid, r in self.policy_residency.items()}

    @cached_property
    def anti_affinity_groups(self) -> dict[str, tuple[int, ...]]:
        """Anti-affinity group name to its members' workload numbers (in `workloads` order)."""
        aa = self.table.anti_affinity
        rows = np.nonzero(aa.codes >= 0)[0]
        order = rows[np.argsort(aa.codes[rows], kind="stable")]
        codes = aa.codes[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, dtype=np.int64)
        ends = np.r_[starts[1:], len(codes)]
        return {aa.names[int(codes[a])]: tuple(order[a:b].tolist()) for a, b in zip(starts.tolist(), ends.tolist())}

    def closes_in_horizon(self, site: Site) -> bool:
        """Whether the site closes before the horizon ends, so nothing may remain there."""
        return site.closes is not None and site.closes < self.scenario.horizon_end

    def one_time(self, w: Workload, site: Site) -> float:
        """One-time cost of putting `w` on `site`: 0 where it already runs."""
        if site.id == w.current_site:
            return 0.0
        return w.migration_cost if w.migration_cost is not None else self.scenario.default_migration_cost

    def effort_hours(self, w: Workload) -> float:
        """Hours of migration work for `w` (scenario default when not given)."""
        return w.migration_effort_hours if w.migration_effort_hours is not None else self.scenario.default_migration_effort_hours
