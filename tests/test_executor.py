"""planner.executor: one map interface, the same results in the same order inline, in local processes and on Dask."""

from __future__ import annotations

import os
import socket

import pytest

from planner.executor import (
    DaskExecutor,
    ExecutorError,
    InlineExecutor,
    LocalExecutor,
    make_executor,
)


def power(shared: int, item: int) -> tuple[int, int]:
    """A task: the shared exponent applied to the item (module level, so workers can import it)."""
    return item, item ** shared


def worker_of(shared: int, item: int) -> tuple[int, int]:
    """A task that says which worker process ran it."""
    return item, os.getpid()


def fails_on_three(shared: object, item: int) -> int:
    if item == 3:
        raise ValueError("three is not allowed")
    return item


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def dask_client():  # noqa: ANN201 - an in-process cluster: workers are threads of this process
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def _run(executor: object, items: list[int]) -> tuple[list, list]:
    seen: list = []
    out = executor.map(power, items, shared=3, done=lambda i, r: seen.append((i, r)))  # type: ignore[attr-defined]
    return out, seen


@pytest.mark.cluster
def test_every_executor_returns_the_results_in_the_order_given(dask_client: object) -> None:
    items = [5, 1, 4, 2, 3, 0]
    expected = [(x, x ** 3) for x in items]
    local = LocalExecutor(2)
    try:
        for executor in (InlineExecutor(), local, DaskExecutor(client=dask_client)):
            out, seen = _run(executor, items)
            assert out == expected
            assert sorted(seen) == list(enumerate(expected))  # done once per item, with its result
    finally:
        local.close()


@pytest.mark.slow
def test_a_local_pool_is_kept_for_the_same_shared_value_and_renewed_for_another() -> None:
    local = LocalExecutor(2)
    try:
        assert local.map(power, [2, 3], shared=2) == [(2, 4), (3, 9)]
        kept = set()
        for _ in range(4):
            kept |= {pid for _, pid in local.map(worker_of, range(8), shared=2)}
        assert len(kept) <= 2 and os.getpid() not in kept  # never more than the pool's two workers: it was kept
        assert local.map(power, [4], shared=3) == [(4, 64)]
        renewed = {pid for _, pid in local.map(worker_of, range(8), shared=3)}
        assert renewed and not renewed & kept  # another shared value: new workers
    finally:
        local.close()


@pytest.mark.slow
@pytest.mark.parametrize("make", [InlineExecutor, lambda: LocalExecutor(2)])
def test_a_failing_task_or_callback_reaches_the_caller(make: object) -> None:
    executor = make()  # type: ignore[operator]
    try:
        with pytest.raises(ValueError, match="three is not allowed"):
            executor.map(fails_on_three, [1, 2, 3, 4])

        def stop(i: int, result: object) -> None:
            raise KeyError("stop")

        with pytest.raises(KeyError):
            executor.map(power, [1, 2, 3], shared=1, done=stop)
        assert executor.map(power, [2], shared=2) == [(2, 4)]  # usable again
    finally:
        executor.close()


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_executor_error() -> None:
    port = free_port()
    with pytest.raises(ExecutorError, match=rf"cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 1 s"):
        DaskExecutor(f"tcp://127.0.0.1:{port}", timeout=1)


def test_make_executor_picks_by_options() -> None:
    assert isinstance(make_executor(1), InlineExecutor)
    assert isinstance(make_executor(3), LocalExecutor) and make_executor(3).workers == 3
    with pytest.raises(ExecutorError, match="cannot reach"):
        DaskExecutor("tcp://127.0.0.1:1", timeout=1)
