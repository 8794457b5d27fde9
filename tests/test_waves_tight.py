"""The wave MILP on small estates with tight capacity (bench/estates.py's planted generator): capacity between waves
enters the model in rounds and answers what the full model answers, and a MILP cut short never publishes a schedule
that realises less than the improved first-fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import bench_module

import planner.schedule.milp as milp_module
import planner.schedule.waves as waves_module
from planner import load_inventory, make_plan, verify_plan
from planner.schedule.heuristic import _first_fit
from planner.schedule.types import ScheduleStatus

estates = bench_module("estates")


def plan_planted(tmp_path: Path, workloads: int, seed: int):  # noqa: ANN201 - a PlanResult
    path = estates.write_yaml(estates.plant(workloads, seed, True).inventory, tmp_path / f"estate-{workloads}-{seed}.yaml")
    return make_plan(load_inventory(path))


@pytest.mark.parametrize("workloads, seed", [(30, 1), (60, 0), pytest.param(30, 3, marks=pytest.mark.slow),
                                             pytest.param(100, 2, marks=pytest.mark.slow)])
def test_capacity_rows_added_in_rounds_answer_what_the_full_model_does(tmp_path: Path, workloads: int, seed: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rounds: list[int] = []
    overfilled = milp_module._overfilled
    monkeypatch.setattr(milp_module, "_overfilled", lambda room, pairs: rounds.append(1) or overfilled(room, pairs))
    by_rounds = plan_planted(tmp_path, workloads, seed)
    assert len(rounds) >= 2  # a round without some site's rows overfilled it: the rounds were needed
    build = milp_module._build
    with monkeypatch.context() as mp:
        mp.setattr(milp_module, "_build", lambda *args: build(*args[:5], None))  # every pair's rows from the start
        full = plan_planted(tmp_path, workloads, seed)
    a, b = by_rounds.schedule, full.schedule
    assert a.status is b.status is ScheduleStatus.OPTIMAL
    assert verify_plan(by_rounds.estate, by_rounds.plan) == []
    # both proven within the scenario's gap on the same objective (savings and small tie-breakers)
    assert a.realised_savings == pytest.approx(b.realised_savings, rel=1e-3, abs=20.0)


@pytest.mark.parametrize("answer", ["poor", "none"])
def test_a_milp_cut_short_never_publishes_less_than_the_improved_first_fit(tmp_path: Path, answer: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    poor: list[float] = []

    def cut_short(estate, settings, units, edges, pairs, warm, room):  # noqa: ANN001, ANN202 - _milp's signature
        if answer == "none":
            return None, None
        waves, _ = _first_fit(estate, units, edges, room)  # a clean schedule, as an incumbent the node limit stopped at
        poor.append(waves_module._value(estate, units, waves))
        return waves, ScheduleStatus.FEASIBLE

    monkeypatch.setattr(waves_module, "_milp", cut_short)
    result = plan_planted(tmp_path, 300, 22)
    schedule = result.schedule
    assert schedule.status is ScheduleStatus.HEURISTIC
    assert verify_plan(result.estate, result.plan) == []
    if poor:
        assert schedule.realised_savings > poor[0] + 1.0
    assert schedule.realised_savings <= schedule.upper_bound
