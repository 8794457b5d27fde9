"""Interrupted runs: a plan folder never holds plan.json beside another plan's reports, and our leftovers are cleaned.

A `kill -9` is simulated for real: a forked child publishes and dies (`os._exit`) at its k-th
rename or removal, for every k; the folder it leaves is then checked, and published into again.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import inventory, workload

from planner.base.atomic_write import write_atomic
from planner.cli import main
from planner.outputs.publish import PLAN_FILE, REPORT_FILES, PublishError, publish

REPORTS_MD_HTML = [f"{n}.{e}" for n in ("executive", "roadmap", "compliance") for e in ("html", "md")]


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def plan_folder(tag: str, reports: list[str]) -> dict[str, str]:
    """A plan and its reports whose every file says which plan it belongs to."""
    return {PLAN_FILE: f"plan {tag}", **{name: f"report of plan {tag}" for name in reports}}


def owner(path: Path) -> str:
    return path.read_text().rsplit(" ", 1)[-1]


def assert_consistent(out: Path) -> None:
    """Whenever plan.json exists, every report beside it belongs to it."""
    if not (out / PLAN_FILE).exists():
        return
    plan = owner(out / PLAN_FILE)
    for name in REPORT_FILES:
        if (out / name).exists():
            assert owner(out / name) == plan, f"{name} of plan {owner(out / name)} beside plan {plan}"


def _die_at(k: int, out: Path, files: dict[str, str], remove: list[str]) -> None:
    """In a child process: publish, and die like `kill -9` at the k-th rename or removal."""
    calls = [0]
    real_replace, real_unlink = os.replace, os.unlink

    def counting(real):
        def step(*args, **kwargs):
            calls[0] += 1
            if calls[0] == k:
                os._exit(137)
            return real(*args, **kwargs)
        return step

    pid = os.fork()
    if pid == 0:
        try:
            os.replace, os.unlink = counting(real_replace), counting(real_unlink)
            publish(out, files, last=PLAN_FILE, remove=remove)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@pytest.mark.parametrize("k", range(1, 12))
def test_killed_at_any_step_never_mixes_plans_and_the_next_run_cleans_up(tmp_path, k):
    out = tmp_path / "reports"
    publish(out, plan_folder("A", REPORT_FILES[:]), last=PLAN_FILE, remove=REPORT_FILES)  # an older plan with html, md and pdf
    new = plan_folder("B", REPORTS_MD_HTML)
    _die_at(k, out, new, list(REPORT_FILES))
    assert_consistent(out)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    (out / ".my-notes.tmp").write_text("mine")  # hidden files that are not ours stay
    (out / ".plan.json.notours").write_text("mine")
    publish(out, new, last=PLAN_FILE, remove=REPORT_FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted([".my-notes.tmp", ".plan.json.notours", *new])
    assert all(owner(out / name) == "B" for name in new)
    # steps: remove the old plan.json, 6 moves, remove 3 stale pdfs, move plan.json: every death leaves the staging folder
    assert len(leftovers) == 1 and leftovers[0].startswith(".planner-staging-")


def test_temp_files_of_a_killed_write_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "estate.yaml"
    stale = tmp_path / ".estate.yaml.abcd1234.tmp"  # what write_atomic leaves when killed mid-write
    stale.write_text("half")
    other = tmp_path / ".estate.yaml.notatemp"
    other.write_text("keep")
    unrelated = tmp_path / ".other.yaml.abcd1234.tmp"
    unrelated.write_text("keep")
    write_atomic(target, "whole\n")
    assert target.read_text() == "whole\n" and not stale.exists() and other.exists() and unrelated.exists()


def test_a_temp_file_a_live_writer_holds_is_not_stale(tmp_path):
    live = tmp_path / ".plan.json.live0001.tmp"
    live.write_text("being written")
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer, still at work
        publish(tmp_path, {PLAN_FILE: "plan"}, last=PLAN_FILE)
        assert live.exists()
    finally:
        os.close(fd)
    publish(tmp_path, {PLAN_FILE: "plan"}, last=PLAN_FILE)
    assert not live.exists()


def test_a_staging_folder_with_foreign_files_is_left_alone(tmp_path):
    staging = tmp_path / ".planner-staging-abcd1234"
    staging.mkdir()
    (staging / "plan.json").write_text("ours")
    (staging / "diary.txt").write_text("not ours")
    publish(tmp_path, {PLAN_FILE: "plan"}, last=PLAN_FILE)
    assert (staging / "diary.txt").exists()


@pytest.mark.slow
def test_cli_plan_replaces_an_older_plans_reports_and_no_reports_removes_them(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    for name in REPORT_FILES:
        (out / name).write_text("an older plan's report")
    (out / "README.md").write_text("ours to keep")
    inv = inventory(tmp_path, [workload("a"), workload("b", app="app2")])
    assert run("plan", inv, "--out", out, "--quiet").exit_code == 0
    # the stale pdfs and Parquet evidence went; the new plan's evidence file is a CSV
    assert sorted(p.name for p in out.iterdir()) == sorted(["README.md", PLAN_FILE, "compliance-evidence.csv", *REPORTS_MD_HTML])
    assert all("older" not in (out / n).read_text() for n in REPORTS_MD_HTML)
    assert run("plan", inv, "--out", out, "--quiet", "--no-reports").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", PLAN_FILE]


@pytest.mark.slow
def test_cli_report_refuses_to_put_reports_beside_another_plan(tmp_path):
    inv = inventory(tmp_path, [workload("a")])
    other = inventory(tmp_path, [workload("a"), workload("b", app="app2")], name="other.yaml")
    assert run("plan", inv, "--out", tmp_path / "one", "--quiet", "--no-reports").exit_code == 0
    assert run("plan", other, "--out", tmp_path / "two", "--quiet").exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    result = run("report", tmp_path / "one" / "plan.json", "--inventory", inv, "--out", tmp_path / "two", "--quiet")
    assert result.exit_code == 2 and "another plan" in result.output and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()} == before
    again = run("report", tmp_path / "one" / "plan.json", "--inventory", inv, "--quiet")  # its own folder: fine
    assert again.exit_code == 0 and (tmp_path / "one" / "executive.md").exists()


def test_publish_refuses_a_folder_where_a_file_goes_and_changes_nothing(tmp_path):
    publish(tmp_path, plan_folder("A", ["executive.md"]), last=PLAN_FILE)
    (tmp_path / "roadmap.md").mkdir()
    with pytest.raises(PublishError, match="roadmap.md: it is a folder"):
        publish(tmp_path, plan_folder("B", ["executive.md", "roadmap.md"]), last=PLAN_FILE)
    assert owner(tmp_path / PLAN_FILE) == "A" and owner(tmp_path / "executive.md") == "A"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
