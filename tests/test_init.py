"""`planner init`: a scaffold from each export kind and from nothing, whose only problems are its placeholders."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.base.errors import InventoryError
from planner.cli import main
from planner.inputs.load import load_inventory

FIXTURES = Path(__file__).parent / "fixtures" / "import"
RVTOOLS = FIXTURES / "rvtools_export.xlsx"
DISCOVERY = FIXTURES / "azure_migrate_discovery.xlsx"
TODAY = ["--today", "2026-12-07"]
ANSWERS = """\
zones[*].country: ES
latency_ms[*]: 30
sites[*].capacity: {vcpu: 100000}
sites[*].cost: {vcpu_month: 20, memory_gb_month: 2, storage_gb_month: 0.05}
"""


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def error_lines(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if ln.startswith("error: ")]


def placeholders_of(folder: Path) -> list[str]:
    result = run("validate", folder / "inventory")
    assert result.exit_code == 2, result.output
    lines = error_lines(result.output)
    assert lines and all(re.match(r"error: \S+:\d+: \S+: placeholder: \S", ln) for ln in lines), result.output
    assert f"{len(lines)} placeholder(s) to fill in" in result.output
    return lines


def test_init_from_rvtools_declares_every_site_the_workloads_name(tmp_path):
    out = tmp_path / "estate"
    result = run("init", out, "--from", "rvtools", RVTOOLS, *TODAY)
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["README.md", "inventory/policies.yaml", "inventory/scenario.yaml", "inventory/topology.yaml",
                     "inventory/workloads.yaml", "scenarios/what-if-close-biggest-site.yaml",
                     "scenarios/what-if-reserved-3y.yaml", "waivers.example.yaml"]
    workloads = yaml.safe_load((out / "inventory/workloads.yaml").read_text())["workloads"]
    topology = yaml.safe_load((out / "inventory/topology.yaml").read_text())
    onprem = sorted(s["id"] for s in topology["sites"] if s["kind"] == "onprem")
    assert onprem == sorted({w["current_site"] for w in workloads}) == ["dc-mad-cl-mad-prod", "dc-mex-cl-mex-01", "dc-sao-cl-sao-01"]
    assert sorted(s["region"] for s in topology["sites"] if s["kind"] == "azure") == [
        "francecentral", "germanywestcentral", "northeurope", "swedencentral", "westeurope"]
    lines = placeholders_of(out)
    # per on-prem site: its zone's country, its latency to each of 5 regions, its capacity and its cost
    assert len(lines) == 3 * (1 + 5 + 2)
    assert not any("unknown site" in ln or "defined with errors" in ln for ln in lines)
    assert (out / "scenario.yaml").exists() is False and "start: 2027-01-01" in (out / "inventory/scenario.yaml").read_text()
    readme = (out / "README.md").read_text()
    assert "24 placeholder(s) to fill in" in readme and "sites\\[dc-mex-cl-mex-01\\].cost" in readme


def test_init_from_azure_migrate_and_country(tmp_path):
    out = tmp_path / "am"
    assert run("init", out, "--from", "azure-migrate", DISCOVERY, "--site", "dc-madrid", "--country", "ES",
               "--region", "spaincentral", "--region", "westeurope", *TODAY).exit_code == 0
    lines = placeholders_of(out)
    assert len(lines) == 2 + 2  # latency to each region, capacity, cost
    assert all("dc-madrid" in ln for ln in lines)


def test_init_from_nothing_is_valid_once_its_placeholders_are_answered(tmp_path):
    out = tmp_path / "new"
    assert run("init", out, *TODAY).exit_code == 0
    fields = [ln.split(": ")[2] for ln in placeholders_of(out)]
    assert "workloads[example-vm-01].vcpu" in fields and "zones[dc1].country" in fields
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS + "workloads[example-vm-01].vcpu: 4\nworkloads[example-vm-01].memory_gb: 16\n"
                                 "workloads[example-vm-01].storage_gb: 100\n", encoding="utf-8")
    result = run("init", out, "--answers", answers, "--force", *TODAY)
    assert result.exit_code == 0 and "no placeholders left" in result.output, result.output
    assert run("validate", out / "inventory").exit_code == 0
    plan = run("plan", out / "inventory", "--out", tmp_path / "plan", "--no-reports", "--quiet")
    assert plan.exit_code == 0, plan.output


def test_init_from_a_workloads_table(tmp_path):
    table = tmp_path / "workloads-vmware.csv"
    assert run("import", "rvtools", RVTOOLS, "--site", "{datacenter}", "--out", table).exit_code == 0
    out = tmp_path / "t"
    assert run("init", out, "--from", "table", table, *TODAY).exit_code == 0
    assert (out / "inventory/workloads.csv").read_bytes() == table.read_bytes()
    assert len(placeholders_of(out)) == 3 * 8


def test_plan_and_compare_on_placeholders_exit_2_naming_only_them(tmp_path):
    out = tmp_path / "e"
    assert run("init", out, "--from", "azure-migrate", DISCOVERY, *TODAY).exit_code == 0
    plan = run("plan", out / "inventory", "--out", tmp_path / "plan", "--quiet")
    assert plan.exit_code == 2 and not (tmp_path / "plan").exists()
    assert error_lines(plan.output) and all(": placeholder: " in ln for ln in error_lines(plan.output))
    compare = run("compare", out / "inventory", "--scenarios", out / "scenarios", "--out", tmp_path / "c", "--workers", "1",
                  "--quiet")
    assert compare.exit_code == 2, compare.output


def test_a_real_error_beside_placeholders_is_still_reported(tmp_path):
    out = tmp_path / "e"
    assert run("init", out, *TODAY).exit_code == 0
    scenario = out / "inventory/scenario.yaml"
    scenario.write_text(scenario.read_text().replace("horizon_months: 36", "horizon_months: -1"), encoding="utf-8")
    with pytest.raises(InventoryError) as caught:
        load_inventory(out / "inventory")
    others = [i for i in caught.value.issues if not i.message.startswith("placeholder: ")]
    assert [i.field for i in others] == ["scenario.horizon_months"]


def test_answers_that_match_nothing_are_refused(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("zones[dc1].contry: ES\n", encoding="utf-8")
    result = run("init", tmp_path / "x", "--answers", answers, *TODAY)
    assert result.exit_code == 2 and "zones[dc1].contry: matches no placeholder" in result.output
    assert not (tmp_path / "x").exists()


def test_a_non_empty_folder_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "e"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = run("init", out, *TODAY)
    assert result.exit_code == 2 and "--force" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert run("init", out, "--force", *TODAY).exit_code == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "inventory/topology.yaml").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder left behind"
    (tmp_path / "file").write_text("x")
    assert run("init", tmp_path / "file", *TODAY).exit_code == 2


def test_the_same_export_makes_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        assert run("init", tmp_path / name, "--from", "rvtools", RVTOOLS, *TODAY).exit_code == 0
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert a == b and len(a) == 8


def test_an_unknown_region_is_a_usage_error(tmp_path):
    result = run("init", tmp_path / "x", "--region", "westeurop", *TODAY)
    assert result.exit_code == 2 and "did you mean" in result.output and not (tmp_path / "x").exists()


HOSTILE = ['quote"s \'and\' more', "line\nbreak", "::error::owned", "##[group]x", "tab\there", "\u202eevil"]


def _hostile_rvtools(path: Path) -> None:
    header = ["VM", "Powerstate", "Template", "CPUs", "Memory", "Datacenter", "Cluster", "Host", "OS according to the configuration file"]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i, name in enumerate(HOSTILE):
            w.writerow([f"{name}-{i}", "poweredOn", "False", 2, 4096, f"DC {name}", f"CL{i} {name}", "esx1",
                        "Ubuntu Linux (64-bit)"])


def test_hostile_names_from_an_export_are_written_safely(tmp_path):
    export = tmp_path / "RVTools_tabvInfo.csv"
    _hostile_rvtools(export)
    out = tmp_path / "h"
    result = run("init", out, "--from", "rvtools", export, *TODAY)
    assert result.exit_code == 0, result.output
    for p in (out / "inventory").glob("*.yaml"):
        text = p.read_text(encoding="utf-8")
        yaml.safe_load(text)  # still one valid document
        assert "##[" not in text and not any(ln.lstrip().startswith("::") for ln in text.splitlines())
    topology = yaml.safe_load((out / "inventory/topology.yaml").read_text())
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", s["id"]) for s in topology["sites"])
    checked = run("validate", out / "inventory")
    assert checked.exit_code == 2
    assert all(": placeholder: " in ln for ln in error_lines(checked.output))
    assert not any(ln.lstrip().startswith("::") or "##[" in ln for ln in checked.output.splitlines())


def test_a_hostile_site_in_a_table_is_refused_on_one_line(tmp_path):
    table = tmp_path / "workloads.csv"
    table.write_text('id,app,env,vcpu,memory_gb,current_site\nw1,a,prod,2,4,"dc\n::error::x"\n', encoding="utf-8")
    result = run("init", tmp_path / "t", "--from", "table", table, *TODAY)
    assert result.exit_code == 2
    assert "row 2: column 'current_site'" in result.output
    assert not any(ln.lstrip().startswith("::") for ln in result.output.splitlines())


def test_a_large_import_is_written_as_a_workloads_table(tmp_path, monkeypatch):
    from planner.inputs import scaffold

    monkeypatch.setattr(scaffold, "TABLE_ABOVE", 10)
    out = tmp_path / "big"
    assert run("init", out, "--from", "rvtools", RVTOOLS, *TODAY).exit_code == 0
    assert (out / "inventory/workloads.parquet").exists() and not (out / "inventory/workloads.yaml").exists()
    assert len(placeholders_of(out)) == 24


_SITE_IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,30}", fullmatch=True)


@settings(max_examples=30, deadline=None)
@given(st.lists(_SITE_IDS, min_size=1, max_size=4, unique=True))
def test_any_site_id_survives_the_scaffold_and_its_placeholders_name_it(sites):
    """Whatever valid ids the workloads name (`::`, `@`, `#`-free but odd), topology.yaml reads back the same ids."""
    import datetime as dt

    from planner.inputs.importers.common import ImportedWorkload, ImportResult
    from planner.inputs.load.placeholders import find_placeholders
    from planner.inputs.scaffold import scaffold
    from planner.inputs.yamlio import load_yaml

    assume(not {s.lower() for s in sites} & {"westeurope", "az-westeurope"})
    workloads = [ImportedWorkload({"id": f"w{i}", "app": "a", "env": "prod", "vcpu": 1, "memory_gb": 1, "current_site": s},
                                  (), "") for i, s in enumerate(sites)]
    s = scaffold("test", ImportResult("rvtools", "test", len(sites), workloads), regions=["westeurope"],
                 today=dt.date(2026, 12, 7))
    topology = s.files["inventory/topology.yaml"]
    doc = yaml.safe_load(topology)
    assert sorted(x["id"] for x in doc["sites"] if x["kind"] == "onprem") == sorted(sites)
    fields = {p.field for p in find_placeholders(load_yaml(topology), "t")}
    assert fields == {f for x in sites for f in (f"zones[{x}].country", f"latency_ms[{x},westeurope]",
                                                 f"sites[{x}].capacity", f"sites[{x}].cost")}


def test_data_classes_no_preset_covers_get_a_policy_to_fill_in(tmp_path):
    table = tmp_path / "workloads.csv"
    table.write_text("id,app,env,vcpu,memory_gb,current_site,data\n"
                     "w1,a,prod,2,4,dc-a,personal-eu;hr-records\nw2,a,prod,2,4,dc-a,\n", encoding="utf-8")
    out = tmp_path / "t"
    assert run("init", out, "--from", "table", table, "--region", "westeurope", *TODAY).exit_code == 0
    fields = [ln.split(": ")[2] for ln in placeholders_of(out)]
    assert "policies[hr-records].allowed_countries" in fields
    assert not any(f.startswith("policies[personal-eu]") or f.startswith("policies[gdpr]") for f in fields)
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS + "policies[hr-records].allowed_countries: [ES]\n", encoding="utf-8")
    assert run("init", out, "--from", "table", table, "--region", "westeurope", "--answers", answers, "--force",
               *TODAY).exit_code == 0
    assert run("validate", out / "inventory").exit_code == 0


def test_workloads_already_in_azure_keep_their_azure_site(tmp_path):
    table = tmp_path / "workloads.csv"
    table.write_text("id,app,env,vcpu,memory_gb,current_site\nw1,a,prod,2,4,az-spaincentral\nw2,a,prod,2,4,dc-a\n",
                     encoding="utf-8")
    out = tmp_path / "t"
    assert run("init", out, "--from", "table", table, "--region", "westeurope", *TODAY).exit_code == 0
    sites = {s["id"]: s for s in yaml.safe_load((out / "inventory/topology.yaml").read_text())["sites"]}
    assert sites["az-spaincentral"]["kind"] == "azure" and sites["dc-a"]["kind"] == "onprem"
    assert all("spaincentral]" not in f.split(",")[0] for f in (ln.split(": ")[2] for ln in placeholders_of(out)))
