"""Hostile plan files, scenario folders, scheduler addresses and tables: each refused by a bound on work, cleanly.

One small plan of tests/fixtures/tiny.yaml is made once; every hostile plan is an edit of it.
"""

from __future__ import annotations

import copy
import json
import os
import socket
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hostile import NotDask, assert_no_live_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.base.errors import PlanFileError
from planner.base.untrusted import markdown
from planner.cli import main
from planner.compare import scenarios
from planner.executor import DaskExecutor, ExecutorError
from planner.plan.document import read_plan

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny.yaml"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("tiny")
    result = run("plan", TINY, "--out", out, "--quiet", "--no-reports")
    assert result.exit_code == 0, result.output
    return json.loads((out / "plan.json").read_text())


def write(tmp_path: Path, doc: object, name: str = "plan.json") -> Path:
    folder = tmp_path / name.replace(".", "-")
    folder.mkdir(exist_ok=True)
    path = folder / "plan.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------- plan files

EDITS = {
    "a 100 kB backend name": (lambda d: d["solver"].update(backend="b" * 100_000), "solver.backend: text of 100,000"),
    "a 100 kB workload id": (lambda d: d["assignments"][0].update(workload="w" * 100_000), "assignments[0].workload"),
    "a cost near 1e308": (lambda d: d["assignments"][0].update(monthly_cost=1.7e308), "out of range"),
    "a negative cost": (lambda d: d["assignments"][0].update(one_time_cost=-1), "out of range"),
    "a wave above int64": (lambda d: d["waves"][0].update(wave=2**70), "waves[0].wave"),
    "an infinite-looking gap": (lambda d: d["solver"].update(gap=1e308), "solver.gap"),
    "a wave ending 9999-12-31": (lambda d: d["waves"][0].update(end="9999-12-31"), "9999-12-31 is outside"),
    "a negative horizon cost": (lambda d: d["totals"].update(horizon_cost=-5e12), "totals.horizon_cost"),
    "a duplicate assignment": (lambda d: d["assignments"].append(dict(d["assignments"][0])), "assigned more than once"),
    "a wave the plan does not list": (lambda d: d["assignments"][0].update(wave=99), "wave 99 is not in the plan's waves"),
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_report_and_export_refuse_the_same_hostile_plans(tmp_path: Path, tiny_plan: dict, what: str) -> None:
    edit, message = EDITS[what]
    doc = copy.deepcopy(tiny_plan)
    edit(doc)
    path = write(tmp_path, doc)
    for command in ("report", "export"):
        result = run(command, path, "--inventory", TINY, "--quiet")
        assert result.exit_code == 2, (command, result.output)
        assert message in result.stderr and "Traceback" not in result.output, (command, result.stderr)
        assert len(result.stderr) < 2000
    assert sorted(p.name for p in path.parent.iterdir()) == ["plan.json"]


def test_duplicate_keys_are_refused_not_last_wins(tmp_path: Path, tiny_plan: dict) -> None:
    text = json.dumps(tiny_plan).replace('"status":', '"status": "infeasible", "status":', 1)
    with pytest.raises(PlanFileError, match="the key 'status' appears twice"):
        read_plan(write(tmp_path, text))


def test_a_plan_file_is_bounded_in_bytes_and_must_be_a_regular_file(tmp_path: Path, monkeypatch) -> None:
    import planner.plan.document as plan_module

    monkeypatch.setattr(plan_module, "MAX_PLAN_BYTES", 100)
    with pytest.raises(PlanFileError, match="PLANNER_MAX_PLAN_BYTES"):
        read_plan(write(tmp_path, {"format": "hybrid-migration-plan/1", "padding": "x" * 200}))
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(PlanFileError, match="named pipe"):
        read_plan(fifo)


NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**80), 2**80),
                    st.sampled_from([1e16, -1.0, 1.7e308, 2**63, -(2**63)]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["totals.horizon_cost", "totals.monthly_run_cost", "assignments.0.monthly_cost",
                        "assignments.0.one_time_cost", "solver.gap", "solver.seconds", "waves.0.wave"]), NUMBERS)
def test_every_number_read_back_is_bounded(tmp_path: Path, tiny_plan: dict, where: str, value: object) -> None:
    doc = copy.deepcopy(tiny_plan)
    *path, key = where.split(".")
    target = doc
    for part in path:
        target = target[int(part)] if part.isdigit() else target[part]
    target[key] = value
    try:
        plan = read_plan(write(tmp_path, json.dumps(doc)), consistent=True)
    except PlanFileError:
        return
    for number in [*plan.totals.values(), *(a.monthly_cost for a in plan.assignments), plan.solver["gap"] or 0]:
        assert abs(number) <= 1e15  # what no sum over a million rows can overflow
    assert min(a.monthly_cost for a in plan.assignments) >= 0 and all(w.number < 2**31 for w in plan.waves)


def test_a_negative_baseline_fails_the_gate_as_bad_input(tmp_path: Path, tiny_plan: dict) -> None:
    doc = copy.deepcopy(tiny_plan)
    doc["totals"]["horizon_cost"] = -5e12
    result = run("check", TINY, "--baseline", write(tmp_path, doc), "--fail-over", "5%")
    assert result.exit_code == 2, result.output
    assert "horizon_cost" in result.output


def test_raw_escapes_in_a_wave_phase_never_reach_the_reports(tmp_path: Path, tiny_plan: dict) -> None:
    doc = copy.deepcopy(tiny_plan)
    for w in doc["waves"]:
        w["phase"] = "pilot\x1b[31m\x07\u009b::error::x"
    path = write(tmp_path, doc)
    result = run("report", path, "--inventory", TINY, "--quiet")
    assert result.exit_code == 0, result.output
    for name in ("roadmap.html", "roadmap.md", "executive.html", "compliance-evidence.csv"):
        text = (path.parent / name).read_text(encoding="utf-8").replace("\r\n", "\n")
        assert "\x1b" not in text and "\x07" not in text and "\u009b" not in text, name
    assert "pilot\\x1b[31m" in (path.parent / "roadmap.html").read_text(encoding="utf-8")


def test_issue_references_in_markdown_are_not_live() -> None:
    assert markdown("see GH-45 and gh-7") == "see GH&#8203;-45 and gh&#8203;-7"
    assert markdown("GHOST-1 and GH-x") == "GHOST-1 and GH-x"


# ----------------------------------------------------------------------------------- scenario folders

def test_a_scenario_folder_reads_only_regular_files_inside_it(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\n")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (folder / "secret.yaml").symlink_to(secret)
    (folder / "root").symlink_to("/")
    os.mkfifo(folder / "pipe.yaml")
    result = run("compare", TINY, "--scenarios", folder, "--out", tmp_path / "out", "--workers", "1")
    assert result.exit_code == 2, result.output
    for name, why in (("zero.yaml", "a link to a file outside the folder"), ("secret.yaml", "a link to a file outside the folder"),
                      ("root", "a link to a folder"), ("pipe.yaml", "a named pipe")):
        assert f"{name}: {why}" in result.stderr, (name, result.stderr)
    assert "wJalrXUtnFEMI" not in result.output and not (tmp_path / "out").exists()


def test_a_scenario_file_larger_than_its_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "big.yaml").write_text("name: big\n" + "# padding\n" * 100)
    monkeypatch.setattr(scenarios, "MAX_SCENARIO_BYTES", 100)
    with pytest.raises(scenarios.ScenarioInputError, match="PLANNER_MAX_SCENARIO_BYTES"):
        scenarios.discover([], [folder])


def test_a_scenario_named_like_a_url_scheme_is_a_relative_link(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "javascript:alert.yaml").write_text("name: js\n")
    result = run("compare", TINY, "--scenarios", folder, "--out", tmp_path / "out", "--workers", "1", "--quiet")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "comparison.html").read_text(encoding="utf-8")
    assert 'href="./javascript:alert/executive.html"' in html and 'href="javascript:' not in html


# ----------------------------------------------------------------------------------- the scheduler handshake

@pytest.mark.parametrize("kind, message", [("http", "sent no Dask handshake"), ("silent", "sent no Dask handshake"),
                                           ("garbage", "not as a Dask scheduler does")])
def test_a_service_that_is_not_dask_ends_the_handshake_within_its_timeout(kind: str, message: str) -> None:
    service = NotDask(kind)
    try:
        with pytest.raises(ExecutorError, match=message):
            DaskExecutor(service.address, timeout=1.0)
    finally:
        service.close()


def test_a_closed_port_and_a_bad_address_are_clean_errors() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        DaskExecutor(f"tcp://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(ExecutorError, match="not a scheduler address"):
        DaskExecutor("tcp://no-port-here\x1b", timeout=1.0)


# ----------------------------------------------------------------------------------- tables

def test_a_parquet_table_of_null_rows_stops_after_the_error_limit(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    text = TINY.read_text()
    (inv / "topology.yaml").write_text(text[: text.index("workloads:")] + text[text.index("scenario:"):])
    n = 300_000
    columns = {c: pa.nulls(n, pa.string()) for c in ("id", "app", "env", "current_site")}
    columns.update({c: pa.nulls(n, pa.float64()) for c in ("vcpu", "memory_gb")})
    pq.write_table(pa.table(columns), inv / "workloads.parquet", row_group_size=65_536)
    result = run("validate", inv)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "reading stopped after 65,536 rows" in result.stderr
    assert result.stderr.count("\n") < 1100
    assert_no_live_commands(result.stderr, "validate")


def test_the_evidence_file_keeps_certification_names_on_one_line(tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load(TINY.read_text())
    cert = "PCI\n::error::x\x1bDSS\u009b"
    doc["sites"][1]["certifications"] = [cert]
    doc["workloads"][0]["requires"] = [cert]
    inv = tmp_path / "inv.yaml"
    inv.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = run("plan", inv, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    evidence = (tmp_path / "out" / "compliance-evidence.csv").read_text(encoding="utf-8")
    assert "PCI\\n::error::x\\x1bDSS\\x9b" in evidence
    assert_no_live_commands(evidence.replace("\r\n", "\n"), "compliance-evidence.csv")
