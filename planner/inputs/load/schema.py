"""The fields of a workload, a dependency and a user need, declared once.

The YAML reader, the CSV and Parquet readers, the range checks, the importers' self-check and
the field reference (docs/inventory.md) all read these declarations, so a bound or a field cannot differ
between them. Each field says its kind, whether it is required, its bounds and unit, its
default and what it means.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from planner.domain.model import MAX_FREE_TEXT, MAX_LATENCY_MS
from planner.domain.model import (
    MAX_ID as MAX_TEXT,  # the topology's bounds and the workloads' are one
)

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$")


@dataclass(frozen=True)
class FieldSpec:
    """One field: `kind` is id, text, number, choice, ids, texts or kinds (lists of those)."""

    name: str
    kind: str
    doc: str
    required: bool = False
    low: Optional[float] = None
    low_open: bool = False  # the bound excludes `low` (a size must be more than 0)
    high: Optional[float] = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    default: str = ""

    @property
    def is_list(self) -> bool:
        return self.kind in ("ids", "texts", "kinds")

    def bounds_text(self) -> str:
        """The allowed range in words: `greater than 0 and at most 100000`."""
        parts = []
        if self.low is not None:
            parts.append(f"greater than {self.low:g}" if self.low_open else f"at least {self.low:g}")
        if self.high is not None:
            parts.append(f"at most {self.high:g}")
        return " and ".join(parts)


KIND_CHOICES = ("onprem", "azure", "edge")

WORKLOAD_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "id", "unique id of the workload", required=True),
    FieldSpec("app", "id", "the application it belongs to; with env, its move group", required=True),
    FieldSpec("env", "id", "environment; prod, production or prd is production, anything else non-production", required=True),
    FieldSpec("criticality", "choice", "how critical the app is; high keeps the app out of pilot waves",
              choices=("low", "medium", "high"), default="medium"),
    FieldSpec("vcpu", "number", "virtual CPUs", required=True, low=0, low_open=True, high=100_000, unit="vCPU"),
    FieldSpec("memory_gb", "number", "memory", required=True, low=0, low_open=True, high=1_000_000, unit="GB"),
    FieldSpec("storage_gb", "number", "storage", low=0, high=1e8, unit="GB", default="0"),
    FieldSpec("cpu_util_p95", "number", "95th percentile CPU utilisation, for right-sizing onto cloud VM sizes", low=0, high=1,
              unit="fraction 0-1", default="not measured: the full size"),
    FieldSpec("mem_util_p95", "number", "95th percentile memory utilisation", low=0, high=1, unit="fraction 0-1",
              default="not measured: the full size"),
    FieldSpec("current_site", "id", "the site it runs on today", required=True),
    FieldSpec("data", "ids", "data classes it holds, matched against the policies' data_class", default="none"),
    FieldSpec("users", "users", "where its users are and the latency they need", default="none"),
    FieldSpec("depends_on", "dependencies", "workloads it depends on", default="none"),
    FieldSpec("requires", "texts", "certifications the site must hold", default="none"),
    FieldSpec("pin", "id", "a site id: it must stay or go exactly there", default="not pinned"),
    FieldSpec("allowed_kinds", "kinds", "the site kinds it may go to", choices=KIND_CHOICES, default="any kind"),
    FieldSpec("anti_affinity", "id", "no two workloads of one group share a site", default="no group"),
    FieldSpec("migration_cost", "number", "one-time cost of moving it", low=0, high=1e9, unit="scenario currency",
              default="scenario.default_migration_cost"),
    FieldSpec("migration_effort_hours", "number", "hours of migration work", low=0, high=1e6, unit="hours",
              default="scenario.default_migration_effort_hours"),
    FieldSpec("os", "choice", "operating system, for licence pricing", choices=("linux", "windows"), default="linux"),
)
DEPENDENCY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("workload", "id", "the workload depended on", required=True),
    FieldSpec("max_latency_ms", "number", "latency budget between the two ends' zones", low=0, high=MAX_LATENCY_MS, unit="ms",
              default="no budget"),
    FieldSpec("traffic_gb_month", "number", "traffic, priced as egress of the dependant's site when the ends sit apart",
              low=0, high=1e9, unit="GB per month", default="0"),
)
USER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("zone", "id", "the zone the users are in", required=True),
    FieldSpec("max_latency_ms", "number", "the latency they need", required=True, low=0, high=MAX_LATENCY_MS, unit="ms"),
)
SPECS = {f.name: f for f in WORKLOAD_FIELDS}
COLUMN_FIELDS = tuple(f for f in WORKLOAD_FIELDS if f.kind not in ("users", "dependencies"))  # a workloads table's columns


class Bad(ValueError):
    """A value that does not fit its field; the message says what would be right."""


def show(value: Any) -> str:
    """A value as it is quoted in an error message (at most 60 characters; a mapping or list by its kind)."""
    if isinstance(value, (dict, list)):
        return "a " + ("mapping" if isinstance(value, dict) else "list")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def a_kind(value: Any) -> str:
    """A value's kind in an error message, with its article: a mapping, a list, an empty value, an int (3)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} ({show(value)})"


def coerce(spec: FieldSpec, value: Any) -> Any:
    """A YAML (or other Python) value of `spec` as the planner holds it: float, str or tuple; raises :class:`Bad`."""
    if spec.kind == "number":
        return number(spec, value)
    if spec.kind in ("id", "text", "choice"):
        return text(spec, value)
    if spec.is_list:
        if not isinstance(value, list):
            raise Bad(f"expected a list, like [{_example(spec)}]; got {show(value)}")
        return tuple(sorted({text(spec, v) for v in value}))
    raise AssertionError(spec.kind)


def number(spec: FieldSpec, value: Any) -> float:
    """A number field's value; booleans and text are not numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Bad(f"must be a number{_range(spec)}; got {show(value)}")
    try:
        x = float(value)
    except OverflowError:
        raise Bad(f"must be a number{_range(spec)}; got a number of {len(str(value))} digits") from None
    if not math.isfinite(x):
        raise Bad(f"must be a finite number{_range(spec)}; got {show(value)}")
    return x


def text(spec: FieldSpec, value: Any) -> str:
    """A text-like field's value (an id, a certification, a choice)."""
    if not isinstance(value, str):
        raise Bad(f"must be {_what(spec)}; got {show(value)}")
    problem = text_problem(spec, value)
    if problem:
        raise Bad(problem)
    return value


def text_problem(spec: FieldSpec, value: str) -> str:
    """Why `value` does not fit a text-like field ("" when it does)."""
    if spec.choices:
        if value not in spec.choices:
            return f"must be {_what(spec)}; got {show(value)}"
        return ""
    if not value:
        return f"must be {_what(spec)}; got an empty text"
    limit = MAX_TEXT if spec.kind in ("id", "ids") else MAX_FREE_TEXT
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit} are allowed"
    if spec.kind in ("id", "ids") and not ID_PATTERN.match(value):
        return f"must be {_what(spec)}; got {show(value)}"
    return ""


def out_of_range(spec: FieldSpec, values: np.ndarray) -> np.ndarray:
    """Which of `values` (NaN: not given) break the field's bounds; one check for every source."""
    bad = np.zeros(len(values), dtype=bool)
    given = ~np.isnan(values)
    if spec.low is not None:
        bad |= given & ((values <= spec.low) if spec.low_open else (values < spec.low))
    if spec.high is not None:
        bad |= given & (values > spec.high)
    return bad


def range_message(spec: FieldSpec, value: float) -> str:
    """The error for a number outside the field's bounds."""
    unit = f" ({spec.unit})" if spec.unit else ""
    return f"must be {spec.bounds_text()}{unit}; got {value:g}"


def _range(spec: FieldSpec) -> str:
    b = spec.bounds_text()
    return f" {b}" if b else ""


def _what(spec: FieldSpec) -> str:
    if spec.choices:
        names = [f"'{c}'" for c in spec.choices]
        return "one of " + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])
    if spec.kind in ("id", "ids"):
        return f"an id (letters, digits and _.:/@+-, starting with a letter or digit, at most {MAX_TEXT} characters)"
    return f"a text of 1 to {MAX_FREE_TEXT} characters"


def _example(spec: FieldSpec) -> str:
    return {"data": "personal-eu", "requires": "PCI-DSS", "allowed_kinds": "onprem, azure"}.get(spec.name, "x")


# How the typed rows hold each kind (see planner.inputs.load.rows): numbers as floats, the rest interned.
WORKLOAD_NUM = tuple(f.name for f in COLUMN_FIELDS if f.kind == "number")
WORKLOAD_TEXT = tuple(f.name for f in COLUMN_FIELDS if f.kind != "number")
DEP_TEXT, DEP_NUM = ("source", "target"), ("max_latency_ms", "traffic_gb_month")
USER_TEXT, USER_NUM = ("workload", "zone"), ("max_latency_ms",)
DEP_SPECS = {"source": SPECS["id"], "target": DEPENDENCY_FIELDS[0], "max_latency_ms": DEPENDENCY_FIELDS[1],
             "traffic_gb_month": DEPENDENCY_FIELDS[2]}
USER_SPECS = {"workload": SPECS["id"], "zone": USER_FIELDS[0], "max_latency_ms": USER_FIELDS[1]}
