"""An independent referee: DESIGN.md's placement rules and cost model read straight from an inventory dict,
and an exhaustive search over admissible sites for estates of a few workloads.

It shares no code with the planner (only the shipped VM catalogue's JSON, which is data), so a fault in
the planner's rules, costs or profiles cannot hide in it too. Waves are left out: the placement is what
it judges, plus the capacity between waves of a plan's own schedule (:meth:`Rulebook.interim_breaches`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Mapping, Optional

__all__ = ["Rulebook", "brute_force"]

HOURS_PER_MONTH = 730.0
RESOURCES = ("vcpu", "memory_gb", "storage_gb")
_OPTION_FIELD = {"payg": "hourly", "reserved-1y": "reserved_1y", "reserved-3y": "reserved_3y",
                 "savings-plan-1y": "savings_plan_1y", "savings-plan-3y": "savings_plan_3y"}


def _catalogue_path() -> Path:
    import planner

    return Path(planner.__file__).resolve().parent / "data" / "azure_vm_catalog.json"


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _add_months(day: dt.date, months: int) -> dt.date:
    m0 = day.month - 1 + months
    year, month = day.year + m0 // 12, m0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


class Rulebook:
    """The hard placement rules and the cost of a placement, for one inventory dict (DESIGN.md's YAML format)."""

    def __init__(self, inventory: Mapping[str, Any], catalogue: Optional[Mapping[str, Any]] = None):
        sc = inventory.get("scenario") or {}
        self.horizon = int(sc.get("horizon_months", 36))
        self.horizon_end = _add_months(_day(sc.get("start", "2027-01-01")), self.horizon)
        self.intra = float(sc.get("intra_zone_ms", 1.0))
        self.default_migration = float(sc.get("default_migration_cost", 800.0))
        self.comfort = float(sc.get("comfort_factor", 1.3))
        pricing = sc.get("pricing") or {}
        self.option = pricing.get("azure", "payg")
        self.hybrid = bool(pricing.get("hybrid_benefit", False))
        self.country = {z["id"]: z["country"] for z in inventory["zones"]}
        self.lat: dict[tuple[str, str], float] = {}
        for a, b, ms in inventory.get("latency_ms") or []:
            self.lat[(a, b)] = self.lat[(b, a)] = float(ms)
        self.groups = inventory.get("countries") or {}
        self.policies = inventory.get("policies") or []
        self.sites = list(inventory["sites"])
        self.site_no = {s["id"]: j for j, s in enumerate(self.sites)}
        self.workloads = list(inventory["workloads"])
        self.index = {w["id"]: i for i, w in enumerate(self.workloads)}
        self.deps = [(i, self.index[d["workload"]], d.get("max_latency_ms"), float(d.get("traffic_gb_month", 0.0)))
                     for i, w in enumerate(self.workloads) for d in w.get("depends_on") or []]
        self._catalogue = catalogue
        self._vm_cache: dict[tuple, Optional[float]] = {}

    # ---- the rules ----------------------------------------------------------------------------------------
    def latency(self, a: str, b: str) -> float:
        return self.intra if a == b else self.lat.get((a, b), math.inf)

    def _expand(self, names: list[str], seen: frozenset[str] = frozenset()) -> set[str]:
        out: set[str] = set()
        for name in names:
            if name in self.groups:
                if name not in seen:
                    out |= self._expand(self.groups[name], seen | {name})
            else:
                out.add(name)
        return out

    def closes_in_horizon(self, site: Mapping[str, Any]) -> bool:
        return site.get("closes") is not None and _day(site["closes"]) < self.horizon_end

    def why_not(self, w: Mapping[str, Any], site: Mapping[str, Any]) -> list[str]:
        """The single-site rules `w` breaks on `site` (empty: admissible)."""
        out = []
        if w.get("pin") is not None and w["pin"] != site["id"]:
            out.append("pin")
        if w.get("allowed_kinds") is not None and site["kind"] not in w["allowed_kinds"]:
            out.append("allowed-kinds")
        if set(w.get("requires") or ()) - set(site.get("certifications") or ()):
            out.append("certification")
        country = self.country[site["zone"]]
        for cls in w.get("data") or ():
            for p in self.policies:
                if p["data_class"] == cls and country not in self._expand(p["allowed_countries"]):
                    out.append("residency")
        for u in w.get("users") or ():
            if self.latency(site["zone"], u["zone"]) > u["max_latency_ms"]:
                out.append("user-latency")
        if self.closes_in_horizon(site):
            out.append("site-closing")
        cap = site.get("capacity") or {}
        if any(cap.get(r) is not None and float(w.get(r, 0.0)) > cap[r] for r in RESOURCES):
            out.append("size")
        if self.monthly(w, site) is None:
            out.append("no-vm-size")
        return out

    def admissible(self, i: int) -> list[int]:
        w = self.workloads[i]
        return [j for j, s in enumerate(self.sites) if not self.why_not(w, s)]

    def violations(self, placement: Mapping[str, str]) -> list[str]:
        """Every hard placement rule `placement` (workload id -> site id) breaks, one sentence each."""
        out = []
        for w in self.workloads:
            if placement.get(w["id"]) not in self.site_no:
                out.append(f"{w['id']}: no known site")
        if out:
            return out
        load = [[0.0] * 3 for _ in self.sites]
        for w in self.workloads:
            j = self.site_no[placement[w["id"]]]
            out += [f"{w['id']} on {self.sites[j]['id']}: {rule}" for rule in self.why_not(w, self.sites[j])]
            for k, r in enumerate(RESOURCES):
                load[j][k] += float(w.get(r, 0.0))
        for j, s in enumerate(self.sites):
            cap = s.get("capacity") or {}
            for k, r in enumerate(RESOURCES):
                if cap.get(r) is not None and load[j][k] > cap[r] + 1e-6:
                    out.append(f"{s['id']}: {load[j][k]:g} {r} over its capacity {cap[r]:g}")
        for a, b, ms, _traffic in self.deps:
            za = self.sites[self.site_no[placement[self.workloads[a]["id"]]]]["zone"]
            zb = self.sites[self.site_no[placement[self.workloads[b]["id"]]]]["zone"]
            if ms is not None and self.latency(za, zb) > ms:
                out.append(f"{self.workloads[a]['id']} -> {self.workloads[b]['id']}: {self.latency(za, zb)} ms over {ms}")
        seen: dict[tuple[str, str], str] = {}
        for w in self.workloads:
            if w.get("anti_affinity") is not None:
                key = (w["anti_affinity"], placement[w["id"]])
                if key in seen:
                    out.append(f"{seen[key]} and {w['id']} share {key[1]} (anti-affinity {key[0]})")
                seen[key] = w["id"]
        return out

    # ---- the costs ----------------------------------------------------------------------------------------
    def catalogue(self) -> Mapping[str, Any]:
        if self._catalogue is None:
            self._catalogue = json.loads(_catalogue_path().read_text(encoding="utf-8"))
        return self._catalogue

    def _vm_hourly(self, region: str, cpu: int, mem: int, windows: bool) -> Optional[float]:
        key = (region, cpu, mem, windows)
        if key not in self._vm_cache:
            best = None
            for sku in self.catalogue()["skus"]:
                if sku["region"] != region or sku["vcpu"] < cpu or sku["memory_gb"] < mem - 1e-9:
                    continue
                price = sku.get(_OPTION_FIELD[self.option])
                if price is not None and windows and not self.hybrid:
                    price = None if sku.get("windows_hourly") is None else price + sku["windows_hourly"] - sku["hourly"]
                if price is not None and (best is None or price < best):
                    best = price
            self._vm_cache[key] = best
        return self._vm_cache[key]

    def monthly(self, w: Mapping[str, Any], site: Mapping[str, Any]) -> Optional[float]:
        """Monthly run cost of `w` on `site`; None when no catalogue VM is large enough."""
        cost = site.get("cost") or {}
        windows = w.get("os", "linux") == "windows"
        storage = float(w.get("storage_gb", 0.0))
        if cost.get("vcpu_month") is not None:
            per_vcpu = cost["vcpu_month"] + (cost.get("windows_vcpu_month", 0.0) if windows else 0.0)
            return w["vcpu"] * per_vcpu + w["memory_gb"] * cost.get("memory_gb_month", 0.0) + storage * cost.get("storage_gb_month", 0.0)

        def need(size: float, util: Optional[float]) -> int:
            return math.ceil((size if util is None else size * util * self.comfort) - 1e-9)

        hourly = self._vm_hourly(site["region"], need(w["vcpu"], w.get("cpu_util_p95")), need(w["memory_gb"], w.get("mem_util_p95")), windows)
        if hourly is None:
            return None
        return hourly * HOURS_PER_MONTH + storage * self.catalogue()["regions"][site["region"]]["disk_gb_month"]

    def egress_price(self, site: Mapping[str, Any]) -> float:
        cost = site.get("cost") or {}
        if cost.get("egress_gb") is not None:
            return float(cost["egress_gb"])
        if cost.get("vcpu_month") is None and site.get("region") in self.catalogue()["regions"]:
            return float(self.catalogue()["regions"][site["region"]]["egress_gb"])
        return 0.0

    def fixed_cost(self, i: int, j: int) -> float:
        """Horizon run cost plus one-time cost of workload `i` on site `j` (egress aside)."""
        w, s = self.workloads[i], self.sites[j]
        monthly = self.monthly(w, s)
        assert monthly is not None
        one = 0.0 if w["current_site"] == s["id"] else float(w.get("migration_cost", self.default_migration))
        return self.horizon * monthly + one

    def objective(self, placement: Mapping[str, str]) -> float:
        """DESIGN.md's objective: horizon run and egress cost plus one-time costs."""
        site = [self.site_no[placement[w["id"]]] for w in self.workloads]
        total = sum(self.fixed_cost(i, j) for i, j in enumerate(site))
        for a, b, _ms, traffic in self.deps:
            if site[a] != site[b]:
                total += self.horizon * traffic * self.egress_price(self.sites[site[a]])
        return total

    def interim_breaches(self, placement: Mapping[str, str], waves: list[tuple[int, list[str]]]) -> list[str]:
        """Capacity after each wave's cut-over, in wave order: a site over capacity must already have been so
        before that wave, and gain nothing in it."""
        where = {w["id"]: w["current_site"] for w in self.workloads}
        size = {w["id"]: [float(w.get(r, 0.0)) for r in RESOURCES] for w in self.workloads}
        load = {s["id"]: [0.0, 0.0, 0.0] for s in self.sites}
        for wid, sid in where.items():
            load[sid] = [x + y for x, y in zip(load[sid], size[wid])]
        out = []
        for number, moving in sorted(waves):
            before = {k: list(v) for k, v in load.items()}
            gains: set[str] = set()
            for wid in moving:
                old, new = where[wid], placement[wid]
                if old == new:
                    continue
                load[old] = [x - y for x, y in zip(load[old], size[wid])]
                load[new] = [x + y for x, y in zip(load[new], size[wid])]
                where[wid] = new
                gains.add(new)
            for s in self.sites:
                cap = s.get("capacity") or {}
                for k, r in enumerate(RESOURCES):
                    limit = cap.get(r)
                    if limit is None or load[s["id"]][k] <= limit + 1e-6:
                        continue
                    if before[s["id"]][k] > limit + 1e-6 and s["id"] not in gains:
                        continue
                    out.append(f"after wave {number} {s['id']} holds {load[s['id']][k]:g} {r}, over {limit:g}")
        return out


def brute_force(inventory: Mapping[str, Any], catalogue: Optional[Mapping[str, Any]] = None,
                limit: int = 5_000_000) -> Optional[tuple[float, dict[str, str]]]:
    """The cheapest placement of a small estate by exhaustive search (branch and bound over admissible sites),
    or None when none exists. Raises ValueError past `limit` search nodes: it is for a handful of workloads."""
    book = Rulebook(inventory, catalogue)
    n = len(book.workloads)
    fixed = {(i, j): book.fixed_cost(i, j) for i in range(n) for j in book.admissible(i)}
    options = [sorted((j for (k, j) in fixed if k == i), key=lambda j: fixed[(i, j)]) for i in range(n)]
    if any(not o for o in options):
        return None
    order = sorted(range(n), key=lambda i: (len(options[i]), i))
    cheapest = [fixed[(i, options[i][0])] for i in range(n)]
    rest = [0.0] * (n + 1)  # cheapest completion of the workloads not yet placed, by depth
    for d in range(n - 1, -1, -1):
        rest[d] = rest[d + 1] + cheapest[order[d]]
    deps_at: list[list[tuple[int, int, Optional[float], float]]] = [[] for _ in range(n)]
    depth = {i: d for d, i in enumerate(order)}
    for dep in book.deps:  # checked once both ends are placed
        deps_at[max(depth[dep[0]], depth[dep[1]])].append(dep)
    size = [[float(w.get(r, 0.0)) for r in RESOURCES] for w in book.workloads]
    cap = [[(s.get("capacity") or {}).get(r) for r in RESOURCES] for s in book.sites]
    egress = [book.egress_price(s) for s in book.sites]
    zone = [s["zone"] for s in book.sites]
    group = [w.get("anti_affinity") for w in book.workloads]
    load = [[0.0, 0.0, 0.0] for _ in book.sites]
    taken: set[tuple[str, int]] = set()
    site = [-1] * n
    best: list[Any] = [math.inf, None]
    nodes = [0]

    def search(d: int, cost: float) -> None:
        nodes[0] += 1
        if nodes[0] > limit:
            raise ValueError(f"more than {limit} search nodes: too large for brute force")
        if cost + rest[d] >= best[0] - 1e-9:
            return
        if d == n:
            best[0], best[1] = cost, list(site)
            return
        i = order[d]
        for j in options[i]:
            if group[i] is not None and (group[i], j) in taken:
                continue
            if any(cap[j][k] is not None and load[j][k] + size[i][k] > cap[j][k] + 1e-6 for k in range(3)):
                continue
            site[i] = j
            extra, ok = 0.0, True
            for a, b, ms, traffic in deps_at[d]:
                if ms is not None and book.latency(zone[site[a]], zone[site[b]]) > ms:
                    ok = False
                    break
                if site[a] != site[b]:
                    extra += book.horizon * traffic * egress[site[a]]
            if ok:
                for k in range(3):
                    load[j][k] += size[i][k]
                if group[i] is not None:
                    taken.add((group[i], j))
                search(d + 1, cost + fixed[(i, j)] + extra)
                for k in range(3):
                    load[j][k] -= size[i][k]
                if group[i] is not None:
                    taken.discard((group[i], j))
            site[i] = -1

    search(0, 0.0)
    if best[1] is None:
        return None
    return best[0], {book.workloads[i]["id"]: book.sites[j]["id"] for i, j in enumerate(best[1])}
