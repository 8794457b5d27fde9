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
  scattered to every worker once. An unreachable scheduler, or a service on that port that is not
  one (a web server, a listener that never answers), is an :class:`ExecutorError` within
  :data:`CONNECT_TIMEOUT_S` seconds: the whole handshake shares that one deadline.

A task may itself fork *island workers* (:class:`planner.base.workers.ForkedWorkers`, the plan's
island pool), which read the core model copy-on-write instead of having it pickled;
:func:`island_workers` is how many one task may fork, and the task asks it before planning. The
tasks of an executor already fill the machine (or run on a Dask worker, a daemon that may not fork),
so a task forks none unless its scenario sets `solver.threads`. The pool is opened and closed inside
the task's own plan, so no worker outlives it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, Protocol, Sequence

from planner.base.errors import PlannerError
from planner.base.untrusted import one_line

CONNECT_TIMEOUT_S = 10.0

Task = Callable[[Any, Any], Any]
Done = Optional[Callable[[int, Any], None]]


class ExecutorError(PlannerError):
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


def _unreachable(address: str, timeout: float, reason: str) -> ExecutorError:
    return ExecutorError(f"cannot reach the Dask scheduler at {one_line(address)} within {timeout:g} s ({one_line(reason)}); "
                         f"is `dask scheduler` running there and the port open?")


def _probe(address: str, deadline: float, timeout: float) -> None:
    """Check, within the deadline, that a TCP address answers as a Dask scheduler does: its handshake comes first.

    A Dask scheduler writes a small framed handshake (naming `python` and `compression`) as soon as a peer connects;
    a web server, a database or a listener that never answers does not, and then Dask's own client could wait for
    ever, so it is never started.
    """
    rest = address.split("://", 1)[1] if "://" in address else address
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ExecutorError(f"{one_line(address)} is not a scheduler address; expected tcp://HOST:PORT")
    try:
        with socket.create_connection((host, int(port)), timeout=max(0.1, deadline - time.monotonic())) as sock:
            data = b""
            while not _handshake_read(data):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                sock.settimeout(left)
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except socket.timeout:
        raise ExecutorError(f"{one_line(address)} accepted a connection but sent no Dask handshake within {timeout:g} s; "
                            "is it a Dask scheduler (`dask scheduler`), and not another service on that port?") from None
    except OSError as exc:
        raise _unreachable(address, timeout, exc.strerror or str(exc)) from None
    size = int.from_bytes(data[:8], "little") if len(data) >= 8 else 0
    if not 0 < size <= 1 << 20 or b"python" not in data:
        raise ExecutorError(f"{one_line(address)} answered, but not as a Dask scheduler does; is another service on that port?")


def _handshake_read(data: bytes) -> bool:
    """Whether enough of a would-be handshake has arrived to judge it (its length prefix, then up to 4 KiB of it)."""
    if len(data) < 8:
        return False
    size = int.from_bytes(data[:8], "little")
    return not 0 < size <= 1 << 20 or len(data) >= 8 + min(size, 4096)


def _connect(client_class: Any, address: str, timeout: float) -> Any:
    """A Dask client on `address`, the whole handshake (probe, connection, first reply) bounded by `timeout` seconds."""
    deadline = time.monotonic() + timeout
    if address.startswith("tcp://") or "://" not in address:
        _probe(address, deadline, timeout)
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = client_class(address, timeout=max(1.0, deadline - time.monotonic()), set_as_default=False)
        except BaseException as exc:  # OSError, TimeoutError, ValueError for a malformed address, ...
            box["error"] = exc

    with _quiet_distributed():
        worker = threading.Thread(target=connect, name="planner-dask-connect", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()) + 2.0)  # Dask's own timeout normally ends it first
    if "client" in box:
        return box["client"]
    exc = box.get("error")
    if exc is None:
        raise _unreachable(address, timeout, "no answer to the handshake")  # the thread is a daemon: it cannot hold the exit
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    raise _unreachable(address, timeout, reason)


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
            client = _connect(Client, address, timeout)
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


def island_workers(threads: Optional[int]) -> int:
    """Island worker processes one task may fork for its plan: the scenario's own `solver.threads`, else 1 (the tasks
    fill the machine); always 1 in a daemon process (a Dask worker, which may not start processes)."""
    if threads is None or multiprocessing.current_process().daemon:
        return 1
    return threads


def make_executor(workers: Optional[int] = None, scheduler: Optional[str] = None, preload: Sequence[str] = ()) -> Executor:
    """A Dask executor when `scheduler` is given, else `workers` local processes (default: the machine's cores).

    `preload`: modules local workers import before their first task (the tasks' own module, say).
    """
    if scheduler:
        return DaskExecutor(scheduler)
    n = workers if workers is not None else (os.cpu_count() or 1)
    return InlineExecutor() if n <= 1 else LocalExecutor(n, preload)


__all__ = ["CONNECT_TIMEOUT_S", "DaskExecutor", "Executor", "ExecutorError", "InlineExecutor", "LocalExecutor", "island_workers",
           "make_executor"]
