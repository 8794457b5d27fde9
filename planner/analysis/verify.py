"""An independent check of a plan against its inventory: every hard rule, every cost, every total.

It never calls the solver: it reads plan.json's assignments and waves and re-derives everything
from the rules (:mod:`planner.domain.rules`) and the cost model (:mod:`planner.domain.costs`), on the estate's
columns: the single-site rules once per distinct (profile, site) the plan uses (and again, per
workload, only where one fails, for its message), the sizes and costs once per site over all the
workloads on it, the wave rules on arrays. A million assignments verify in seconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Callable

import numpy as np

from planner.base.problem import Problem
from planner.domain.carbon import horizon_tonnes, monthly_kg, stay_put_tonnes
from planner.domain.costs import (
    NO_VM,
    egress_columns,
    run_on_sites,
    sku_name,
    stay_put_columns,
    stay_put_monthly,
)
from planner.domain.estate import Estate
from planner.domain.rules import (
    Rule,
    fits_whole_capacity,
    placement_violations_columns,
    profile_violations,
    size_violations,
)
from planner.plan.document import Plan, cents
from planner.plan.money import YearFlow, cash_flow, row_arrays
from planner.schedule.waves import (
    RESOURCE_WORDS,
    RESOURCES,
    group_label,
    high_criticality_apps,
    interim_breaches,
    last_wave_before,
    last_wave_in_horizon,
    months_after,
    phase_name,
    site_capacities,
    wave_dates,
)

_CENT = 0.011
Bad = Callable[[Rule, tuple, tuple, str], None]


def verify_plan(estate: Estate, plan: Plan) -> list[Problem]:
    """Every way `plan` breaks a hard rule or misstates a cost; empty means it holds."""
    out: list[Problem] = []

    def bad(rule: Rule, workloads: tuple[str, ...], sites: tuple[str, ...], message: str) -> None:
        out.append(Problem(rule.value, tuple(sorted(workloads)), tuple(sorted(sites)), message))

    if plan.inventory_sha256 != estate.inventory.sha256:
        bad(Rule.ASSIGNMENT, (), (), "the plan was made from a different inventory (inventory_sha256 differs); re-plan or pass the inventory it was made from")
    if not plan.has_plan:
        if not plan.problems:
            bad(Rule.ASSIGNMENT, (), (), "the plan says infeasible but gives no problems explaining why")
        if plan.waves:
            bad(Rule.WAVES, (), (), "the plan says infeasible but lists waves; a placement whose waves fail is published without them")
        if not plan.assignments:  # a placement whose waves failed is still checked, rule by rule, without waves
            return sorted(set(out))
    t = estate.table
    assignments = plan.assignments
    at = t.rows_of([a.workload for a in assignments])  # per assignment, its workload's row (-1: not in the inventory)
    for k in np.nonzero(at < 0)[0].tolist():
        a = assignments[k]
        bad(Rule.ASSIGNMENT, (a.workload,), (), f"the plan places {a.workload}, which is not in the inventory")
    known = np.nonzero(at >= 0)[0]
    rows, first = np.unique(at[known], return_index=True)
    row = np.full(len(t), -1, dtype=np.int64)  # per workload, its (first) assignment's position in plan.assignments
    row[rows] = known[first]
    repeated = np.ones(len(known), dtype=bool)
    repeated[first] = False
    for k in known[repeated].tolist():
        a = assignments[k]
        bad(Rule.ASSIGNMENT, (a.workload,), (), f"{a.workload} is assigned twice")
    for i in np.nonzero(row < 0)[0].tolist():
        bad(Rule.ASSIGNMENT, (t.ids[i],), (), f"{t.ids[i]} has no site in the plan")
    site_index = estate.site_index
    on = np.fromiter((site_index.get(a.site, -1) for a in assignments), dtype=np.int64, count=len(assignments))
    site_no = np.full(len(t), -1, dtype=np.int64)
    site_no[rows] = on[row[rows]]
    for i in rows[site_no[rows] < 0].tolist():
        a = assignments[row[i]]
        bad(Rule.ASSIGNMENT, (a.workload,), (a.site,), f"{a.workload} is placed on unknown site {a.site}")
    if out:
        return sorted(set(out))
    _single_site_rules(estate, site_no, bad)
    run_total, one_total = _costs(estate, plan, row, site_no, bad)
    for v in placement_violations_columns(estate, site_no):
        bad(v.rule, v.workloads, v.sites, v.message)
    if plan.has_plan:
        _verify_waves(estate, plan, row, site_no, bad)
    else:
        for k in np.nonzero([a.wave is not None for a in assignments])[0].tolist():
            bad(Rule.WAVES, (assignments[k].workload,), (), f"{assignments[k].workload} says wave {assignments[k].wave} in a plan without waves")
    egress = float(egress_columns(estate, site_no).sum())
    horizon = estate.scenario.horizon_months
    expected = {"monthly_run_cost": run_total, "one_time_cost": one_total, "monthly_egress_cost": egress,
                "horizon_cost": horizon * (run_total + egress) + one_total, "stay_put_monthly_run_cost": stay_put_monthly(estate)}
    for key, value in sorted(expected.items()):
        got = plan.totals.get(key)
        if got is None or not math.isfinite(got) or abs(got - cents(value)) > _CENT:
            bad(Rule.COST, (), (), f"totals.{key} should be {value:.2f}; the plan says {got}")
    charge = _carbon(estate, plan, row, site_no, bad)
    _money(estate, plan, row, site_no, bad)
    objective = plan.solver.get("objective")
    bound = plan.solver.get("bound")
    if objective is None or abs(objective - cents(expected["horizon_cost"] + charge)) > _CENT:
        bad(Rule.COST, (), (), f"solver.objective should equal the horizon cost plus the carbon charge "
                                f"{expected['horizon_cost'] + charge:.2f}; the plan says {objective}")
    if bound is not None and objective is not None and bound > objective + _CENT:
        bad(Rule.COST, (), (), f"solver.bound {bound} is above the objective {objective}: no bound can be")
    return sorted(set(out))


def _single_site_rules(estate: Estate, site_no: np.ndarray, bad: Bad) -> None:
    """Pin, kinds, certifications, residency, users and closing sites once per (profile, site) the plan uses; sizes per site."""
    t = estate.table
    prof, reps = estate.profiles
    n_s = len(estate.sites)
    key = prof * n_s + site_no
    uniq, first = np.unique(key, return_index=True)
    for k, i in zip(uniq.tolist(), first.tolist()):
        site = estate.sites[k % n_s]
        if not profile_violations(estate, t.workload(int(reps[k // n_s])), site):
            continue
        for w in np.nonzero(key == k)[0].tolist():  # the rule fails for this profile: say it for each workload
            for v in profile_violations(estate, t.workload(w), site):
                bad(v.rule, (t.ids[w],), (site.id,), v.message)
    for j, site in enumerate(estate.sites):
        on = np.nonzero(site_no == j)[0]
        if len(on) == 0:
            continue
        too_big = on[~fits_whole_capacity(site, t.vcpu[on], t.memory_gb[on], t.storage_gb[on])]
        for w in too_big.tolist():
            for v in size_violations(estate, t.workload(w), site):
                bad(v.rule, (t.ids[w],), (site.id,), v.message)


def _costs(estate: Estate, plan: Plan, row: np.ndarray, site_no: np.ndarray, bad: Bad) -> tuple[float, float]:
    """Each assignment's monthly and one-time cost, SKU and move flag against the cost model; the run and one-time totals."""
    t = estate.table
    run = run_on_sites(estate, site_no)
    no_vm = run.sku == NO_VM
    for w in np.nonzero(no_vm)[0].tolist():
        site = estate.sites[int(site_no[w])]
        for v in size_violations(estate, t.workload(w), site):
            bad(v.rule, (t.ids[w],), (site.id,), v.message)
    monthly = np.where(no_vm, 0.0, run.monthly)
    stays = site_no == t.current_site
    one = np.where(stays, 0.0, estate.migration_cost)
    a_monthly = np.array([plan.assignments[k].monthly_cost for k in row.tolist()], dtype=float)
    a_one = np.array([plan.assignments[k].one_time_cost for k in row.tolist()], dtype=float)
    a_moves = np.array([plan.assignments[k].moves for k in row.tolist()], dtype=bool)
    names = {int(c): sku_name(estate, int(c)) for c in np.unique(run.sku).tolist() if c != NO_VM}
    expected_sku = np.array([names.get(int(c)) for c in run.sku.tolist()], dtype=object)
    plan_sku = np.array([plan.assignments[k].sku for k in row.tolist()], dtype=object)
    with np.errstate(invalid="ignore"):
        wrong_run = ~no_vm & (~(np.abs(a_monthly - np.round(monthly, 2)) <= _CENT) | (expected_sku != plan_sku))
    for w in np.nonzero(wrong_run)[0].tolist():
        sku = expected_sku[w]
        a = plan.assignments[row[w]]
        bad(Rule.COST, (t.ids[w],), (a.site,), f"{t.ids[w]} on {a.site} costs {monthly[w]:.2f} a month ({sku or 'unit rates'}); "
                                                   f"the plan says {a.monthly_cost:.2f} ({a.sku or 'unit rates'})")
    with np.errstate(invalid="ignore"):
        wrong_one = ~(np.abs(a_one - np.round(one, 2)) <= _CENT)
    for w in np.nonzero(wrong_one)[0].tolist():
        a = plan.assignments[row[w]]
        bad(Rule.COST, (t.ids[w],), (a.site,), f"{t.ids[w]} costs {one[w]:.2f} once to put on {a.site}; the plan says {a.one_time_cost:.2f}")
    for w in np.nonzero(a_moves == stays)[0].tolist():
        a = plan.assignments[row[w]]
        current = t.site_ids[int(t.current_site[w])]
        bad(Rule.COST, (t.ids[w],), (a.site,), f"{t.ids[w]} {'moves' if not stays[w] else 'stays'} ({current} -> {a.site}); the plan says moves={a.moves}")
    return float(monthly.sum()), float(one.sum())


def _money(estate: Estate, plan: Plan, row: np.ndarray, site_no: np.ndarray, bad: Bad) -> None:
    """The board's money the plan states (saving, stay-put cost, NPV, payback month, years) against the one cash flow
    (:func:`planner.plan.money.cash_flow`) of its own assignments and waves; a plan written before these totals passes."""
    a = plan.assignments
    monthly = np.array([a[k].monthly_cost for k in row.tolist()], dtype=float)
    one = np.array([a[k].one_time_cost for k in row.tolist()], dtype=float)
    wave = np.array([a[k].wave or 0 for k in row.tolist()], dtype=np.int64)
    flow = cash_flow(estate, row_arrays(estate, site_no, monthly, one, wave), plan.waves if plan.has_plan else [],
                     plan.totals["stay_put_monthly_run_cost"])
    for key, value in sorted(flow.totals().items()):
        got = plan.totals.get(key)
        if key in plan.totals and (got is None or not math.isfinite(got) or abs(got - value) > _CENT):
            bad(Rule.COST, (), (), f"totals.{key} should be {value:.2f}; the plan says {got}")
    if plan.money is not None:
        expected = flow.plan_money()
        if plan.money.payback_month != expected.payback_month:
            bad(Rule.COST, (), (), f"totals.payback_month should be {expected.payback_month}; the plan says {plan.money.payback_month}")
        if len(plan.money.years) != len(expected.years) or any(
                (g.year, g.start, g.end, g.months) != (e.year, e.start, e.end, e.months)
                or any(abs(x - y) > _CENT for x, y in zip(_year_amounts(g), _year_amounts(e)))
                for g, e in zip(plan.money.years, expected.years)):
            bad(Rule.COST, (), (), "totals.cash_flow_by_year does not match the plan's own cash flow; re-plan")


def _year_amounts(y: YearFlow) -> tuple[float, ...]:
    return (y.stay_put, y.plan, y.one_time, y.saving, y.cumulative_saving, y.discounted_saving)


def _carbon(estate: Estate, plan: Plan, row: np.ndarray, site_no: np.ndarray, bad: Bad) -> float:
    """Each assignment's monthly kgCO2e, the emission totals and the carbon charge against the emissions model, and
    the scenario's cap; returns the carbon charge the objective holds."""
    t = estate.table
    kg = monthly_kg(estate, site_no)
    given = np.array([np.nan if plan.assignments[k].monthly_kgco2e is None else plan.assignments[k].monthly_kgco2e
                      for k in row.tolist()], dtype=float)
    with np.errstate(invalid="ignore"):
        wrong = ~(np.abs(given - np.round(kg, 3)) <= 0.0011)
    for w in np.nonzero(wrong)[0].tolist()[:1000]:
        a = plan.assignments[row[w]]
        bad(Rule.COST, (t.ids[w],), (a.site,), f"{t.ids[w]} on {a.site} emits {kg[w]:.3f} kgCO2e a month; the plan says {a.monthly_kgco2e}")
    tonnes = horizon_tonnes(estate, site_no)
    charge = estate.scenario.carbon.price_per_tonne * tonnes
    for key, value, tol in (("emissions_tonnes", tonnes, 0.0011), ("stay_put_emissions_tonnes", stay_put_tonnes(estate), 0.0011),
                            ("carbon_cost", charge, _CENT)):
        got = plan.totals.get(key)
        if got is None or not math.isfinite(got) or abs(got - round(value, 3 if tol < _CENT else 2)) > tol:
            bad(Rule.COST, (), (), f"totals.{key} should be {value:.3f}; the plan says {got}")
    cap = estate.scenario.carbon.cap_tonnes
    if cap is not None and tonnes > cap * (1 + 1e-9) + 1e-6:
        bad(Rule.CARBON_CAP, (), (), f"the plan emits {tonnes:,.1f} tCO2e over the horizon, above scenario.carbon.cap_tonnes "
                                     f"{cap:,.1f} by {tonnes - cap:,.1f} t")
    return charge


def _verify_waves(estate: Estate, plan: Plan, row: np.ndarray, site_no: np.ndarray, bad: Bad) -> None:
    rules = estate.scenario.waves
    t = estate.table
    index = estate.workload_index
    wave = np.zeros(len(t), dtype=np.int64)  # per workload, its wave (0: none)
    for w in plan.waves:
        start, end = wave_dates(estate, w.number)
        if (w.start, w.end) != (start, end):
            bad(Rule.WAVES, (), (), f"wave {w.number} should run {start} to {end}; the plan says {w.start} to {w.end}")
        for wid in w.workloads:
            i = index.get(wid, -1)
            if i < 0:
                continue
            if wave[i]:
                bad(Rule.WAVES, (wid,), (), f"{wid} is in waves {wave[i]} and {w.number}")
            wave[i] = w.number
    for i, k in enumerate(row.tolist()):
        a = plan.assignments[k]
        listed = int(wave[i]) or None
        if a.wave != listed:
            bad(Rule.WAVES, (a.workload,), (), f"{a.workload} says wave {a.wave} but the waves list has it in {listed}")
    moves = site_no != t.current_site
    for i in np.nonzero(moves & (wave == 0))[0].tolist():
        bad(Rule.WAVES, (t.ids[i],), (), f"{t.ids[i]} moves ({t.site_ids[int(t.current_site[i])]} -> {estate.sites[int(site_no[i])].id}) but is in no wave")
    for i in np.nonzero(~moves & (wave > 0))[0].tolist():
        bad(Rule.WAVES, (t.ids[i],), (), f"{t.ids[i]} stays on {t.site_ids[int(t.current_site[i])]} but is scheduled in wave {wave[i]}")
    sched = np.nonzero(wave > 0)[0]
    k_of = wave[sched]
    high = high_criticality_apps(estate)
    app = t.app.codes[sched]
    high_code = np.array([name in high for name in t.app.names], dtype=bool)
    for i in sched[(k_of <= rules.pilot_waves) & high_code[app]].tolist():
        name = t.app.names[int(t.app.codes[i])]
        bad(Rule.WAVES, (t.ids[i],), (), f"{t.ids[i]} belongs to high-criticality app {name} but moves in pilot wave {wave[i]} (pilot_waves: {rules.pilot_waves})")
    for j, site in enumerate(estate.sites):
        if not estate.closes_in_horizon(site):
            continue
        limit = last_wave_before(estate, site.closes)  # type: ignore[arg-type]
        for i in sched[(t.current_site[sched] == j) & (k_of > limit)].tolist():
            bad(Rule.WAVES, (t.ids[i],), (site.id,), f"{t.ids[i]} leaves {site.id} in wave {wave[i]}, which ends {wave_dates(estate, int(wave[i]))[1]}, not before it closes on {site.closes}")
    groups: dict[tuple[str, bool], set[int]] = defaultdict(set)
    prod = t.is_prod[sched]
    for code, p, k in set(zip(app.tolist(), prod.tolist(), k_of.tolist())):
        groups[(t.app.names[code], bool(p))].add(int(k))
    for key, ks in sorted(groups.items()):
        if len(ks) > 1:
            bad(Rule.WAVES, (), (), f"{group_label(key)} is split over waves {sorted(ks)}; a move group moves in one wave")
    for (name, is_prod), ks in sorted(groups.items()):
        if is_prod and (name, False) in groups and min(groups[(name, False)]) >= min(ks):
            bad(Rule.WAVES, (), (), f"{name} non-production moves in wave {min(groups[(name, False)])}, not before its production (wave {min(ks)})")
    last = last_wave_in_horizon(estate)
    count = np.bincount(k_of, minlength=1) if len(k_of) else np.zeros(1, dtype=np.int64)
    hours = np.bincount(k_of, weights=estate.effort[sched], minlength=len(count)) if len(k_of) else np.zeros(1)
    mixed = set()
    if len(k_of):
        kinds = np.unique(np.stack([k_of, prod.astype(np.int64)]), axis=1)
        waves_seen, n_kinds = np.unique(kinds[0], return_counts=True)
        mixed = set(waves_seen[n_kinds > 1].tolist())
    for k in np.nonzero(count)[0].tolist():
        if k > last:
            bad(Rule.WAVES, (), (), f"wave {k} ends {wave_dates(estate, k)[1]}, after the horizon's last day ({estate.scenario.last_day}); the last wave may be wave {last}")
        if count[k] > rules.max_workloads_in(k):
            bad(Rule.WAVES, (), (), f"wave {k} moves {count[k]} workloads, over its limit of {rules.max_workloads_in(k)}")
        if hours[k] > rules.max_effort_hours + 1e-6:
            bad(Rule.WAVES, (), (), f"wave {k} needs {hours[k]:g} effort hours, over its limit of {rules.max_effort_hours:g}")
        if k in mixed:
            bad(Rule.WAVES, (), (), f"wave {k} mixes production and non-production workloads")
    _wave_order(estate, wave, site_no, bad)
    _capacity_between_waves(estate, wave, site_no, bad)
    for w in plan.waves:
        if w.phase is not None and w.phase != phase_name(w.start):
            bad(Rule.WAVES, (), (), f"wave {w.number} starts {w.start}, in phase {phase_name(w.start)}; the plan says {w.phase}")
    summary = plan.schedule
    if summary is not None:
        today = stay_put_columns(estate)
        now = np.where(today.sku == NO_VM, 0.0, today.monthly)
        after = run_on_sites(estate, site_no)
        then = np.where(after.sku == NO_VM, 0.0, after.monthly)
        saving = (now - then)[sched]
        months = np.array([0.0] + [months_after(estate, k) for k in range(1, int(wave.max()) + 1)])
        monthly, realised = float(saving.sum()), float((saving * months[k_of]).sum())
        d = t.deps
        both = (wave[d.src] > 0) & (wave[d.dst] > 0)
        cross = int((both & (wave[d.src] != wave[d.dst])).sum())
        if abs(summary.realised_savings - cents(realised)) > _CENT:
            bad(Rule.COST, (), (), f"schedule.realised_savings should be {realised:.2f} (each moved workload's monthly saving from the day after its wave to the horizon end); the plan says {summary.realised_savings}")
        if abs(summary.monthly_savings - cents(monthly)) > _CENT:
            bad(Rule.COST, (), (), f"schedule.monthly_savings should be {monthly:.2f}; the plan says {summary.monthly_savings}")
        if summary.cross_wave_dependencies != cross:
            bad(Rule.WAVES, (), (), f"schedule.cross_wave_dependencies should be {cross}; the plan says {summary.cross_wave_dependencies}")
        if summary.upper_bound is not None and cents(realised) > summary.upper_bound + _CENT:
            bad(Rule.COST, (), (), f"the schedule realises {realised:.2f}, above schedule.upper_bound {summary.upper_bound}: no bound can be")
        phased = sorted(n for p in summary.phases for n in p.waves)
        if phased != sorted(w.number for w in plan.waves):
            bad(Rule.WAVES, (), (), f"schedule.phases cover waves {phased}, not the plan's waves {sorted(w.number for w in plan.waves)}")


def _capacity_between_waves(estate: Estate, wave: np.ndarray, site_no: np.ndarray, bad: Bad) -> None:
    """After each wave, in date order, no site holds more of a resource than its capacity, unless it already held
    more before the wave and the wave brings it nothing."""
    t = estate.table
    cap = site_capacities(estate)
    limited = np.nonzero(np.isfinite(cap).any(axis=1))[0]
    if len(limited) == 0 or not (wave > 0).any():
        return
    last = int(wave.max())
    n_s = len(estate.sites)
    sizes = [getattr(t, r).astype(float) for r in RESOURCES]
    now = t.current_site.astype(np.int64)
    moving = np.nonzero(wave > 0)[0]
    load = np.zeros((last + 1, n_s, len(RESOURCES)))
    adds = np.zeros((last + 1, n_s, len(RESOURCES)), dtype=np.int64)
    for r, size in enumerate(sizes):
        load[0, :, r] = np.bincount(now, weights=size, minlength=n_s)
        change = np.zeros((last + 1, n_s))
        np.add.at(change, (wave[moving], now[moving]), -size[moving])
        np.add.at(change, (wave[moving], site_no[moving]), size[moving])
        np.add.at(adds[:, :, r], (wave[moving], site_no[moving]), (size[moving] > 0).astype(np.int64))
        load[:, :, r] = load[0, :, r] + np.cumsum(change, axis=0)
    broken = interim_breaches(load[:, limited], adds[:, limited], cap[limited])
    for k, c, r in zip(*np.nonzero(broken)):
        j = int(limited[c])
        site, res = estate.sites[j], RESOURCES[r]
        held, limit = load[k + 1, j, r], cap[j, r]
        arriving = np.nonzero((wave == k + 1) & (site_no == j) & (now != j))[0]
        share = f" ({held / limit:.0%})" if limit > 0 else ""
        bad(Rule.WAVE_CAPACITY, tuple(t.ids[i] for i in arriving[:20].tolist()), (site.id,),
            f"after wave {k + 1} {site.id} holds {held:,.6g} {RESOURCE_WORDS[res]}, {held - limit:,.6g} over its capacity of "
            f"{limit:,.6g}{share}; {len(arriving)} workload(s) arrive in that wave before enough leave: move them later, "
            "or the leavers earlier")


def _wave_order(estate: Estate, wave: np.ndarray, site_no: np.ndarray, bad: Bad) -> None:
    """A dependency's target moves no later than its dependant, and with it when moving first breaks the budget."""
    t = estate.table
    d = t.deps
    ids = t.ids
    both = (wave[d.src] > 0) & (wave[d.dst] > 0)
    ka, kb = wave[d.src], wave[d.dst]
    for k in np.nonzero(both & (kb > ka))[0].tolist():
        a, b = int(d.src[k]), int(d.dst[k])
        bad(Rule.WAVE_ORDER, (ids[a], ids[b]), (), f"{ids[b]} moves in wave {kb[k]}, after {ids[a]} which depends on it (wave {ka[k]}); "
                                                  "a dependency target never moves after its dependants")
    early = np.nonzero(both & (kb < ka) & ~np.isnan(d.max_latency_ms))[0]
    if len(early) == 0:
        return
    zone = estate.site_zone_index
    here = t.current_site[d.src[early]].astype(np.int64)
    there = site_no[d.dst[early]]
    ms = estate.latency_matrix[zone[here], zone[there]]
    for n in np.nonzero(ms > d.max_latency_ms[early])[0].tolist():
        k = int(early[n])
        a, b = int(d.src[k]), int(d.dst[k])
        h, th = estate.sites[int(here[n])], estate.sites[int(there[n])]
        bad(Rule.WAVE_ORDER, (ids[a], ids[b]), (h.id, th.id),
            f"{ids[b]} moves to {th.id} in wave {kb[k]} while {ids[a]} stays on {h.id} until wave {ka[k]}: "
            f"{ms[n]:g} ms between them, over the {d.max_latency_ms[k]:g} ms budget; they must move in one wave")
