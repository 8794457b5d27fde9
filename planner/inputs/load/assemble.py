"""Workload, dependency and user rows of every source checked together, then held as one table.

The one place where bounds, required values, duplicate ids and references (sites, zones, data
classes, workloads) are checked, whatever file format a row came from; the checks run on
arrays and per distinct value, so a million rows cost seconds. Rows come out sorted by id.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from planner.domain.workloads import (
    CRITICALITIES,
    OSES,
    Codes,
    Dependencies,
    WorkloadTable,
    kinds_mask,
)
from planner.inputs.load.references import Unknowns
from planner.inputs.load.rows import Interned, Issues, Rows
from planner.inputs.load.schema import (
    DEP_SPECS,
    SPECS,
    USER_SPECS,
    out_of_range,
    range_message,
)
from planner.inputs.load.topology import Topology

_MAX_USERS_VECTORISED = 32


def assemble(topo: Topology, wl: Rows, deps: Rows, users: Rows, issues: Issues) -> Optional[WorkloadTable]:
    """The workload table, or None when any row breaks a rule (each problem is in `issues`)."""
    check_values(wl, SPECS, issues)
    check_values(deps, DEP_SPECS, issues)
    check_values(users, USER_SPECS, issues)
    site_ids = tuple(sorted(topo.sites))
    zone_ids = tuple(sorted(topo.zones))
    keep = _unique_ids(wl, issues)
    # Unknown names are told once each, however many rows name them (see planner.inputs.load.references).
    broken = topo.broken
    sites = Unknowns("site", site_ids, broken.get("site", {}))
    current = _refs(wl, "current_site", site_ids, sites)
    pin = _refs(wl, "pin", site_ids, sites)
    sites.report(issues)
    _data_classes(wl, topo.data_classes, broken.get("data class", {}), issues)
    ids = wl.text["id"]
    row_of_code = np.full(len(ids.values), -1, dtype=np.int64)  # id code -> the row that defines it
    row_of_code[ids.codes[keep]] = np.nonzero(keep)[0]
    workloads = Unknowns("workload", sorted(ids.values) if len(ids.values) <= 100_000 else [], {})
    user_owner = _owners(users, "workload", ids, row_of_code, workloads)
    zones = Unknowns("zone", zone_ids, broken.get("zone", {}))
    user_zone = _refs(users, "zone", zone_ids, zones)
    zones.report(issues)
    dep_src = _owners(deps, "source", ids, row_of_code, workloads)
    dep_dst = _owners(deps, "target", ids, row_of_code, workloads)
    workloads.report(issues)
    _dependency_pairs(deps, dep_src, dep_dst, issues)
    if issues:
        return None
    return _table(wl, keep, current, pin, users, user_owner, user_zone, deps, dep_src, dep_dst, site_ids, zone_ids)


def check_values(rows: Rows, specs: dict, issues: Issues) -> None:
    """Bounds of every number and presence of every required value, for rows not already broken."""
    ok = ~rows.bad
    for name, values in rows.num.items():
        spec = specs[name]
        bad = out_of_range(spec, values)  # every value given is checked, whatever else is wrong with its row
        for i in np.nonzero(bad)[0].tolist():
            issues.add(rows.issue(i, name, range_message(spec, float(values[i]))))
        if spec.required:
            missing = ok & np.isnan(values) & ~bad
            for i in np.nonzero(missing)[0].tolist():
                issues.add(rows.issue(i, name, "required value is missing"))
            bad |= missing
        rows.bad |= bad
    for name, col in rows.text.items():
        spec = specs.get(name)
        if spec is not None and spec.required:
            missing = ~rows.bad & (col.codes < 0)
            for i in np.nonzero(missing)[0].tolist():
                issues.add(rows.issue(i, name, "required value is missing"))
            rows.bad |= missing


def _unique_ids(wl: Rows, issues: Issues) -> np.ndarray:
    """Rows whose id is defined here first (a later duplicate is an error at its own place)."""
    codes = wl.text["id"].codes
    keep = codes >= 0
    counts = np.bincount(codes[keep], minlength=len(wl.text["id"].values))
    for code in np.nonzero(counts > 1)[0].tolist():
        rows = np.nonzero(codes == code)[0]
        first = wl.issue(int(rows[0]), "id", "")
        where = f"{first.file}:{first.line}" if first.line else (f"{first.file} row {first.row}" if first.row else first.file)
        for i in rows[1:].tolist():
            issues.add(wl.issue(i, "id", f"duplicate workload id '{wl.text['id'].values[code]}' (first at {where}); ids must be unique"))
            keep[i] = False
    return keep


def _refs(rows: Rows, column: str, known: Sequence[str], unknowns: Unknowns) -> np.ndarray:
    """Per row, the number of the site or zone `column` names (-1: not given or unknown, the latter added to `unknowns`)."""
    col = rows.text[column]
    index = {name: k for k, name in enumerate(known)}
    remap = np.array([index.get(v, -2) for v in col.values] + [-1], dtype=np.int64)
    out = remap[col.codes]
    _add_unknown(rows, column, np.nonzero((out == -2) & ~rows.bad)[0], unknowns)
    return out


def _add_unknown(rows: Rows, column: str, bad: np.ndarray, unknowns: Unknowns) -> None:
    """The rows `bad` name unknown values in `column`: per distinct value its first row, its count and its files."""
    codes = rows.text[column].codes[bad]
    _, first, inverse, counts = np.unique(codes, return_index=True, return_inverse=True, return_counts=True)
    files: dict[int, set[str]] = {}
    if len(bad):  # each (name, source) pair once, so a million distinct unknown names cost no more than one
        for k, src in np.unique(np.stack([inverse.ravel(), rows.source[bad].astype(np.int64)]), axis=1).T.tolist():
            files.setdefault(k, set()).add(rows.sources[src].file)
    for k in np.argsort(first, kind="stable").tolist():  # in the order the names first appear
        i = int(bad[first[k]])
        name = rows.text[column].values[int(rows.text[column].codes[i])]
        unknowns.add(name, rows.issue(i, column, ""), int(counts[k]), files[k])


def _data_classes(wl: Rows, classes: set[str], broken: dict[str, str], issues: Issues) -> None:
    col = wl.text["data"]
    unknowns = Unknowns("data class", classes, broken)
    for cls in sorted({c for value in col.values for c in value if c not in classes}):
        rows = np.nonzero(np.isin(col.codes, [k for k, value in enumerate(col.values) if cls in value]) & ~wl.bad)[0]
        if len(rows):
            unknowns.add(cls, wl.issue(int(rows[0]), "data", ""), len(rows), {wl.sources[s].file for s in np.unique(wl.source[rows]).tolist()})
    unknowns.report(issues, lambda cls, hint: f"no policy covers data class '{cls}'{hint}; add a policy with data_class: {cls} or fix the name")


def _owners(rows: Rows, column: str, ids: Interned, row_of_code: np.ndarray, unknowns: Unknowns) -> np.ndarray:
    """Per dependency or user row, the workload row that `column` names (-1: unknown, added to `unknowns` unless its row is broken)."""
    col = rows.text[column]
    id_index = {name: k for k, name in enumerate(ids.values)}
    to_code = np.array([id_index.get(v, -1) for v in col.values] + [-1], dtype=np.int64)
    code = to_code[col.codes]
    padded = np.append(row_of_code, -1)  # code -1 (unknown) picks the trailing -1, even when no workload has an id
    out = padded[np.where(code >= 0, code, len(row_of_code))]
    _add_unknown(rows, column, np.nonzero((out < 0) & (col.codes >= 0) & ~rows.bad)[0], unknowns)
    rows.bad |= out < 0
    return out


def _dependency_pairs(deps: Rows, src: np.ndarray, dst: np.ndarray, issues: Issues) -> None:
    ok = ~deps.bad
    for i in np.nonzero(ok & (src == dst))[0].tolist():
        issues.add(deps.issue(i, "target", "a workload cannot depend on itself"))
    idx = np.nonzero(ok & (src != dst))[0]
    if len(idx) == 0:
        return
    order = idx[np.lexsort((idx, dst[idx], src[idx]))]
    same = (src[order][1:] == src[order][:-1]) & (dst[order][1:] == dst[order][:-1])
    for i in order[1:][same].tolist():
        name = deps.text["target"].values[int(deps.text["target"].codes[i])]
        issues.add(deps.issue(i, "target", f"'{name}' is listed twice; merge the two entries"))


def _codes(col: Interned, order: np.ndarray) -> Codes:
    """An interned column in row order `order`, its names sorted (so codes do not depend on file order)."""
    names = sorted(col.values)
    pos = {v: k for k, v in enumerate(names)}
    remap = np.array([pos[v] for v in col.values] + [-1], dtype=np.int32)
    return Codes(remap[col.codes[order]], tuple(names))


def _sets(col: Interned, order: np.ndarray) -> tuple[np.ndarray, tuple[tuple[str, ...], ...]]:
    """A list column as codes into its distinct lists, the empty list first."""
    values = [()] + sorted(v for v in col.values if v)
    pos = {v: k for k, v in enumerate(values)}
    remap = np.array([pos[v] for v in col.values] + [0], dtype=np.int32)
    return remap[col.codes[order]], tuple(values)


def _table(wl: Rows, keep: np.ndarray, current: np.ndarray, pin: np.ndarray, users: Rows, user_owner: np.ndarray,
           user_zone: np.ndarray, deps: Rows, dep_src: np.ndarray, dep_dst: np.ndarray, site_ids: tuple[str, ...],
           zone_ids: tuple[str, ...]) -> WorkloadTable:
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.nonzero(keep)[0]
    id_col = wl.text["id"]
    row_ids = [id_col.values[c] for c in id_col.codes[rows].tolist()]
    order = rows[np.asarray(pc.sort_indices(pa.array(row_ids, type=pa.string())))]
    new_of_row = np.full(wl.n, -1, dtype=np.int64)
    new_of_row[order] = np.arange(len(order))
    ids = tuple(id_col.values[c] for c in id_col.codes[order].tolist())
    crit = wl.text["criticality"]
    crit_map = np.array([[c.value for c in CRITICALITIES].index(v) for v in crit.values] + [1], dtype=np.int8)
    os_col = wl.text["os"]
    os_map = np.array([OSES.index(v) for v in os_col.values] + [0], dtype=np.int8)
    kinds = wl.text["allowed_kinds"]
    kind_map = np.array([kinds_mask(v) for v in kinds.values] + [0], dtype=np.uint8)
    data, data_sets = _sets(wl.text["data"], order)
    requires, requires_sets = _sets(wl.text["requires"], order)
    user_codes, user_sets = _user_sets(len(order), new_of_row[user_owner], user_zone, users.num["max_latency_ms"])
    src, dst = new_of_row[dep_src], new_of_row[dep_dst]
    dorder = np.lexsort((dst, src))
    traffic = deps.num["traffic_gb_month"][dorder]
    return WorkloadTable(
        ids=ids,
        app=_codes(wl.text["app"], order),
        env=_codes(wl.text["env"], order),
        criticality=crit_map[crit.codes[order]],
        vcpu=wl.num["vcpu"][order],
        memory_gb=wl.num["memory_gb"][order],
        storage_gb=np.nan_to_num(wl.num["storage_gb"][order], nan=0.0),
        cpu_util_p95=wl.num["cpu_util_p95"][order],
        mem_util_p95=wl.num["mem_util_p95"][order],
        current_site=current[order].astype(np.int32),
        pin=pin[order].astype(np.int32),
        allowed_kinds=kind_map[kinds.codes[order]],
        anti_affinity=_codes(wl.text["anti_affinity"], order),
        migration_cost=wl.num["migration_cost"][order],
        migration_effort_hours=wl.num["migration_effort_hours"][order],
        os=os_map[os_col.codes[order]],
        data=data, data_sets=data_sets,
        requires=requires, requires_sets=requires_sets,
        users=user_codes, user_sets=user_sets,
        deps=Dependencies(src[dorder].astype(np.int32), dst[dorder].astype(np.int32), deps.num["max_latency_ms"][dorder],
                          np.nan_to_num(traffic, nan=0.0)),
        site_ids=site_ids,
        zone_ids=zone_ids,
    )


def _user_sets(n: int, owner: np.ndarray, zone: np.ndarray, ms: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Each workload's user needs, in the order given, as a code into the distinct lists of needs (empty first)."""
    codes = np.zeros(n, dtype=np.int32)
    if len(owner) == 0:
        return codes, ((),)
    pairs, pair_code = np.unique(np.stack([zone.astype(float), ms]), axis=1, return_inverse=True)
    pair_code = pair_code.ravel()
    order = np.lexsort((np.arange(len(owner)), owner))
    own = owner[order]
    counts = np.bincount(own, minlength=n)
    width = int(counts.max())
    starts = np.concatenate([[0], np.cumsum(counts)])[:-1]
    pos = np.arange(len(own)) - starts[own]
    if width <= _MAX_USERS_VECTORISED:
        grid = np.full((n, width), -1, dtype=np.int64)
        grid[own, pos] = pair_code[order]
        distinct, inverse = np.unique(grid, axis=0, return_inverse=True)
        sets = [tuple((int(pairs[0, c]), float(pairs[1, c])) for c in row if c >= 0) for row in distinct.tolist()]
    else:  # a workload with very many user zones: intern the lists in Python
        lists: list[list[int]] = [[] for _ in range(n)]
        for w, c in zip(own.tolist(), pair_code[order].tolist()):
            lists[w].append(c)
        index: dict[tuple, int] = {}
        inverse = np.array([index.setdefault(tuple(x), len(index)) for x in lists], dtype=np.int64)
        sets = [tuple((int(pairs[0, c]), float(pairs[1, c])) for c in key) for key in index]
    # The empty list first, the rest in a fixed order.
    ranked = sorted(range(len(sets)), key=lambda k: (len(sets[k]) > 0, sets[k]))
    rank = np.empty(len(sets), dtype=np.int32)
    rank[ranked] = np.arange(len(sets))
    codes = rank[inverse.ravel()]
    values = tuple(sets[k] for k in ranked)
    if values[0]:
        values = ((),) + values
        codes = codes + 1
    return codes.astype(np.int32), values
