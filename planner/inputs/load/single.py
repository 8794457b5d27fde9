"""One workload's fields checked alone (shape, types, bounds; no references): for importers and scripts."""

from __future__ import annotations

from typing import Any, Mapping

from planner.domain.model import Criticality, Dependency, SiteKind, UserNeed, Workload
from planner.inputs.load.assemble import check_values
from planner.inputs.load.rows import Issues
from planner.inputs.load.schema import DEP_SPECS, SPECS, USER_SPECS
from planner.inputs.load.yaml_workloads import read_yaml_workloads
from planner.inputs.yamlio import LineDict, LineList


def validate_workload(fields: Mapping[str, Any]) -> Workload:
    """`fields` (as in a YAML `workloads:` item) as a :class:`Workload`; raises ValueError saying every problem."""
    issues = Issues()
    item = _lined(dict(fields))
    w, d, u = (rows[0] for rows in read_yaml_workloads([("<workload>", _lined([item]), 1)], issues))
    check_values(w, SPECS, issues)
    check_values(d, DEP_SPECS, issues)
    check_values(u, USER_SPECS, issues)
    if issues:
        raise ValueError("; ".join(f"{i.field}: {i.message}" for i in issues.all()))
    f = dict(fields)
    kinds = f.get("allowed_kinds")
    return Workload(
        id=f["id"], app=f["app"], env=f["env"], vcpu=float(f["vcpu"]), memory_gb=float(f["memory_gb"]),
        current_site=f["current_site"], criticality=Criticality(f.get("criticality") or "medium"),
        storage_gb=float(f.get("storage_gb") or 0.0), cpu_util_p95=f.get("cpu_util_p95"), mem_util_p95=f.get("mem_util_p95"),
        data=tuple(sorted(set(f.get("data") or ()))),
        users=tuple(UserNeed(x["zone"], float(x["max_latency_ms"])) for x in f.get("users") or ()),
        depends_on=tuple(Dependency(x["workload"], x.get("max_latency_ms"), float(x.get("traffic_gb_month") or 0.0))
                         for x in f.get("depends_on") or ()),
        requires=tuple(sorted(set(f.get("requires") or ()))), pin=f.get("pin"),
        allowed_kinds=tuple(SiteKind(k) for k in kinds) if kinds else None, anti_affinity=f.get("anti_affinity"),
        migration_cost=f.get("migration_cost"), migration_effort_hours=f.get("migration_effort_hours"), os=f.get("os") or "linux",
    )


def _lined(value: Any) -> Any:
    """Plain dicts and lists as the line-aware ones the YAML reader makes (every line 1)."""
    if isinstance(value, dict):
        out = LineDict({k: _lined(v) for k, v in value.items()})
        out.line = 1
        out.lines = {k: 1 for k in value}
        return out
    if isinstance(value, list):
        seq = LineList([_lined(v) for v in value])
        seq.line = 1
        seq.lines = [1] * len(value)
        return seq
    return value
