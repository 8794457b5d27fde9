"""plan.json: the machine-readable result, stable and diffable (format hybrid-migration-plan/1).

Money is rounded to cents, keys and lists are sorted, and nothing but `solver.seconds`
depends on the clock, so the same inventory gives the same bytes. Readers ignore keys
they do not know. Extensions of DESIGN's format (never renames): each wave's `phase`
(the half-year it starts in) and a top-level `schedule` block (how the schedule was found,
`realised_savings` over the horizon, `monthly_savings` once everything has moved,
`cross_wave_dependencies`, and the `phases` with their dates and waves); plans written
before them read fine without.
"""

from __future__ import annotations

import json

import numpy as np
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from .problem import Problem
from .costs import egress_columns, pricing_of, sku_name, stay_put_monthly
from .errors import PlanFileError
from .estate import Estate
from .solve import Placement
from .waves import Phase, Schedule, Wave

PLAN_FORMAT = "hybrid-migration-plan/1"

# Statuses of a plan that places nothing: `infeasible` (proved: `problems` says why) and `unknown`
# (the solver's time limit came before any plan or proof; an extension of DESIGN's three statuses).
NO_PLAN = ("infeasible", "unknown")


def cents(x: float) -> float:
    """Money rounded to cents (and -0.0 folded to 0.0 so the bytes are stable)."""
    return round(x, 2) + 0.0


@dataclass(frozen=True)
class Assignment:
    """Where one workload lands, what it costs, and when it moves."""

    workload: str
    site: str
    sku: Optional[str]
    monthly_cost: float
    one_time_cost: float
    moves: bool
    wave: Optional[int]
    pricing: Optional[str] = None  # the Azure pricing option of a catalogue-priced site (payg, reserved-3y, ...)


@dataclass(frozen=True)
class ScheduleSummary:
    """plan.json's `schedule` block (an extension of DESIGN's format): how the wave schedule was found,
    what it realises over the horizon, and its waves grouped into half-year phases."""

    status: str
    realised_savings: float
    monthly_savings: float
    cross_wave_dependencies: int
    phases: tuple[Phase, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "realised_savings": self.realised_savings,
            "monthly_savings": self.monthly_savings,
            "cross_wave_dependencies": self.cross_wave_dependencies,
            "phases": [{"phase": p.phase, "start": p.start.isoformat(), "end": p.end.isoformat(), "waves": sorted(p.waves)}
                       for p in sorted(self.phases, key=lambda p: (p.start, p.phase))],
        }


@dataclass
class Plan:
    """A whole plan as written to plan.json."""

    inventory_sha256: str
    status: str
    solver: dict[str, Any]
    totals: dict[str, float]
    assignments: list[Assignment] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    format: str = PLAN_FORMAT
    schedule: Optional[ScheduleSummary] = None

    @property
    def has_plan(self) -> bool:
        """Whether the plan places every workload (`optimal` or `feasible`)."""
        return self.status not in NO_PLAN

    @property
    def site_of(self) -> dict[str, str]:
        """Workload id to site id."""
        return {a.workload: a.site for a in self.assignments}

    def to_dict(self) -> dict[str, Any]:
        doc = self._head()
        doc["assignments"] = [_assignment_dict(a) for a in sorted(self.assignments, key=lambda a: a.workload)]
        doc["waves"] = [_wave_dict(w) for w in sorted(self.waves, key=lambda w: w.number)]
        return doc

    def _head(self) -> dict[str, Any]:
        doc = {
            "format": self.format,
            "inventory_sha256": self.inventory_sha256,
            "status": self.status,
            "solver": self.solver,
            "totals": self.totals,
            "assignments": [],
            "waves": [],
            "problems": [p.to_json() for p in sorted(set(self.problems))],
        }
        if self.schedule is not None:
            doc["schedule"] = self.schedule.to_dict()
        return doc

    def to_json(self) -> str:
        """The plan as canonical JSON text: the bytes of `json.dumps(to_dict(), indent=2, sort_keys=True,
        ensure_ascii=False)`, with the two long lists written by a fast path (a million assignments in seconds)."""
        head = json.dumps(self._head(), indent=2, sort_keys=True, ensure_ascii=False)
        assignments = _json_list(
            (_assignment_json(a) for a in sorted(self.assignments, key=lambda a: a.workload)), 2)
        waves = _json_list((_wave_json(w) for w in sorted(self.waves, key=lambda w: w.number)), 2)
        head = head.replace('"assignments": []', '"assignments": ' + assignments, 1)
        head = head.replace('"waves": []', '"waves": ' + waves, 1)
        return head + "\n"


def _assignment_dict(a: Assignment) -> dict[str, Any]:
    return {"workload": a.workload, "site": a.site, "sku": a.sku, "pricing": a.pricing, "monthly_cost": a.monthly_cost,
            "one_time_cost": a.one_time_cost, "moves": a.moves, "wave": a.wave}


def _wave_dict(w: Wave) -> dict[str, Any]:
    return {"wave": w.number, "start": w.start.isoformat(), "end": w.end.isoformat(), "workloads": sorted(w.workloads),
            **({"phase": w.phase} if w.phase is not None else {})}


_enc = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C encoder json.dumps(ensure_ascii=False) uses


def _val(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _enc(v)
    if isinstance(v, float):
        return json.dumps(v)
    return str(v)


def _assignment_json(a: Assignment) -> str:
    # Keys sorted as json.dumps(sort_keys=True) sorts them; an item sits at indent 4, its keys at 6.
    return ("{\n      \"monthly_cost\": " + _val(a.monthly_cost) + ",\n      \"moves\": " + _val(a.moves)
            + ",\n      \"one_time_cost\": " + _val(a.one_time_cost) + ",\n      \"pricing\": " + _val(a.pricing)
            + ",\n      \"site\": " + _enc(a.site) + ",\n      \"sku\": " + _val(a.sku)
            + ",\n      \"wave\": " + _val(a.wave) + ",\n      \"workload\": " + _enc(a.workload) + "\n    }")


def _wave_json(w: Wave) -> str:
    ids = sorted(w.workloads)
    members = "[]" if not ids else "[\n        " + ",\n        ".join(_enc(i) for i in ids) + "\n      ]"
    parts = [f'"end": {_enc(w.end.isoformat())}']
    if w.phase is not None:
        parts.append(f'"phase": {_enc(w.phase)}')
    parts += [f'"start": {_enc(w.start.isoformat())}', f'"wave": {w.number}', f'"workloads": {members}']
    return "{\n      " + ",\n      ".join(parts) + "\n    }"


def _json_list(items: Any, indent: int) -> str:
    """A JSON list of pre-rendered items at `indent` (as json.dumps(indent=2) lays one out)."""
    pad = " " * (indent + 2)
    rendered = list(items)
    if not rendered:
        return "[]"
    return "[\n" + pad + (",\n" + pad).join(rendered) + "\n" + " " * indent + "]"


def build_plan(estate: Estate, placement: Placement, schedule: Optional[Schedule]) -> Plan:
    """Assemble plan.json's content from a placement and its wave schedule."""
    inv = estate.inventory
    stay = stay_put_monthly(estate)
    solver = {"backend": placement.backend, "objective": None, "bound": None, "gap": None,
              "seconds": round(placement.seconds, 3)}
    problems = list(placement.problems) + (schedule.problems if schedule else [])
    if placement.choice is None or (schedule is not None and schedule.problems):
        totals = {"horizon_cost": 0.0, "monthly_run_cost": 0.0, "one_time_cost": 0.0, "monthly_egress_cost": 0.0,
                  "stay_put_monthly_run_cost": cents(stay)}
        status = "unknown" if placement.status == "unknown" and not (schedule and schedule.problems) else "infeasible"
        return Plan(inv.sha256, status, solver, totals, problems=problems)
    cands = placement.candidates
    choice = placement.choice
    t = estate.table
    site_no = cands.site[choice].astype(np.int64)
    monthly, one = cands.monthly[choice], cands.one_time[choice]
    sku_of = {int(c): sku_name(estate, int(c)) for c in np.unique(cands.sku[choice]).tolist()}
    pricing = [pricing_of(estate, s) for s in estate.sites]
    wave_of = schedule.wave_of if schedule else {}
    ids, sites = t.ids, estate.sites
    moves = site_no != t.current_site
    assignments = [
        Assignment(wid, sites[j].id, sku_of[k], cents(m), cents(o), bool(mv), wave_of.get(wid), pricing[j])
        for wid, j, k, m, o, mv in zip(ids, site_no.tolist(), cands.sku[choice].tolist(), monthly.tolist(), one.tolist(), moves.tolist())
    ]
    run_total, one_total = float(monthly.sum()), float(one.sum())
    egress = float(egress_columns(estate, site_no).sum())
    horizon = estate.scenario.horizon_months
    total = horizon * (run_total + egress) + one_total
    solver.update({"objective": cents(total), "bound": cents(min(placement.bound, total)) if placement.bound is not None else None,
                   "gap": round(placement.gap, 8) if placement.gap is not None else None})
    totals = {"horizon_cost": cents(total), "monthly_run_cost": cents(run_total), "one_time_cost": cents(one_total),
              "monthly_egress_cost": cents(egress), "stay_put_monthly_run_cost": cents(stay)}
    summary = None
    if schedule is not None:
        summary = ScheduleSummary(schedule.status, cents(schedule.realised_savings), cents(schedule.monthly_savings),
                                  schedule.cross_wave_dependencies, tuple(schedule.phases))
    return Plan(inv.sha256, placement.status, solver, totals, assignments, list(schedule.waves if schedule else []), problems,
                schedule=summary)


def read_plan(path: Union[str, Path]) -> Plan:
    """Load a plan.json; raises :class:`PlanFileError` naming what is wrong."""
    import datetime as dt

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan ({exc.strerror})") from exc
    except ValueError as exc:
        raise PlanFileError(f"{path}: not JSON ({exc})") from exc
    try:
        if not str(doc.get("format", "")).startswith("hybrid-migration-plan/"):
            raise PlanFileError(f"{path}: format is {doc.get('format')!r}, expected {PLAN_FORMAT!r}")
        return Plan(
            inventory_sha256=str(doc["inventory_sha256"]),
            status=str(doc["status"]),
            solver=dict(doc["solver"]),
            totals={k: float(v) for k, v in doc["totals"].items()},
            assignments=[Assignment(str(a["workload"]), str(a["site"]), a.get("sku"), float(a["monthly_cost"]),
                                    float(a["one_time_cost"]), bool(a["moves"]), a.get("wave"), a.get("pricing")) for a in doc["assignments"]],
            waves=[Wave(int(w["wave"]), dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"]), tuple(w["workloads"]),
                        str(w["phase"]) if w.get("phase") is not None else None)
                   for w in doc["waves"]],
            problems=[Problem(str(p["rule"]), tuple(p["workloads"]), tuple(p["sites"]), str(p["message"])) for p in doc["problems"]],
            format=str(doc["format"]),
            schedule=_read_schedule(doc.get("schedule")),
        )
    except PlanFileError:
        raise
    except KeyError as exc:
        raise PlanFileError(f"{path}: not a valid plan: field {exc} is missing") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise PlanFileError(f"{path}: not a valid plan ({exc.__class__.__name__}: {exc})") from exc


def _read_schedule(block: Any) -> Optional[ScheduleSummary]:
    """plan.json's `schedule` block; None in plans written before it existed."""
    import datetime as dt

    if block is None:
        return None
    return ScheduleSummary(
        status=str(block["status"]),
        realised_savings=float(block["realised_savings"]),
        monthly_savings=float(block["monthly_savings"]),
        cross_wave_dependencies=int(block["cross_wave_dependencies"]),
        phases=tuple(Phase(str(p["phase"]), dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"]),
                           tuple(int(n) for n in p["waves"])) for p in block.get("phases", [])),
    )
