"""Every other file the planner opens (catalogue, waivers, templates, an existing plan.json) goes through the bounded door.

Each door is given what no user means to give it: a named pipe (opening one to read waits for a writer), a link
to /dev/zero (endless), a folder, and a file larger than the door's limit. Each is refused, naming the file and
what it is, without being read; none hangs (an alarm fails a test that would).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.base.bounded import RefusedFile, read_bounded
from planner.check.waivers import WaiverFileError, load_waivers
from planner.cli import main
from planner.domain import catalog_schema
from planner.domain.catalog import CatalogError, load_catalog
from planner.inputs import yamlio
from planner.outputs.report import ReportError, check_templates, render
from planner.rerun import same_plan

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny.yaml"
KINDS = ("pipe", "device", "folder", "huge")
WHAT = {"pipe": "a named pipe", "device": "a device", "folder": "a folder", "huge": "more than the"}


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A door that waits on a pipe fails the test after 30 s instead of hanging the run."""
    def stuck(signum: int, frame: object) -> None:
        raise TimeoutError("the reader waited on a file it should have refused")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def hostile(path: Path, kind: str, limit: int = 0) -> Path:
    """Make `path` the hostile `kind` of file; `huge` is a sparse file one byte over `limit`."""
    if kind == "pipe":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    else:
        with path.open("wb") as fh:
            fh.truncate(limit + 1)
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_the_catalogue(tmp_path: Path, kind: str):
    path = hostile(tmp_path / "catalog.json", kind, catalog_schema.MAX_DOCUMENT_BYTES)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert str(path) in message and WHAT[kind] in message
    if kind == "huge":
        assert "PLANNER_MAX_CATALOG_BYTES" in message


@pytest.mark.parametrize("kind", ("pipe", "device", "huge"))
def test_the_catalogue_on_the_command_line_exits_2(tmp_path: Path, kind: str):
    path = hostile(tmp_path / "catalog.json", kind, catalog_schema.MAX_DOCUMENT_BYTES)
    result = CliRunner().invoke(main, ["validate", str(TINY), "--catalog", str(path)])
    assert result.exit_code == 2, result.output
    assert WHAT[kind] in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("kind", KINDS)
def test_the_waivers_file(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 1 << 20)  # the YAML limit, made small so the sparse file is small
    path = hostile(tmp_path / "waivers.yaml", kind, 1 << 20)
    with pytest.raises(WaiverFileError) as caught:
        load_waivers(path)
    message = str(caught.value)
    assert str(path) in message
    assert ("larger than 1 MB" if kind == "huge" else WHAT[kind]) in message


@pytest.mark.parametrize("kind", KINDS)
def test_a_template(tmp_path: Path, kind: str):
    folder = tmp_path / "templates"
    folder.mkdir()
    hostile(folder / "executive.md", kind, render.MAX_TEMPLATE_BYTES)
    with pytest.raises(ReportError) as caught:
        check_templates(folder)
    message = str(caught.value)
    assert "executive.md" in message and WHAT[kind] in message
    if kind == "huge":
        assert "PLANNER_MAX_TEMPLATE_BYTES" in message


@pytest.mark.parametrize("kind", ("pipe", "device", "folder"))
def test_an_existing_plan_that_is_not_a_file_is_no_plan(tmp_path: Path, kind: str):
    assert same_plan(hostile(tmp_path / "plan.json", kind), b"{}") is None


@settings(max_examples=25, deadline=None)
@given(size=st.integers(0, 4096), limit=st.integers(0, 4096), grow=st.integers(0, 4096))
def test_read_bounded_returns_the_file_or_refuses_it(size: int, limit: int, grow: int):
    """Whatever the file's size against the limit: its exact bytes, or a refusal that says it is too large."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        data = bytes(range(256)) * (size // 256 + 1)
        path.write_bytes(data[:size])
        try:
            got = read_bounded(path, limit, "SETTING")
        except RefusedFile as exc:
            assert size > limit and exc.too_large and "SETTING" in str(exc.strerror)
        else:
            assert size <= limit and got == data[:size]


def _doors() -> dict[str, Callable[[Path], object]]:
    return {"catalogue": load_catalog, "waivers": load_waivers, "bounded": lambda p: read_bounded(p, 1 << 20)}


@pytest.mark.parametrize("door", sorted(_doors()))
def test_a_socket_is_refused_too(tmp_path: Path, door: str):
    import socket

    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with pytest.raises((CatalogError, WaiverFileError, RefusedFile)) as caught:
            _doors()[door](path)
        assert "a socket" in str(caught.value) or "a socket" in str(getattr(caught.value, "strerror", ""))
    finally:
        server.close()
