"""One small interface for running independent tasks: local worker processes or a Dask distributed cluster.

`Executor.map(fn, items, shared=..., done=...)` calls `fn(shared, item)` for every item and
returns the results in the order of `items`, whatever order they finish in, so the output does
not depend on where or when each task ran. `shared` (e.g. an inventory's bytes) is sent once
per worker, not once per task; `done(index, result)` is called in the caller's process as each
task finishes (for progress); if it raises, the tasks not yet finished are stopped and the
exception goes on to the caller. `fn` must be a module-level function (pickled by reference).

- :class:`InlineExecutor`: one task after another in this process (`--workers 1`).
- :class:`LocalExecutor`: N worker processes started by `forkserver` (`spawn` where there is
  none): never `fork` from a process that may already run threads (Dask's, the solver's).
  The workers are not daemons, so a task may start processes of its own.
- :class:`DaskExecutor`: a `dask.distributed.Client` on a scheduler address; `shared` is
  scattered to every worker once. An unreachable scheduler is an :class:`ExecutorError`
  within :data:`CONNECT_TIMEOUT_S` seconds.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, Protocol, Sequence

CONNECT_TIMEOUT_S = 10.0

Task = Callable[[Any, Any], Any]
Done = Optional[Callable[[int, Any], None]]


class ExecutorError(Exception):
    """The executor cannot run tasks (an unreachable scheduler, a worker that died); one line for people."""


class Executor(Protocol):
    """Runs `fn(shared, item)` for every item; results in the order of `items`."""

    workers: int
    description: str

    def map(self, fn: Task, items: Sequence[Any], shared: Any = None, done: Done = None) -> list[Any]: ...

    def close(self) -> None: ...


class InlineExecutor:
    """Every task in this process, one after another."""

    def __init__(self) -> None:
        self.workers = 1
        self.description = "1 local process"

    def map(self, fn: Task, items: Sequence[Any], shared: Any = None, done: Done = None) -> list[Any]:
        out = []
        for i, item in enumerate(items):
            out.append(fn(shared, item))
            if done:
                done(i, out[-1])
        return out

    def close(self) -> None:
        pass


_SHARED: dict[str, Any] = {}


def _init_worker(shared: Any) -> None:
    _SHARED["value"] = shared


def _call(fn: Task, item: Any) -> Any:
    return fn(_SHARED.get("value"), item)


class LocalExecutor:
    """`workers` processes on this machine, kept for every map with the same shared value (it reaches each once)."""

    def __init__(self, workers: int, preload: Sequence[str] = ()):
        self.workers = max(1, workers)
        self.description = f"{self.workers} local worker processes"
        self.preload = list(preload)  # modules the fork server imports once, so each worker starts with them
        self._pool: Optional[ProcessPoolExecutor] = None
        self._shared: Any = None

    def _pool_for(self, shared: Any, tasks: int) -> ProcessPoolExecutor:
        if self._pool is not None and self._shared is shared:
            return self._pool
        self.close()
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods and self.preload:
            context.set_forkserver_preload(self.preload)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker, initargs=(shared,))
        self._shared = shared
        return self._pool

    def map(self, fn: Task, items: Sequence[Any], shared: Any = None, done: Done = None) -> list[Any]:
        if not items:
            return []
        pool = self._pool_for(shared, len(items))
        results: list[Any] = [None] * len(items)
        futures: dict[Future, int] = {pool.submit(_call, fn, item): i for i, item in enumerate(items)}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=lambda f: futures[f]):
                    results[futures[fut]] = _result(fut)
                    if done:
                        done(futures[fut], results[futures[fut]])
        except BaseException:
            self._stop()
            raise
        return results

    def _stop(self) -> None:
        """End the workers now, tasks running or not (after an error, or Ctrl-C)."""
        if self._pool is None:
            return
        processes = list(getattr(self._pool, "_processes", {}).values())  # the pool has no public terminate
        self._pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.join(5)
        self._pool = None
        self._shared = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._shared = None


def _result(fut: Future) -> Any:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return fut.result()
    except BrokenProcessPool as exc:
        raise ExecutorError(f"a worker process died ({exc}); the machine may be out of memory") from None


@contextmanager
def _quiet_distributed() -> Iterator[None]:
    """Dask's own connection retries and warnings off: the command says what went wrong in one line."""
    names = ("distributed", "distributed.client", "distributed.comm", "distributed.core", "distributed.utils", "tornado")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


class DaskExecutor:
    """Tasks on a Dask distributed cluster (`tcp://HOST:PORT`), or on a given `distributed.Client`."""

    def __init__(self, address: Optional[str] = None, client: Any = None, timeout: float = CONNECT_TIMEOUT_S):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ExecutorError(f"--scheduler needs dask.distributed ({exc}); pip install 'dask[distributed]'") from None
        self._own = client is None
        if client is None:
            if not address:
                raise ExecutorError("no scheduler address given; expected tcp://HOST:PORT")
            with _quiet_distributed():
                try:
                    client = Client(address, timeout=timeout, set_as_default=False)
                except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address, ...
                    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    raise ExecutorError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({reason}); "
                                        f"is `dask scheduler` running there and the port open?") from None
        self.client = client
        n = len(client.scheduler_info().get("workers", {}))
        self.workers = max(1, n)
        self.description = f"Dask cluster {client.scheduler.address} ({n} worker{'s' if n != 1 else ''})"

    def map(self, fn: Task, items: Sequence[Any], shared: Any = None, done: Done = None) -> list[Any]:
        from distributed import as_completed

        if not items:
            return []
        if not self.client.scheduler_info().get("workers"):
            raise ExecutorError(f"the Dask scheduler at {self.client.scheduler.address} has no workers; start `dask worker` processes")
        token = os.urandom(6).hex()
        held = self.client.scatter([shared], broadcast=True, hash=False)[0] if shared is not None else None
        futures = [self.client.submit(fn, held, item, key=f"planner-{token}-{i}", pure=False, retries=0)
                   for i, item in enumerate(items)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(items)
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                i = index[fut.key]
                results[i] = fut.result()
                if done:
                    done(i, results[i])
        finally:
            self.client.cancel(futures + ([held] if held is not None else []))
        return results

    def close(self) -> None:
        if self._own:
            with _quiet_distributed():
                self.client.close()


def make_executor(workers: Optional[int] = None, scheduler: Optional[str] = None, preload: Sequence[str] = ()) -> Executor:
    """A Dask executor when `scheduler` is given, else `workers` local processes (default: the machine's cores).

    `preload`: modules local workers import before their first task (the tasks' own module, say).
    """
    if scheduler:
        return DaskExecutor(scheduler)
    n = workers if workers is not None else (os.cpu_count() or 1)
    return InlineExecutor() if n <= 1 else LocalExecutor(n, preload)


__all__ = ["CONNECT_TIMEOUT_S", "DaskExecutor", "Executor", "ExecutorError", "InlineExecutor", "LocalExecutor", "make_executor"]
