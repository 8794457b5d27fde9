"""The loader: good files, each kind of bad file, and random documents."""

from __future__ import annotations

import pytest
import yaml
from helpers import BASE, inventory, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import InventoryError, load_inventory


def errors(path):
    try:
        load_inventory(path)
    except InventoryError as exc:
        return [str(i) for i in exc.issues]
    raise AssertionError("expected the inventory to be rejected")


def test_folder_merges_files_and_hash_is_stable(tmp_path):
    doc = dict(BASE)
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({k: v for k, v in doc.items() if k != "workloads"}))
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "crm.yml").write_text(yaml.safe_dump({"workloads": [workload("w1")]}))
    (tmp_path / "apps" / "web.yaml").write_text(yaml.safe_dump({"workloads": [workload("w2")]}))
    inv = load_inventory(tmp_path)
    assert sorted(w.id for w in inv.workloads) == ["w1", "w2"]
    assert load_inventory(tmp_path).sha256 == inv.sha256


def test_every_error_at_once_with_file_line_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "zones:\n  - {id: madrid, country: ES}\n"
        "sites:\n  - {id: s1, kind: cloud, zone: madrid}\n"
        "workloads:\n"
        "  - id: w1\n    app: a\n    env: prod\n    vcpus: 4\n    vcpu: -1\n    memory_gb: 4\n    current_site: nowhere\n"
    )
    found = errors(path)
    assert any(f"{path}:4: sites[s1].kind" in e and "'onprem', 'azure' or 'edge'" in e for e in found)
    assert any(f"{path}:9: workloads[w1].vcpus" in e and "did you mean 'vcpu'" in e for e in found)
    assert any(f"{path}:10: workloads[w1].vcpu" in e and "greater than 0" in e for e in found)


def test_dangling_references_are_errors(tmp_path):
    wl = workload("w1", current_site="mad-dc9", data=["secret"], users=[{"zone": "paris", "max_latency_ms": 5}],
                  depends_on=[{"workload": "w9"}], pin="nope")
    found = "\n".join(errors(inventory(tmp_path, [wl])))
    for text in ("unknown site 'mad-dc9'", "no policy covers data class 'secret'", "unknown zone 'paris'", "unknown workload 'w9'", "unknown site 'nope'"):
        assert text in found


def test_duplicate_ids_and_keys(tmp_path):
    found = "\n".join(errors(inventory(tmp_path, [workload("w1"), workload("w1")])))
    assert "duplicate workload id 'w1'" in found
    path = tmp_path / "dup.yaml"
    path.write_text("zones: []\nzones: []\n")
    assert "duplicate key 'zones'" in "\n".join(errors(path))


def test_country_groups_unknown_and_cyclic(tmp_path):
    found = "\n".join(errors(inventory(tmp_path, [], countries={"EU": ["ES", "NORDICS"], "NORDICS": ["EU", "xx"]})))
    assert "cycle" in found and "'xx'" in found


def test_norway_is_a_country_not_false(tmp_path):
    path = tmp_path / "no.yaml"
    doc = yaml.safe_dump({**{k: v for k, v in BASE.items() if k != "countries"}, "workloads": [workload("w1")]})
    path.write_text(doc + "countries:\n  EEA: [ES, NO]\n  EU: [ES, DE]\n")  # the policies name EU
    inv = load_inventory(path)
    assert "NO" in inv.countries["EEA"]


def test_broken_yaml_and_hostile_documents(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("zones: [a, b\n")
    assert errors(bad)[0].startswith(f"{bad}:")
    bomb = tmp_path / "bomb.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]" for i in range(1, 9)]
    bomb.write_text("\n".join(lines) + "\n")
    assert "aliases expand" in "\n".join(errors(bomb))
    deep = tmp_path / "deep.yaml"
    deep.write_text("zones: " + "[" * 5000 + "]" * 5000 + "\n")
    assert errors(deep)
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    assert "mapping" in errors(tmp_path / "list.yaml")[0]


def test_missing_path(tmp_path):
    assert "no such file" in errors(tmp_path / "nope.yaml")[0]


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=5))
_docs = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
    ["zones", "sites", "workloads", "id", "vcpu", "kind", "zone", "scenario", "countries", "latency_ms", "x"]), inner, max_size=4)), max_leaves=12)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_docs)
def test_random_documents_load_or_fail_cleanly(tmp_path, doc):
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(doc))
    try:
        load_inventory(path)
    except InventoryError as exc:
        assert exc.issues and all(i.file == str(path) for i in exc.issues)
