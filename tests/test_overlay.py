"""Scenario overlays laid over an inventory (planner.inputs.load.load_inventory(..., overlays=...)): merge rules and errors."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from helpers import BASE, inventory, workload
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.base.errors import InventoryError
from planner.inputs.load import load_inventory, overlay_name


def _overlay(tmp_path: Path, text: str, name: str = "what-if.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _errors(base: Path, *overlays: Path) -> list[str]:
    with pytest.raises(InventoryError) as exc:
        load_inventory(base, overlays=overlays)
    return [str(i) for i in exc.value.issues]


@pytest.fixture()
def base(tmp_path: Path) -> Path:
    return inventory(tmp_path, [workload("a"), workload("b", depends_on=[{"workload": "a", "max_latency_ms": 50}]),
                                workload("c", pin="az-fra", data=["personal-eu"])])


def test_fields_of_an_existing_id_are_replaced_and_null_removes_one(tmp_path: Path, base: Path) -> None:
    o = _overlay(tmp_path, "sites:\n  - {id: mad-dc1, closes: 2027-06-30}\n"
                           "workloads:\n  - {id: a, vcpu: 8, storage_gb: null}\n  - {id: c, pin: null}\n")
    inv = load_inventory(base, overlays=[o])
    site = next(s for s in inv.sites if s.id == "mad-dc1")
    assert site.closes == dt.date(2027, 6, 30) and site.cost is not None and site.cost.vcpu_month == 20.0  # other fields kept
    t = inv.workloads
    a, c = t.workload(inv.workloads.ids.index("a")), t.workload(t.ids.index("c"))
    assert (a.vcpu, a.storage_gb, a.memory_gb) == (8.0, 0.0, 4.0)
    assert c.pin is None and c.data == ("personal-eu",)


def test_new_ids_are_added_and_remove_drops_items(tmp_path: Path, base: Path) -> None:
    o = _overlay(tmp_path, "zones:\n  - {id: milan, country: IT}\n"
                           "latency_ms:\n  - [milan, madrid, 24]\n  - [milan, frankfurt, 9]\n  - [milan, sao-paulo, 210]\n"
                           "sites:\n  - {id: az-mil, kind: azure, zone: milan, cost: {vcpu_month: 9.0}}\n"
                           "workloads:\n  - {id: z, app: new, env: dev, vcpu: 1, memory_gb: 1, current_site: mad-dc1}\n"
                           "remove: {workloads: [b], sites: [az-sao]}\n")
    inv = load_inventory(base, overlays=[o])
    assert [s.id for s in inv.sites] == ["mad-dc1", "az-fra", "az-mil"]
    assert inv.workloads.ids == ("a", "c", "z")
    assert any({link.a, link.b} == {"milan", "frankfurt"} for link in inv.latency)


def test_remove_then_add_replaces_an_item_whole(tmp_path: Path, base: Path) -> None:
    o = _overlay(tmp_path, "remove: {sites: [az-sao]}\nsites:\n  - {id: az-sao, kind: azure, zone: sao-paulo, cost: {vcpu_month: 3.0}}\n")
    site = next(s for s in load_inventory(base, overlays=[o]).sites if s.id == "az-sao")
    assert site.cost is not None and (site.cost.vcpu_month, site.cost.egress_gb) == (3.0, None)


def test_scenario_and_countries_merge_key_by_key_and_latency_pairs_replace(tmp_path: Path, base: Path) -> None:
    o = _overlay(tmp_path, "scenario:\n  pricing: {azure: reserved-3y}\n  horizon_months: 24\n"
                           "countries:\n  EU: [ES, DE]\n  LATAM: [BR]\n"
                           "latency_ms:\n  - [frankfurt, madrid, 45]\n  - [sao-paulo, frankfurt, null]\n")
    inv = load_inventory(base, overlays=[o])
    s = inv.scenario
    assert (s.horizon_months, s.pricing.azure, s.pricing.hybrid_benefit, s.default_migration_cost) == (24, "reserved-3y", False, 100)
    assert inv.countries == {"EU": ("ES", "DE"), "LATAM": ("BR",)}
    assert {(link.a, link.b): link.ms for link in inv.latency} == {("frankfurt", "madrid"): 45.0, ("madrid", "sao-paulo"): 190.0}


def test_an_overlay_folder_applies_its_files_in_order(tmp_path: Path, base: Path) -> None:
    folder = tmp_path / "close-mad"
    folder.mkdir()
    _overlay(folder, "name: Close Madrid\nsites:\n  - {id: mad-dc1, closes: 2027-06-30}\n", "1-sites.yaml")
    _overlay(folder, "sites:\n  - {id: mad-dc1, closes: 2027-09-30}\n", "2-later.yaml")
    inv = load_inventory(base, overlays=[folder])
    assert next(s for s in inv.sites if s.id == "mad-dc1").closes == dt.date(2027, 9, 30)
    assert overlay_name([folder]) == "Close Madrid"


def test_inventory_sha256_covers_the_overlay_files(tmp_path: Path, base: Path) -> None:
    plain = load_inventory(base).sha256
    o = _overlay(tmp_path, "name: Nothing changes\n")
    with_overlay = load_inventory(base, overlays=[o]).sha256
    digest = hashlib.sha256()
    for rel, data in ((base.name, base.read_bytes()), ("/overlay/what-if.yaml", o.read_bytes())):
        digest.update(rel.encode() + b"\0" + data + b"\0")
    assert with_overlay != plain and with_overlay == digest.hexdigest()
    o.write_text("name: Nothing changes at all\n", encoding="utf-8")
    assert load_inventory(base, overlays=[o]).sha256 != with_overlay


def test_errors_name_the_overlay_file_line_and_field(tmp_path: Path, base: Path) -> None:
    o = _overlay(tmp_path, "sites:\n  - {id: mad-dc1, colour: red}\nworkloads:\n  - id: a\n    vcpu: many\n"
                           "remove:\n  workloads: [nope]\n")
    errors = _errors(base, o)
    assert f"{o}:2: sites[mad-dc1].colour: unknown field (allowed: id, kind, zone, region, name, capacity, cost, certifications, closes, energy)" in errors
    assert any(e.startswith(f"{o}:5: workloads[a].vcpu: must be a number") for e in errors)
    assert f"{o}:7: remove.workloads[nope]: no workload 'nope' in the base inventory" in errors


@pytest.mark.parametrize("text, expected", [
    ("sites: [\n", ":2: not valid YAML"),
    ("- just a list\n", ":1: the document is a list; a scenario overlay is a mapping"),
    ("sitez: []\n", ":1: sitez: unknown section; did you mean 'sites'?"),
    ("remove: {sites: [lon-dc2]}\n", ":1: remove.sites[lon-dc2]: no site 'lon-dc2' in the base inventory"),
    ("workloads:\n  - {vcpu: 2}\n", ":2: workloads[0].id: a scenario's item needs the `id`"),
    ("name: 7\n", ":1: name: must be a text"),
])
def test_bad_overlays(tmp_path: Path, base: Path, text: str, expected: str) -> None:
    o = _overlay(tmp_path, text)
    assert any(e.startswith(str(o) + expected) for e in _errors(base, o)), _errors(base, o)


def test_removing_what_others_still_name_is_one_error_at_the_remove_line(tmp_path: Path, base: Path) -> None:
    o = _overlay(tmp_path, "# drop the Frankfurt region and workload a\nremove:\n  sites: [az-fra]\n  workloads: [a]\n")
    errors = _errors(base, o)
    assert errors == sorted([
        f"{o}:3: remove.sites[az-fra]: removing site 'az-fra' breaks 1 reference(s) to it: {base}:{_line(base, 'pin: az-fra')} "
        f"(workloads[c].pin); change or remove those too",
        f"{o}:4: remove.workloads[a]: removing workload 'a' breaks 1 reference(s) to it: {base}:{_line(base, '- workload: a')} "
        f"(workloads[b].depends_on[0].workload); change or remove those too",
    ])


def test_removing_a_policy_or_nulling_a_country_group_still_named(tmp_path: Path, base: Path) -> None:
    o = _overlay(tmp_path, "remove: {policies: [gdpr]}\n")
    errors = _errors(base, o)
    assert any(e.startswith(f"{o}:1: remove.policies[gdpr]: removing policy 'gdpr' breaks 1 reference(s)") and "workloads[c].data" in e
               for e in errors), errors
    first = _overlay(tmp_path, "countries:\n  EUR: [ES, DE]\npolicies:\n  - {id: gdpr, allowed_countries: [EUR]}\n", "first.yaml")
    assert load_inventory(base, overlays=[first]).countries["EUR"] == ("ES", "DE")
    o = _overlay(tmp_path, "countries:\n  EUR: null\n")
    errors = _errors(base, first, o)
    assert any(e.startswith(f"{o}:2: countries[EUR]: setting to null country group 'EUR' breaks 1 reference(s)") for e in errors), errors


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# ------------------------------------------------------------------ workloads held in tables


@pytest.fixture()
def tabular(tmp_path: Path) -> Path:
    folder = tmp_path / "inv"
    folder.mkdir()
    topo = {k: v for k, v in BASE.items() if k != "workloads"}
    (folder / "topology.yaml").write_text(yaml.safe_dump(topo, sort_keys=False), encoding="utf-8")
    rows = [workload(f"w{i}", app=f"app{i % 3}") for i in range(6)]
    for r in rows[:2]:
        r["data"] = "personal-eu"
    columns = {k: [r.get(k) for r in rows] for k in ("id", "app", "env", "vcpu", "memory_gb", "storage_gb", "current_site", "data")}
    pq.write_table(pa.table(columns), folder / "workloads.parquet")
    (folder / "dependencies.csv").write_text("workload,depends_on,max_latency_ms,traffic_gb_month\nw1,w0,50,10\nw2,w1,,5\n", encoding="utf-8")
    (folder / "users.csv").write_text("workload,zone,max_latency_ms\nw3,madrid,40\n", encoding="utf-8")
    return folder


def test_table_rows_take_the_overlay_fields(tmp_path: Path, tabular: Path) -> None:
    o = _overlay(tmp_path, "workloads:\n  - {id: w1, vcpu: 16, data: null}\n  - {id: w3, users: null, allowed_kinds: [azure]}\n"
                           "  - {id: w9, app: new, env: prod, vcpu: 1, memory_gb: 2, current_site: az-fra}\n"
                           "remove: {workloads: [w5]}\n")
    inv = load_inventory(tabular, overlays=[o])
    t = inv.workloads
    assert t.ids == ("w0", "w1", "w2", "w3", "w4", "w9")
    w1, w3 = t.workload(1), t.workload(3)
    assert (w1.vcpu, w1.memory_gb, w1.app, w1.data, w1.storage_gb) == (16.0, 4.0, "app1", (), 10.0)
    assert [d.workload for d in w1.depends_on] == ["w0"]  # its dependency rows are kept
    assert w3.users == () and [k.value for k in w3.allowed_kinds] == ["azure"]
    assert load_inventory(tabular).workloads.workload(3).users != ()


def test_a_table_row_with_a_bad_override_names_the_overlay_line(tmp_path: Path, tabular: Path) -> None:
    o = _overlay(tmp_path, "workloads:\n  - id: w2\n    vcpu: -3\n  - {id: w4, current_site: nowhere}\nremove: {workloads: [w1]}\n")
    errors = _errors(tabular, o)
    assert f"{o}:3: workloads[w2].vcpu: must be greater than 0 and at most 100000 (vCPU); got -3" in errors
    assert f"{o}:4: workloads[w4].current_site: unknown site 'nowhere'" in errors
    assert any(e.startswith(f"{o}:5: remove.workloads[w1]: removing workload 'w1' breaks 1 reference(s) to it: "
                            f"{tabular / 'dependencies.csv'}:3") for e in errors), errors


def test_removing_a_table_workload_takes_its_own_dependencies_and_users(tmp_path: Path, tabular: Path) -> None:
    o = _overlay(tmp_path, "remove: {workloads: [w2, w3]}\n")
    t = load_inventory(tabular, overlays=[o]).workloads
    assert t.ids == ("w0", "w1", "w4", "w5") and len(t.deps.src) == 1


@settings(max_examples=25, deadline=None)
@given(vcpu=st.integers(1, 64), storage=st.one_of(st.none(), st.integers(0, 5000)), closes=st.dates(dt.date(2027, 1, 2), dt.date(2040, 1, 1)))
def test_an_overlay_equals_the_same_change_written_into_the_inventory(tmp_path_factory: pytest.TempPathFactory, vcpu: int,
                                                                     storage: int, closes: dt.date) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    base = inventory(tmp, [workload("a"), workload("b")], name="base.yaml")
    o = _overlay(tmp, yaml.safe_dump({"sites": [{"id": "az-sao", "closes": closes}],
                                      "workloads": [{"id": "a", "vcpu": vcpu, "storage_gb": storage}]}))
    changed = workload("a", vcpu=vcpu)
    if storage is None:
        del changed["storage_gb"]
    else:
        changed["storage_gb"] = storage
    sites = [dict(s, closes=closes) if s["id"] == "az-sao" else s for s in BASE["sites"]]
    written = inventory(tmp, [changed, workload("b")], name="written.yaml", sites=sites)
    merged, direct = load_inventory(base, overlays=[o]), load_inventory(written)
    assert merged.sites == direct.sites
    assert [merged.workloads.workload(i) for i in range(2)] == [direct.workloads.workload(i) for i in range(2)]
