"""planner compare: scenarios planned beside the base, their folders, the comparison documents, exit codes and bad input.

comparison.md of the three-scenario fixture is a golden file, tests/golden/compare/comparison.md; after a
deliberate change, regenerate it with `PLANNER_REGEN_GOLDEN=1 python -m pytest tests/test_compare.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import CHEAP_FRA, CLOSE_MAD, compare_estate, scenario_folder

from planner.cli import main
from planner.compare import COMPARISON_FORMAT, compare, discover
from planner.compare.render import comparison_files
from planner.executor import DaskExecutor, InlineExecutor
from planner.rerun import comparable_files

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "compare"
REGEN = bool(os.environ.get("PLANNER_REGEN_GOLDEN"))

IMPOSSIBLE = """name: Keep the CRM database in Madrid, yet close it
sites:
  - {id: mad-dc1, closes: 2027-06-30}
workloads:
  - {id: crm-db, pin: mad-dc1}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, object]:
    """One comparison of three scenarios (one with no plan) through the command line."""
    tmp = tmp_path_factory.mktemp("compare")
    inv = compare_estate(tmp)
    folder = scenario_folder(tmp, **{"close-mad": CLOSE_MAD, "cheap-fra": CHEAP_FRA, "impossible": IMPOSSIBLE})
    out = tmp / "out"
    result = CliRunner().invoke(main, ["compare", str(inv), "--scenarios", str(folder), "--out", str(out), "--workers", "1"])
    return inv, folder, out, result


@pytest.mark.slow
def test_every_scenario_gets_a_folder_and_the_comparison_documents(run: tuple) -> None:
    _, _, out, result = run
    assert result.exit_code == 1, result.output  # one scenario has no plan
    assert sorted(p.name for p in out.iterdir()) == ["base", "cheap-fra", "close-mad", "comparison.html", "comparison.json",
                                                      "comparison.md", "impossible"]
    reports = [f"{r}.{e}" for r in ("executive", "roadmap", "compliance") for e in ("html", "md")]
    for ident in ("base", "cheap-fra", "close-mad", "impossible"):
        names = sorted(p.name for p in (out / ident).iterdir())
        assert set(names) - {"compliance-evidence.csv"} == {"plan.json", *reports}  # the evidence comes with a placed plan
        assert ("compliance-evidence.csv" in names) == (ident != "impossible")
    assert "4 options compared, 3 with a plan; cheapest legal option: cheap-fra" in result.output


@pytest.mark.slow
def test_comparison_json_holds_each_scenario_against_the_base(run: tuple) -> None:
    _, _, out, _ = run
    doc = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert doc["format"] == COMPARISON_FORMAT == "hybrid-migration-comparison/1"
    by = {s["id"]: s for s in doc["scenarios"]}
    assert [s["id"] for s in doc["scenarios"]] == ["base", "cheap-fra", "close-mad", "impossible"]
    base, cheap, close, bad = by["base"], by["cheap-fra"], by["close-mad"], by["impossible"]
    for s in (base, cheap, close):
        plan = json.loads((out / s["id"] / "plan.json").read_text(encoding="utf-8"))
        assert s["status"] == plan["status"] and s["horizon_cost"] == plan["totals"]["horizon_cost"]
        assert s["one_time_cost"] == plan["totals"]["one_time_cost"] and s["inventory_sha256"] == plan["inventory_sha256"]
        assert s["workloads_moving"] == sum(a["moves"] for a in plan["assignments"])
        assert s["compliance"]["compliant"] and s["problems"] == []
        assert len(s["cumulative_savings"]) == 12 and sum(s["by_kind"].values()) == 4
        assert (s["saving"], s["npv"], s["payback_month"]) == (plan["totals"]["saving"], plan["totals"]["npv"],
                                                                plan["totals"]["payback_month"])  # the cash view, as the reports'
        assert s["stay_put_cost"] == plan["totals"]["stay_put_cost"]
    assert cheap["name"] == "A cheaper Frankfurt contract" and doc["cheapest"] == "cheap-fra"
    assert cheap["against_base"]["horizon_cost"] == round(cheap["horizon_cost"] - base["horizon_cost"], 2) < 0
    assert base["against_base"]["horizon_cost"] == 0.0
    assert close["by_kind"]["onprem"] == 0  # nothing stays in the closing Madrid data centre
    assert bad["has_plan"] is False and bad["horizon_cost"] is None and bad["against_base"]["horizon_cost"] is None
    assert bad["problems"] and any("crm-db" in p["workloads"] for p in bad["problems"])


@pytest.mark.slow
def test_what_differs_is_told_in_the_words_of_the_rules(run: tuple) -> None:
    _, _, out, _ = run
    close = next(s for s in json.loads((out / "comparison.json").read_text())["scenarios"] if s["id"] == "close-mad")
    diff = close["differences"]
    flows = {(f["base_site"], f["site"], f["rule"]) for f in diff["flows"]}
    assert diff["compared"] and diff["workloads_elsewhere"] == sum(f["workloads"] for f in diff["flows"]) > 0
    assert all(base == "mad-dc1" for base, _, _ in flows if base == "mad-dc1")
    closing = [f for f in diff["flows"] if f["rule"] == "site-closing"]
    assert closing and "mad-dc1 now breaks site-closing" in closing[0]["example"]
    md = (out / "comparison.md").read_text(encoding="utf-8")
    assert "**site-closing**: " in md and "What differs from the base" in md


@pytest.mark.slow
def test_comparison_md_is_its_golden_file(run: tuple) -> None:
    _, _, out, _ = run
    text = (out / "comparison.md").read_text(encoding="utf-8")
    path = GOLDEN / "comparison.md"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file {path}; run with PLANNER_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), "comparison.md differs from its golden file; if deliberate, regenerate (see module doc)"


@pytest.mark.slow
def test_the_pages_put_the_options_first_then_charts_then_differences(run: tuple) -> None:
    _, _, out, _ = run
    html = (out / "comparison.html").read_text(encoding="utf-8")
    order = [html.index(s) for s in ("<h2>The options</h2>", 'aria-labelledby="cmp-horizon-title"', 'aria-labelledby="cmp-savings-title"',
                                     'aria-labelledby="cmp-placement-title"', "<h2>What differs from the base</h2>")]
    assert order == sorted(order)
    assert 'class="best"' in html and '<a href="cheap-fra/executive.html">' in html
    assert "No plan." in html and "crm-db" in html  # the infeasible option says why, in inventory terms
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.slow
def test_a_scenario_folder_is_what_planner_plan_writes_for_the_merged_inventory(run: tuple, tmp_path: Path) -> None:
    inv, folder, out, _ = run
    result = CliRunner().invoke(main, ["plan", str(inv), "--scenario", str(folder / "close-mad.yaml"), "--out", str(tmp_path / "p"),
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    assert comparable_files(tmp_path / "p") == comparable_files(out / "close-mad")


@pytest.mark.cluster
@pytest.mark.slow
def test_the_same_inputs_give_the_same_bytes_inline_and_on_dask(run: tuple) -> None:
    distributed = pytest.importorskip("distributed")
    inv, folder, out, _ = run
    specs = discover([], [folder])
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    client = distributed.Client(cluster, set_as_default=False)
    try:
        on_dask = compare(inv, specs, DaskExecutor(client=client))
    finally:
        client.close()
        cluster.close()
    inline = compare(inv, specs, InlineExecutor())
    assert comparison_files(on_dask.comparison) == comparison_files(inline.comparison)
    assert {k: v for k, v in comparison_files(inline.comparison).items()} == {n: (out / n).read_bytes() for n in comparison_files(inline.comparison)}
    for ident, files in inline.folders.items():
        assert {n: b for n, b in files.items() if n != "plan.json"} == {n: b for n, b in on_dask.folders[ident].items() if n != "plan.json"}


@pytest.mark.slow
def test_local_processes_report_progress_with_an_eta(tmp_path: Path) -> None:
    inv = compare_estate(tmp_path)
    folder = scenario_folder(tmp_path, **{"cheap-fra": CHEAP_FRA})
    result = CliRunner().invoke(main, ["compare", str(inv), "--scenario", str(folder / "cheap-fra.yaml"),
                                                       "--out", str(tmp_path / "out"), "--workers", "2"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "planning 2 scenario(s) on 2 local worker processes" in result.stderr
    assert re.search(r"1/2 scenarios planned \((base|cheap-fra): optimal\); about \d+s left", result.stderr)
    assert "2/2 scenarios planned" in result.stderr


@pytest.mark.parametrize("text, where", [
    ("sites:\n  - {id: mad-dc1, closes: someday}\n", ":2: sites[mad-dc1].closes: "),
    ("remove: {workloads: [fax-gw-01]}\n", ":1: remove.workloads[fax-gw-01]: no workload 'fax-gw-01' in the base inventory"),
    ("workloads:\n  - {id: batch, current_site: lon-dc9}\n", ":2: workloads[batch].current_site: unknown site 'lon-dc9'"),
    ("workloads:\n  - {id: batch, colour: red}\n", ":2: workloads[batch].colour: unknown field"),
    ("sites: [\n", ":2: not valid YAML"),
    ("remove: {sites: [az-sao]}\n", ":1: remove.sites[az-sao]: removing site 'az-sao' breaks 1 reference(s)"),
])
@pytest.mark.slow
def test_a_bad_overlay_exits_2_naming_its_file_line_and_field_and_writes_nothing(tmp_path: Path, text: str, where: str) -> None:
    inv = compare_estate(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(inv), "--scenario", str(bad), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 2, result.output + result.stderr
    assert f"error: {bad}{where}" in result.stderr, result.stderr
    assert "nothing was planned or written" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_scenario_ids_must_be_distinct_plain_and_not_reserved(tmp_path: Path) -> None:
    inv = compare_estate(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for path in (tmp_path / "a" / "x.yaml", tmp_path / "b" / "x.yml", tmp_path / "base.yaml", tmp_path / "with space.yaml"):
        path.write_text("name: n\n", encoding="utf-8")
    args = ["compare", str(inv), "--out", str(tmp_path / "out"), "--workers", "1"]
    for extra, message in ((["--scenario", str(tmp_path / "a" / "x.yaml"), "--scenario", str(tmp_path / "b" / "x.yml")], "a second scenario 'x'"),
                           (["--scenario", str(tmp_path / "base.yaml")], "the scenario id 'base' is reserved"),
                           (["--scenario", str(tmp_path / "with space.yaml")], "must be letters, digits"),
                           (["--scenarios", str(tmp_path / "nowhere")], "not a folder of scenario files")):
        result = CliRunner().invoke(main, args + extra)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inv = compare_estate(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "planner", "compare", str(inv), "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env())
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 10 s"), proc.stderr
    assert not out.exists()


@pytest.mark.slow
def test_hostile_scenario_names_stay_text(tmp_path: Path) -> None:
    inv = compare_estate(tmp_path)
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text('name: "<script>alert(1)</script> @board ::error::boom ##[group]x"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(inv), "--scenario", str(hostile), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    html = (out / "comparison.html").read_text(encoding="utf-8")
    md = (out / "comparison.md").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "@board" not in md and "@&#8203;board" in md and "##[group]" not in md
    assert json.loads((out / "comparison.json").read_text())["scenarios"][1]["name"].startswith("<script>")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env
