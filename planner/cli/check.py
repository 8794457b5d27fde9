"""`planner check`: the CI gate, click wiring over :mod:`planner.check`.

Exit 0 pass (warnings allowed), 1 fail, 2 bad input or usage, 3 a fault of the planner (its own
verifier rejected the re-plan). Results go to stdout and to the --output files (written whole or
not at all); progress and a fault's bug report go to stderr.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Optional

import click

from planner.check.render import FORMATS
from planner.check.thresholds import Threshold, ThresholdError, parse_threshold
from planner.cli.common import (
    Progress,
    backend_option,
    catalog_option,
    echo,
    fail,
    fault_lines,
    verbose_option,
)

_EXTENSIONS = {".txt": "text", ".text": "text", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".xml": "junit",
               ".sarif": "sarif"}


def _threshold(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[Threshold]:
    if value is None:
        return None
    try:
        return parse_threshold(value)
    except ThresholdError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _outputs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, Path]]:
    out = []
    for value in values:
        fmt, sep, rest = value.partition("=")
        if sep and fmt in FORMATS and rest:
            out.append((fmt, Path(rest)))
            continue
        guess = _EXTENSIONS.get(Path(value).suffix.lower())
        if guess is None:
            raise click.BadParameter(f"{value!r}: write FORMAT=FILE with FORMAT one of {', '.join(FORMATS)} "
                                     f"(or a FILE ending .txt, .json, .md, .xml or .sarif)", ctx, param)
        out.append((guess, Path(value)))
    return out


def full_text_at(outputs: list[tuple[str, Path]], formats: tuple[str, ...]) -> str:
    """Where this run puts every finding in full, for the one-line annotations to point at."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    for wanted in ("markdown", "text", "json"):
        for fmt, path in outputs:
            if fmt == wanted:
                if summary and fmt == "markdown" and os.path.abspath(path) == os.path.abspath(summary):
                    return "the job summary"
                return str(path)
    if "text" in formats or "markdown" in formats:
        return "the job log"
    return "planner check --format text"


@click.command("check")
@click.argument("inventory", type=click.Path(path_type=Path))
@click.option("--baseline", "baseline", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The plan.json to compare with (e.g. reports/plan.json from the main branch).")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="What to print on stdout; repeatable (default: text).")
@click.option("--output", "outputs", metavar="[FORMAT=]FILE", multiple=True, callback=_outputs,
              help="Also write FORMAT to FILE, atomically; repeatable. Without FORMAT= the extension decides "
                   "(.txt text, .json json, .md markdown, .xml junit, .sarif sarif).")
@click.option("--warn-over", callback=_threshold, metavar="X",
              help="Warn when the horizon cost rises more than X over the baseline: a percentage (5%) or an amount (25000, 25000 EUR).")
@click.option("--fail-over", callback=_threshold, metavar="X", help="Fail when the horizon cost rises more than X (as --warn-over).")
@click.option("--warn-over-moves", type=click.IntRange(min=0), metavar="N",
              help="Warn when more than N workloads move off their baseline site.")
@click.option("--fail-over-moves", type=click.IntRange(min=0), metavar="N",
              help="Fail when more than N workloads move off their baseline site.")
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path, dir_okay=False),
              help="YAML file of waivers (rule, workload, optional site, reason, expires). Keep it outside the inventory folder.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD", help="The date waivers expire against (default: today).")
@click.option("--backend", callback=backend_option, help="MILP solver: highs, cbc or any solver PuLP has installed (default: scenario.solver.backend).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit in seconds.")
@click.option("--gap", type=click.FloatRange(min=0, max=1, max_open=True), help="Relative optimality gap to prove, e.g. 0.0001.")
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads.")
@catalog_option
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@verbose_option
def check_command(inventory: Path, baseline: Path, formats: tuple[str, ...], outputs: list[tuple[str, Path]],
                  warn_over: Optional[Threshold], fail_over: Optional[Threshold], warn_over_moves: Optional[int],
                  fail_over_moves: Optional[int], waivers_path: Optional[Path],
                  today: Optional[dt.datetime], backend: Optional[str], time_limit: Optional[float], gap: Optional[float],
                  threads: Optional[int], catalog_path: Optional[Path], quiet: bool, verbose: bool) -> None:
    """The CI gate: validate INVENTORY, re-plan it keeping workloads where the BASELINE plan put them unless moving
    pays, verify the new plan, diff it against the baseline, name the changed workloads, then apply the cost and
    move thresholds and waivers.

    Findings (rule:workload:site) are reported as new, changed, unchanged, resolved or waived against the baseline.

    \b
    Exit codes:
      0  pass (warnings allowed)
      1  fail: no plan, a rule finding not waived, an expired waiver,
         the horizon cost over --fail-over or the moves over --fail-over-moves
      2  bad input or usage: a broken inventory, an unreadable baseline,
         a bad waivers file, threshold or option
      3  a fault of the planner, not of the inventory: its own verifier
         rejected the re-plan (stderr names the bug report)
    """
    from planner.base.atomic_write import write_atomic, write_error
    from planner.check.gate import CheckOptions, run_check
    from planner.check.render import render

    progress = Progress(quiet, verbose=verbose)
    for _, path in outputs:  # refused before the re-plan: a folder can never take an output
        if path.is_dir():
            fail(f"--output {path}: it is a folder")
    options = CheckOptions(warn_over, fail_over, warn_over_moves, fail_over_moves, waivers_path, catalog_path, backend, time_limit,
                           gap, threads)
    result = run_check(inventory, baseline, options, today=today.date() if today else dt.date.today(), progress=progress)
    result = replace(result, full_text=full_text_at(outputs, formats))
    if result.fault is not None:
        for line in fault_lines(result.fault, f"the check fails (exit {result.exit_code})"):
            echo(line, err=True)
    rendered = [(fmt, path, render(result, fmt)) for fmt, path in outputs]  # every output renders before one is written
    for fmt, path, text in rendered:
        try:
            write_atomic(path, text)
        except OSError as exc:
            fail(write_error(path, exc))
        progress(f"wrote {fmt} to {path}")
    for fmt in formats or ("text",):
        click.echo(render(result, fmt), nl=False)
    sys.exit(result.exit_code)
