"""Progress people can read: timestamped lines in a log, a bar with counts on a terminal, no internal numbers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.cli.common import Progress
from planner.inputs.synth import synth_to_file

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """A 1,500-workload estate and what `planner plan` (no --verbose) said while planning it: two tests read the one run."""
    tmp = tmp_path_factory.mktemp("progress")
    path = tmp / "e.yaml"
    synth_to_file(path, 1500, 3)
    result = CliRunner().invoke(main, ["plan", str(path), "--out", str(tmp / "a"), "--no-reports"])
    assert result.exit_code == 0, result.output
    return path, result


@pytest.mark.slow
def test_lines_in_a_log_name_stages_and_percentages_not_raw_objectives(planned):
    _, result = planned
    lines = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert lines and all(re.match(r"^\[\s*\d+\.\d+s\] \S", line) for line in lines)
    assert any("placing" in line and "keep every rule" in line for line in lines)
    assert any("into waves" in line for line in lines)
    # No objective or bound of nine and more digits: a reader gets counts, seconds and percentages.
    assert not any(re.search(r"\d{1,3}(,\d{3}){2,}\.\d\d", line) for line in lines), lines


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_with_counts():
    out = _Terminal()
    progress = Progress(False, stream=out)
    progress("loading")
    progress.count("islands", 40, 100)
    progress.count("islands", 100, 100)
    progress.close()
    text = out.getvalue()
    assert "loading" in text and "islands" in text and "40/100" in text


def test_quiet_is_silent():
    out = _Terminal()
    progress = Progress(True, stream=out)
    progress("loading")
    progress.count("islands", 1, 2)
    assert out.getvalue() == ""


class _Recorder:
    """A progress sink that keeps the lines and the counts it hears."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.counts: list[tuple[str, int, int]] = []

    def __call__(self, message: str) -> None:
        self.lines.append(message)

    def count(self, what: str, done: int, total: int) -> None:
        self.counts.append((what, done, total))


@pytest.mark.slow
def test_reports_count_their_files_up_to_the_total():
    from planner.domain.estate import Estate
    from planner.inputs.load import load_inventory
    from planner.outputs.report import render_files
    from planner.plan.document import read_plan

    # Any placed plan will do: the golden estate's committed plan, read rather than solved again.
    estate = Estate.of(load_inventory(HERE / "golden" / "inventory.yaml"))
    heard = _Recorder()
    files = render_files(read_plan(HERE / "golden" / "plan.json"), estate, None, ("html", "md"), progress=heard)
    assert any(line.startswith("reports: rendering") for line in heard.lines)
    assert heard.counts and heard.counts[-1][1] == heard.counts[-1][2] == len(files)
    assert all(what == "report files" and 0 < done <= total for what, done, total in heard.counts)


SOLVER_WORDS = re.compile(r"island|master LP|pricing round|column|variables|new plans|classes of", re.IGNORECASE)


@pytest.mark.slow
def test_progress_speaks_in_stages_and_the_gap_only_narrows(planned, tmp_path):
    path, plain = planned
    lines = [line for line in plain.stderr.splitlines() if line.startswith("[")]
    assert not [line for line in lines if SOLVER_WORDS.search(line)]
    assert any("proving its cost within 0.01 % of the best possible" in line for line in lines)
    gaps = [float(m.group(1)) if m else 0.0 for line in lines if "cost is proven" in line
            for m in [re.search(r"proven within ([\d.]+) %", line)]]
    assert gaps and gaps == sorted(gaps, reverse=True) and len(set(gaps)) == len(gaps)
    verbose = CliRunner().invoke(main, ["plan", str(path), "--out", str(tmp_path / "b"), "--no-reports", "--verbose"])
    assert verbose.exit_code == 0, verbose.output
    assert any(SOLVER_WORDS.search(line) for line in verbose.stderr.splitlines())


def test_a_gap_is_said_only_when_it_narrows():
    out = io.StringIO()
    progress = Progress(False, stream=out)
    for gap in (0.004, 0.0004, 0.002, 0.0004, 0.0):
        progress.proven(gap)
    said = [line.split("] ", 1)[1] for line in out.getvalue().splitlines()]
    assert said == ["the plan's cost is proven within 0.4 % of the best possible",
                    "the plan's cost is proven within 0.04 % of the best possible",
                    "the plan's cost is proven the best possible"]


def test_solver_counters_only_with_verbose():
    quiet_out, loud_out = io.StringIO(), io.StringIO()
    Progress(False, stream=quiet_out).detail("pricing round 3: 12 islands")
    Progress(False, stream=loud_out, verbose=True).detail("pricing round 3: 12 islands")
    assert quiet_out.getvalue() == "" and "pricing round 3" in loud_out.getvalue()
