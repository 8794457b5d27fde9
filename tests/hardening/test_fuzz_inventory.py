"""Fuzz: the sample inventory and small workload tables, mutated one field at a time, never crash the CLI.

Each example changes one thing (a value of the wrong type, a huge or non-finite number, text
with control characters, a deleted or unknown field, a broken reference, a duplicate item, a
truncated file) and runs `planner validate` and `planner plan --no-reports --out DIR` through
click's CliRunner with catch_exceptions=False, so an exception fails the test. Asserted: the
exit code is 0, 1 or 2, no traceback is printed, validate and plan agree on bad input, and an
exit 2 leaves nothing in DIR. The examples are fixed (derandomised), so a run is reproducible;
set PLANNER_FUZZ_EXAMPLES=N to try N fresh ones.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from helpers import BASE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.inputs.table_format import write_table
from planner.inputs.yamlio import LineDict, LineList, load_yaml

SAMPLE = Path(__file__).resolve().parents[2] / "inventory"
# A few dozen fixed examples in the suite; PLANNER_FUZZ_EXAMPLES=500 runs that many fresh random ones (to hunt, not in CI).
_HUNT = int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_HUNT or 30, deadline=None, derandomize=not _HUNT, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# YAML text put in place of one value, unquoted: each has broken a loader somewhere.
_TOKENS = ["true", "false", "null", "~", "010", "0x1F", "0o17", "1:30", "1_000", ".inf", "-.inf", ".nan", "1e3", "1.0e+308", "-1", "0",
           "9" * 5000, "0x" + "f" * 400, "2027-02-30", "9999-12-31", "2027-01-01T10:00:00", "[]", "{}", "[1, [2, [3]]]", "{a: 1}",
           '"\\0"', '"x\\u0000y"', '"\\x1b[31m::error::pwned\\r\\n::add-mask::x"', '"a\\u202eb"', "!!int x", "!!binary xx",
           "!!timestamp 2027-02-30", "!!set {a, b}", "!!python/object:os.system x", "*nowhere", "&a [*a]", "'" + "x" * 5000 + "'",
           "ON", "XX", "UK", "FR", "EU", "mad-dc1", "madrid", "personal-eu", "'::error::x'", "'@octocat [x](https://evil.example)'"]
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12).map(lambda t: '"' + t.encode("unicode_escape").decode().replace('"', '\\"') + '"')
_token = st.one_of(st.sampled_from(_TOKENS), _text)
_MUTATIONS = ("replace", "replace", "replace", "delete", "unknown field", "broken reference", "duplicate", "truncate")


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def check_cli(inventory: Path, out: Path) -> None:
    """validate and plan: clean exits, no traceback, and nothing written on bad input."""
    validate = run("validate", inventory)
    assert validate.exit_code in (0, 2), validate.output
    plan = run("plan", inventory, "--out", out, "--no-reports", "--quiet", "--time-limit", "20")
    assert plan.exit_code in (0, 1, 2), plan.output
    for result in (validate, plan):
        assert "Traceback" not in result.output
    if validate.exit_code == 2:
        assert plan.exit_code == 2, plan.output  # what validate rejects is never planned
    if plan.exit_code == 2:
        assert not out.exists() or not any(out.rglob("*")), sorted(out.rglob("*"))


def plain(value: Any) -> Any:
    """A document of LineDicts and LineLists as plain dicts and lists, for yaml.safe_dump."""
    if isinstance(value, LineDict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, LineList):
        return [plain(v) for v in value]
    return value


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in `doc` that holds a value: mapping keys and list items, depth first."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        out.append(prefix + (key,))
        out.extend(paths(value, prefix + (key,)))
    return out


SAMPLE_FILES = sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*.yaml"))
SAMPLE_DOCS = {rel: plain(load_yaml((SAMPLE / rel).read_text(encoding="utf-8"))) for rel in SAMPLE_FILES}
SAMPLE_PATHS = {rel: paths(doc) for rel, doc in SAMPLE_DOCS.items()}


def mutate_yaml(doc: Any, path: tuple, how: str, token: str) -> str:
    """`doc` as YAML text with one change at `path`."""
    doc = copy.deepcopy(doc)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "replace":
        parent[last] = "@TOKEN@"
    elif how == "delete":
        del parent[last]
    elif how == "unknown field":
        target = parent[last] if isinstance(parent[last], dict) else parent
        if isinstance(target, dict):
            target["colour"] = "red"
        else:
            target.append({"colour": "red"})
    elif how == "broken reference":
        parent[last] = f"{parent[last]}-x" if isinstance(parent[last], str) else "nowhere"
    elif how == "duplicate":
        if isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        else:
            parent[last] = [parent[last], parent[last]]
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1_000_000)
    return text.replace("'@TOKEN@'", token).replace("@TOKEN@", token)


@pytest.mark.slow
@FUZZ
@given(data=st.data(), how=st.sampled_from(_MUTATIONS), token=_token)
def test_the_sample_inventory_mutated_one_field_at_a_time(tmp_path_factory, data, how, token):
    root = tmp_path_factory.mktemp("fuzz")
    inv = root / "inventory"
    shutil.copytree(SAMPLE, inv)
    rel = data.draw(st.sampled_from(SAMPLE_FILES), label="file")
    target = inv / rel
    if how == "truncate":
        raw = target.read_bytes()
        cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
        target.write_bytes(raw[:cut] + data.draw(st.sampled_from([b"", b"\x00", b"\xff\xfe", b"\n  - {id: [", b"\t"]), label="tail"))
    else:
        path = data.draw(st.sampled_from(SAMPLE_PATHS[rel]), label="path")
        target.write_text(mutate_yaml(SAMPLE_DOCS[rel], path, how, token), encoding="utf-8")
    check_cli(inv, root / "out")


# --- tables ------------------------------------------------------------------------------------

TOPOLOGY = {k: v for k, v in copy.deepcopy(BASE).items() if k != "workloads"}
TABLES = {
    "workloads": {"id": ["w1", "w2", "w3", "w4"], "app": ["a1", "a1", "a2", "a3"], "env": ["prod", "dev", "prod", "prod"],
                  "criticality": ["high", None, "low", "medium"], "vcpu": [2, 4, 8, 1], "memory_gb": [4, 8, 16, 2],
                  "storage_gb": [10, None, 100, 5], "cpu_util_p95": [0.5, None, 0.2, 1.0], "mem_util_p95": [0.4, None, None, 0.9],
                  "current_site": ["mad-dc1", "mad-dc1", "az-fra", "az-sao"], "data": [["personal-eu"], [], None, ["personal-br"]],
                  "requires": [None, None, None, None], "pin": [None, None, None, "az-sao"], "allowed_kinds": [None, ["onprem", "azure"], None, None],
                  "anti_affinity": ["g1", "g1", None, None], "migration_cost": [None, 100, None, None],
                  "migration_effort_hours": [None, None, 4, None], "os": ["linux", "windows", None, "linux"]},
    "dependencies": {"workload": ["w1", "w3"], "depends_on": ["w2", "w1"], "max_latency_ms": [50, None], "traffic_gb_month": [10, 1]},
    "users": {"workload": ["w1", "w3"], "zone": ["madrid", "frankfurt"], "max_latency_ms": [80, 40]},
}
_CELLS = ["", "true", "1e308", "1e999", "inf", "nan", "-1", "0", "9" * 5000, "0x1F", "1:30", "010", "\x00", "\x1b[31m::error::x",
          "\r\n::add-mask::x", "a;b;;c", ";", "mad-dc2", "w9", "w1", "\u202e", "x" * 300, "prod", "windows", "onprem;nowhere", '"', "EU"]
_cell = st.one_of(st.sampled_from(_CELLS), st.text(st.characters(exclude_categories=("Cs",)), max_size=8))
# Typed Parquet cells: each kind of value a column can hold, whatever the column should hold.
_typed = st.one_of(st.sampled_from([None, True, 2**62, -(2**62), float("nan"), float("inf"), 1e308, 0.0, -1.5, "", "w9", "\x00x", ["a", "b"], []]),
                   st.text(max_size=6), st.floats(), st.integers())


def write_tables(folder: Path, suffix: str) -> None:
    folder.mkdir(parents=True)
    (folder / "topology.yaml").write_text(yaml.safe_dump(TOPOLOGY, sort_keys=False), encoding="utf-8")
    for kind, rows in TABLES.items():
        write_table(folder / f"{kind}{suffix}", kind, rows)


def mutate_csv(path: Path, data: st.DataObject) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    how = data.draw(st.sampled_from(["cell", "cell", "cell", "header", "drop column", "add column", "extra cell", "truncate", "bytes"]), label="how")
    r = data.draw(st.integers(1, len(rows) - 1), label="row")
    c = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
    if how == "cell":
        rows[r][c] = data.draw(_cell, label="cell")
    elif how == "header":
        rows[0][c] = data.draw(st.sampled_from(["", "vcpus", "ID", " id", rows[0][(c + 1) % len(rows[0])], "colour"]), label="name")
    elif how == "drop column":
        rows = [row[:c] + row[c + 1:] for row in rows]
    elif how == "add column":
        rows = [row + [("colour" if i == 0 else "red")] for i, row in enumerate(rows)]
    elif how == "extra cell":
        rows[r].append("x")
    if how in ("truncate", "bytes"):
        raw = path.read_bytes()
        cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
        tail = data.draw(st.sampled_from([b"", b"\x00", b"\xff\xfe", b'"', b"\r"]), label="tail")
        path.write_bytes(raw[:cut] + tail + (raw[cut:] if how == "bytes" else b""))
        return
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")


def mutate_parquet(path: Path, data: st.DataObject) -> None:
    table = pq.read_table(path)
    how = data.draw(st.sampled_from(["cell", "cell", "cell", "drop column", "add column", "rename", "truncate"]), label="how")
    c = data.draw(st.integers(0, table.num_columns - 1), label="column")
    name = table.column_names[c]
    if how == "truncate":
        raw = path.read_bytes()
        path.write_bytes(raw[: data.draw(st.integers(0, len(raw) - 1), label="cut")])
        return
    if how == "cell":
        values = table.column(c).to_pylist()
        values[data.draw(st.integers(0, len(values) - 1), label="row")] = data.draw(_typed, label="value")
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            array = pa.array([None if v is None else str(v) for v in values])
        table = table.set_column(c, name, array)
    elif how == "drop column":
        table = table.remove_column(c)
    elif how == "add column":
        table = table.append_column("colour", pa.array(["red"] * table.num_rows))
    elif how == "rename":
        table = table.rename_columns([("vcpus" if n == name else n) for n in table.column_names])
    pq.write_table(table, path)


@pytest.mark.slow
@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".csv", ".parquet"]), kind=st.sampled_from(sorted(TABLES)))
def test_small_tables_mutated_one_field_at_a_time(tmp_path_factory, data, suffix, kind):
    root = tmp_path_factory.mktemp("tables")
    inv = root / "inventory"
    write_tables(inv, suffix)
    (mutate_csv if suffix == ".csv" else mutate_parquet)(inv / f"{kind}{suffix}", data)
    check_cli(inv, root / "out")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_unmutated_tables_plan(tmp_path, suffix):
    # The fuzz starts from an estate that plans, so what it finds is the mutation's doing.
    write_tables(tmp_path / "inventory", suffix)
    result = run("plan", tmp_path / "inventory", "--out", tmp_path / "out", "--no-reports", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "plan.json").exists()
