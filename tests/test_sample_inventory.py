"""The sample estate in inventory/: a believable telco estate that has a plan.

The plan itself is checked in test_sample_estate.py; these tests pin down the shape the
sample promises (apps, sites, residency, edge, the closing DC) and that the estate is
feasible by construction, so an edit that quietly breaks the demo fails here first.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from planner.domain.estate import Estate
from planner.domain.inventory import Inventory
from planner.domain.model import SiteKind
from planner.domain.rules import Rule, violations
from planner.inputs.load import inventory_files, load_inventory

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "inventory"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(SAMPLE)


@pytest.fixture(scope="module")
def est(inv: Inventory) -> Estate:
    return Estate.of(inv)


def test_generated_files_are_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_sample_inventory", ROOT / "tools" / "make_sample_inventory.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: python tools/make_sample_inventory.py"


def test_every_file_says_what_it_holds() -> None:
    files = [f.path for f in inventory_files(SAMPLE)[0]]
    assert len(files) >= 5
    for path in files:
        assert path.read_text(encoding="utf-8").startswith("# "), path


def test_size_and_apps(inv: Inventory) -> None:
    assert 400 <= len(inv.workloads) <= 600
    apps: dict[str, set[bool]] = defaultdict(set)
    for w in inv.workloads:
        apps[w.app].add(w.is_prod)
    assert 10 <= len(apps) <= 16
    assert {"billing", "crm", "cdp", "iptv", "core5g", "footfall", "mainframe", "crm-br", "gov", "uk-selfcare"} <= set(apps)
    assert sum(1 for envs in apps.values() if envs == {True, False}) == len(apps)  # prod and non-prod everywhere
    assert {w.criticality.value for w in inv.workloads} == {"low", "medium", "high"}
    sizes = [w.vcpu for w in inv.workloads]
    assert min(sizes) >= 2 and max(sizes) <= 64
    assert max(w.memory_gb for w in inv.workloads) <= 512


def test_sites(inv: Inventory, est: Estate) -> None:
    kinds: dict[SiteKind, list] = defaultdict(list)
    for s in inv.sites:
        kinds[s.kind].append(s)
    assert {est.site_country(s) for s in kinds[SiteKind.ONPREM]} >= {"ES", "GB", "DE", "BR"}
    closing = [s for s in inv.sites if est.closes_in_horizon(s)]
    assert [s.id for s in closing] == ["lon-dc1"]
    assert all(s.capacity is not None and s.cost is not None for s in kinds[SiteKind.ONPREM] + kinds[SiteKind.EDGE])
    assert len(kinds[SiteKind.AZURE]) >= 6
    for s in kinds[SiteKind.AZURE]:
        assert s.region is not None and est.catalog.has_region(s.region)
        assert s.cost is None or s.cost.vcpu_month is None  # catalogue-priced
    assert len(kinds[SiteKind.EDGE]) >= 4


def test_latency_follows_geography(est: Estate) -> None:
    # Between metros with an Azure region: Microsoft's measured P50 (spaincentral-germanywestcentral 27 ms, ...).
    for a, b, ms in [("madrid", "barcelona", 8), ("madrid", "frankfurt", 27), ("madrid", "london", 25),
                     ("frankfurt", "amsterdam", 11), ("london", "dublin", 13), ("madrid", "sao-paulo", 183)]:
        assert est.latency(a, b) == est.latency(b, a) == ms
    assert est.latency("madrid", "madrid-ran") > 5  # why a UPF must sit on MEC


def test_residency_and_certifications(inv: Inventory, est: Estate) -> None:
    classes = {c for w in inv.workloads for c in w.data}
    assert {"personal-eu", "personal-uk", "personal-br", "public-sector-es", "anonymised"} <= classes
    countries = est.policy_countries
    assert countries["lgpd"] == {"BR"} and countries["ens-high"] == {"ES"} and countries["uk-gdpr"] == {"GB"}
    # The GDPR preset: the EEA and the adequate countries, Brazil among them since January 2026; the US only for DPF sites.
    assert {"ES", "DE", "NL", "IE", "GB", "BR"} <= countries["gdpr"] and "US" not in countries["gdpr"]
    assert countries["gdpr-employee"] == est.expand_countries(["EU"])
    ens = [w for w in inv.workloads if "public-sector-es" in w.data]
    assert ens and all("ENS-high" in w.requires for w in ens)
    assert any("PCI-DSS" in w.requires for w in inv.workloads if w.app == "billing")


def test_upfs_can_only_sit_at_the_edge_and_the_mainframe_is_pinned(inv: Inventory, est: Estate) -> None:
    upfs = [w for w in inv.workloads if "-upf-" in w.id]
    assert len(upfs) >= 6
    for w in upfs:
        ok = [s for s in est.sites if not violations(est, w, s)]
        assert ok and all(s.kind is SiteKind.EDGE for s in ok), w.id
    lpars = [w for w in inv.workloads if w.app == "mainframe" and "-lpar-" in w.id]
    assert lpars and all(w.pin == w.current_site == "mad-dc1" for w in lpars)


def test_today_is_a_valid_plan_except_what_must_move(inv: Inventory, est: Estate) -> None:
    """Only the closing DC and the UPFs not yet on MEC break a rule today; everything else could stay."""
    forced = set()
    for w in inv.workloads:
        broken = {v.rule for v in violations(est, w, est.site_by_id[w.current_site])}
        if broken:
            forced.add(w.id)
            assert broken <= {Rule.SITE_CLOSING, Rule.USER_LATENCY}, (w.id, broken)
            assert any(not violations(est, w, s) for s in est.sites), f"{w.id} has nowhere to go"
    on_closing = {w.id for w in inv.workloads if w.current_site == "lon-dc1"}
    assert on_closing <= forced and len(on_closing) >= 30
    assert forced - on_closing == {"core5g-upf-bcn-prd-01"}
    use: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for w in inv.workloads:
        u = use[w.current_site]
        u[0], u[1], u[2] = u[0] + w.vcpu, u[1] + w.memory_gb, u[2] + w.storage_gb
    for s in inv.sites:
        if s.capacity is not None and s.id != "lon-dc1":
            limits = (s.capacity.vcpu, s.capacity.memory_gb, s.capacity.storage_gb)
            assert all(cap is None or u <= cap for u, cap in zip(use[s.id], limits)), s.id
    groups: dict[str, list[str]] = defaultdict(list)
    for w in inv.workloads:
        if w.anti_affinity:
            groups[w.anti_affinity].append(w.current_site)
    assert len(groups) >= 20 and all(len(set(sites)) == len(sites) == 2 for sites in groups.values())


def test_move_groups_fit_the_wave_rules(inv: Inventory, est: Estate) -> None:
    rules = inv.scenario.waves
    groups: dict[tuple[str, bool], list[float]] = defaultdict(lambda: [0, 0.0])
    total = 0.0
    for w in inv.workloads:
        g = groups[w.move_group]
        g[0] += 1
        g[1] += est.effort_hours(w)
        total += est.effort_hours(w)
    assert max(g[0] for g in groups.values()) <= rules.max_workloads
    assert max(g[1] for g in groups.values()) <= rules.max_effort_hours
    assert 10 <= total / rules.max_effort_hours <= 20  # the whole estate would take 10-20 waves
