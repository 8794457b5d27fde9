"""planner compare on a real Dask cluster: `dask scheduler` and `dask worker` started as processes on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from helpers import CHEAP_FRA, CLOSE_MAD, REPO, compare_estate, scenario_folder

from planner.rerun import comparable_files

pytestmark = pytest.mark.cluster

STARTUP_S = 90  # a generous bound for two worker processes to import the planner on a busy machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _stop(proc: subprocess.Popen) -> None:
    """End a process and everything it started (it leads its own process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(20)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dask = shutil.which("dask")
    if dask is None:
        pytest.skip("dask's command line (dask scheduler, dask worker) is not installed")
    from distributed import Client

    tmp = tmp_path_factory.mktemp("cluster")
    address = f"tcp://127.0.0.1:{_free_port()}"
    log = open(tmp / "cluster.log", "wb")
    common = dict(stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=tmp, start_new_session=True)
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
                              **common)]  # type: ignore[call-overload]
    try:
        procs.append(subprocess.Popen([dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                                       "--host", "127.0.0.1", "--local-directory", str(tmp / "work")], **common))  # type: ignore[call-overload]
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                with Client(address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                    break
            except Exception:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"the test cluster did not start: {(tmp / 'cluster.log').read_text(errors='replace')[-2000:]}")
                time.sleep(0.5)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
        log.close()


@pytest.mark.slow
def test_a_comparison_on_a_dask_cluster_has_the_bytes_of_a_local_one(scheduler: str, tmp_path: Path) -> None:
    inv = compare_estate(tmp_path)
    folder = scenario_folder(tmp_path, **{"close-mad": CLOSE_MAD, "cheap-fra": CHEAP_FRA})
    runs = {}
    for label, how in (("cluster", ["--scheduler", scheduler]), ("local", ["--workers", "1"])):
        proc = subprocess.run([sys.executable, "-m", "planner", "compare", str(inv), "--scenarios", str(folder),
                               "--out", str(tmp_path / label), *how], capture_output=True, text=True, timeout=600, env=_env(), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        runs[label] = proc
    assert f"planning 3 scenario(s) on Dask cluster {scheduler} (2 workers)" in runs["cluster"].stderr
    assert comparable_files(tmp_path / "cluster") == comparable_files(tmp_path / "local")
    assert runs["cluster"].stdout == runs["local"].stdout.replace(str(tmp_path / "local"), str(tmp_path / "cluster"))
