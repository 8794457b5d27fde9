"""bench/estates.py as tables (write_tables) and its size rule for sites; bench/bench.py's size and gap options.

The planted generator draws through small helpers that take exactly numpy's draws (so estates stay byte for
byte what they were); the first test pins that equivalence, the second pins two estates' bytes."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import bench_module

from planner.cli import main
from planner.inputs.load import load_inventory

estates = bench_module("estates")
brute_force = bench_module("brute_force")
BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_draw_helpers_take_numpys_draws() -> None:
    b = estates._Builder(10, 1, True)
    r = np.random.default_rng(7)
    b.rng = np.random.default_rng(7)
    seq = ["a", "b", "c", "d", "e"]
    for k in range(2000):
        n = k % 5 + 1
        assert b._pick(seq[:n]) == str(r.choice(seq[:n]))
        assert b._uniform(0.05, 0.95) == float(r.uniform(0.05, 0.95))
        w = [0.1, 2.0, 1e-9, 0.7, 3.0][:n]
        p = np.array(w) / np.sum(w)
        assert b._weighted(("w", n), list(range(n)), lambda: w) == int(r.choice(n, p=p))
        # One item without replacement, a permutation by index: the shortcuts derive() and clones() take.
        assert [b._pick(seq[:n])] == [str(c) for c in r.choice(seq[:n], size=1, replace=False)]
        assert [seq[i] for i in b.rng.permutation(len(seq)).tolist()] == r.permutation(seq).tolist()


@pytest.mark.parametrize("workloads, seed, tight, digest", [(200, 7, True, "a01e9da97a773ea7"), (300, 5, False, "9e9fefd87c0739d6"),
                                                             (2000, 3, True, "f16891c4472ebeb9")])
@pytest.mark.slow
def test_yaml_estates_unchanged_byte_for_byte(tmp_path: Path, workloads: int, seed: int, tight: bool, digest: str) -> None:
    path = estates.write_yaml(estates.generate(workloads, seed, tight), tmp_path / "estate.yaml")
    assert hashlib.sha256(path.read_bytes()).hexdigest()[:16] == digest


def same_estate(a, b) -> None:  # noqa: ANN001 - two planner Inventory objects
    for name in ("zones", "latency", "countries", "policies", "sites", "scenario"):
        assert getattr(a, name) == getattr(b, name), name
    wa, wb = list(a.workloads), list(b.workloads)
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        assert x == y


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("workloads, seed, tight", [(1, 1, True), (300, 5, False), (1500, 2, True)])
def test_tables_and_yaml_are_the_same_estate(tmp_path: Path, fmt: str, workloads: int, seed: int, tight: bool) -> None:
    yaml_path = estates.write_yaml(estates.generate(workloads, seed, tight), tmp_path / "estate.yaml")
    paths = estates.write_tables(tmp_path / "tables", workloads, seed, tight, fmt=fmt)
    assert sorted(p.name for p in paths) == sorted(["topology.yaml", f"workloads.{fmt}", f"dependencies.{fmt}", f"users.{fmt}"])
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == sorted(p.name for p in paths)  # no temporary left
    tables = load_inventory(tmp_path / "tables")
    same_estate(load_inventory(yaml_path), tables)
    assert len(tables.workloads) == workloads


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_planted_tables_validate_from_the_command_line(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "estate"
    argv = sys.argv
    sys.argv = ["estates.py", "400", "9", str(out), "--format", fmt]
    try:
        estates.main()
    finally:
        sys.argv = argv
    result = CliRunner().invoke(main, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "400 workloads" in result.output


def test_site_cap_keeps_the_planted_placement_valid_and_capacity_tight() -> None:
    assert estates.sites_for(499_999) == 0 and estates.sites_for(500_000) == estates.sites_for(1_000_000) == 24
    planted = estates.plant(3000, 4, sites=10)
    inv = planted.inventory
    assert len(inv["sites"]) == 10
    assert set(planted.placement.values()) <= {s["id"] for s in inv["sites"]}
    assert brute_force.Rulebook(inv).violations(planted.placement) == []
    # Capacity is set to the planted load plus at most 3% on some resource of some own data centre.
    load: dict[str, list[float]] = {}
    for w in inv["workloads"]:
        for site in {w["current_site"], planted.placement[w["id"]]}:
            row = load.setdefault(site, [0.0, 0.0, 0.0])
            for k, res in enumerate(estates.RESOURCES):
                row[k] += w[res]
    tight = [(s["id"], res) for s in inv["sites"] if s["kind"] == "onprem" and "closes" not in s and s.get("capacity")
             for k, res in enumerate(estates.RESOURCES) if res in s["capacity"] and s["capacity"][res] <= 1.031 * load[s["id"]][k]]
    assert tight


def load_bench():  # noqa: ANN201 - bench/bench.py as a module (bench/ is also a folder name on sys.path)
    spec = importlib.util.spec_from_file_location("bench_script", BENCH / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_script"] = module
    spec.loader.exec_module(module)
    return module


def test_bench_sizes_and_plain_sources(tmp_path: Path) -> None:
    bench = load_bench()
    assert bench.parse_size("1000") == (1000, False)
    assert bench.parse_size("planted:1,000,000") == (1_000_000, True)
    assert bench.size_label(1_000_000, True) == "1,000,000 planted" and bench.size_label(2000, False) == "2,000"
    for bad in ("synth:10", "planted:", "0", "planted:x"):
        with pytest.raises(Exception):
            bench.parse_size(bad)
    assert bench.plain_source("3000") == 3000
    inv = tmp_path / "x.yaml"
    inv.write_text("{}")
    assert bench.plain_source(str(inv)) == str(inv)
    with pytest.raises(Exception):
        bench.plain_source(str(tmp_path / "missing.yaml"))
    assert "gap_asked" in bench.COLUMNS and bench._cell("gap_asked", 0.001) == "0.1000%"
