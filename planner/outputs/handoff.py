"""The waves handed to the tools a migration team executes in: Azure Migrate's wave resources and a tracker.

`azure-waves`: an ARM template (deployable as is, or decompiled to Bicep) with one
`Microsoft.Migrate/migrateProjects/waves` resource per wave that moves something: its name, display
name, planned start and completion, and an Azure Resource Graph query that selects the wave's machines
by name. `tracker`: RFC 4180 CSV that Jira (or any tracker) imports, one row per move group per wave,
with its workloads, dates, the move groups it waits for and why it moves in that wave.

Text from the inventory is untrusted: CSV cells that a spreadsheet would read as a formula are
neutralised as in the work list, and names inside the resource-graph query are quoted as KQL strings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from planner.base.atomic_write import write_atomic
from planner.domain.estate import Estate
from planner.outputs.export import ExportError, InventoryMismatch, neutralise
from planner.plan.document import Plan

HANDOFF_FORMATS = ("azure-waves", "tracker")
WAVE_RESOURCE_TYPE = "Microsoft.Migrate/migrateProjects/waves"
WAVE_API_VERSION = "2025-12-01-preview"
ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
TRACKER_COLUMNS = ("Summary", "Issue Type", "Wave", "Start date", "Due date", "Move group", "App", "Environment",
                   "Workload count", "Workloads", "Depends on", "Reasons", "Labels")


@dataclass(frozen=True)
class GroupRow:
    """One move group in one wave, as a tracker issue."""

    wave: int
    start: dt.date
    end: dt.date
    app: str
    prod: bool
    workloads: tuple[str, ...]
    depends_on: tuple[str, ...]  # labels of the move groups it waits for
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.app} {'production' if self.prod else 'non-production'}"


def _scheduled(plan: Plan, estate: Estate) -> None:
    """Raise unless `plan` has waves made from `estate`'s inventory."""
    if plan.inventory_sha256 != estate.inventory.sha256:
        raise InventoryMismatch("the plan was made from another inventory (inventory_sha256 differs)")
    if not plan.has_plan:
        raise ExportError(f"the plan is {plan.status}: it has no waves to hand off")


def _kql(text: str) -> str:
    """`text` as a single-quoted KQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def machines_query(workloads: tuple[str, ...]) -> str:
    """The Azure Resource Graph query of a wave's machines: the discovered machines of the Migrate project by name."""
    names = ", ".join(_kql(w) for w in sorted(workloads))
    return f"migrateresources | where properties.displayName in~ ({names}) | project id, name, properties.displayName"


def azure_waves(plan: Plan, estate: Estate) -> dict[str, Any]:
    """The ARM template of the plan's waves: one `migrateProjects/waves` resource per wave that moves something."""
    _scheduled(plan, estate)
    resources = []
    for w in sorted(plan.waves, key=lambda w: w.number):
        if not w.workloads:
            continue
        resources.append({
            "type": WAVE_RESOURCE_TYPE,
            "apiVersion": WAVE_API_VERSION,
            "name": f"[format('{{0}}/{{1}}', parameters('migrateProjectName'), 'wave-{w.number:03d}')]",
            "properties": {
                "displayName": f"Wave {w.number}" + (f" ({w.phase})" if w.phase else ""),
                "description": f"{len(w.workloads)} workload(s) from {w.start.isoformat()} to {w.end.isoformat()}",
                "plannedStartDate": w.start.isoformat(),
                "plannedCompletionDate": w.end.isoformat(),
                "arg": {"query": machines_query(tuple(w.workloads))},
            },
        })
    return {
        "$schema": ARM_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {"generator": "planner", "plan_format": plan.format, "inventory_sha256": plan.inventory_sha256},
        "parameters": {"migrateProjectName": {"type": "string", "metadata": {"description": "The Azure Migrate project the waves belong to"}}},
        "resources": resources,
    }


def tracker_rows(plan: Plan, estate: Estate) -> list[GroupRow]:
    """One row per move group per wave, in wave then group order."""
    _scheduled(plan, estate)
    t = estate.table
    wave_of = {wid: w.number for w in plan.waves for wid in w.workloads}
    dates = {w.number: (w.start, w.end) for w in plan.waves}
    members: dict[tuple[int, str, bool], list[str]] = defaultdict(list)
    group_of: dict[str, tuple[str, bool]] = {}
    index = estate.workload_index
    prod_of = t.is_prod
    for wid, k in wave_of.items():
        i = index.get(wid)
        if i is None:
            raise InventoryMismatch(f"the plan schedules {wid}, which is not in the inventory")
        key = (t.app.names[int(t.app.codes[i])], bool(prod_of[i]))
        group_of[wid] = key
        members[(k, *key)].append(wid)
    deps = t.deps
    waits: dict[tuple[str, bool], set[tuple[str, bool]]] = defaultdict(set)
    for a, b in zip(deps.src.tolist(), deps.dst.tolist()):
        ga, gb = group_of.get(t.ids[a]), group_of.get(t.ids[b])
        if ga and gb and ga != gb:
            waits[ga].add(gb)
    group_wave = {key[1:]: key[0] for key in members}
    closing = {s.id: s.closes for s in estate.sites if estate.closes_in_horizon(s)}
    pilots = estate.scenario.waves.pilot_waves
    rows = []
    for (k, app, prod), ids in sorted(members.items()):
        key = (app, prod)
        before = sorted(waits[key] | ({(app, False)} if prod and (app, False) in group_wave else set()))
        reasons = []
        if k <= pilots:
            reasons.append(f"pilot wave (the first {pilots} hold no high-criticality app)")
        leaving = sorted({t.site_ids[int(t.current_site[index[w]])] for w in ids} & set(closing))
        reasons += [f"leaves {s} before it closes on {closing[s]}" for s in leaving]
        if prod and (app, False) in group_wave:
            reasons.append(f"after its non-production group (wave {group_wave[(app, False)]})")
        dep_waves = sorted({(group_wave[g], g) for g in waits[key] if g in group_wave})
        if dep_waves:
            reasons.append("no earlier than what it depends on: " +
                           ", ".join(f"{g[0]} {'production' if g[1] else 'non-production'} (wave {n})" for n, g in dep_waves[:5])
                           + (" and more" if len(dep_waves) > 5 else ""))
        if not reasons:
            reasons.append("the wave that realises the most savings within the wave limits")
        start, end = dates[k]
        rows.append(GroupRow(k, start, end, app, prod, tuple(sorted(ids)),
                             tuple(f"{g[0]} {'production' if g[1] else 'non-production'}" for g in before), tuple(reasons)))
    return rows


def tracker_csv(rows: list[GroupRow]) -> str:
    """The tracker rows as RFC 4180 CSV with a header row; every text cell neutralised against formulas."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(TRACKER_COLUMNS)
    for r in rows:
        cells = [f"Migrate {r.label} (wave {r.wave})", "Task", str(r.wave), r.start.isoformat(), r.end.isoformat(), r.label, r.app,
                 "production" if r.prod else "non-production", str(len(r.workloads)), "; ".join(r.workloads),
                 "; ".join(r.depends_on), "; ".join(r.reasons), f"wave-{r.wave:03d}"]
        writer.writerow([neutralise(c) for c in cells])
    return buf.getvalue()


def write_handoff(plan: Plan, estate: Estate, path: Union[str, Path], fmt: str) -> int:
    """Write `plan`'s waves as `fmt` (azure-waves or tracker) to `path`, whole or not at all; the number of items written."""
    if fmt == "azure-waves":
        doc = azure_waves(plan, estate)
        write_atomic(path, json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return len(doc["resources"])
    if fmt == "tracker":
        rows = tracker_rows(plan, estate)
        write_atomic(path, tracker_csv(rows))
        return len(rows)
    raise ExportError(f"unknown hand-off format {fmt!r}; expected one of {', '.join(HANDOFF_FORMATS)}")


__all__ = ["HANDOFF_FORMATS", "TRACKER_COLUMNS", "WAVE_API_VERSION", "WAVE_RESOURCE_TYPE", "GroupRow", "azure_waves",
           "machines_query", "tracker_csv", "tracker_rows", "write_handoff"]
