"""Dated residency presets: a policy's `preset`, its countries, its age and its citation in the compliance report."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import BASE, REPO, inventory, sites_of, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import Estate, load_inventory, make_plan, verify_plan
from planner.cli import main
from planner.domain.presets import residency_presets
from planner.outputs.report import build_context, render_text

REALDATA = Path("/work/shared/realdata")
ZONES = BASE["zones"] + [{"id": "london", "country": "GB"}, {"id": "virginia", "country": "US"}]
LATENCY = BASE["latency_ms"] + [["madrid", "london", 25], ["madrid", "virginia", 90]]


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _site(sid: str, zone: str, vcpu_month: float, **extra: object) -> dict:
    return {"id": sid, "kind": "azure", "zone": zone,
            "cost": {"vcpu_month": vcpu_month, "memory_gb_month": 1.0, "storage_gb_month": 0.05, "egress_gb": 0.1}, **extra}


def _estate(tmp_path: Path, policies: list[dict], workloads: list[dict], sites: list[dict] | None = None) -> Path:
    """BASE with London and Virginia zones; the Madrid DC dearest, so anything allowed elsewhere moves."""
    sites = sites if sites is not None else [
        {**BASE["sites"][0], "cost": {"vcpu_month": 90.0, "memory_gb_month": 9.0, "storage_gb_month": 0.1, "egress_gb": 0.0}},
        _site("az-lon", "london", 12.0), _site("az-sao", "sao-paulo", 11.0), _site("az-fra", "frankfurt", 13.0),
        _site("az-us", "virginia", 5.0)]
    return inventory(tmp_path, workloads, zones=ZONES, latency_ms=LATENCY, policies=policies, sites=sites)


GDPR = {"id": "gdpr", "name": "GDPR", "data_class": "personal-eu", "preset": "gdpr"}


@pytest.mark.parametrize("name, inside, outside", [
    ("gdpr", {"ES", "NO", "GB", "CH", "BR", "JP"}, {"US", "SG", "IN"}),
    ("uk-gdpr", {"GB", "GI", "ES", "KR", "CH"}, {"US", "BR", "SG"}),
    ("lgpd", {"BR", "ES", "DE", "IS", "NO"}, {"GB", "US", "CH"}),
])
def test_each_preset_resolves_to_its_law(tmp_path, name, inside, outside):
    path = _estate(tmp_path, [{"id": "p", "name": "P", "data_class": "c", "preset": name}], [workload("w1")])
    res = Estate.of(load_inventory(path)).policy_residency["p"]
    assert inside <= res.countries and not outside & res.countries
    assert res.preset is not None and res.preset.as_of <= dt.date(2026, 12, 31) and res.preset.sources
    assert all(s.startswith("https://") for s in res.preset.sources)


def test_the_us_is_allowed_only_on_sites_certified_under_the_dpf(tmp_path):
    workloads = [workload("w1", data=["personal-eu"])]
    plain = make_plan(load_inventory(_estate(tmp_path, [GDPR], workloads)))
    assert sites_of(plain.plan)["w1"] == "az-sao"  # Brazil: EU-adequate since January 2026; the cheaper US site is not
    sites = [BASE["sites"][0], _site("az-us", "virginia", 5.0, certifications=["DPF"])]
    certified = make_plan(load_inventory(_estate(tmp_path, [GDPR], workloads, sites)))
    assert sites_of(certified.plan)["w1"] == "az-us"
    assert verify_plan(certified.estate, certified.plan) == []


def test_a_policy_with_both_allows_the_intersection(tmp_path):
    pol = {**GDPR, "allowed_countries": ["EU", "US"]}  # EU in BASE: ES, DE, FR, PT
    path = _estate(tmp_path, [pol], [workload("w1", data=["personal-eu"])])
    estate = Estate.of(load_inventory(path))
    res = estate.policy_residency["gdpr"]
    assert res.countries == {"ES", "DE", "FR", "PT"}
    assert [c.country for c in res.conditional] == ["US"]
    plan = make_plan(load_inventory(path)).plan
    assert sites_of(plan)["w1"] == "az-fra"  # not az-sao (BR is outside the group's list), not az-us (no DPF)


def test_an_unknown_preset_is_exit_2_naming_file_line_field_and_the_presets(tmp_path):
    path = _estate(tmp_path, [{**GDPR, "preset": "gdrp"}], [workload("w1")])
    result = run("validate", path)
    assert result.exit_code == 2
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "gdrp" in text)
    assert f"{path.name}:{line}" in result.output and "policies[gdpr].preset" in result.output
    assert "gdrp" in result.output and "gdpr, lgpd, uk-gdpr" in result.output and "did you mean 'gdpr'" in result.output


def test_a_policy_needs_a_preset_or_countries(tmp_path):
    path = _estate(tmp_path, [{"id": "p", "name": "P", "data_class": "c"}], [workload("w1")])
    result = run("validate", path)
    assert result.exit_code == 2 and "policies[p].allowed_countries" in result.output and "preset" in result.output


def test_validate_warns_about_a_preset_more_than_a_year_old(tmp_path):
    path = _estate(tmp_path, [GDPR], [workload("w1")])
    as_of = residency_presets()["gdpr"].as_of
    fresh = run("validate", path, "--today", (as_of + dt.timedelta(days=365)).isoformat())
    stale = run("validate", path, "--today", (as_of + dt.timedelta(days=366)).isoformat())
    assert fresh.exit_code == stale.exit_code == 0
    assert "warning" not in fresh.output
    assert f"residency preset gdpr is as of {as_of.isoformat()}" in stale.output and "used by policies gdpr" in stale.output


def test_the_compliance_report_cites_the_preset_date_and_source(tmp_path):
    path = _estate(tmp_path, [GDPR, {"id": "own", "name": "Own", "data_class": "own", "allowed_countries": ["ES"]}],
                   [workload("w1", data=["personal-eu"])])
    result = make_plan(load_inventory(path))
    pages = {f"{r.name}.{r.ext}": r.text for r in render_text(build_context(result.plan, result.estate), ("html", "md"),
                                                              reports=("compliance",))}  # no charts to draw for the others
    preset = residency_presets()["gdpr"]
    for page in ("compliance.md", "compliance.html"):
        text = pages[page]
        assert f"as of {preset.as_of.isoformat()}" in text
        assert "cnpd.public.lu" in text  # the first source, whatever neutralises the scheme in Markdown
        assert "US (sites certified DPF)" in text
        assert text.count("Law (preset") == 1  # the policy without a preset cites none


@pytest.mark.skipif(not REALDATA.is_dir(), reason="needs the realdata folder")
def test_the_tool_reproduces_the_shipped_presets(tmp_path):
    spec = importlib.util.spec_from_file_location("derive_presets", REPO / "tools" / "derive_presets.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / "presets.yaml"
    assert tool.main([str(REALDATA), "--out", str(out)]) == 0
    assert out.read_bytes() == (REPO / "planner" / "data" / "residency_presets.yaml").read_bytes()


@st.composite
def small_estates(draw):
    """A few workloads, some with EU personal data, over sites in countries in and out of the preset, some certified."""
    zones = ["madrid", "frankfurt", "sao-paulo", "london", "virginia"]
    sites = [BASE["sites"][0]] + [
        _site(f"s{i}", draw(st.sampled_from(zones)), float(draw(st.integers(2, 40))),
              certifications=draw(st.sampled_from([[], ["DPF"]])))
        for i in range(draw(st.integers(1, 4)))]
    narrowed = draw(st.sampled_from([None, ["EU"], ["EU", "GB", "US"]]))
    policy = {**GDPR, **({"allowed_countries": narrowed} if narrowed else {})}
    wls = [workload(f"w{i}", data=draw(st.sampled_from([[], ["personal-eu"]]))) for i in range(draw(st.integers(1, 4)))]
    return policy, wls, sites


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=small_estates())
def test_a_plan_never_puts_gdpr_data_outside_the_preset(tmp_path, case):
    policy, wls, sites = case
    result = make_plan(load_inventory(_estate(tmp_path, [policy], wls, sites)))
    assert result.plan.status == "optimal"  # mad-dc1 (ES) always admits every workload
    res = result.estate.policy_residency["gdpr"]
    preset = residency_presets()["gdpr"]
    by_id = {s["id"]: s for s in sites}
    country = {z["id"]: z["country"] for z in ZONES}
    for a in result.plan.assignments:
        if "personal-eu" in next(w["data"] for w in wls if w["id"] == a.workload):
            site = by_id[a.site]
            c = country[site["zone"]]
            assert c in preset.countries or ("DPF" in site.get("certifications", []) and c == "US")
            assert c in res.countries or any(x.country == c for x in res.conditional)
