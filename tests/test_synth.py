"""planner.inputs.synth: deterministic, streaming, the size asked for, and feasible by construction."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from planner.analysis.verify import verify_plan
from planner.base.errors import InventoryError
from planner.domain.estate import Estate
from planner.domain.inventory import Inventory
from planner.domain.model import SiteKind
from planner.domain.rules import Rule, violations
from planner.inputs import synth
from planner.inputs.load import load_inventory
from planner.inputs.synth import synth_to_file, synth_yaml, wave_rules_for
from planner.pipeline import make_plan


def _text(workloads: int, seed: int) -> str:
    return "".join(synth_yaml(workloads, seed))


def _load(tmp_path: Path, workloads: int, seed: int) -> Inventory:
    path = tmp_path / f"synth-{workloads}-{seed}.yaml"
    synth_to_file(path, workloads, seed)
    try:
        return load_inventory(path)
    except InventoryError as exc:  # show what is wrong rather than a bare failure
        pytest.fail("\n".join(str(i) for i in exc.issues[:20]))


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a, b, c = _text(400, 11), _text(400, 11), _text(400, 12)
    assert a == b
    assert a != c
    assert _text(401, 11) != a


@pytest.mark.parametrize("workloads", [1, 2, 10, 59, 61, 79, 250])
def test_exactly_the_workloads_asked_for(workloads: int) -> None:
    lines = [line for line in _text(workloads, 3).splitlines() if line.startswith("  - {id: w")]
    assert len(lines) == workloads


def test_rejects_an_empty_estate() -> None:
    with pytest.raises(ValueError):
        next(synth_yaml(0, 1))


@pytest.mark.parametrize("workloads,seed", [(10, 0), (1000, 5)])
def test_output_loads_through_the_public_loader(tmp_path: Path, workloads: int, seed: int) -> None:
    inv = _load(tmp_path, workloads, seed)
    assert len(inv.workloads) == workloads
    assert {s.kind for s in inv.sites} == {SiteKind.ONPREM, SiteKind.AZURE, SiteKind.EDGE}
    closing = [s for s in inv.sites if s.closes is not None]
    assert len(closing) == 1 and closing[0].closes is not None and closing[0].closes < inv.scenario.horizon_end
    assert any(s.kind is SiteKind.AZURE and s.cost is None for s in inv.sites)  # catalogue-priced
    countries = {z.country for z in inv.zones}
    assert {"ES", "GB", "DE", "BR"} <= countries


@pytest.mark.slow
def test_a_realistic_mix_at_moderate_size(tmp_path: Path) -> None:
    inv = _load(tmp_path, 3000, 2)
    ws = inv.workloads
    apps = {w.app for w in ws}
    assert 3000 / 60 <= len(apps) <= 3000 / 20 + 1
    assert {"personal-eu", "personal-uk", "personal-br", "public-sector-es", "anonymised"} <= {c for w in ws for c in w.data}
    ens = [w for w in ws if "public-sector-es" in w.data]
    assert ens and all("ENS-high" in w.requires for w in ens)
    assert any("PCI-DSS" in w.requires for w in ws)
    assert any(w.pin for w in ws)
    assert any(w.allowed_kinds for w in ws)
    assert any(u.max_latency_ms <= 5 for w in ws for u in w.users)  # UPFs at the edge
    assert any(w.cpu_util_p95 is not None for w in ws) and any(w.cpu_util_p95 is None for w in ws)
    assert {w.criticality.value for w in ws} == {"low", "medium", "high"}
    assert {w.is_prod for w in ws} == {True, False}
    by_id = {w.id: w for w in ws}
    cross = [d for w in ws for d in w.depends_on if by_id[d.workload].app != w.app]
    inside = [d for w in ws for d in w.depends_on if by_id[d.workload].app == w.app]
    assert cross and len(inside) > 5 * len(cross)
    groups: dict[str, list[str]] = defaultdict(list)
    for w in ws:
        if w.anti_affinity:
            groups[w.anti_affinity].append(w.current_site)
    assert groups and all(len(sites) == len(set(sites)) >= 2 for sites in groups.values())


@pytest.mark.slow
@pytest.mark.parametrize("workloads,seed", [(600, 1), (2500, 9)])
def test_current_placement_is_a_valid_plan_except_the_closing_site(tmp_path: Path, workloads: int, seed: int) -> None:
    """Feasibility by construction: every rule holds where workloads run today, the closing site's
    workloads have somewhere to go, capacities hold today's load and every move group fits a wave."""
    inv = _load(tmp_path, workloads, seed)
    est = Estate.of(inv)
    by_id = {w.id: w for w in inv.workloads}
    closing = {s.id for s in inv.sites if est.closes_in_horizon(s)}
    for w in inv.workloads:
        site = est.site_by_id[w.current_site]
        broken = {v.rule for v in violations(est, w, site)}
        assert broken <= ({Rule.SITE_CLOSING} if site.id in closing else set()), (w.id, broken)
        if site.id in closing:
            assert any(not violations(est, w, s) for s in est.sites), f"{w.id} has nowhere to go"
        for dep in w.depends_on:
            if dep.max_latency_ms is not None:
                other = est.site_by_id[by_id[dep.workload].current_site]
                assert est.latency(site.zone, other.zone) <= dep.max_latency_ms, (w.id, dep.workload)
    use: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for w in inv.workloads:
        u = use[w.current_site]
        u[0], u[1], u[2] = u[0] + w.vcpu, u[1] + w.memory_gb, u[2] + w.storage_gb
    for s in inv.sites:
        if s.capacity is not None:
            limits = (s.capacity.vcpu, s.capacity.memory_gb, s.capacity.storage_gb)
            assert all(cap is None or u <= cap for u, cap in zip(use[s.id], limits)), s.id
    rules = inv.scenario.waves
    assert rules.model_dump() == wave_rules_for(workloads)
    groups: dict[tuple[str, bool], list[float]] = defaultdict(lambda: [0, 0.0])
    for w in inv.workloads:
        g = groups[w.move_group]
        g[0] += 1
        g[1] += est.effort_hours(w)
    assert max(g[0] for g in groups.values()) <= rules.max_workloads
    assert max(g[1] for g in groups.values()) <= rules.max_effort_hours


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_estates_plan_and_verify(tmp_path: Path, seed: int) -> None:
    inv = _load(tmp_path, 120, seed)
    result = make_plan(inv)
    assert result.plan.status in ("optimal", "feasible"), result.plan.problems
    assert verify_plan(result.estate, result.plan) == []


def test_wave_rules_scale_with_the_estate() -> None:
    small, big = wave_rules_for(100), wave_rules_for(1_000_000)
    assert small["max_workloads"] >= synth._MAX_APP
    assert big["max_workloads"] * 20 >= 1_000_000  # the whole estate could move in ~20 waves
    assert big["growth_per_wave"] > small["growth_per_wave"]


@pytest.mark.slow
def test_streams_bounded_chunks() -> None:
    chunks = synth_yaml(60_000, 4)
    assert not isinstance(chunks, (list, tuple, str))
    sizes = [len(c) for c in chunks]
    assert len(sizes) > 10
    assert max(sizes) < 4_000_000  # no chunk holds the whole estate


def test_synth_to_file_writes_the_stream_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "estate.yaml"
    synth_to_file(target, 50, 8)
    assert target.read_text(encoding="utf-8") == _text(50, 8)
    assert [p.name for p in tmp_path.iterdir()] == ["estate.yaml"]

    def broken(workloads: int, seed: int):  # noqa: ANN202
        yield "zones:\n"
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(synth, "synth_yaml", broken)
    with pytest.raises(RuntimeError):
        synth_to_file(target, 50, 9)
    assert target.read_text(encoding="utf-8") == _text(50, 8)  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["estate.yaml"]  # and no temporary file is left
