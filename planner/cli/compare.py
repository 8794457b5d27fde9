"""`planner compare`: plan what-if scenarios beside the base and compare them side by side. Click wiring only.

Exit 0 when every scenario has a plan, 1 when one has none, 2 on bad input (an overlay's
errors name its file and line), an unreachable `--scheduler` or an OUT that cannot be written,
3 when the planner's own verifier rejects a scenario's plan (a fault of the planner: the whole
comparison stops); nothing is written unless every scenario was planned.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional

import click

from planner.base.fmt import saving as saving_text
from planner.base.untrusted import one_line
from planner.cli.common import (
    EXIT_INPUT,
    Progress,
    backend_option,
    catalog_option,
    echo,
    emit,
    exit_fault,
    fail,
    format_option,
)


def _bar(quiet: bool):  # noqa: ANN202 - a rich progress bar on a terminal, else None
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    return Bar(TextColumn("[bold]scenarios"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.description}"), console=Console(stderr=True),
               transient=False)


@click.command("compare")
@click.argument("inventory", type=click.Path(path_type=Path))
@click.option("--scenario", "scenarios", multiple=True, type=click.Path(path_type=Path),
              help="A scenario overlay: a YAML file or a folder of them laid over INVENTORY (repeatable).")
@click.option("--scenarios", "sweeps", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="A folder: every overlay file and overlay folder directly inside it is one scenario (repeatable).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("comparison"), show_default=True,
              help="Folder for base/, a folder per scenario and the comparison documents.")
@click.option("--workers", type=click.IntRange(min=1), help="Local worker processes (default: the machine's cores).")
@click.option("--scheduler", help="A Dask distributed scheduler, tcp://HOST:8786, to plan the scenarios on instead.")
@click.option("--backend", callback=backend_option, help="MILP solver: highs, cbc or any solver PuLP has installed for every scenario (default: each scenario's).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit per scenario, in seconds.")
@click.option("--gap", type=click.FloatRange(min=0, max=1, max_open=True), help="Relative optimality gap to prove, e.g. 0.0001.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@click.option("--carbon-prices", "carbon_prices", metavar="P1,P2,...",
              help="Also plan one scenario per carbon price (currency per tCO2e, e.g. 0,50,100,200,500), "
                   "ids carbon-<price>, and show cost against emissions with the non-dominated plans marked.")
@catalog_option
@format_option
def compare_command(inventory: Path, scenarios: tuple[Path, ...], sweeps: tuple[Path, ...], out_dir: Path, workers: Optional[int],
                    scheduler: Optional[str], backend: Optional[str], time_limit: Optional[float], gap: Optional[float], quiet: bool,
                    carbon_prices: Optional[str], catalog_path: Optional[Path], fmt: str) -> None:
    """Plan INVENTORY as it is (`base`) and with each scenario laid over it, and compare them side by side.

    Writes OUT/base/, OUT/SCENARIO/ (each with plan.json and its reports) and OUT/comparison.html,
    comparison.md and comparison.json. Exit 0 when every scenario has a plan, 1 when one has none, 2 on bad input,
    3 when the planner's own verifier rejects a scenario's plan (a fault of the planner; nothing is written).
    """
    from planner.compare import (
        CompareInputError,
        Overrides,
        ScenarioFault,
        ScenarioInputError,
        compare,
        discover,
    )
    from planner.compare.task import PRELOAD
    from planner.compare.write import check_targets, write_comparison
    from planner.executor import ExecutorError, make_executor
    from planner.outputs.publish import PublishError

    progress = Progress(quiet)
    if not inventory.exists():
        fail(f"{inventory}: no such file or folder; give an inventory YAML file or a folder of them")
    if scheduler and workers:
        fail("--workers and --scheduler exclude each other: the cluster's workers plan the scenarios")
    sweep_dir = None
    if carbon_prices is not None:
        from planner.compare.pareto import CarbonPricesError, parse_prices, write_sweep

        try:
            prices = parse_prices(carbon_prices)
        except CarbonPricesError as exc:
            fail(str(exc))
        sweep_dir = Path(tempfile.mkdtemp(prefix="planner-carbon-"))
        atexit.register(shutil.rmtree, sweep_dir, True)
        scenarios = tuple(scenarios) + tuple(write_sweep(prices, sweep_dir))
    try:
        specs = discover(list(scenarios), list(sweeps))
    except ScenarioInputError as exc:
        for problem in exc.problems:
            echo(f"error: {one_line(problem)}", err=True)
        sys.exit(EXIT_INPUT)
    try:
        check_targets(out_dir, [s.id for s in specs])
    except PublishError as exc:
        fail(str(exc))
    try:
        executor = make_executor(workers, scheduler, PRELOAD)
    except ExecutorError as exc:
        fail(f"{exc}; nothing was planned or written")
    bar = _bar(quiet)
    overrides = Overrides(backend, time_limit, gap)
    try:
        if bar is not None:
            with bar:
                task = bar.add_task("", total=len(specs))
                from rich.markup import (
                    escape,  # a scenario id is a file name: untrusted, never rich markup
                )

                result = compare(inventory, specs, executor, catalog=catalog_path, overrides=overrides, progress=progress,
                                 tick=lambda n, _total, what: bar.update(task, completed=n, description=escape(one_line(what))))
        else:
            result = compare(inventory, specs, executor, catalog=catalog_path, overrides=overrides, progress=progress)
    except CompareInputError as exc:
        for problem in exc.problems:
            echo(f"error: {one_line(problem)}", err=True)
        echo(f"{len(exc.problems)} problem(s) in scenario {one_line(exc.scenario)}; nothing was planned or written", err=True)
        sys.exit(EXIT_INPUT)
    except ScenarioFault as exc:
        exit_fault(exc.fault, f"the comparison stopped and nothing was written to {out_dir}", f"scenario {exc.scenario}: ")
    except ExecutorError as exc:
        fail(f"{exc}; nothing was written")
    except OSError as exc:
        fail(f"cannot read {exc.filename or inventory}: {exc.strerror or exc}; nothing was written")
    finally:
        executor.close()
    try:
        write_comparison(result, out_dir)
    except PublishError as exc:
        fail(str(exc))
    c = result.comparison
    progress(f"wrote {out_dir / 'comparison.html'}, comparison.md, comparison.json and {len(specs)} scenario folder(s)")
    lines = [c.summary(), ""]
    for s in c.scenarios:
        f = s.figures
        if f.has_plan:
            delta = s.against_base.get("horizon_cost")
            vs = "" if s.id == c.base.id or delta is None else f" ({delta:+,.2f} vs base)"
            lines.append(f"  {'*' if s.id == c.cheapest else ' '} {one_line(s.id)}: {f.status}, horizon cost {f.horizon_cost:,.2f} "
                         f"{f.currency}{vs}, saving {saving_text(f.saving or 0.0, f.saving_ratio, f.currency)}, {f.moving:,} workloads move, "
                         f"{'compliant' if f.compliant else f'{f.failed_checks} failed check(s)'}")
        else:
            first = f.problems[0].headline if f.problems else "no plan"
            lines.append(f"    {one_line(s.id)}: {f.status}: {one_line(first)}")
    lines.append(f"\n{out_dir / 'comparison.html'}")
    emit(c.to_json() | {"out": str(out_dir)}, fmt, "\n".join(lines))
    sys.exit(result.exit_code)
