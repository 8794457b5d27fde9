"""Workloads that look alike but were pruned differently are never placed as one class.

A latency budget to a pinned workload leaves one workload a single site; pruning then makes
that dependency unbreakable, so the workload is uncoupled and, before pruning was part of the
class key, joined the class of its look-alikes and could be handed a site it cannot use.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import BASE, inventory, workload

from planner import load_inventory, make_plan, verify_plan
from planner.domain.estate import Estate
from planner.solve.candidates import build_candidates


def _estate_doc(n_alike: int, pruned_last: bool) -> tuple[list[dict], list[dict]]:
    # mad-dc1 is cheap and full after two workloads; az-fra is dear and unlimited.
    sites = [dict(s) for s in BASE["sites"][:2]]
    sites[0] = {**sites[0], "cost": {"vcpu_month": 1.0, "memory_gb_month": 0.1, "storage_gb_month": 0.0, "egress_gb": 0.0},
                "capacity": {"vcpu": 6}}
    alike = [workload(f"w{i:02d}", app=f"a{i}", current_site="az-fra") for i in range(n_alike)]
    pruned = workload("zz-pruned" if pruned_last else "aa-pruned", app="p", current_site="az-fra",
                      depends_on=[{"workload": "anchor", "max_latency_ms": 5}])
    anchor = workload("anchor", app="anchor", pin="mad-dc1")
    wls = [anchor] + (alike + [pruned] if pruned_last else [pruned] + alike)
    return wls, sites


@pytest.mark.parametrize("n_alike", [1, 2, 5])
@pytest.mark.parametrize("pruned_last", [True, False])
def test_a_workload_pruned_to_one_site_keeps_it(tmp_path, n_alike, pruned_last):
    wls, sites = _estate_doc(n_alike, pruned_last)
    path = inventory(tmp_path, wls, sites=sites)
    result = make_plan(load_inventory(path))
    assert result.plan.status == "optimal"
    assert verify_plan(result.estate, result.plan) == []
    placed = {a.workload: a.site for a in result.plan.assignments}
    assert placed["zz-pruned" if pruned_last else "aa-pruned"] == "mad-dc1"


def test_entry_at_finds_each_pair_or_says_none(tmp_path):
    wls, sites = _estate_doc(3, True)
    estate = Estate.of(load_inventory(inventory(tmp_path, wls, sites=sites)))
    cands = build_candidates(estate)
    n_w, n_s = len(cands.ptr) - 1, len(estate.sites)
    w = np.repeat(np.arange(n_w), n_s)
    s = np.tile(np.arange(n_s), n_w)
    got = cands.entry_at(w, s)
    for i, j, e in zip(w.tolist(), s.tolist(), got.tolist()):
        mine = [int(k) for k in range(cands.ptr[i], cands.ptr[i + 1]) if cands.site[k] == j]
        assert e == (mine[0] if mine else -1)
