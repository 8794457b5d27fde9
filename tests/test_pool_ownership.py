"""The island pool keeps no process-wide state: each pool's workers are forked with its own state and end with it."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import BASE, SCENARIO, inventory

from planner import Limits, load_inventory, make_plan, use_limits
from planner.base import workers
from planner.base.workers import ForkedWorkers, beside, can_fork
from planner.executor import island_workers

needs_fork = pytest.mark.skipif(not can_fork(), reason="this platform cannot fork")


def _echo(state: dict, task: int) -> tuple[int, str, int]:
    return task, state["name"], os.getpid()


def _nested(state: dict, task: int) -> tuple[int, set[int], int]:
    """In a worker (a daemon): a pool of its own runs here, and a task of an executor may fork no island worker."""
    with ForkedWorkers(state, 2, parallel_from=1) as inner:
        pids = {pid for _, _, pid in inner.imap(_echo, [1, 2, 3, 4])}
    return os.getpid(), pids, island_workers(4)


def _where(state: dict, task: str) -> tuple[str, str, bool]:
    """The task, the state's name and whether it ran in the calling process; a task "die" kills a worker it runs in."""
    here = os.getpid() == state["pid"]
    if task == "die" and not here:
        os.kill(os.getpid(), 9)
    return task, state["name"], here


@needs_fork
def test_beside_runs_the_second_part_in_a_forked_process_and_the_first_here():
    state = {"name": "c", "pid": os.getpid(), "lock": threading.Lock()}
    assert beside(state, _where, "one", "two", 2) == (("one", "c", True), ("two", "c", False))
    assert multiprocessing.active_children() == []


def test_beside_with_one_worker_runs_both_parts_here():
    state = {"name": "d", "pid": os.getpid()}
    assert beside(state, _where, "one", "two", 1) == (("one", "d", True), ("two", "d", True))


@needs_fork
def test_a_part_whose_worker_is_killed_is_computed_here_instead_of_waiting_for_ever():
    state = {"name": "e", "pid": os.getpid()}
    assert beside(state, _where, "one", "die", 2) == (("one", "e", True), ("die", "e", True))


@needs_fork
def test_workers_get_their_pools_state_by_fork_and_answer_in_task_order():
    state = {"name": "a", "lock": threading.Lock()}  # a lock cannot be pickled: only a fork can hand it over
    with ForkedWorkers(state, 2, parallel_from=1) as pool:
        out = list(pool.imap(_echo, list(range(40)), chunksize=1))
        assert pool.forked
    assert [t for t, _, _ in out] == list(range(40))
    assert {name for _, name, _ in out} == {"a"}
    assert os.getpid() not in {pid for _, _, pid in out}
    assert multiprocessing.active_children() == []


def test_one_worker_or_few_tasks_run_here():
    for count, tasks in ((1, 40), (2, 3)):
        with ForkedWorkers({"name": "b"}, count, parallel_from=4) as pool:
            assert list(pool.imap(_echo, list(range(tasks)))) == [(t, "b", os.getpid()) for t in range(tasks)]
            assert not pool.forked


@needs_fork
def test_two_pools_in_two_threads_see_only_their_own_state():
    def run(name: str) -> set[str]:
        with ForkedWorkers({"name": name}, 2, parallel_from=1) as pool:
            return {got for _ in range(3) for _, got, _ in pool.imap(_echo, list(range(30)), chunksize=1)}

    with ThreadPoolExecutor(2) as ex:
        assert list(ex.map(run, ["left", "right"])) == [{"left"}, {"right"}]
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_pool_closed_twice_is_harmless_and_a_worker_forks_nothing():
    pool = ForkedWorkers({"name": "c"}, 2, parallel_from=1)
    (worker, inner, allowed), *_ = list(pool.imap(_nested, [0, 1]))
    assert worker != os.getpid() and inner == {worker}  # a daemon may not fork: the inner pool ran in the worker
    assert allowed == 1
    pool.close()
    pool.close()
    assert not pool.forked and multiprocessing.active_children() == []


def test_a_task_forks_only_the_island_workers_its_scenario_asks_for():
    assert island_workers(None) == 1
    assert island_workers(3) == 3


def _many_islands(tmp_path, seed: int):
    """80 two-workload apps (each an island, through an egress-priced dependency) competing for a small cheap site."""
    rnd = random.Random(seed)
    wls = []
    for a in range(80):
        wls.append({"id": f"a{a}w0", "app": f"app{a}", "env": "prod", "vcpu": rnd.randint(1, 4), "memory_gb": rnd.randint(1, 8),
                    "current_site": rnd.choice(["mad-dc1", "az-fra"])})
        wls.append({"id": f"a{a}w1", "app": f"app{a}", "env": "prod", "vcpu": rnd.randint(1, 4), "memory_gb": rnd.randint(1, 8),
                    "current_site": rnd.choice(["mad-dc1", "az-fra"]), "migration_cost": rnd.choice([0, 50, 300]),
                    "depends_on": [{"workload": f"a{a}w0", "traffic_gb_month": rnd.choice([100, 800, 3000])}]})
    sites = [dict(s) for s in BASE["sites"]]
    sites[0] = {**sites[0], "cost": {"vcpu_month": 4.0, "memory_gb_month": 0.5, "storage_gb_month": 0.1, "egress_gb": 0.05},
                "capacity": {"vcpu": 150}}
    return load_inventory(inventory(tmp_path, wls, name=f"many{seed}.yaml", sites=sites, scenario=SCENARIO))


def _plan_json(inv, threads: int, seen: list[int]) -> str:
    settings = inv.scenario.solver.model_copy(update={"threads": threads})
    with use_limits(Limits(batch_columns=1)):  # one island per batch: enough batches to fork on
        text = make_plan(inv, settings, lambda _line: seen.append(len(multiprocessing.active_children()))).plan.to_json()
    doc = json.loads(text)
    doc["solver"].pop("seconds")
    return json.dumps(doc, sort_keys=True)


def test_two_forking_plans_at_once_match_a_plan_made_without_forking(tmp_path, monkeypatch):
    inv = _many_islands(tmp_path, 1)
    # The reference: the same settings (2 island workers, also HiGHS's thread count) on a platform without fork.
    with monkeypatch.context() as patch:
        patch.setattr(workers, "can_fork", lambda: False)
        unforked: list[int] = []
        serial = _plan_json(inv, 2, unforked)
    assert max(unforked) == 0
    seen: list[int] = []
    with ThreadPoolExecutor(2) as ex:
        together = list(ex.map(lambda _: _plan_json(inv, 2, seen), range(2)))
    assert together == [serial, serial]
    if can_fork() and (os.cpu_count() or 1) >= 2:
        assert max(seen) >= 2  # the island workers were running while the plans were made
    assert multiprocessing.active_children() == []
