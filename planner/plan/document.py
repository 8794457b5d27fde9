"""plan.json: the machine-readable result, stable and diffable (format hybrid-migration-plan/1).

Money is rounded to cents, keys and lists are sorted, and nothing but `solver.seconds`
depends on the clock, so the same inventory gives the same bytes. Readers ignore keys
they do not know. Extensions of the contract's format (never renames): each wave's `phase`
(the half-year it starts in) and a top-level `schedule` block (how the schedule was found,
`realised_savings` over the horizon, `monthly_savings` once everything has moved,
`cross_wave_dependencies`, and the `phases` with their dates and waves); plans written
before them read fine without.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from planner.base.errors import PlanFileError
from planner.base.problem import Problem
from planner.domain.carbon import horizon_tonnes, monthly_kg, stay_put_tonnes
from planner.domain.costs import egress_columns, pricing_of, sku_name, stay_put_monthly
from planner.domain.estate import Estate
from planner.domain.model import MAX_FREE_TEXT, MAX_ID
from planner.inputs.load.files import env_limit, read_bounded
from planner.plan.money import PlanMoney, YearFlow, cash_flow, cents, row_arrays
from planner.schedule.waves import Phase, Schedule, Wave
from planner.solve import Placement

PLAN_FORMAT = "hybrid-migration-plan/1"

# Statuses of a plan that places nothing: `infeasible` (proved: `problems` says why) and `unknown`
# (the solver's time limit came before any plan or proof; an extension of the contract's three statuses).
NO_PLAN = ("infeasible", "unknown")


def cents_of(values: np.ndarray) -> list[float]:
    """:func:`cents` of every value, each distinct value rounded once (an estate repeats its prices).

    Python's correctly rounded `round`, never numpy's scaled rounding, which differs at some halves.
    """
    distinct, inverse = np.unique(values, return_inverse=True)
    return np.array([cents(v) for v in distinct.tolist()], dtype=float)[inverse.ravel()].tolist()


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
    monthly_kgco2e: Optional[float] = None  # emissions per month on its site (absent in plans made before carbon)


@dataclass(frozen=True)
class ScheduleSummary:
    """plan.json's `schedule` block (an extension of the contract's format): how the wave schedule was found,
    what it realises over the horizon, and its waves grouped into half-year phases."""

    status: str
    realised_savings: float
    monthly_savings: float
    cross_wave_dependencies: int
    phases: tuple[Phase, ...] = ()
    upper_bound: Optional[float] = None  # what no schedule could beat (a relaxation); absent in older plans
    notes: tuple[str, ...] = ()  # why a run of waves moves nothing

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "realised_savings": self.realised_savings,
            "monthly_savings": self.monthly_savings,
            "cross_wave_dependencies": self.cross_wave_dependencies,
            "phases": [{"phase": p.phase, "start": p.start.isoformat(), "end": p.end.isoformat(), "waves": sorted(p.waves)}
                       for p in sorted(self.phases, key=lambda p: (p.start, p.phase))],
            **({"upper_bound": self.upper_bound} if self.upper_bound is not None else {}),
            **({"notes": list(self.notes)} if self.notes else {}),
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
    money: Optional[PlanMoney] = None  # totals.payback_month and totals.cash_flow_by_year (absent in older plans)

    @property
    def has_plan(self) -> bool:
        """Whether the plan places every workload (`optimal` or `feasible`)."""
        return self.status not in NO_PLAN

    @property
    def site_of(self) -> dict[str, str]:
        """Workload id to site id."""
        return {a.workload: a.site for a in self.assignments}

    def all_totals(self) -> dict[str, Any]:
        """`totals` as plan.json writes it: the amounts, and the payback month and cash flow by year when known."""
        return {**self.totals, **(self.money.to_totals() if self.money is not None else {})}

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
            "totals": self.all_totals(),
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
            "one_time_cost": a.one_time_cost, "moves": a.moves, "wave": a.wave,
            **({"monthly_kgco2e": a.monthly_kgco2e} if a.monthly_kgco2e is not None else {})}


def _wave_dict(w: Wave) -> dict[str, Any]:
    return {"wave": w.number, "start": w.start.isoformat(), "end": w.end.isoformat(), "workloads": sorted(w.workloads),
            **({"phase": w.phase} if w.phase is not None else {})}


_enc = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C encoder json.dumps(ensure_ascii=False) uses


def _float(v: float) -> str:
    """A float as json.dumps writes it (its repr; NaN and the infinities in JavaScript's words), without its overhead."""
    if v != v:
        return "NaN"
    if v == math.inf:
        return "Infinity"
    if v == -math.inf:
        return "-Infinity"
    return float.__repr__(v)


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
        return _float(v)
    return str(v)


def _assignment_json(a: Assignment) -> str:
    # Keys sorted as json.dumps(sort_keys=True) sorts them; an item sits at indent 4, its keys at 6.
    kg = "" if a.monthly_kgco2e is None else ",\n      \"monthly_kgco2e\": " + _val(a.monthly_kgco2e)
    return ("{\n      \"monthly_cost\": " + _val(a.monthly_cost) + kg + ",\n      \"moves\": " + _val(a.moves)
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


def carbon_totals(estate: Estate, site_no: Optional[np.ndarray]) -> dict[str, float]:
    """plan.json's carbon totals of a placement (None: no plan): horizon tonnes, staying put's, and the carbon
    charge the objective adds (`carbon.price_per_tonne` x horizon tonnes)."""
    tonnes = horizon_tonnes(estate, site_no) if site_no is not None else 0.0
    return {"emissions_tonnes": round(tonnes, 3), "stay_put_emissions_tonnes": round(stay_put_tonnes(estate), 3),
            "carbon_cost": cents(estate.scenario.carbon.price_per_tonne * tonnes)}


def build_plan(estate: Estate, placement: Placement, schedule: Optional[Schedule]) -> Plan:
    """Assemble plan.json's content from a placement and its wave schedule."""
    inv = estate.inventory
    stay = stay_put_monthly(estate)
    solver = {"backend": placement.backend, "objective": None, "bound": None, "gap": None,
              "seconds": round(placement.seconds, 3)}
    problems = list(placement.problems) + (schedule.problems if schedule else [])
    if placement.choice is None:
        totals = {"horizon_cost": 0.0, "monthly_run_cost": 0.0, "one_time_cost": 0.0, "monthly_egress_cost": 0.0,
                  "stay_put_monthly_run_cost": cents(stay), **carbon_totals(estate, None)}
        flow = cash_flow(estate, None, (), cents(stay))
        totals.update(flow.totals())
        status = "unknown" if placement.status == "unknown" and not (schedule and schedule.problems) else "infeasible"
        return Plan(inv.sha256, status, solver, totals, problems=problems, money=flow.plan_money())
    # Waves that cannot keep their rules (a closing date, capacity between waves) leave the placement standing:
    # it is published, without waves, as what the architect argues for more migration capacity with.
    unscheduled = schedule is not None and bool(schedule.problems)
    cands = placement.candidates
    choice = placement.choice
    t = estate.table
    site_no = cands.site[choice].astype(np.int64)
    monthly, one = cands.monthly[choice], cands.one_time[choice]
    sku_of = {int(c): sku_name(estate, int(c)) for c in np.unique(cands.sku[choice]).tolist()}
    pricing = [pricing_of(estate, s) for s in estate.sites]
    wave_of = schedule.wave_of if schedule and not unscheduled else {}
    ids, site_ids = t.ids, [s.id for s in estate.sites]
    moves = site_no != t.current_site
    kg = monthly_kg(estate, site_no)
    assignments = [
        Assignment(wid, site_ids[j], sku_of[k], m, o, mv, wave_of.get(wid), pricing[j], c)
        for wid, j, k, m, o, mv, c in zip(ids, site_no.tolist(), cands.sku[choice].tolist(), cents_of(monthly), cents_of(one),
                                          moves.tolist(), np.round(kg, 3).tolist())
    ]
    run_total, one_total = float(monthly.sum()), float(one.sum())
    egress = float(egress_columns(estate, site_no).sum())
    horizon = estate.scenario.horizon_months
    total = horizon * (run_total + egress) + one_total
    carbon = carbon_totals(estate, site_no)
    objective = total + carbon["carbon_cost"]  # the objective prices carbon; horizon_cost stays money only
    solver.update({"objective": cents(objective),
                   "bound": cents(min(placement.bound, objective)) if placement.bound is not None else None,
                   "gap": round(placement.gap, 8) if placement.gap is not None else None})
    totals = {"horizon_cost": cents(total), "monthly_run_cost": cents(run_total), "one_time_cost": cents(one_total),
              "monthly_egress_cost": cents(egress), "stay_put_monthly_run_cost": cents(stay), **carbon}
    # The board's money from the figures plan.json states (cents), so every reader of the file recomputes the same.
    waves = list(schedule.waves) if schedule is not None and not unscheduled else []
    wave_no = np.fromiter((wave_of.get(w, 0) for w in ids), dtype=np.int64, count=len(t)) if wave_of else np.zeros(len(t), np.int64)
    flow = cash_flow(estate, row_arrays(estate, site_no, np.asarray(cents_of(monthly)), np.asarray(cents_of(one)), wave_no),
                     waves, cents(stay))
    totals.update(flow.totals())
    summary = None
    if unscheduled:
        return Plan(inv.sha256, "infeasible", solver, totals, assignments, [], problems, money=flow.plan_money())
    if schedule is not None:
        summary = ScheduleSummary(schedule.status.value, cents(schedule.realised_savings), cents(schedule.monthly_savings),
                                  schedule.cross_wave_dependencies, tuple(schedule.phases),
                                  cents(schedule.upper_bound) if schedule.upper_bound is not None else None, tuple(schedule.notes))
    return Plan(inv.sha256, placement.status, solver, totals, assignments, list(schedule.waves if schedule else []), problems,
                schedule=summary, money=flow.plan_money())


def read_plan(path: Union[str, Path], consistent: bool = False) -> Plan:
    """Load a plan.json; raises :class:`PlanFileError` naming the file and the field that is wrong.

    Strict where a wrong value would mislead later, and bounded so a hostile file costs little: a regular file of at
    most :data:`MAX_PLAN_BYTES`, no key twice in one object, a known `status`, every required field with its type,
    ids and texts of bounded length, finite numbers within sane ranges, non-negative costs, dates between 1970 and
    2199. `consistent` also requires each workload assigned once, only to a wave the plan lists, and each wave number
    once (what rendering or exporting a plan needs; `verify` reports such faults as findings instead). Unknown keys
    are ignored (nested unknown values in `solver` are dropped), so newer plans still read.
    """
    where = str(path)
    if Path(path).is_dir():
        raise PlanFileError(f"{where}: is a folder, not a plan file")
    try:
        raw = read_bounded(path, MAX_PLAN_BYTES, "PLANNER_MAX_PLAN_BYTES")
        text = raw.decode("utf-8")
    except OSError as exc:
        raise PlanFileError(f"{where}: cannot read the plan ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"{where}: not a plan: not UTF-8 text (byte {exc.start})") from exc
    del raw
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys(where))
    except RecursionError as exc:
        raise PlanFileError(f"{where}: not a plan: JSON nested too deeply") from exc
    except ValueError as exc:
        line = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise PlanFileError(f"{where}{line}: not JSON ({exc})") from exc
    return _PlanReader(where, consistent).plan(doc)


def _unique_keys(where: str) -> Any:
    """A JSON object hook that refuses a key given twice: the last one silently winning would hide the first."""
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) < len(pairs):
            seen: set[str] = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise PlanFileError(f"{where}: not a valid plan: the key {_short(twice)} appears twice in one object")
        return out
    return hook


# Bounds of a plan read back (see docs/reference/safety.md): a real plan stays far inside each.
MAX_PLAN_BYTES = env_limit("PLANNER_MAX_PLAN_BYTES", 2 << 30)  # a million-workload plan is about 300 MB
MAX_MONEY = 1e15  # any amount of money or count the plan states, in absolute value
MAX_GAP = 1e9
MAX_SECONDS = 1e9
MAX_WAVE = 2**31 - 1
MAX_COUNT = 2**53
MAX_MESSAGE = 20_000  # a problem's sentence or a schedule note; long lists go in a problem's fields
FIRST_PLAN_DAY, LAST_PLAN_DAY = dt.date(1970, 1, 1), dt.date(2199, 12, 31)


STATUSES = ("optimal", "feasible", *NO_PLAN)
TOTAL_KEYS = ("horizon_cost", "monthly_run_cost", "one_time_cost", "monthly_egress_cost", "stay_put_monthly_run_cost")
MONEY_EXTRAS = ("payback_month", "cash_flow_by_year")  # totals that are no amount: read into Plan.money
YEAR_AMOUNTS = ("stay_put", "plan", "one_time", "saving", "cumulative_saving", "discounted_saving")


class _PlanReader:
    """Checks a decoded plan.json field by field; every error names the file and the field's path."""

    def __init__(self, path: str, consistent: bool = False):
        self.path = path
        self.consistent_only = consistent

    def fail(self, field: str, message: str) -> "PlanFileError":
        return PlanFileError(f"{self.path}: not a valid plan: {field}: {message}" if field else f"{self.path}: not a valid plan: {message}")

    def get(self, obj: dict, key: str, field: str, required: bool = True) -> Any:
        if key not in obj:
            if required:
                raise self.fail(f"{field}.{key}" if field else key, "field is missing")
            return None
        return obj[key]

    def obj(self, value: Any, field: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(field, f"expected an object, got {_kind(value)}")
        return value

    def list(self, value: Any, field: str) -> list:
        if not isinstance(value, list):
            raise self.fail(field, f"expected a list, got {_kind(value)}")
        return value

    def str(self, value: Any, field: str, optional: bool = False, limit: int = MAX_ID) -> Optional[str]:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(field, f"expected text, got {_kind(value)}")
        if len(value) > limit:
            raise self.fail(field, f"text of {len(value):,} characters; at most {limit:,} are allowed here")
        return value

    def num(self, value: Any, field: str, optional: bool = False, low: float = -MAX_MONEY,
            high: float = MAX_MONEY) -> Optional[float]:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field, f"expected a number, got {_kind(value)}")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.fail(field, f"{_kind(value)} is not a finite number")
        if not low <= number <= high:
            raise self.fail(field, f"{_kind(value)} is out of range (expected {low:g} to {high:g})")
        return number

    def money(self, value: Any, field: str) -> float:
        """A cost: never negative (prices are not), and far below where sums would overflow."""
        return self.num(value, field, low=0.0)  # type: ignore[return-value]

    def int(self, value: Any, field: str, optional: bool = False, minimum: int = 0, maximum: int = MAX_COUNT) -> Optional[int]:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.fail(field, f"expected a whole number from {minimum} to {maximum}, got {_kind(value)}")
        return value

    def bool(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, f"expected true or false, got {_kind(value)}")
        return value

    def date(self, value: Any, field: str) -> "dt.date":
        text = self.str(value, field)
        try:
            day = dt.date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise self.fail(field, f"expected a date YYYY-MM-DD, got {_short(text)}")
        if not FIRST_PLAN_DAY <= day <= LAST_PLAN_DAY:
            raise self.fail(field, f"{text} is outside {FIRST_PLAN_DAY} to {LAST_PLAN_DAY}, the days a plan may name")
        return day

    def strs(self, value: Any, field: str, limit: int = MAX_ID) -> tuple[str, ...]:
        return tuple(self.str(v, f"{field}[{i}]", limit=limit) for i, v in enumerate(self.list(value, field)))

    def plan(self, doc: Any) -> Plan:
        doc = self.obj(doc, "the document")
        fmt = doc.get("format")
        if not isinstance(fmt, str) or not fmt.startswith("hybrid-migration-plan/"):
            raise PlanFileError(f"{self.path}: format is {_short(fmt)}, expected {PLAN_FORMAT!r}")
        status = self.str(self.get(doc, "status", ""), "status")
        if status not in STATUSES:
            raise self.fail("status", f"{_short(status)} is not a plan status (one of {', '.join(STATUSES)})")
        totals_doc = self.obj(self.get(doc, "totals", ""), "totals")
        totals = {k: self.money(self.get(totals_doc, k, "totals"), f"totals.{k}") for k in TOTAL_KEYS}
        totals.update({self.str(k, "totals"): self.num(v, f"totals.{_short(k)}")
                       for k, v in sorted(totals_doc.items()) if k not in totals and k not in MONEY_EXTRAS})
        money = self.plan_money(totals_doc)
        assignments = [self.assignment(a, i) for i, a in enumerate(self.list(self.get(doc, "assignments", ""), "assignments"))]
        waves = [self.wave(w, i) for i, w in enumerate(self.list(self.get(doc, "waves", ""), "waves"))]
        if self.consistent_only:
            self.consistent(assignments, waves)
        return Plan(
            inventory_sha256=self.str(self.get(doc, "inventory_sha256", ""), "inventory_sha256"),
            status=status,
            solver=self.solver(self.obj(self.get(doc, "solver", ""), "solver")),
            totals=totals,
            assignments=assignments,
            waves=waves,
            problems=[self.problem(p, i) for i, p in enumerate(self.list(self.get(doc, "problems", ""), "problems"))],
            format=fmt,
            schedule=self.schedule(doc.get("schedule")),
            money=money,
        )

    def plan_money(self, totals: dict[str, Any]) -> Optional[PlanMoney]:
        """`totals.payback_month` and `totals.cash_flow_by_year`, when the plan states them."""
        if not any(k in totals for k in MONEY_EXTRAS):
            return None
        month = self.int(totals.get("payback_month"), "totals.payback_month", optional=True, minimum=1, maximum=MAX_WAVE)
        years = []
        for i, raw in enumerate(self.list(totals.get("cash_flow_by_year", []), "totals.cash_flow_by_year")):
            field = f"totals.cash_flow_by_year[{i}]"
            y = self.obj(raw, field)
            years.append(YearFlow(
                self.int(self.get(y, "year", field), f"{field}.year", minimum=1, maximum=MAX_WAVE),  # type: ignore[arg-type]
                self.date(self.get(y, "start", field), f"{field}.start"), self.date(self.get(y, "end", field), f"{field}.end"),
                self.int(self.get(y, "months", field), f"{field}.months", minimum=1, maximum=12),  # type: ignore[arg-type]
                *(self.num(self.get(y, k, field), f"{field}.{k}") for k in YEAR_AMOUNTS)))  # type: ignore[arg-type]
        return PlanMoney(month, tuple(years))

    def consistent(self, assignments: "list[Assignment]", waves: "list[Wave]") -> None:
        """Each workload assigned once, each wave number once, and an assignment's wave one the plan lists."""
        numbers: set[int] = set()
        for i, w in enumerate(waves):
            if w.number in numbers:
                raise self.fail(f"waves[{i}].wave", f"wave {w.number} is listed twice")
            if w.end < w.start:
                raise self.fail(f"waves[{i}].end", f"{w.end} is before the wave's start {w.start}")
            numbers.add(w.number)
        seen: set[str] = set()
        for i, a in enumerate(assignments):
            if a.workload in seen:
                raise self.fail(f"assignments[{i}] ({_short(a.workload)})", "the workload is assigned more than once")
            seen.add(a.workload)
            if a.wave is not None and a.wave not in numbers:
                raise self.fail(f"assignments[{i}] ({_short(a.workload)}).wave", f"wave {a.wave} is not in the plan's waves")

    def solver(self, block: dict) -> dict[str, Any]:
        out: dict[str, Any] = {"backend": self.str(block.get("backend", ""), "solver.backend")}
        for key in ("objective", "bound"):
            out[key] = self.num(block.get(key), f"solver.{key}", optional=True)
        out["gap"] = self.num(block.get("gap"), "solver.gap", optional=True, low=0.0, high=MAX_GAP)
        out["seconds"] = self.num(block.get("seconds"), "solver.seconds", optional=True, low=0.0, high=MAX_SECONDS)
        for key, value in sorted(block.items()):  # extensions: scalars kept, anything nested dropped
            if key in out or isinstance(value, (dict, list)):
                continue
            field = f"solver.{_short(key)}"
            self.str(key, "solver", limit=MAX_ID)
            if isinstance(value, str):
                out[key] = self.str(value, field, limit=MAX_FREE_TEXT)
            elif value is None or isinstance(value, bool):
                out[key] = value
            elif isinstance(value, int):
                out[key] = self.int(value, field, minimum=-MAX_COUNT)
            elif isinstance(value, float) and math.isfinite(value):
                out[key] = self.num(value, field)
        return out

    def assignment(self, raw: Any, i: int) -> Assignment:
        field = f"assignments[{i}]"
        a = self.obj(raw, field)
        wid = self.str(self.get(a, "workload", field), f"{field}.workload")
        field = f"{field} ({_short(wid)})"
        return Assignment(wid, self.str(self.get(a, "site", field), f"{field}.site"),
                          self.str(a.get("sku"), f"{field}.sku", optional=True),
                          self.money(self.get(a, "monthly_cost", field), f"{field}.monthly_cost"),
                          self.money(self.get(a, "one_time_cost", field), f"{field}.one_time_cost"),
                          self.bool(self.get(a, "moves", field), f"{field}.moves"),
                          self.int(a.get("wave"), f"{field}.wave", optional=True, minimum=1, maximum=MAX_WAVE),
                          self.str(a.get("pricing"), f"{field}.pricing", optional=True),
                          self.num(a.get("monthly_kgco2e"), f"{field}.monthly_kgco2e", optional=True, low=0))

    def wave(self, raw: Any, i: int) -> Wave:
        field = f"waves[{i}]"
        w = self.obj(raw, field)
        return Wave(self.int(self.get(w, "wave", field), f"{field}.wave", minimum=1, maximum=MAX_WAVE), self.date(self.get(w, "start", field), f"{field}.start"),
                    self.date(self.get(w, "end", field), f"{field}.end"), self.strs(self.get(w, "workloads", field), f"{field}.workloads"),
                    self.str(w.get("phase"), f"{field}.phase", optional=True))

    def problem(self, raw: Any, i: int) -> Problem:
        field = f"problems[{i}]"
        p = self.obj(raw, field)
        return Problem(self.str(self.get(p, "rule", field), f"{field}.rule"), self.strs(self.get(p, "workloads", field), f"{field}.workloads"),
                       self.strs(self.get(p, "sites", field), f"{field}.sites"),
                       self.str(self.get(p, "message", field), f"{field}.message", limit=MAX_MESSAGE))

    def schedule(self, raw: Any) -> Optional[ScheduleSummary]:
        """plan.json's `schedule` block; None in plans written before it existed."""
        if raw is None:
            return None
        b = self.obj(raw, "schedule")
        phases = []
        for i, p in enumerate(self.list(b.get("phases", []), "schedule.phases")):
            field = f"schedule.phases[{i}]"
            p = self.obj(p, field)
            phases.append(Phase(self.str(self.get(p, "phase", field), f"{field}.phase"), self.date(self.get(p, "start", field), f"{field}.start"),
                                self.date(self.get(p, "end", field), f"{field}.end"),
                                tuple(self.int(n, f"{field}.waves[{j}]", minimum=1, maximum=MAX_WAVE) for j, n in enumerate(self.list(self.get(p, "waves", field), f"{field}.waves")))))
        return ScheduleSummary(
            status=self.str(self.get(b, "status", "schedule"), "schedule.status"),
            realised_savings=self.num(self.get(b, "realised_savings", "schedule"), "schedule.realised_savings"),
            monthly_savings=self.num(self.get(b, "monthly_savings", "schedule"), "schedule.monthly_savings"),
            cross_wave_dependencies=self.int(self.get(b, "cross_wave_dependencies", "schedule"), "schedule.cross_wave_dependencies"),
            phases=tuple(phases),
            upper_bound=self.num(b.get("upper_bound"), "schedule.upper_bound", optional=True),
            notes=self.strs(b["notes"], "schedule.notes", limit=MAX_MESSAGE) if "notes" in b else (),
        )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[str(value)]
    if isinstance(value, int):
        return _short(value)
    if isinstance(value, str):
        return f"text {_short(value)}"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
