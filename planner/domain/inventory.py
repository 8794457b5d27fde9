"""The whole inventory: every section, cross-checked, the workloads on columns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from planner.domain.model import LatencyLink, Policy, Scenario, Site, Zone
from planner.domain.workloads import WorkloadTable


class Inventory(BaseModel):
    """A whole, cross-checked estate. Built by :func:`planner.inputs.load.load_inventory`.

    `workloads` is columnar (one array per field, rows sorted by id); iterating it yields
    :class:`Workload` objects one at a time.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    zones: tuple[Zone, ...]
    latency: tuple[LatencyLink, ...]
    countries: dict[str, tuple[str, ...]]
    policies: tuple[Policy, ...]
    sites: tuple[Site, ...]
    workloads: WorkloadTable
    scenario: Scenario
    sha256: str
    source: str
