"""The domain model: what an inventory says, validated and immutable.

These pydantic models are both the schema of the YAML inventory (unknown fields are
errors, types and ranges are checked) and the objects the rest of the planner reads.
Cross-references (zones, sites, workloads, data classes, country groups) are checked
by :mod:`planner.loader` once every file is read, since they span files.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$")]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class SiteKind(str, Enum):
    ONPREM = "onprem"
    AZURE = "azure"
    EDGE = "edge"


class Criticality(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Zone(_Strict):
    id: Id
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    name: Optional[str] = None


class Policy(_Strict):
    id: Id
    name: str
    data_class: Id
    allowed_countries: list[str] = Field(min_length=1)
    description: Optional[str] = None


class Capacity(_Strict):
    """Per-resource limits; a resource left out is unlimited."""

    vcpu: Optional[NonNeg] = None
    memory_gb: Optional[NonNeg] = None
    storage_gb: Optional[NonNeg] = None


class SiteCost(_Strict):
    """Unit prices in the scenario currency; without vcpu_month an Azure site is catalogue-priced."""

    vcpu_month: Optional[NonNeg] = None
    memory_gb_month: NonNeg = 0.0
    storage_gb_month: NonNeg = 0.0
    egress_gb: Optional[NonNeg] = None


class Site(_Strict):
    id: Id
    kind: SiteKind
    zone: Id
    region: Optional[Id] = None
    name: Optional[str] = None
    capacity: Optional[Capacity] = None
    cost: Optional[SiteCost] = None
    certifications: list[str] = Field(default_factory=list)
    closes: Optional[dt.date] = None


class UserNeed(_Strict):
    zone: Id
    max_latency_ms: NonNeg


class Dependency(_Strict):
    workload: Id
    max_latency_ms: Optional[NonNeg] = None
    traffic_gb_month: NonNeg = 0.0


class Workload(_Strict):
    id: Id
    app: Id
    env: Id
    criticality: Criticality = Criticality.MEDIUM
    vcpu: Pos
    memory_gb: Pos
    storage_gb: NonNeg = 0.0
    cpu_util_p95: Optional[Fraction] = None
    mem_util_p95: Optional[Fraction] = None
    current_site: Id
    data: list[Id] = Field(default_factory=list)
    users: list[UserNeed] = Field(default_factory=list)
    depends_on: list[Dependency] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    pin: Optional[Id] = None
    allowed_kinds: Optional[list[SiteKind]] = Field(default=None, min_length=1)
    anti_affinity: Optional[Id] = None
    migration_cost: Optional[NonNeg] = None
    migration_effort_hours: Optional[NonNeg] = None
    os: Literal["linux", "windows"] = "linux"

    @property
    def is_prod(self) -> bool:
        """Production workloads form their app's production move group."""
        return self.env.lower() in ("prod", "production", "prd")

    @property
    def move_group(self) -> tuple[str, bool]:
        """(app, is_prod): the unit that moves in one wave."""
        return (self.app, self.is_prod)


class WaveRules(_Strict):
    length_days: Annotated[int, Field(ge=1, le=3650)] = 30
    max_workloads: Annotated[int, Field(ge=1)] = 200
    max_effort_hours: Pos = 2000.0
    first_wave_max_workloads: Annotated[int, Field(ge=1)] = 20
    growth_per_wave: Annotated[int, Field(ge=0)] = 20
    pilot_waves: Annotated[int, Field(ge=0)] = 2

    def max_workloads_in(self, wave: int) -> int:
        """The ramped-up workload limit of wave `wave` (1-based)."""
        return min(self.max_workloads, self.first_wave_max_workloads + self.growth_per_wave * (wave - 1))


class SolverSettings(_Strict):
    backend: Literal["highs", "cbc"] = "highs"
    time_limit_s: Pos = 60.0
    gap: Annotated[float, Field(ge=0, lt=1)] = 0.0001
    threads: Optional[Annotated[int, Field(ge=1, le=256)]] = None

    def overridden(self, backend: Optional[str] = None, time_limit_s: Optional[float] = None, gap: Optional[float] = None,
                   threads: Optional[int] = None) -> "SolverSettings":
        """These settings with every value given on the command line (not None) in place of the scenario's."""
        given = {"backend": backend, "time_limit_s": time_limit_s, "gap": gap, "threads": threads}
        return self.model_copy(update={k: v for k, v in given.items() if v is not None})


class Scenario(_Strict):
    start: dt.date = dt.date(2027, 1, 1)
    horizon_months: Annotated[int, Field(ge=1, le=600)] = 36
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    default_migration_cost: NonNeg = 800.0
    default_migration_effort_hours: NonNeg = 8.0
    comfort_factor: Annotated[float, Field(ge=1, le=10)] = 1.3
    intra_zone_ms: NonNeg = 1.0
    waves: WaveRules = Field(default_factory=WaveRules)
    solver: SolverSettings = Field(default_factory=SolverSettings)

    @property
    def horizon_end(self) -> dt.date:
        """The first day after the horizon: `horizon_months` calendar months after `start`."""
        return add_months(self.start, self.horizon_months)


class LatencyLink(_Strict):
    a: Id
    b: Id
    ms: NonNeg


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole calendar months, clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")


class Inventory(BaseModel):
    """A whole, cross-checked estate. Built by :func:`planner.loader.load_inventory`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    zones: tuple[Zone, ...]
    latency: tuple[LatencyLink, ...]
    countries: dict[str, tuple[str, ...]]
    policies: tuple[Policy, ...]
    sites: tuple[Site, ...]
    workloads: tuple[Workload, ...]
    scenario: Scenario
    sha256: str
    source: str
