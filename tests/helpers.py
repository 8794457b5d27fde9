"""Small builders for inventories written for one test case."""

from __future__ import annotations

import copy
import itertools
import math
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import strategies as st

from planner.domain.costs import monthly_egress, monthly_run
from planner.domain.rules import violations

BASE: dict[str, Any] = {
    "zones": [{"id": "madrid", "country": "ES"}, {"id": "frankfurt", "country": "DE"}, {"id": "sao-paulo", "country": "BR"}],
    "latency_ms": [["madrid", "frankfurt", 30], ["madrid", "sao-paulo", 190], ["frankfurt", "sao-paulo", 200]],
    "countries": {"EU": ["ES", "DE", "FR", "PT"]},
    "policies": [{"id": "gdpr", "name": "GDPR", "data_class": "personal-eu", "allowed_countries": ["EU"]},
                 {"id": "lgpd", "name": "LGPD", "data_class": "personal-br", "allowed_countries": ["BR"]}],
    "sites": [
        {"id": "mad-dc1", "kind": "onprem", "zone": "madrid",
         "cost": {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}},
        {"id": "az-fra", "kind": "azure", "zone": "frankfurt",
         "cost": {"vcpu_month": 10.0, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}},
        {"id": "az-sao", "kind": "azure", "zone": "sao-paulo",
         "cost": {"vcpu_month": 8.0, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}},
    ],
    "workloads": [],
    "scenario": {"start": "2027-01-01", "horizon_months": 12, "currency": "EUR", "default_migration_cost": 100},
}


def workload(wid: str, **fields: Any) -> dict[str, Any]:
    """A small production workload on mad-dc1, with `fields` overriding."""
    w = {"id": wid, "app": fields.pop("app", "app1"), "env": "prod", "vcpu": 2, "memory_gb": 4, "storage_gb": 10, "current_site": "mad-dc1"}
    w.update(fields)
    return w


def inventory(tmp_path: Path, workloads: list[dict[str, Any]], name: str = "inv.yaml", **sections: Any) -> Path:
    """Write BASE with `workloads` and section overrides to a YAML file; return its path."""
    doc = copy.deepcopy(BASE)
    doc["workloads"] = workloads
    doc.update(sections)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def sites_of(plan: Any) -> dict[str, str]:
    """Workload id to site id of a plan."""
    return {a.workload: a.site for a in plan.assignments}


REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


def bench_module(name: str) -> Any:
    """A module of bench/ (scripts, not a package), imported with bench/ on sys.path as the scripts see it."""
    import importlib
    import sys

    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


# Fixtures several test modules share.

CHEAP_FRA = """name: A cheaper Frankfurt contract
sites:
  - {id: az-fra, cost: {vcpu_month: 4.0, memory_gb_month: 0.5, storage_gb_month: 0.02, egress_gb: 0.1}}
"""


CLOSE_MAD = """name: Close Madrid by mid-2027
sites:
  - {id: mad-dc1, closes: 2027-06-30}
"""


def compare_estate(tmp_path: Path) -> Path:
    return inventory(tmp_path, [
        workload("crm-db", app="crm", data=["personal-eu"], vcpu=4, memory_gb=16),
        workload("crm-app", app="crm", data=["personal-eu"], depends_on=[{"workload": "crm-db", "max_latency_ms": 40}]),
        workload("br-app", app="br", data=["personal-br"], current_site="az-sao"),
        workload("batch", app="batch", env="dev", vcpu=8, memory_gb=8, migration_cost=5000),  # stays in the base
    ])


def scenario_folder(tmp_path: Path, **texts: str) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


SCENARIO = {"start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100, "solver": {"gap": 0}}


def competing_apps(seed: int) -> tuple[list[dict], list[dict]]:
    """Four two-workload apps on three sites; mad-dc1 is cheapest and holds only some of them."""
    rnd = random.Random(seed)
    wls = []
    for a in range(4):
        for k in range(2):
            w = {"id": f"a{a}w{k}", "app": f"app{a}", "env": "prod", "vcpu": rnd.randint(1, 4), "memory_gb": rnd.randint(1, 8),
                 "current_site": rnd.choice(["mad-dc1", "az-fra"]), "migration_cost": rnd.choice([0, 50, 300])}
            if k:
                w["depends_on"] = [{"workload": f"a{a}w0", "traffic_gb_month": rnd.choice([100, 800, 3000])}]
            wls.append(w)
    sites = [dict(s) for s in BASE["sites"]]
    sites[0] = {**sites[0], "cost": {"vcpu_month": 4.0, "memory_gb_month": 0.5, "storage_gb_month": 0.1, "egress_gb": 0.05},
                "capacity": {"vcpu": rnd.randint(5, 9)}}
    return wls, sites


SITES = ["mad-dc1", "az-fra", "az-sao"]


def brute_force(estate):
    """The cheapest horizon cost over every placement that keeps the rules, or None.

    Each workload's admissible sites, run and one-time costs are worked out once, before the search: the
    estate's workloads are views rebuilt on every pass, and rebuilding them per placement was most of the time.
    """
    ws = list(estate.workloads)
    options = [[(s, 12 * monthly_run(estate, w, s).monthly + estate.one_time(w, s)) for s in estate.sites if not violations(estate, w, s)]
               for w in ws]
    capped = [s for s in estate.sites if s.capacity and s.capacity.vcpu is not None]
    grouped = [i for i, w in enumerate(ws) if w.anti_affinity]
    position = {w.id: i for i, w in enumerate(ws)}
    bounded = [(i, position[d.workload], d.max_latency_ms) for i, w in enumerate(ws) for d in w.depends_on if d.max_latency_ms is not None]
    best = None
    for combo in itertools.product(*options):
        load = {}
        for w, (s, _) in zip(ws, combo):
            load[s.id] = load.get(s.id, 0) + w.vcpu
        if any(load.get(s.id, 0) > s.capacity.vcpu for s in capped):
            continue
        groups = [combo[i][0].id for i in grouped]
        if len(groups) != len(set(groups)):
            continue
        if any(estate.latency(combo[i][0].zone, combo[j][0].zone) > limit for i, j, limit in bounded):
            continue
        site_of = {w.id: s.id for w, (s, _) in zip(ws, combo)}
        cost = sum(c for _, c in combo) + 12 * monthly_egress(estate, site_of)
        best = cost if best is None else min(best, cost)
    return best


@st.composite
def estates(draw):
    n = draw(st.integers(1, 5))
    wls = []
    for i in range(n):
        w = {"id": f"w{i}", "app": draw(st.sampled_from(["a", "b"])), "env": draw(st.sampled_from(["prod", "dev"])),
             "vcpu": draw(st.integers(1, 4)), "memory_gb": draw(st.integers(1, 8)), "current_site": draw(st.sampled_from(SITES))}
        if draw(st.booleans()):
            w["data"] = [draw(st.sampled_from(["personal-eu", "personal-br"]))]
        if draw(st.integers(0, 3)) == 0:
            w["anti_affinity"] = "g"
        if i and draw(st.booleans()):
            dep = {"workload": f"w{draw(st.integers(0, i - 1))}", "traffic_gb_month": draw(st.integers(0, 500))}
            if draw(st.booleans()):
                dep["max_latency_ms"] = draw(st.sampled_from([5, 40, 250]))
            w["depends_on"] = [dep]
        wls.append(w)
    caps = [draw(st.one_of(st.none(), st.integers(2, 10))) for _ in SITES]
    sites = [dict(s) for s in BASE["sites"]]
    for s, cap in zip(sites, caps):
        if cap is not None:
            s["capacity"] = {"vcpu": cap}
    return wls, sites


# Wave-schedule fixtures several test modules share.

ONPREM_COST = {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1, "egress_gb": 0.0}
RESOURCES = ("vcpu", "memory_gb", "storage_gb")


@st.composite
def capacity_estates(draw):
    """Sites with capacity in some resources (the final placement fits; today and the waves between may not) and
    workloads of fractional memory and storage (sizes that add up exactly in any order, so a naive sum is exact)."""
    n_sites = draw(st.integers(2, 3))
    sites = [{"id": f"dc-{j}", "kind": "onprem", "zone": "madrid",
              "cost": {**ONPREM_COST, "vcpu_month": 40.0 if j == 0 else float(draw(st.sampled_from([5, 10, 60])))}}
             for j in range(n_sites)]
    wls = []
    today = [[0.0] * 3 for _ in range(n_sites)]
    final = [[0.0] * 3 for _ in range(n_sites)]
    for i in range(draw(st.integers(2, 8))):
        here, there = draw(st.sampled_from([0, 0, n_sites - 1])), draw(st.integers(0, n_sites - 1))
        size = (draw(st.integers(1, 4)), draw(st.integers(1, 8)) * 0.5, draw(st.integers(1, 12)) * 0.25)
        w = workload(f"w{i}", app=f"a{draw(st.integers(0, 3))}", env=draw(st.sampled_from(["prod", "dev"])),
                     vcpu=size[0], memory_gb=size[1], storage_gb=size[2], current_site=f"dc-{here}", pin=f"dc-{there}",
                     migration_effort_hours=draw(st.sampled_from([4, 8])))
        if i and draw(st.booleans()):
            w["depends_on"] = [{"workload": f"w{draw(st.integers(0, i - 1))}"}]
        wls.append(w)
        for r in range(3):
            today[here][r] += size[r]
            final[there][r] += size[r]
    for j, s in enumerate(sites):
        s["capacity"] = {res: max(final[j][r], draw(st.integers(0, int(max(today[j][r], final[j][r])) + 3)))
                         for r, res in enumerate(RESOURCES) if draw(st.booleans())}
    waves = {"first_wave_max_workloads": draw(st.integers(1, 3)), "growth_per_wave": draw(st.integers(0, 2)),
             "max_workloads": draw(st.integers(3, 6)), "pilot_waves": 0,
             "max_effort_hours": 100, "length_days": draw(st.sampled_from([45, 90]))}
    return sites, wls, waves


def plan_capturing(path: Path, heuristic: bool = True) -> tuple[Any, dict[str, Any]]:
    """make_plan on `path` with the wave scheduler's units, order edges and room captured; `heuristic` takes the
    large-estate path (first-fit and improvement passes, no MILP)."""
    import planner.schedule.waves as waves_module
    from planner import load_inventory, make_plan

    seen: dict[str, Any] = {}
    first_fit = waves_module._first_fit

    def spy(estate, units, edges, room, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        seen.update(estate=estate, units=units, edges=edges, room=room)
        return first_fit(estate, units, edges, room, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(waves_module, "_first_fit", spy)
        if heuristic:
            mp.setattr(waves_module, "MILP_MAX_UNITS", 0)
        result = make_plan(load_inventory(path))
    return result, seen


def plan_case(tmp_path_factory: Any, case: tuple, name: str, heuristic: bool = True) -> tuple[Any, dict[str, Any]]:
    """:func:`plan_capturing` on a hypothesis case of (sites, workloads, wave rules), over a 12-month horizon."""
    sites, wls, waves = case
    scn = {**BASE["scenario"], "horizon_months": 12, "waves": waves}
    return plan_capturing(inventory(tmp_path_factory.mktemp(name), wls, sites=sites, scenario=scn), heuristic)


def breaks(estate, site_of: dict[str, str], wave_of: dict[str, int], sites: set[str], last: int) -> bool:
    """Whether a schedule breaks capacity between waves at one of `sites`, re-counted workload by workload: after
    each wave a site holds more than its capacity (up to the rule's rounding room) unless it already did before the
    wave and the wave brings it nothing."""
    wl = estate.inventory.workloads
    for s in estate.sites:
        if s.id not in sites or s.capacity is None:
            continue
        for res in RESOURCES:
            cap = getattr(s.capacity, res)
            if cap is None:
                continue
            limit = cap * (1 + 1e-9) + 1e-6
            load = sum(getattr(w, res) for w in wl if w.current_site == s.id)
            was = load > limit
            for k in range(1, last + 1):
                moved = [w for w in wl if wave_of.get(w.id) == k]
                arrive = [w for w in moved if site_of[w.id] == s.id and w.current_site != s.id]
                load += sum(getattr(w, res) for w in arrive) - sum(getattr(w, res) for w in moved
                                                                   if w.current_site == s.id and site_of[w.id] != s.id)
                over = load > limit
                if over and (not was or any(getattr(w, res) > 0 for w in arrive)):
                    return True
                was = over
    return False


def schedules(units) -> int:  # noqa: ANN001
    """How many schedules :func:`best_schedule` would try: the product of the units' window lengths."""
    return math.prod(u.hi - u.lo + 1 for u in units)


def best_schedule(estate, units, edges, keeps_capacity) -> float:  # noqa: ANN001
    """The most any schedule keeping every wave rule realises, by trying every wave in every unit's window;
    `keeps_capacity(waves)` (a wave per unit) judges capacity between waves, so each test brings its own referee."""
    from collections import defaultdict

    from planner.schedule.calendar import months_after

    rules = estate.scenario.waves
    best = -float("inf")
    for wave in itertools.product(*(range(u.lo, u.hi + 1) for u in units)):
        count, hours, kind = defaultdict(int), defaultdict(float), defaultdict(set)
        for u, k in zip(units, wave):
            count[k] += u.count
            hours[k] += u.effort
            kind[k].add(u.is_prod)
        if any(count[k] > rules.max_workloads_in(k) or hours[k] > rules.max_effort_hours + 1e-9 or len(kind[k]) > 1 for k in count):
            continue
        if any(wave[e.u] + e.strict > wave[e.v] for e in edges) or not keeps_capacity(wave):
            continue
        best = max(best, sum(u.saving * months_after(estate, k) for u, k in zip(units, wave)))
    return best
