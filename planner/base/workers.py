"""Worker processes forked from this one, for work that reads a large state in place.

`ForkedWorkers(state, workers)` runs `fn(state, task)` for every task and yields the results in the
order of the tasks. The workers are forked, never spawned: `state` (a model of hundreds of MB, say)
reaches them through their initializer by inheritance, read copy-on-write and never pickled. Arrays
of `state` that live in shared memory (an anonymous `mmap`) are seen by both sides after the fork,
so the caller may change inputs between maps and read what the workers wrote.

Each pool's state is its own object, handed to its own workers: two pools open in two threads of one
process never see each other's. The one module-level value is what a *worker* process holds once
its initializer ran. Where forking is not worth it or not possible (one worker, fewer tasks than
`parallel_from`, no `fork` on the platform, a daemon process such as a Dask worker), `fn(state, task)`
runs in this process, in order.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.pool import Pool
from types import TracebackType
from typing import Any, Callable, Iterator, Optional, Sequence

__all__ = ["ForkedWorkers", "beside", "can_fork", "default_workers"]

# Set in a worker process only, by its initializer: that process's copy of its pool's state.
_WORKER: dict[str, Any] = {}


def _start(state: Any) -> None:
    _WORKER["state"] = state


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_WORKER["state"], task)


def can_fork() -> bool:
    """Whether this process may fork workers: the platform has `fork` and this is no daemon (which may not have children)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def default_workers(threads: Optional[int]) -> int:
    """Worker processes for work that can run side by side: the machine's cores, or `threads` when the scenario caps them."""
    cores = os.cpu_count() or 1
    return min(cores, threads) if threads else cores


def beside(state: Any, fn: Callable[[Any, Any], Any], here: Any, there: Any, workers: int) -> tuple[Any, Any]:
    """`(fn(state, here), fn(state, there))`, the second in one forked process while this one computes the first when
    `workers` allows two and this process may fork; otherwise one after the other, here. `fn` must leave `state` as it
    found it for what it computes (each call starts from the same state either way), and be a module-level function."""
    if workers < 2 or not can_fork():
        return fn(state, here), fn(state, there)
    # concurrent.futures, not multiprocessing.Pool: a worker killed from outside (the kernel's out-of-memory killer)
    # breaks the executor, where a Pool would wait for its answer for ever; the part is then computed here.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_start, initargs=(state,)) as pool:
        pending = pool.submit(_call, fn, there)
        first = fn(state, here)
        try:
            second = pending.result()
        except BrokenProcessPool:
            second = fn(state, there)
    return first, second


class ForkedWorkers:
    """Up to `workers` forked processes sharing `state`; `imap` keeps the tasks' order. Close it (or use `with`)."""

    def __init__(self, state: Any, workers: int, parallel_from: int = 2):
        self.state = state
        self.workers = max(1, int(workers))
        self.parallel_from = max(1, int(parallel_from))  # fewer tasks than this run here: forking would cost more
        self._pool: Optional[Pool] = None

    def imap(self, fn: Callable[[Any, Any], Any], tasks: Sequence[Any], chunksize: Optional[int] = None) -> Iterator[Any]:
        """`fn(state, task)` for each task, results in the tasks' order; `fn` must be a module-level function.

        The workers are forked at the first map that uses them and kept until `close`, so later maps reuse them."""
        if self.workers < 2 or len(tasks) < self.parallel_from or not can_fork():
            return (fn(self.state, task) for task in tasks)
        if self._pool is None:
            self._pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_start, initargs=(self.state,))
        size = chunksize if chunksize else max(1, len(tasks) // (16 * self.workers))
        return self._pool.imap(functools.partial(_call, fn), tasks, chunksize=size)

    @property
    def forked(self) -> bool:
        """Whether worker processes are running for this pool now."""
        return self._pool is not None

    def close(self) -> None:
        """End the workers, tasks running or not, and wait for them; closing again does nothing."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
            pool.join()

    def __enter__(self) -> "ForkedWorkers":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()
