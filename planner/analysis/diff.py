"""What changed between two plans: moves, cost deltas and compliance findings (`planner diff`).

:func:`diff_plans` compares two plan.json files by workload id. Without an inventory it
is pure dictionary work (linear in the number of workloads); with the NEW inventory it
also says why each workload moved, in the words of :class:`planner.domain.rules.Rule` and the
numbers of :mod:`planner.domain.costs`, and which rule findings the new plan resolves or adds.

One result object, several renderers (:func:`render_text`, :func:`render_markdown`,
:meth:`PlanDiff.to_json`), all pure functions of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from planner.analysis.placed import Placed
from planner.base.fmt import money
from planner.base.untrusted import markdown, one_line, terminal
from planner.domain.costs import horizon_cost, monthly_run
from planner.domain.estate import Estate
from planner.domain.model import Workload
from planner.domain.rules import Rule, placement_violations, violations
from planner.plan.document import Plan, cents

DIFF_FORMAT = "hybrid-migration-diff/1"
TOTAL_KEYS = ("horizon_cost", "monthly_run_cost", "one_time_cost", "monthly_egress_cost", "stay_put_monthly_run_cost")


@dataclass(frozen=True)
class Move:
    """One workload whose site differs between the two plans."""

    workload: str
    old_site: Optional[str]  # None: the workload is new in NEW
    new_site: Optional[str]  # None: the workload was removed
    old_monthly_cost: float
    new_monthly_cost: float
    reason: str  # a sentence: why it moved; "" when unknown
    rule: Optional[str]  # a Rule id when staying on the old site would break it, else None

    @property
    def monthly_cost_delta(self) -> float:
        return cents(self.new_monthly_cost - self.old_monthly_cost)

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "old_site": self.old_site, "new_site": self.new_site,
                "old_monthly_cost": cents(self.old_monthly_cost), "new_monthly_cost": cents(self.new_monthly_cost),
                "monthly_cost_delta": self.monthly_cost_delta, "reason": self.reason, "rule": self.rule}


@dataclass(frozen=True, order=True)
class ComplianceDelta:
    """A rule finding that appeared ("new") or disappeared ("resolved") between the plans.

    Its identity is (rule, workload, site); `workload` is "" for a site-wide finding (capacity).
    """

    rule: str
    workload: str
    site: str
    change: str  # "new" | "resolved"
    message: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "workload": self.workload, "site": self.site, "change": self.change, "message": self.message}


@dataclass(frozen=True)
class PlanDiff:
    """Everything `planner diff` reports, renderer-neutral."""

    moves: tuple[Move, ...]  # sorted by workload id; includes added and removed workloads
    added: tuple[str, ...]
    removed: tuple[str, ...]
    status_old: str
    status_new: str
    totals_old: Mapping[str, float]
    totals_new: Mapping[str, float]
    compliance: tuple[ComplianceDelta, ...]
    currency: Optional[str] = None  # from the inventory when one was given
    horizon_months: Optional[int] = None
    explained: bool = False  # whether an inventory was given, so reasons and compliance were worked out
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def relocated(self) -> tuple[Move, ...]:
        """Moves between two sites (neither added nor removed)."""
        return tuple(m for m in self.moves if m.old_site is not None and m.new_site is not None)

    @property
    def total_keys(self) -> tuple[str, ...]:
        # A total only one plan states was added after the other was written: against 0 it would read as a change.
        extra = sorted((set(self.totals_old) & set(self.totals_new)) - set(TOTAL_KEYS))
        return tuple(k for k in TOTAL_KEYS if k in self.totals_old or k in self.totals_new) + tuple(extra)

    def delta(self, key: str) -> float:
        """totals_new[key] - totals_old[key] (a missing total counts as 0)."""
        return cents(self.totals_new.get(key, 0.0) - self.totals_old.get(key, 0.0))

    def delta_ratio(self, key: str) -> Optional[float]:
        """The change relative to the old total; None when the old total is 0."""
        old = self.totals_old.get(key, 0.0)
        return None if not old else (self.totals_new.get(key, 0.0) - old) / abs(old)

    @property
    def empty(self) -> bool:
        return not self.moves and not self.compliance and all(abs(self.delta(k)) < 0.005 for k in self.total_keys) \
            and self.status_old == self.status_new

    def summary(self) -> str:
        """The one-line headline, e.g. "12 workloads move, horizon cost -1,234.56 EUR (-0.8%)"."""
        n = len(self.relocated)
        parts = [f"{n} workload{'s' if n != 1 else ''} move{'s' if n == 1 else ''}"]
        if self.added:
            parts.append(f"{len(self.added)} added")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        ratio = self.delta_ratio("horizon_cost")
        pct = f" ({ratio:+.1%})" if ratio is not None else ""
        head = ", ".join(parts) + f", horizon cost {money(self.delta('horizon_cost'), self.currency, signed=True)}{pct}"
        if self.status_old != self.status_new:
            head += f"; status {self.status_old} -> {self.status_new}"
        new = sum(c.change == "new" for c in self.compliance)
        resolved = len(self.compliance) - new
        if new or resolved:
            head += f"; compliance: {new} new, {resolved} resolved finding(s)"
        return head

    def to_json(self) -> dict[str, Any]:
        """Versioned, sorted, deterministic JSON content."""
        return {
            "format": DIFF_FORMAT,
            "summary": self.summary(),
            "currency": self.currency,
            "status": {"old": self.status_old, "new": self.status_new},
            "totals": {k: {"old": cents(self.totals_old.get(k, 0.0)), "new": cents(self.totals_new.get(k, 0.0)),
                           "delta": self.delta(k), "ratio": _round(self.delta_ratio(k))} for k in self.total_keys},
            "counts": {"moves": len(self.relocated), "added": len(self.added), "removed": len(self.removed),
                       "compliance_new": sum(c.change == "new" for c in self.compliance),
                       "compliance_resolved": sum(c.change == "resolved" for c in self.compliance)},
            "moves": [m.to_json() for m in sorted(self.moves, key=lambda m: m.workload)],
            "added": sorted(self.added),
            "removed": sorted(self.removed),
            "compliance": [c.to_json() for c in sorted(self.compliance)],
            "explained": self.explained,
            "notes": sorted(self.notes),
        }


def _round(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 6) + 0.0


def diff_plans(old: Plan, new: Plan, estate: Optional[Estate] = None) -> PlanDiff:
    """Compare two plans by workload id; with the NEW inventory's `estate`, say why each one moved."""
    old_by = {a.workload: a for a in old.assignments}
    new_by = {a.workload: a for a in new.assignments}
    added = tuple(sorted(new_by.keys() - old_by.keys()))
    removed = tuple(sorted(old_by.keys() - new_by.keys()))
    changed = sorted(w for w in old_by.keys() & new_by.keys() if old_by[w].site != new_by[w].site)
    notes: list[str] = []
    explainer = _Explainer(estate, new) if estate is not None else None
    if estate is not None and new.inventory_sha256 != estate.inventory.sha256:
        notes.append("the NEW plan was made from a different inventory than the one given (inventory_sha256 differs)")
    moves: list[Move] = []
    for wid in changed:
        a, b = old_by[wid], new_by[wid]
        reason, rule = explainer.why(wid, a.site, b.site) if explainer is not None else ("", None)
        moves.append(Move(wid, a.site, b.site, a.monthly_cost, b.monthly_cost, reason, rule))
    for wid in added:
        b = new_by[wid]
        moves.append(Move(wid, None, b.site, 0.0, b.monthly_cost, f"new: not in the old plan; placed on {b.site}", None))
    for wid in removed:
        a = old_by[wid]
        moves.append(Move(wid, a.site, None, a.monthly_cost, 0.0, f"removed: not in the new plan (was on {a.site})", None))
    moves.sort(key=lambda m: m.workload)
    compliance: tuple[ComplianceDelta, ...] = ()
    if estate is not None:
        compliance = compliance_deltas(estate, old, new, changed + list(added) + list(removed))
    return PlanDiff(
        moves=tuple(moves), added=added, removed=removed, status_old=old.status, status_new=new.status,
        totals_old=dict(old.totals), totals_new=dict(new.totals), compliance=compliance,
        currency=estate.scenario.currency if estate is not None else None,
        horizon_months=estate.scenario.horizon_months if estate is not None else None,
        explained=estate is not None, notes=tuple(notes),
    )


class _Explainer:
    """Why one workload left its old site, judged against the NEW inventory and the NEW plan."""

    def __init__(self, estate: Estate, new: Plan):
        self.estate = estate
        self.placed = Placed(estate, new.site_of)
        self.currency = estate.scenario.currency
        self.horizon = estate.scenario.horizon_months

    def costs(self, w: Workload, site_id: str) -> Optional[tuple[float, float, float]]:
        """(monthly run, monthly egress, one-time) of `w` on a site, the others where the new plan puts them."""
        est = self.estate
        site = est.site_by_id[site_id]
        run = monthly_run(est, w, site)
        if run is None:
            return None
        return run.monthly, self.placed.egress(w, site), est.one_time(w, site)

    def _cheaper(self, w: Workload, old_site: str, new_site: str) -> tuple[float, str]:
        """Horizon saving of the new site over staying, and the parts that make it up."""
        stay, go = self.costs(w, old_site), self.costs(w, new_site)
        if stay is None or go is None:
            return 0.0, ""
        saving = horizon_cost(self.estate, stay[0] + stay[1], stay[2]) - horizon_cost(self.estate, go[0] + go[1], go[2])
        parts = [f"{label} {money(g - o, self.currency, signed=True)}{unit}"
                 for label, o, g, unit in (("run", stay[0], go[0], "/month"), ("egress", stay[1], go[1], "/month"),
                                           ("one-time", stay[2], go[2], "")) if abs(g - o) >= 0.005]
        return saving, ", ".join(parts)

    def why(self, wid: str, old_site: str, new_site: str) -> tuple[str, Optional[str]]:
        est = self.estate
        if wid not in est.workload_index:
            return "", None
        w = est.workloads[est.workload_index[wid]]
        if old_site not in est.site_by_id:
            return f"{old_site} is no longer a site in the inventory", Rule.ASSIGNMENT.value
        if new_site not in est.site_by_id:
            return "", None
        broken = violations(est, w, est.site_by_id[old_site])
        if broken:
            v = broken[0]
            more = f" (and {len(broken) - 1} more rule finding(s))" if len(broken) > 1 else ""
            return f"{old_site} now breaks {v.rule.value}: {v.rule.text} ({v.message}){more}", v.rule.value
        saving, parts = self._cheaper(w, old_site, new_site)
        # A rule between workloads that staying would break is the reason even when the move also
        # saves money: a workload that must follow its dependency did not move for the saving.
        coupled = self.placed.coupled_violations(w, est.site_by_id[old_site])
        extra = f"; staying would have cost {money(-saving, self.currency)} less on its own" if saving <= -0.005 else ""
        if coupled:
            v = coupled[0]
            return f"displaced from {old_site} to keep {v.rule.value}: {v.message}{extra}", v.rule.value
        if saving >= 0.005:
            return f"{new_site} is {money(saving, self.currency)} cheaper over the {self.horizon}-month horizon ({parts})", None
        if abs(saving) < 0.005:
            return f"costs the same over the horizon on {new_site} as on {old_site}; the solver chose between equals", None
        return (f"the joint optimum puts it on {new_site}: {old_site} would cost {money(-saving, self.currency)} less for "
                f"{wid} alone, but not for the plan as a whole (capacity, anti-affinity and dependencies are shared)"), None


def _findings(estate: Estate, site_of: Mapping[str, str], single: list[str]) -> dict[tuple[str, str, str, str], str]:
    """Rule findings of a placement: single-site rules for the `single` workloads, coupled rules for all.

    Keys are (rule, workload, site, detail), values the message.
    """
    out: dict[tuple[str, str, str, str], str] = {}
    for wid in single:
        sid = site_of.get(wid)
        if sid is None or wid not in estate.workload_index:
            continue
        if sid not in estate.site_by_id:
            out[(Rule.ASSIGNMENT.value, wid, sid, "")] = f"{wid} is placed on {sid}, which is not a site in the inventory"
            continue
        w = estate.workloads[estate.workload_index[wid]]
        for v in violations(estate, w, estate.site_by_id[sid]):
            out[(v.rule.value, wid, sid, v.message)] = v.message
    for v in placement_violations(estate, site_of):
        if v.rule is Rule.DEPENDENCY_LATENCY:
            out[(v.rule.value, v.workloads[0], v.sites[0], v.detail)] = v.message
        elif v.rule is Rule.CAPACITY:
            out[(v.rule.value, "", v.sites[0], v.detail)] = v.message
        else:
            for wid in v.workloads:
                out[(v.rule.value, wid, v.sites[0], v.detail)] = v.message
    return out


def compliance_deltas(estate: Estate, old: Plan, new: Plan, moved: list[str]) -> tuple[ComplianceDelta, ...]:
    """Findings of the old placement under `estate` that the new plan resolves, and findings the new plan adds.

    Single-site rules can only change for workloads whose site changed (`moved`); coupled rules
    (capacity, anti-affinity, dependency latency) are re-derived for the whole placement.
    """
    before = _findings(estate, old.site_of, moved)
    after = _findings(estate, new.site_of, moved)
    out = [ComplianceDelta(k[0], k[1], k[2], "resolved", msg) for k, msg in before.items() if k not in after]
    out += [ComplianceDelta(k[0], k[1], k[2], "new", msg) for k, msg in after.items() if k not in before]
    return tuple(sorted(set(out)))


def render_text(d: PlanDiff) -> str:
    """The diff for people at a terminal: headline, moves table, totals, compliance, notes (untrusted text escaped)."""
    t = one_line
    lines = [t(d.summary()), ""]
    if d.moves:
        rows = [(t(m.workload), t(m.old_site or "(new)"), t(m.new_site or "(removed)"), money(m.monthly_cost_delta, d.currency, signed=True),
                 t(m.reason)) for m in d.moves]
        lines += _table(("workload", "from", "to", "monthly", "reason"), rows) + [""]
    lines.append("cost deltas:")
    for k in d.total_keys:
        ratio = d.delta_ratio(k)
        pct = f" ({ratio:+.1%})" if ratio is not None else ""
        lines.append(f"  {t(k)}: {money(d.totals_old.get(k, 0.0), d.currency)} -> {money(d.totals_new.get(k, 0.0), d.currency)}"
                     f"  {money(d.delta(k), d.currency, signed=True)}{pct}")
    lines.append("")
    if d.compliance:
        lines.append("compliance:")
        lines += [f"  {c.change.upper():8} [{t(c.rule)}] {t(c.workload) + ' on ' if c.workload else ''}{t(c.site)}: {t(c.message)}"
                  for c in d.compliance]
    elif d.explained:
        lines.append("compliance: no rule finding appeared or disappeared")
    else:
        lines.append("compliance: not evaluated (pass --inventory with the new inventory to explain moves and compare findings)")
    lines += [f"note: {t(n)}" for n in d.notes]
    return terminal("\n".join(lines))


def render_markdown(d: PlanDiff) -> str:
    """The diff as GitHub-flavoured Markdown (for a pull-request comment); untrusted text through :func:`planner.base.untrusted.markdown`."""
    cell = markdown
    lines = [f"### Plan diff: {cell(d.summary())}", ""]
    lines += ["| total | old | new | delta |", "| --- | ---: | ---: | ---: |"]
    for k in d.total_keys:
        ratio = d.delta_ratio(k)
        pct = f" ({ratio:+.1%})" if ratio is not None else ""
        lines.append(f"| {cell(k)} | {money(d.totals_old.get(k, 0.0), d.currency)} | {money(d.totals_new.get(k, 0.0), d.currency)} | "
                     f"{money(d.delta(k), d.currency, signed=True)}{pct} |")
    lines.append("")
    if d.moves:
        lines += ["| workload | from | to | monthly | reason |", "| --- | --- | --- | ---: | --- |"]
        lines += [f"| {cell(m.workload)} | {cell(m.old_site or '(new)')} | {cell(m.new_site or '(removed)')} | "
                  f"{money(m.monthly_cost_delta, d.currency, signed=True)} | {cell(m.reason)} |" for m in d.moves]
        lines.append("")
    if d.compliance:
        lines += ["| change | rule | workload | site | finding |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {c.change} | {cell(c.rule)} | {cell(c.workload)} | {cell(c.site)} | {cell(c.message)} |" for c in d.compliance]
        lines.append("")
    lines += [f"> {cell(n)}" for n in d.notes]
    return "\n".join(lines).rstrip() + "\n"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    def line(r: tuple[str, ...]) -> str:
        return "  ".join(str(c).ljust(widths[i]) if i < len(widths) else str(c) for i, c in enumerate(r)).rstrip()
    return [line(header)] + [line(r) for r in rows]
