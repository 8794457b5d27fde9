"""Progress people can read: timestamped lines in a log, a bar with counts on a terminal, no internal numbers."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.cli.common import Progress
from planner.inputs.synth import synth_to_file


@pytest.mark.slow
def test_lines_in_a_log_name_stages_and_percentages_not_raw_objectives(tmp_path):
    path = tmp_path / "e.yaml"
    synth_to_file(path, 1500, 3)
    result = CliRunner().invoke(main, ["plan", str(path), "--out", str(tmp_path / "o"), "--no-reports"])
    assert result.exit_code == 0, result.output
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
    import tempfile
    from pathlib import Path

    from planner import load_inventory, make_plan
    from planner.inputs.synth import synth_to_file as synth
    from planner.outputs.report import render_files

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.yaml"
        synth(path, 300, 5)
        result = make_plan(load_inventory(path))
    heard = _Recorder()
    files = render_files(result.plan, result.estate, None, ("html", "md"), progress=heard)
    assert any(line.startswith("reports: rendering") for line in heard.lines)
    assert heard.counts and heard.counts[-1][1] == heard.counts[-1][2] == len(files)
    assert all(what == "report files" and 0 < done <= total for what, done, total in heard.counts)


SOLVER_WORDS = re.compile(r"island|master LP|pricing round|column|variables|new plans|classes of", re.I)


@pytest.mark.slow
def test_progress_speaks_in_stages_and_the_gap_only_narrows(tmp_path):
    path = tmp_path / "e.yaml"
    synth_to_file(path, 1500, 3)
    plain = CliRunner().invoke(main, ["plan", str(path), "--out", str(tmp_path / "a"), "--no-reports"])
    assert plain.exit_code == 0, plain.output
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
