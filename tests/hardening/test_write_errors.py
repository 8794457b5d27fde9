"""Write errors in plan, report, synth and check --output: one clear line, exit 2, no traceback, nothing half-written.

A read-only folder and a full disk are simulated where the planner touches the file system
(`os.open`, `os.mkdir`, `os.write` of a file under the folder); `/dev/full` is a real full disk.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import inventory, workload

from planner.cli import main

TESTS = Path(__file__).resolve().parent.parent
GOLDEN = TESTS / "golden"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}


def assert_one_clear_line(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]


@pytest.fixture
def read_only(monkeypatch):
    """Make `folder` behave as a read-only file system: creating a file or folder in it fails with EROFS."""
    def install(folder: Path) -> None:
        real_open, real_mkdir = os.open, os.mkdir
        root = str(folder.resolve())

        def inside(path) -> bool:  # noqa: ANN001
            return os.path.abspath(os.fspath(path)).startswith(root)

        def fake_open(path, flags, *args, **kwargs):  # noqa: ANN001
            if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            return real_open(path, flags, *args, **kwargs)

        def fake_mkdir(path, *args, **kwargs):  # noqa: ANN001
            if inside(path):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", fake_open)
        monkeypatch.setattr(os, "mkdir", fake_mkdir)
    return install


@pytest.fixture
def full_disk(monkeypatch):
    """Make every write to a file under `folder` fail with ENOSPC, as on a full disk."""
    def install(folder: Path) -> None:
        real_write = os.write
        root = str(folder.resolve())

        def fake_write(fd, data):  # noqa: ANN001
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                target = ""
            if target.startswith(root):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", fake_write)
    return install


@pytest.fixture
def older(tmp_path):
    """An inventory and a folder holding an older plan and its reports."""
    inv = inventory(tmp_path, [workload("a"), workload("b", app="app2")])
    assert run("plan", inv, "--out", tmp_path / "reports", "--quiet").exit_code == 0
    return inv, tmp_path / "reports"


def changed(inv: Path) -> Path:
    """The inventory changed so that it plans differently (planning the same plan again writes nothing)."""
    return inventory(inv.parent, [workload("a"), workload("b", app="app2", vcpu=3)], name="changed.yaml")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell which file a descriptor writes")
@pytest.mark.parametrize("failure", ["read_only", "full_disk"])
def test_plan_into_a_read_only_or_full_folder(older, failure, request):
    inv, out = older
    before = snapshot(out)
    request.getfixturevalue(failure)(out)
    result = run("plan", changed(inv), "--out", out, "--quiet")
    assert_one_clear_line(result, "cannot write", "read-only" if failure == "read_only" else "no space left")
    assert snapshot(out) == before


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell which file a descriptor writes")
@pytest.mark.parametrize("failure", ["read_only", "full_disk"])
def test_report_into_a_read_only_or_full_folder(older, failure, request):
    inv, out = older
    before = snapshot(out)
    request.getfixturevalue(failure)(out)
    result = run("report", out / "plan.json", "--inventory", inv, "--quiet")
    assert_one_clear_line(result, "cannot write")
    assert snapshot(out) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_plan_into_a_really_read_only_folder(older):
    inv, out = older
    before = snapshot(out)
    new = changed(inv)
    out.chmod(0o555)
    try:
        result = run("plan", new, "--out", out, "--quiet")
    finally:
        out.chmod(0o755)
    assert_one_clear_line(result, "cannot write", "permission denied")
    assert snapshot(out) == before


def test_plan_json_being_a_folder_is_refused_before_the_solve(tmp_path):
    inv = inventory(tmp_path, [workload("a")])
    (tmp_path / "out" / "plan.json").mkdir(parents=True)
    (tmp_path / "out" / "plan.json" / "keep").write_text("x")
    result = run("plan", inv, "--out", tmp_path / "out")
    assert_one_clear_line(result, "plan.json", "is a folder")
    assert "loaded" not in result.stderr  # refused before loading and solving
    assert snapshot(tmp_path / "out") == {"plan.json/keep": b"x"}


@pytest.mark.slow
def test_a_report_being_a_folder(older):
    inv, out = older
    (out / "roadmap.md").unlink()
    (out / "roadmap.md").mkdir()
    before = snapshot(out)
    assert_one_clear_line(run("report", out / "plan.json", "--inventory", inv, "--quiet"), "roadmap.md", "is a folder")
    assert_one_clear_line(run("plan", inv, "--out", out, "--quiet"), "roadmap.md", "is a folder")
    assert snapshot(out) == before


def test_out_being_a_file(tmp_path):
    inv = inventory(tmp_path, [workload("a")])
    (tmp_path / "out").write_text("a file")
    for args in (("plan", inv, "--out", tmp_path / "out"), ("plan", inv, "--out", tmp_path / "out" / "below")):
        result = run(*args, "--quiet")
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "is a file" in result.stderr or "not a folder" in result.stderr, result.stderr
    assert (tmp_path / "out").read_text() == "a file"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="no /dev/full")
def test_synth_and_check_output_on_a_full_device(tmp_path, older):
    # Through a symlink: a writer that wrongly replaced its target would replace the link, never the device itself.
    full = tmp_path / "full.yaml"
    full.symlink_to("/dev/full")
    assert_one_clear_line(run("synth", "--workloads", "20", "--out", full), "cannot write", "no space left")
    assert full.is_symlink() and full.is_char_device()  # written to, never replaced
    inv, out = older
    result = run("check", inv, "--baseline", out / "plan.json", "--quiet", "--output", f"text={full}")
    assert_one_clear_line(result, "cannot write", "no space left")
    assert full.is_symlink()


def test_synth_into_a_read_only_folder_or_below_a_file(tmp_path, read_only):
    (tmp_path / "file").write_text("x")
    assert_one_clear_line(run("synth", "--workloads", "20", "--out", tmp_path / "file" / "estate.yaml"), "cannot write")
    read_only(tmp_path / "ro")
    assert_one_clear_line(run("synth", "--workloads", "20", "--out", tmp_path / "ro" / "estate.yaml"), "cannot write", "read-only")
    assert not (tmp_path / "ro").exists()


@pytest.mark.slow
def test_check_output_into_a_folder_or_a_read_only_folder(older, tmp_path, read_only):
    inv, out = older
    (tmp_path / "folder.md").mkdir()
    assert_one_clear_line(run("check", inv, "--baseline", out / "plan.json", "--quiet", "--output", tmp_path / "folder.md"),
                          "folder.md", "is a folder")
    (tmp_path / "ro").mkdir()
    read_only(tmp_path / "ro")
    result = run("check", inv, "--baseline", out / "plan.json", "--quiet", "--output", tmp_path / "ro" / "check.md")
    assert_one_clear_line(result, "check.md", "read-only")
    assert list((tmp_path / "ro").iterdir()) == []
