"""The estate's workloads as columns: one array per field, ids interned, rows sorted by id.

A million workloads as Python objects cost gigabytes and minutes; as arrays they cost a few
hundred megabytes, and the rules and the cost model run once per distinct value (a profile,
a size, a site) instead of once per workload. Strings that repeat (apps, environments, sites,
anti-affinity groups) are codes into a tuple of names; list fields (data classes,
certifications, users) are codes into a tuple of distinct lists. :class:`planner.domain.model.Workload`
objects are made on demand, for code that looks at a few workloads at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Optional, Union, overload

import numpy as np

from planner.domain.model import (
    Criticality,
    Dependency,
    SiteKind,
    UserNeed,
    Workload,
    is_prod_env,
)

CRITICALITIES = (Criticality.LOW, Criticality.MEDIUM, Criticality.HIGH)  # criticality code -> value
KINDS = (SiteKind.ONPREM, SiteKind.AZURE, SiteKind.EDGE)  # bit k of allowed_kinds -> kind
OSES = ("linux", "windows")


@dataclass(frozen=True)
class Codes:
    """A column of repeated strings: `codes[i]` indexes `names` (-1: not given)."""

    codes: np.ndarray
    names: tuple[str, ...]

    def value(self, i: int) -> Optional[str]:
        c = int(self.codes[i])
        return self.names[c] if c >= 0 else None


@dataclass(frozen=True)
class Dependencies:
    """Every dependency `src -> dst` (workload numbers), sorted by (src, dst); NaN latency: no budget."""

    src: np.ndarray
    dst: np.ndarray
    max_latency_ms: np.ndarray
    traffic_gb_month: np.ndarray

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class WorkloadTable:
    """Every workload of an inventory as columns, rows sorted by id.

    Sites, zones and workloads are referred to by number: `site_ids` and `zone_ids` are the
    sorted ids of the inventory's sites and zones (the order :class:`planner.domain.estate.Estate`
    uses), dependency ends are row numbers.
    """

    ids: tuple[str, ...]
    app: Codes
    env: Codes
    criticality: np.ndarray  # int8 code into CRITICALITIES
    vcpu: np.ndarray
    memory_gb: np.ndarray
    storage_gb: np.ndarray
    cpu_util_p95: np.ndarray  # NaN: not measured
    mem_util_p95: np.ndarray
    current_site: np.ndarray  # int32 into site_ids
    pin: np.ndarray  # int32 into site_ids, -1: not pinned
    allowed_kinds: np.ndarray  # uint8 bit mask over KINDS, 0: any kind
    anti_affinity: Codes
    migration_cost: np.ndarray  # NaN: the scenario's default
    migration_effort_hours: np.ndarray  # NaN: the scenario's default
    os: np.ndarray  # int8 code into OSES
    data: np.ndarray  # int32 into data_sets
    data_sets: tuple[tuple[str, ...], ...]
    requires: np.ndarray  # int32 into requires_sets
    requires_sets: tuple[tuple[str, ...], ...]
    users: np.ndarray  # int32 into user_sets
    user_sets: tuple[tuple[tuple[int, float], ...], ...]  # (zone number, max_latency_ms) per user need
    deps: Dependencies
    site_ids: tuple[str, ...]
    zone_ids: tuple[str, ...]
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Workload]:
        return iter(self.views)

    @cached_property
    def views(self) -> "WorkloadViews":
        """The workloads as :class:`Workload` objects, made when asked for."""
        return WorkloadViews(self)

    @cached_property
    def dep_ptr(self) -> np.ndarray:
        """The dependencies of workload i are `deps[dep_ptr[i]:dep_ptr[i+1]]`."""
        ptr = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.deps.src, minlength=len(self)), out=ptr[1:])
        return ptr

    @cached_property
    def is_prod(self) -> np.ndarray:
        """Per workload, whether its env is production."""
        prod = np.array([is_prod_env(e) for e in self.env.names], dtype=bool)
        return prod[self.env.codes] if len(prod) else np.zeros(len(self), dtype=bool)

    def index(self) -> dict[str, int]:
        """Workload id to row number (built once, on first use)."""
        if not self._index:
            self._index.update((wid, i) for i, wid in enumerate(self.ids))
        return self._index

    def rows_of(self, ids: Sequence[str]) -> np.ndarray:
        """Row numbers of `ids` (-1 for an id the table does not hold)."""
        index = self.index()
        return np.fromiter((index.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))

    def workload(self, i: int) -> Workload:
        """Row `i` as a :class:`Workload`."""
        # `.item` and `x != x` (NaN) rather than numpy scalars and np.isnan, which cost more than the object itself.
        kinds = self.allowed_kinds.item(i)
        lo, hi = self.dep_ptr.item(i), self.dep_ptr.item(i + 1)
        ids = self.ids
        deps = tuple(
            Dependency(ids[d], None if ms != ms else float(ms), float(gb))
            for d, ms, gb in zip(self.deps.dst[lo:hi].tolist(), self.deps.max_latency_ms[lo:hi].tolist(),
                                 self.deps.traffic_gb_month[lo:hi].tolist())
        ) if hi > lo else ()
        pin = self.pin.item(i)
        users = self.user_sets[self.users.item(i)]
        return Workload(
            id=ids[i],
            app=self.app.names[self.app.codes.item(i)],
            env=self.env.names[self.env.codes.item(i)],
            vcpu=float(self.vcpu.item(i)),
            memory_gb=float(self.memory_gb.item(i)),
            current_site=self.site_ids[self.current_site.item(i)],
            criticality=CRITICALITIES[self.criticality.item(i)],
            storage_gb=float(self.storage_gb.item(i)),
            cpu_util_p95=_opt(self.cpu_util_p95, i),
            mem_util_p95=_opt(self.mem_util_p95, i),
            data=self.data_sets[self.data.item(i)],
            users=tuple(UserNeed(self.zone_ids[z], ms) for z, ms in users) if users else (),
            depends_on=deps,
            requires=self.requires_sets[self.requires.item(i)],
            pin=self.site_ids[pin] if pin >= 0 else None,
            allowed_kinds=tuple(k for b, k in enumerate(KINDS) if kinds >> b & 1) if kinds else None,
            anti_affinity=self.anti_affinity.value(i),
            migration_cost=_opt(self.migration_cost, i),
            migration_effort_hours=_opt(self.migration_effort_hours, i),
            os=OSES[self.os.item(i)],
        )


def _opt(column: np.ndarray, i: int) -> Optional[float]:
    x = float(column.item(i))
    return None if x != x else x


class WorkloadViews(Sequence):
    """A read-only sequence of :class:`Workload` over a table; each item is made when asked for."""

    def __init__(self, table: WorkloadTable):
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    @overload
    def __getitem__(self, i: int) -> Workload: ...

    @overload
    def __getitem__(self, i: slice) -> list[Workload]: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[Workload, list[Workload]]:
        if isinstance(i, slice):
            return [self._table.workload(k) for k in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        return self._table.workload(i % n if i < 0 else i)

    def __iter__(self) -> Iterator[Workload]:
        for i in range(len(self)):
            yield self._table.workload(i)


def kinds_mask(kinds: Optional[Sequence[Union[str, SiteKind]]]) -> int:
    """The allowed_kinds bit mask of a list of kinds (0 for None: any kind)."""
    if kinds is None:
        return 0
    values = [k.value for k in KINDS]
    return sum(1 << values.index(SiteKind(k).value) for k in set(kinds))
