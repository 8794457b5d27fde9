"""The board's money: the saving, net present value, payback and cash flow by year, one figure everywhere.

The cash flow is recomputed here day by day (no shared code with planner.plan.money), and the same
saving and horizon end are read back from every output a person or a script sees.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import REPO, inventory, workload

from planner.base import fmt
from planner.cli import main
from planner.domain.model import add_months
from planner.plan.document import read_plan


def run(*args: object, cwd: Path | None = None) -> Result:
    """The command line as a user runs it (in folder `cwd` when given)."""
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(old)


def small_estate(tmp_path: Path, rate: float | None = None, horizon: int = 12) -> Path:
    """Three workloads: one pinned to az-fra (24.50 a month instead of 49.00), one to az-sao, one that stays."""
    scenario = {"start": "2027-01-01", "horizon_months": horizon, "currency": "EUR", "default_migration_cost": 100,
                "waves": {"length_days": 30, "first_wave_max_workloads": 1, "growth_per_wave": 1, "pilot_waves": 0}}
    if rate is not None:
        scenario["discount_rate"] = rate
    return inventory(tmp_path, [workload("a", app="a", pin="az-fra"), workload("b", app="b", pin="az-sao", migration_cost=250),
                                workload("c", app="c", pin="mad-dc1")], scenario=scenario)


def brute_force(plan_path: Path, rate: float, horizon: int, start: dt.date) -> tuple[list[float], float, int | None]:
    """Monthly savings, NPV and payback month, counted day by day from the plan's assignments and waves (no egress here)."""
    plan = json.loads(plan_path.read_text())
    ends = {w["wave"]: dt.date.fromisoformat(w["end"]) for w in plan["waves"]}
    starts = {w["wave"]: dt.date.fromisoformat(w["start"]) for w in plan["waves"]}
    today = {"a": 49.0, "b": 49.0, "c": 49.0}  # 2 vCPU x 20 + 4 GB x 2 + 10 GB x 0.1 on mad-dc1
    savings = []
    for m in range(horizon):
        m0 = add_months(start, m)
        days = calendar.monthrange(m0.year, m0.month)[1]
        stay = plan_cost = 0.0
        for a in plan["assignments"]:
            stay += today[a["workload"]]
            for d in range(days):
                day = m0 + dt.timedelta(days=d)
                landed = a["moves"] and day > ends[a["wave"]]
                plan_cost += (a["monthly_cost"] if landed or not a["moves"] else today[a["workload"]]) / days
            if a["moves"] and m0 <= starts[a["wave"]] < add_months(start, m + 1):
                plan_cost += a["one_time_cost"]
        savings.append(stay - plan_cost)
    npv = sum(s / (1 + rate) ** ((m + 1) / 12) for m, s in enumerate(savings))
    cumulative, payback = 0.0, None
    for m, s in enumerate(savings):
        cumulative += s
        if cumulative >= -0.005:
            payback = payback or m + 1
        else:
            payback = None
    return savings, npv, payback


@pytest.mark.parametrize("rate", [None, 0.0, 0.12])
def test_npv_payback_and_years_match_a_day_by_day_recount(tmp_path: Path, rate: float | None) -> None:
    inv = small_estate(tmp_path, rate)
    assert run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet").exit_code == 0
    plan_path = tmp_path / "o" / "plan.json"
    t = json.loads(plan_path.read_text())["totals"]
    savings, npv, payback = brute_force(plan_path, 0.07 if rate is None else rate, 12, dt.date(2027, 1, 1))
    assert t["saving"] == pytest.approx(sum(savings), abs=0.01)
    assert t["stay_put_cost"] == pytest.approx(12 * 3 * 49.0, abs=0.01)
    assert t["npv"] == pytest.approx(npv, abs=0.01)
    assert t["payback_month"] == payback
    (year,) = t["cash_flow_by_year"]
    assert (year["start"], year["end"], year["months"]) == ("2027-01-01", "2027-12-31", 12)
    assert year["saving"] == pytest.approx(t["saving"], abs=0.01) and year["discounted_saving"] == pytest.approx(t["npv"], abs=0.01)
    assert year["one_time"] == pytest.approx(350.0)


def test_one_move_by_hand(tmp_path: Path) -> None:
    """a moves in wave 1 (Jan 1-30) from 49.00 to 24.50 a month and costs 100 once; it lands on Jan 31."""
    inv = inventory(tmp_path, [workload("a", pin="az-fra")], scenario={
        "start": "2027-01-01", "horizon_months": 12, "currency": "EUR", "default_migration_cost": 100, "discount_rate": 0.07,
        "waves": {"length_days": 30, "pilot_waves": 0}})
    assert run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet").exit_code == 0
    plan = read_plan(tmp_path / "o" / "plan.json")
    assert [(w.start, w.end) for w in plan.waves if w.workloads] == [(dt.date(2027, 1, 1), dt.date(2027, 1, 30))]
    month1 = 24.5 / 31 - 100  # one day on az-fra saves 24.50/31; the move costs 100
    savings = [month1] + [24.5] * 11
    assert plan.totals["saving"] == pytest.approx(round(sum(savings), 2))  # 170.29
    assert plan.totals["npv"] == pytest.approx(round(sum(s / 1.07 ** ((m + 1) / 12) for m, s in enumerate(savings)), 2))
    # cumulative: -99.21, -74.71, -50.21, -25.71, -1.21, +23.29: month 6 (June 2027)
    assert plan.money is not None and plan.money.payback_month == 6


def test_nothing_moves_nothing_to_pay_back(tmp_path: Path) -> None:
    inv = inventory(tmp_path, [workload("a", pin="mad-dc1")])
    result = run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet")
    t = json.loads((tmp_path / "o" / "plan.json").read_text())["totals"]
    assert (t["saving"], t["npv"], t["payback_month"]) == (0.0, 0.0, None)
    assert "nothing to pay back" in result.output


@pytest.mark.parametrize("value", [-0.01, 1.5, "7%"])
def test_discount_rate_must_be_a_sane_fraction(tmp_path: Path, value: object) -> None:
    inv = inventory(tmp_path, [workload("a")], scenario={"start": "2027-01-01", "discount_rate": value})
    result = run("validate", inv)
    assert result.exit_code == 2
    assert "scenario.discount_rate" in result.output


def test_an_overlay_sets_the_discount_rate(tmp_path: Path) -> None:
    inv = small_estate(tmp_path)
    overlay = tmp_path / "rate.yaml"
    overlay.write_text("scenario:\n  discount_rate: 0.2\n", encoding="utf-8")
    assert run("plan", inv, "--scenario", overlay, "--out", tmp_path / "o", "--no-reports", "--quiet").exit_code == 0
    savings, npv, _ = brute_force(tmp_path / "o" / "plan.json", 0.2, 12, dt.date(2027, 1, 1))
    assert json.loads((tmp_path / "o" / "plan.json").read_text())["totals"]["npv"] == pytest.approx(npv, abs=0.01)


def test_verify_recomputes_the_money_totals(tmp_path: Path) -> None:
    inv = small_estate(tmp_path)
    assert run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet").exit_code == 0
    doc = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert run("verify", inv, tmp_path / "o" / "plan.json").exit_code == 0
    for key, value in (("npv", doc["totals"]["npv"] + 1), ("saving", 0.0), ("payback_month", 1)):
        bad = json.loads(json.dumps(doc))
        bad["totals"][key] = value
        (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
        result = run("verify", inv, tmp_path / "bad.json")
        assert result.exit_code == 1 and f"totals.{key}" in result.output


def test_one_saving_and_one_horizon_end_everywhere(tmp_path: Path) -> None:
    """The terminal, plan.json, the executive summary, the comparison and explain state the same figures."""
    inv = small_estate(tmp_path)
    out = tmp_path / "o"
    plan_run = run("plan", inv, "--out", out, "--quiet")
    assert plan_run.exit_code == 0
    t = json.loads((out / "plan.json").read_text())["totals"]
    saving = fmt.saving(t["saving"], t["saving"] / t["stay_put_cost"], "EUR")
    horizon = "2027-01-01 to 2027-12-31 (12 months)"
    assert f"saving {saving} over {horizon}" in plan_run.output
    executive_md = (out / "executive.md").read_text()
    executive_html = (out / "executive.html").read_text()
    for text in (executive_md, executive_html):
        assert f"saving {saving} over {horizon}" in text
        assert "2028-01-01" not in text  # the first day after the horizon is never called its end
    assert fmt.amount(t["npv"], signed=True) in executive_md
    explained = run("explain", "a", "--plan", out / "plan.json", "--inventory", inv)
    assert f"saving {saving} over {horizon}" in explained.output
    as_json = json.loads(run("explain", "a", "--plan", out / "plan.json", "--inventory", inv, "--format", "json").output)
    assert as_json["horizon_end"] == "2027-12-31"
    overlay = tmp_path / "same.yaml"
    overlay.write_text("name: Same\nscenario:\n  discount_rate: 0.07\n", encoding="utf-8")
    compared = run("compare", inv, "--scenario", overlay, "--out", tmp_path / "cmp", "--workers", "1", "--quiet")
    assert compared.exit_code == 0 and saving in compared.output
    base = json.loads((tmp_path / "cmp" / "comparison.json").read_text())["scenarios"][0]
    assert (base["saving"], base["npv"], base["payback_month"]) == (t["saving"], t["npv"], t["payback_month"])
    assert base["horizon_end"] == "2027-12-31"
    assert "2027-01-01 to 2027-12-31 (12 months)" in (tmp_path / "cmp" / "comparison.md").read_text()


def test_closing_messages_name_the_horizons_last_day(tmp_path: Path) -> None:
    inv = inventory(tmp_path, [workload("a", pin="mad-dc1")], sites=[
        {"id": "mad-dc1", "kind": "onprem", "zone": "madrid", "closes": "2027-06-30",
         "cost": {"vcpu_month": 20.0, "memory_gb_month": 2.0, "storage_gb_month": 0.1}}])
    result = run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet")
    assert result.exit_code == 1
    assert "2027-12-31" in result.output and "2028-01-01" not in result.output


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """A working folder holding ./inventory (a copy of the small estate) and its plan in ./reports."""
    folder = tmp_path / "work"
    (folder / "inventory").mkdir(parents=True)
    shutil.copy(small_estate(tmp_path), folder / "inventory" / "estate.yaml")
    assert run("plan", "--quiet", "--out", "reports", cwd=folder).exit_code == 0
    return folder


def test_every_command_reads_the_local_inventory_by_default(here: Path) -> None:
    plan = read_plan(here / "reports" / "plan.json")
    assert {a.workload for a in plan.assignments} == {"a", "b", "c"}  # planned ./inventory, not the sample
    explained = run("explain", "a", "--plan", "reports/plan.json", cwd=here)
    assert explained.exit_code == 0 and "reading ./inventory" in explained.output
    reported = run("report", "reports/plan.json", "--format", "md", cwd=here)
    assert reported.exit_code == 0, reported.output
    exported = run("export", "reports/plan.json", "--format", "csv", cwd=here)
    assert exported.exit_code == 0, exported.output
    assert (here / "reports" / "worklist.csv").is_file()  # beside the plan


def test_without_a_local_inventory_every_command_says_it_reads_the_sample(tmp_path: Path) -> None:
    result = run("explain", "no-such-workload", "--plan", REPO / "reports" / "plan.json", cwd=tmp_path)
    assert "bundled sample estate" in result.output


def test_did_you_mean_never_suggests_the_name_typed(tmp_path: Path) -> None:
    """A workload the plan has but the inventory lacks: the plan came from another inventory, not a typo."""
    inv = small_estate(tmp_path)
    assert run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet").exit_code == 0
    other = inventory(tmp_path, [workload("a", pin="az-fra"), workload("bb")], name="other.yaml")
    result = run("explain", "b", "--plan", tmp_path / "o" / "plan.json", "--inventory", other)
    assert result.exit_code == 2
    assert "did you mean" not in result.output and "--inventory" in result.output


def test_the_sample_work_list_is_ignored_by_git() -> None:
    for name in ("worklist.xlsx", "worklist.csv"):
        assert subprocess.run(["git", "check-ignore", "-q", f"reports/{name}"], cwd=REPO).returncode == 0


def test_egress_as_waves_land_matches_a_recount_per_wave(tmp_path: Path) -> None:
    """Each wave's egress change, computed in one pass over the dependencies, equals re-pricing every dependency after it."""
    import numpy as np

    from planner.domain.costs import egress_columns
    from planner.domain.estate import Estate
    from planner.inputs.load import load_inventory
    from planner.outputs.report.arrays import plan_arrays
    from planner.plan.money import wave_deltas

    dep = {"max_latency_ms": 500, "traffic_gb_month": 1000}
    workloads = [workload("a", app="a", pin="az-fra", depends_on=[{"workload": "b", **dep}, {"workload": "c", **dep}]),
                 workload("b", app="b", pin="az-sao", depends_on=[{"workload": "c", **dep}]),
                 workload("c", app="c", pin="mad-dc1", depends_on=[{"workload": "a", **dep}]),
                 workload("d", app="a", pin="az-fra", depends_on=[{"workload": "b", **dep}])]
    inv = inventory(tmp_path, workloads, scenario={"start": "2027-01-01", "horizon_months": 12, "default_migration_cost": 100,
                                                   "waves": {"length_days": 20, "first_wave_max_workloads": 1,
                                                             "growth_per_wave": 1, "max_workloads": 2, "pilot_waves": 0}})
    assert run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet").exit_code == 0
    estate = Estate.of(load_inventory(inv))
    plan = read_plan(tmp_path / "o" / "plan.json")
    arr = plan_arrays(plan, estate, True)
    site = estate.table.current_site.astype(np.int64).copy()
    before = float(egress_columns(estate, site).sum())
    deltas = wave_deltas(estate, arr, plan.waves)
    assert len({w.number for w in plan.waves if w.workloads}) >= 2  # the moves land in different waves
    assert sum(abs(d.egress) > 0 for d in deltas.values()) >= 2  # and change the egress at each
    for w in sorted(plan.waves, key=lambda w: w.number):
        m = arr.movers(w.number)
        site[m] = arr.site[m]
        after = float(egress_columns(estate, site).sum())
        assert deltas[w.number].egress == pytest.approx(after - before, abs=1e-9)
        assert deltas[w.number].run == pytest.approx(float((arr.monthly[m] - arr.stay[m]).sum()), abs=1e-9)
        before = after


def test_a_plan_written_before_the_money_totals_diffs_without_them(tmp_path: Path) -> None:
    """Against an older plan (no saving, npv...), diff and check compare the totals both state, not the new ones against 0."""
    inv = small_estate(tmp_path)
    assert run("plan", inv, "--out", tmp_path / "o", "--no-reports", "--quiet").exit_code == 0
    doc = json.loads((tmp_path / "o" / "plan.json").read_text())
    for key in ("stay_put_cost", "saving", "npv", "payback_month", "cash_flow_by_year"):
        del doc["totals"][key]
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    old = read_plan(tmp_path / "old.json")
    assert old.money is None and "saving" not in old.totals
    result = run("diff", tmp_path / "old.json", tmp_path / "o" / "plan.json", "--format", "json")
    assert result.exit_code == 0
    assert "horizon_cost" in json.loads(result.output)["totals"] and "saving" not in json.loads(result.output)["totals"]
