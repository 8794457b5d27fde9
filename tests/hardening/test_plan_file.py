"""A plan file is untrusted input: read_plan is strict, and every command reading one exits 2 with the file and field."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner
from helpers import inventory, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import (
    Estate,
    diff_plans,
    load_inventory,
    make_plan,
    read_plan,
    verify_plan,
)
from planner.base.errors import PlanFileError
from planner.cli import main


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """A small inventory, its estate and its plan.json document."""
    root = tmp_path_factory.mktemp("plans")
    inv_path = inventory(root, [workload("a", data=["personal-eu"]), workload("b", app="app2"), workload("c", app="app2")])
    inv = load_inventory(inv_path)
    estate = Estate.of(inv)
    doc = json.loads(make_plan(inv, estate=estate).plan.to_json())
    return inv_path, estate, doc


def broken(doc: dict, change) -> dict:  # noqa: ANN001
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


CASES = {
    "status weird": (lambda d: d.update(status="weird"), "status: 'weird' is not a plan status"),
    "totals {}": (lambda d: d.update(totals={}), "totals.horizon_cost: field is missing"),
    "NaN cost": (lambda d: d["assignments"][0].update(monthly_cost=float("nan")), "monthly_cost: NaN is not a finite number"),
    "Infinity total": (lambda d: d["totals"].update(one_time_cost=float("inf")), "totals.one_time_cost: Infinity is not a finite number"),
    "moves as text": (lambda d: d["assignments"][1].update(moves="no"), "moves: expected true or false"),
    "wave as true": (lambda d: d["assignments"][1].update(wave=True), "wave: expected a whole number"),
    "bad date": (lambda d: d["waves"][0].update(start="01/02/2027"), "waves[0].start: expected a date YYYY-MM-DD"),
    "no assignments": (lambda d: d.pop("assignments"), "assignments: field is missing"),
    "problems not a list": (lambda d: d.update(problems={}), "problems: expected a list"),
    "solver a list": (lambda d: d.update(solver=[]), "solver: expected an object"),
    "gap NaN": (lambda d: d["solver"].update(gap=float("nan")), "solver.gap: NaN is not a finite number"),
    "workload a number": (lambda d: d["assignments"][0].update(workload=7), "assignments[0].workload: expected text"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_read_plan_names_the_field(planned, tmp_path, case):
    _, _, doc = planned
    change, message = CASES[case]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(broken(doc, change)), encoding="utf-8")  # json.dumps writes NaN/Infinity as JS does
    with pytest.raises(PlanFileError) as err:
        read_plan(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value), str(err.value)


def test_a_deep_document_is_a_plan_file_error_not_a_recursion_error(planned, tmp_path):
    _, _, doc = planned
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps(doc)[:-1] + ', "extension": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    for path in (deep, nested):
        with pytest.raises(PlanFileError, match="nested too deeply"):
            read_plan(path)


@pytest.mark.parametrize("case", ["status weird", "totals {}", "NaN cost"])
def test_every_command_reading_a_plan_exits_2(planned, tmp_path, case):
    inv, _, doc = planned
    change, message = CASES[case]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken(doc, change)), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc), encoding="utf-8")
    for args in (("verify", inv, bad), ("diff", good, bad), ("diff", bad, good), ("explain", "a", "--inventory", inv, "--plan", bad),
                 ("report", bad, "--inventory", inv, "--out", tmp_path / "out")):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and message in result.stderr and str(bad) in result.stderr, (args, result.stderr)
    assert not (tmp_path / "out").exists()


def test_check_with_a_baseline_whose_totals_are_empty(planned, tmp_path):
    inv, _, doc = planned
    bad = tmp_path / "baseline.json"
    bad.write_text(json.dumps(broken(doc, lambda d: d.update(totals={}))), encoding="utf-8")
    result = run("check", inv, "--baseline", bad, "--quiet", "--format", "json")
    assert result.exit_code == 2 and "KeyError" not in result.output
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["rule"] == "baseline" and "totals.horizon_cost: field is missing" in finding["message"]


def test_a_plan_with_unknown_keys_still_reads(planned, tmp_path):
    _, _, doc = planned
    newer = broken(doc, lambda d: (d.update(extension={"a": [1]}), d["solver"].update(rounds=3, trace=[[1]])))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(newer), encoding="utf-8")
    plan = read_plan(path)
    assert plan.solver["rounds"] == 3 and "trace" not in plan.solver


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=6)


def _paths(node, prefix=()):  # noqa: ANN001
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_plan_is_read_or_refused_and_what_is_read_never_crashes_verify_or_diff(planned, tmp_path, data):
    """Replace one value anywhere in a real plan by any JSON value: read_plan returns a plan or a PlanFileError, nothing else."""
    _, estate, doc = planned
    paths = [p for p in _paths(doc) if p]
    where = data.draw(st.sampled_from(paths))
    damaged = copy.deepcopy(doc)
    parent = damaged
    for key in where[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        parent.pop(where[-1])
    else:
        parent[where[-1]] = data.draw(json_values)
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(damaged), encoding="utf-8")
    try:
        plan = read_plan(path)
    except PlanFileError as exc:
        assert str(exc).startswith(str(path))
        return
    verify_plan(estate, plan)
    diff_plans(plan, plan, estate)
