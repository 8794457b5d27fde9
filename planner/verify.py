"""An independent check of a plan against its inventory: every hard rule, every cost, every total.

It never calls the solver: it reads plan.json's assignments and waves and re-derives
everything from the rules (:mod:`planner.rules`) and the cost model (:mod:`planner.costs`).
"""

from __future__ import annotations

from collections import defaultdict

from .problem import Problem
from .costs import monthly_egress, monthly_run, stay_put_monthly
from .estate import Estate
from .plan import Plan, cents
from .rules import Rule, placement_violations, violations
from .waves import group_label, high_criticality_apps, last_wave_before, last_wave_in_horizon, months_after, phase_name, wave_dates

_CENT = 0.011


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
        return sorted(set(out))
    site_of: dict[str, str] = {}
    for a in plan.assignments:
        if a.workload in site_of:
            bad(Rule.ASSIGNMENT, (a.workload,), (), f"{a.workload} is assigned twice")
        site_of[a.workload] = a.site
    for w in estate.workloads:
        if w.id not in site_of:
            bad(Rule.ASSIGNMENT, (w.id,), (), f"{w.id} has no site in the plan")
    for wid in sorted(set(site_of) - set(estate.workload_index)):
        bad(Rule.ASSIGNMENT, (wid,), (), f"the plan places {wid}, which is not in the inventory")
    for wid, sid in sorted(site_of.items()):
        if sid not in estate.site_by_id:
            bad(Rule.ASSIGNMENT, (wid,), (sid,), f"{wid} is placed on unknown site {sid}")
    if out:
        return sorted(set(out))

    by_id = {a.workload: a for a in plan.assignments}
    run_total = one_total = 0.0
    for w in estate.workloads:
        site = estate.site_by_id[site_of[w.id]]
        for v in violations(estate, w, site):
            bad(v.rule, (w.id,), (site.id,), v.message)
        a = by_id[w.id]
        run = monthly_run(estate, w, site)
        one = estate.one_time(w, site)
        if run is not None:
            run_total += run.monthly
            if abs(a.monthly_cost - cents(run.monthly)) > _CENT or a.sku != run.sku:
                bad(Rule.COST, (w.id,), (site.id,), f"{w.id} on {site.id} costs {run.monthly:.2f} a month ({run.sku or 'unit rates'}); the plan says {a.monthly_cost:.2f} ({a.sku or 'unit rates'})")
        one_total += one
        if abs(a.one_time_cost - cents(one)) > _CENT:
            bad(Rule.COST, (w.id,), (site.id,), f"{w.id} costs {one:.2f} once to put on {site.id}; the plan says {a.one_time_cost:.2f}")
        if a.moves != (site.id != w.current_site):
            bad(Rule.COST, (w.id,), (site.id,), f"{w.id} {'moves' if site.id != w.current_site else 'stays'} ({w.current_site} -> {site.id}); the plan says moves={a.moves}")
    for v in placement_violations(estate, site_of):
        bad(v.rule, v.workloads, v.sites, v.message)
    _verify_waves(estate, plan, site_of, bad)
    egress = monthly_egress(estate, site_of)
    horizon = estate.scenario.horizon_months
    expected = {"monthly_run_cost": run_total, "one_time_cost": one_total, "monthly_egress_cost": egress,
                "horizon_cost": horizon * (run_total + egress) + one_total}
    expected["stay_put_monthly_run_cost"] = stay_put_monthly(estate)
    for key, value in sorted(expected.items()):
        got = plan.totals.get(key)
        if got is None or abs(got - cents(value)) > _CENT:
            bad(Rule.COST, (), (), f"totals.{key} should be {value:.2f}; the plan says {got}")
    objective = plan.solver.get("objective")
    bound = plan.solver.get("bound")
    if objective is None or abs(objective - cents(expected["horizon_cost"])) > _CENT:
        bad(Rule.COST, (), (), f"solver.objective should equal the horizon cost {expected['horizon_cost']:.2f}; the plan says {objective}")
    if bound is not None and objective is not None and bound > objective + _CENT:
        bad(Rule.COST, (), (), f"solver.bound {bound} is above the objective {objective}: no bound can be")
    return sorted(set(out))


def _verify_waves(estate: Estate, plan: Plan, site_of: dict[str, str], bad) -> None:  # noqa: ANN001
    rules = estate.scenario.waves
    wls = {w.id: w for w in estate.workloads}
    wave_of: dict[str, int] = {}
    for wave in plan.waves:
        start, end = wave_dates(estate, wave.number)
        if (wave.start, wave.end) != (start, end):
            bad(Rule.WAVES, (), (), f"wave {wave.number} should run {start} to {end}; the plan says {wave.start} to {wave.end}")
        for wid in wave.workloads:
            if wid in wave_of:
                bad(Rule.WAVES, (wid,), (), f"{wid} is in waves {wave_of[wid]} and {wave.number}")
            wave_of[wid] = wave.number
    for a in plan.assignments:
        if a.wave != wave_of.get(a.workload):
            bad(Rule.WAVES, (a.workload,), (), f"{a.workload} says wave {a.wave} but the waves list has it in {wave_of.get(a.workload)}")
    for wid, w in wls.items():
        moves = site_of[wid] != w.current_site
        if moves and wid not in wave_of:
            bad(Rule.WAVES, (wid,), (), f"{wid} moves ({w.current_site} -> {site_of[wid]}) but is in no wave")
        if not moves and wid in wave_of:
            bad(Rule.WAVES, (wid,), (), f"{wid} stays on {w.current_site} but is scheduled in wave {wave_of[wid]}")
    groups: dict[tuple[str, bool], set[int]] = defaultdict(set)
    count: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    kinds: dict[int, set[bool]] = defaultdict(set)
    high = high_criticality_apps(estate)
    for wid, k in wave_of.items():
        if wid not in wls:
            continue
        w = wls[wid]
        groups[w.move_group].add(k)
        count[k] += 1
        hours[k] += estate.effort_hours(w)
        kinds[k].add(w.is_prod)
        if k <= rules.pilot_waves and w.app in high:
            bad(Rule.WAVES, (wid,), (), f"{wid} belongs to high-criticality app {w.app} but moves in pilot wave {k} (pilot_waves: {rules.pilot_waves})")
        site = estate.site_by_id[w.current_site]
        if estate.closes_in_horizon(site) and k > last_wave_before(estate, site.closes):  # type: ignore[arg-type]
            bad(Rule.WAVES, (wid,), (site.id,), f"{wid} leaves {site.id} in wave {k}, which ends {wave_dates(estate, k)[1]}, not before it closes on {site.closes}")
    for key, ks in sorted(groups.items()):
        if len(ks) > 1:
            bad(Rule.WAVES, (), (), f"{group_label(key)} is split over waves {sorted(ks)}; a move group moves in one wave")
    for (app, is_prod), ks in sorted(groups.items()):
        if is_prod and (app, False) in groups and min(groups[(app, False)]) >= min(ks):
            bad(Rule.WAVES, (), (), f"{app} non-production moves in wave {min(groups[(app, False)])}, not before its production (wave {min(ks)})")
    last = last_wave_in_horizon(estate)
    for k in sorted(count):
        if k > last:
            bad(Rule.WAVES, (), (), f"wave {k} ends {wave_dates(estate, k)[1]}, after the horizon ends ({estate.scenario.horizon_end}); the last wave may be wave {last}")
        if count[k] > rules.max_workloads_in(k):
            bad(Rule.WAVES, (), (), f"wave {k} moves {count[k]} workloads, over its limit of {rules.max_workloads_in(k)}")
        if hours[k] > rules.max_effort_hours + 1e-6:
            bad(Rule.WAVES, (), (), f"wave {k} needs {hours[k]:g} effort hours, over its limit of {rules.max_effort_hours:g}")
        if len(kinds[k]) > 1:
            bad(Rule.WAVES, (), (), f"wave {k} mixes production and non-production workloads")
    for w in estate.workloads:
        for d in w.depends_on:
            if w.id not in wave_of or d.workload not in wave_of or d.workload not in wls:
                continue
            ka, kb = wave_of[w.id], wave_of[d.workload]
            if kb > ka:
                bad(Rule.WAVE_ORDER, (w.id, d.workload), (), f"{d.workload} moves in wave {kb}, after {w.id} which depends on it (wave {ka}); a dependency target never moves after its dependants")
            elif kb < ka and d.max_latency_ms is not None:
                here, there = estate.site_by_id[w.current_site], estate.site_by_id[site_of[d.workload]]
                ms = estate.latency(here.zone, there.zone)
                if ms > d.max_latency_ms:
                    bad(Rule.WAVE_ORDER, (w.id, d.workload), (here.id, there.id),
                        f"{d.workload} moves to {there.id} in wave {kb} while {w.id} stays on {here.id} until wave {ka}: "
                        f"{ms:g} ms between them, over the {d.max_latency_ms:g} ms budget; they must move in one wave")
    for wave in plan.waves:
        if wave.phase is not None and wave.phase != phase_name(wave.start):
            bad(Rule.WAVES, (), (), f"wave {wave.number} starts {wave.start}, in phase {phase_name(wave.start)}; the plan says {wave.phase}")
    summary = plan.schedule
    if summary is not None:
        realised = monthly = 0.0
        cross = 0
        for wid, k in sorted(wave_of.items()):
            if wid not in wls:
                continue
            w = wls[wid]
            now = monthly_run(estate, w, estate.site_by_id[w.current_site])
            then = monthly_run(estate, w, estate.site_by_id[site_of[wid]])
            saving = (now.monthly if now is not None else 0.0) - (then.monthly if then is not None else 0.0)
            monthly += saving
            realised += saving * months_after(estate, k)
            cross += sum(1 for d in w.depends_on if d.workload in wave_of and wave_of[d.workload] != k)
        if abs(summary.realised_savings - cents(realised)) > _CENT:
            bad(Rule.COST, (), (), f"schedule.realised_savings should be {realised:.2f} (each moved workload's monthly saving from the day after its wave to the horizon end); the plan says {summary.realised_savings}")
        if abs(summary.monthly_savings - cents(monthly)) > _CENT:
            bad(Rule.COST, (), (), f"schedule.monthly_savings should be {monthly:.2f}; the plan says {summary.monthly_savings}")
        if summary.cross_wave_dependencies != cross:
            bad(Rule.WAVES, (), (), f"schedule.cross_wave_dependencies should be {cross}; the plan says {summary.cross_wave_dependencies}")
        phased = sorted(n for p in summary.phases for n in p.waves)
        if phased != sorted(w.number for w in plan.waves):
            bad(Rule.WAVES, (), (), f"schedule.phases cover waves {phased}, not the plan's waves {sorted(w.number for w in plan.waves)}")
