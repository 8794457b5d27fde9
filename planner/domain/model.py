"""The domain model: what an inventory says, validated and immutable.

The topology (zones, policies, sites, scenario) is a set of pydantic models: both the schema
of its YAML sections (unknown fields are errors, types and ranges are checked) and the objects
the rest of the planner reads. Workloads, of which there may be a million, are held as columns
(:mod:`planner.domain.workloads`); :class:`Workload` is the read-only view of one of them. Their
fields are declared once in :mod:`planner.inputs.load.schema`. Cross-references are checked by
:mod:`planner.inputs.load` once every file is read, since they span files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

MAX_ID = 200
MAX_FREE_TEXT = 1000  # a name, a description, a certification: free text (every output neutralises it), not a megabyte of it
Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$")]
FreeText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FREE_TEXT)]
# Numbers are strict: `true` is not 1 and "12" is not 12 (an int is a fine float). Each has an upper bound
# far above any real estate, and together they keep every cost of one workload over the longest horizon
# below 1e19 (600 months of the largest workload, planner.inputs.load.schema, at the highest prices): no total
# overflows, and the solver's costs stay below what HiGHS takes for infinite (1e20).
MAX_LATENCY_MS = 1e6  # as a workload's latency budgets (planner.inputs.load.schema)
MAX_PRICE = 1e7  # per unit and month (or GB of egress), in any currency: a vCPU-month of $400 in dong


def _between(low: float, high: float, low_open: bool = False) -> Any:
    return Field(gt=low, le=high, allow_inf_nan=False, strict=True) if low_open else Field(ge=low, le=high, allow_inf_nan=False, strict=True)


Price = Annotated[float, _between(0, MAX_PRICE)]
Count = Annotated[int, Field(ge=1, le=10_000_000, strict=True)]

# Every day an inventory or a waivers file names lies in this window, so no date computed from one
# (the horizon's end, 600 months on; a wave's end) leaves the calendar.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: Any) -> dt.date:
    """A day written as YYYY-MM-DD (or a date), within FIRST_DAY..LAST_DAY; raises ValueError saying what is wrong."""
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date like 2027-03-31, without a time")
    if isinstance(value, str):
        if not _ISO_DAY.match(value):
            raise ValueError("expected a date like 2027-03-31")
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"there is no such day ({exc})") from None
    if not isinstance(value, dt.date):
        raise ValueError("expected a date like 2027-03-31")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a day from {FIRST_DAY} to {LAST_DAY} is expected, so that every date computed from it is a real one")
    return value


Day = Annotated[dt.date, BeforeValidator(parse_day)]


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
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # an ISO 3166-1 code: checked against the list by the loader
    name: Optional[FreeText] = None


class Policy(_Strict):
    id: Id
    name: FreeText
    data_class: Id
    # A dated law (planner.domain.presets) and/or a list of countries and groups: with both, the policy allows
    # what both allow. The loader checks the name and that one of the two is given.
    preset: Optional[Id] = None
    allowed_countries: Optional[list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]]] = Field(default=None, min_length=1)
    description: Optional[FreeText] = None


class Capacity(_Strict):
    """Per-resource limits; a resource left out is unlimited."""

    # At most what a million workloads of the largest size (planner.inputs.load.schema) could use.
    vcpu: Optional[Annotated[float, _between(0, 1e11)]] = None
    memory_gb: Optional[Annotated[float, _between(0, 1e12)]] = None
    storage_gb: Optional[Annotated[float, _between(0, 1e14)]] = None


class SiteCost(_Strict):
    """Unit prices in the scenario currency; without vcpu_month an Azure site is catalogue-priced."""

    vcpu_month: Optional[Price] = None
    memory_gb_month: Price = 0.0
    storage_gb_month: Price = 0.0
    egress_gb: Optional[Price] = None
    windows_vcpu_month: Price = 0.0  # Windows licence per vCPU-month, added for Windows workloads


class Energy(_Strict):
    """A site's own energy figures; a field left out takes its default (planner.domain.carbon)."""

    pue: Optional[Annotated[float, Field(ge=1, le=5, allow_inf_nan=False, strict=True)]] = None
    grid_gco2_kwh: Optional[Annotated[float, _between(0, 2000)]] = None  # the dirtiest grids are near 1,000


class Site(_Strict):
    id: Id
    kind: SiteKind
    zone: Id
    region: Optional[Id] = None
    name: Optional[FreeText] = None
    capacity: Optional[Capacity] = None
    cost: Optional[SiteCost] = None
    certifications: list[FreeText] = Field(default_factory=list)
    closes: Optional[Day] = None
    energy: Optional[Energy] = None


@dataclass(frozen=True)
class UserNeed:
    """Users in `zone` need the workload within `max_latency_ms`."""

    zone: str
    max_latency_ms: float


@dataclass(frozen=True)
class Dependency:
    """The workload depends on `workload`, within `max_latency_ms` (None: no budget), sending `traffic_gb_month`."""

    workload: str
    max_latency_ms: Optional[float] = None
    traffic_gb_month: float = 0.0


@dataclass(frozen=True)
class Workload:
    """One workload, read from the columnar estate (:class:`planner.domain.workloads.WorkloadTable`) when asked for.

    The hot paths read the table's columns; this object is for the code that looks at a few
    workloads at a time (explain, diff, messages). Optional fields are None when not given.
    """

    id: str
    app: str
    env: str
    vcpu: float
    memory_gb: float
    current_site: str
    criticality: Criticality = Criticality.MEDIUM
    storage_gb: float = 0.0
    cpu_util_p95: Optional[float] = None
    mem_util_p95: Optional[float] = None
    data: tuple[str, ...] = ()
    users: tuple[UserNeed, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    requires: tuple[str, ...] = ()
    pin: Optional[str] = None
    allowed_kinds: Optional[tuple[SiteKind, ...]] = None
    anti_affinity: Optional[str] = None
    migration_cost: Optional[float] = None
    migration_effort_hours: Optional[float] = None
    os: str = "linux"

    @property
    def is_prod(self) -> bool:
        """Production workloads form their app's production move group."""
        return is_prod_env(self.env)

    @property
    def move_group(self) -> tuple[str, bool]:
        """(app, is_prod): the unit that moves in one wave."""
        return (self.app, self.is_prod)


PROD_ENVS = ("prod", "production", "prd")


def is_prod_env(env: str) -> bool:
    """Whether an `env` value names production (`prod`, `production` or `prd`, any case)."""
    return env.lower() in PROD_ENVS


class WaveRules(_Strict):
    length_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = 30
    max_workloads: Count = 200
    max_effort_hours: Annotated[float, _between(0, 1e9, low_open=True)] = 2000.0
    first_wave_max_workloads: Count = 20
    growth_per_wave: Annotated[int, Field(ge=0, le=10_000_000, strict=True)] = 20
    pilot_waves: Annotated[int, Field(ge=0, le=1000, strict=True)] = 2

    def max_workloads_in(self, wave: int) -> int:
        """The ramped-up workload limit of wave `wave` (1-based)."""
        return min(self.max_workloads, self.first_wave_max_workloads + self.growth_per_wave * (wave - 1))


class SolverSettings(_Strict):
    # highs (HiGHS driven directly), cbc, or any solver PuLP reports available here (GUROBI, CPLEX_PY, SCIP_PY, HiGHS...).
    # Whether it is installed is checked when solving: an inventory means the same on every machine.
    backend: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$")] = "highs"
    time_limit_s: Annotated[float, _between(0, 1e6, low_open=True)] = 60.0
    gap: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False, strict=True)] = 0.0001
    threads: Optional[Annotated[int, Field(ge=1, le=256, strict=True)]] = None
    # GB of memory the plan may use; None: what the machine has available when it starts.
    memory_gb: Optional[Annotated[float, _between(0, 1e6, low_open=True)]] = None

    def overridden(self, backend: Optional[str] = None, time_limit_s: Optional[float] = None, gap: Optional[float] = None,
                   threads: Optional[int] = None, memory_gb: Optional[float] = None) -> "SolverSettings":
        """These settings with every value given on the command line (not None) in place of the scenario's."""
        given = {"backend": backend, "time_limit_s": time_limit_s, "gap": gap, "threads": threads, "memory_gb": memory_gb}
        return self.model_copy(update={k: v for k, v in given.items() if v is not None})


PRICING_OPTIONS = ("payg", "reserved-1y", "reserved-3y", "savings-plan-1y", "savings-plan-3y")


class Pricing(_Strict):
    """How catalogue-priced Azure VMs are bought: pay-as-you-go or a commitment, and Azure Hybrid Benefit."""

    azure: Literal["payg", "reserved-1y", "reserved-3y", "savings-plan-1y", "savings-plan-3y"] = "payg"
    hybrid_benefit: Annotated[bool, Field(strict=True)] = False


class CarbonSettings(_Strict):
    """A carbon price in the objective (currency per tCO2e) and a hard cap on the horizon's emissions (tCO2e)."""

    price_per_tonne: Annotated[float, _between(0, 100_000)] = 0.0  # far above any traded or shadow price
    cap_tonnes: Optional[Annotated[float, _between(0, 1e12)]] = None


class Scenario(_Strict):
    start: Day = dt.date(2027, 1, 1)
    horizon_months: Annotated[int, Field(ge=1, le=600, strict=True)] = 36
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    default_migration_cost: Annotated[float, _between(0, 1e9)] = 800.0  # the bounds of a workload's own (planner.inputs.load.schema)
    default_migration_effort_hours: Annotated[float, _between(0, 1e6)] = 8.0
    comfort_factor: Annotated[float, Field(ge=1, le=10, allow_inf_nan=False, strict=True)] = 1.3
    intra_zone_ms: Annotated[float, _between(0, MAX_LATENCY_MS)] = 1.0
    waves: WaveRules = Field(default_factory=WaveRules)
    solver: SolverSettings = Field(default_factory=SolverSettings)
    pricing: Pricing = Field(default_factory=Pricing)
    carbon: CarbonSettings = Field(default_factory=CarbonSettings)
    # A yearly rate, as a fraction, for the plan's net present value; above 100% a year is a typo, not a hurdle rate.
    discount_rate: Annotated[float, _between(0, 1)] = 0.07

    @property
    def horizon_end(self) -> dt.date:
        """The first day after the horizon: `horizon_months` calendar months after `start` (an exclusive bound)."""
        return add_months(self.start, self.horizon_months)

    @property
    def last_day(self) -> dt.date:
        """The horizon's last day: what every output says the horizon ends on (as a wave's `end` is its last day)."""
        return self.horizon_end - dt.timedelta(days=1)


class LatencyLink(_Strict):
    a: Id
    b: Id
    ms: Annotated[float, _between(0, MAX_LATENCY_MS)]


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
