"""What every `planner` command module shares: exit codes, printing, progress lines, loading an inventory
or a plan file with bad input turned into exit 2, a fault of the planner itself into exit 3, and the common options.

Everything a command prints for people goes through :func:`echo` (stdout or stderr), which passes
it through :func:`planner.base.untrusted.terminal`: inventory text can never start a workflow command
in a CI log nor reach a terminal as a control sequence. Every command module of this package
imports it; the package's `__init__` registers the commands, so no command module imports `__init__` itself.
"""

from __future__ import annotations

import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, Optional, Sequence

import click

from planner.base.errors import (
    InventoryError,
    PlanFileError,
    PlannerError,
    PlannerFault,
    PlanRejected,
)
from planner.base.progress import Narrowing, gap_words
from planner.base.untrusted import json_text, one_line, terminal
from planner.domain.catalog import CatalogError, load_catalog
from planner.domain.estate import Estate
from planner.domain.inventory import Inventory
from planner.inputs.load import load_inventory
from planner.plan.document import Plan, read_plan

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_FAULT = 0, 1, 2, 3


def _click_error_echo(message: Any = None, file: Any = None, nl: bool = True, err: bool = False, color: Any = None) -> None:
    """What click prints for a usage error (`Error: Invalid value for 'FILE': ...`), made safe like every other message.

    Click builds those lines itself from what the user typed (paths, option values), outside any command, so its
    exceptions module is given this echo: the one place all of them pass through.
    """
    click.echo(terminal(message) if isinstance(message, str) else message, file=file, nl=nl, err=err, color=color)


click.exceptions.echo = _click_error_echo  # type: ignore[attr-defined]

catalog_option = click.option("--catalog", "catalog_path", type=click.Path(path_type=Path, dir_okay=False),
                              help="VM catalogue JSON (default: the shipped snapshot).")


def default_inventory() -> Path:
    """The sample estate shipped with the package (the repository's `inventory/`)."""
    bundled = Path(str(resources.files("planner"))) / "inventory"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parents[2] / "inventory"


LOCAL_INVENTORY = Path("inventory")  # the inventory a command reads when given none, if it exists here


def find_inventory(given: Optional[Path], quiet: bool = False) -> Path:
    """The one rule every command that takes an inventory follows: INVENTORY (or --inventory) when given, else
    `./inventory` when it exists, else the bundled sample estate; says which on stderr (unless `quiet`) when not given."""
    if given is not None:
        return given
    if LOCAL_INVENTORY.exists():
        path, why = LOCAL_INVENTORY, "no inventory given: reading ./inventory"
    else:
        path = default_inventory()
        why = f"no inventory given and no ./inventory here: reading the bundled sample estate ({path})"
    if not quiet:
        echo(why, err=True)
    return path


def echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Print text for people on stdout (or stderr), made safe for a terminal and a CI log."""
    click.echo(terminal(text), err=err, nl=nl)


def exit_error(exc: PlannerError, outcome: str = "nothing was written") -> NoReturn:
    """The one mapping from an error to what a command says and its exit code: a fault of the planner (3), else bad
    input or an environment that cannot run it (the error's `exit_code`, 2)."""
    if isinstance(exc, PlannerFault):
        exit_fault(exc, outcome)
    echo(f"error: {one_line(str(exc))}", err=True)
    sys.exit(exc.exit_code)


def fail(message: str) -> NoReturn:
    """`error: MESSAGE` on stderr, then exit 2 (bad input)."""
    echo(f"error: {one_line(message)}", err=True)
    sys.exit(EXIT_INPUT)


def fault_lines(fault: PlannerFault, outcome: str, subject: str = "") -> list[str]:
    """What a command says on stderr about a fault of the planner: whose fault it is, the rules and workloads, the bug report.

    `outcome` says what the command did about it ("nothing was written to reports"); `subject` names a scenario.
    """
    what = "the planner's own verifier rejected the plan it made" if isinstance(fault, PlanRejected) else str(fault)
    lines = [f"{subject}planner fault: {what}; this is a fault of the planner, not of the inventory; {outcome}"]
    if isinstance(fault, PlanRejected):
        n = len(fault.findings)
        lines.append(f"rules broken: {fault.rules_text()} ({n} finding{'s' if n != 1 else ''})")
        named = fault.workloads()
        if named:
            more = f" and {len(named) - fault.MAX_NAMED:,} more" if len(named) > fault.MAX_NAMED else ""
            lines.append(f"workloads: {', '.join(named[:fault.MAX_NAMED])}{more}")
        if fault.bundle:
            lines.append(f"bug report: {fault.bundle} (the rejected plan.json and the verifier's findings.json; no inventory "
                         "file); please send it to the planner's maintainers")
        else:
            lines.append(f"bug report: could not be written ({fault.bundle_error}); please report the command you ran")
    else:
        lines.append("please report it, with the command you ran, to the planner's maintainers")
    return [f"error: {one_line(line)}" for line in lines]


def exit_fault(fault: PlannerFault, outcome: str, subject: str = "") -> NoReturn:
    """:func:`fault_lines` on stderr, then exit 3 (the planner's own fault)."""
    for line in fault_lines(fault, outcome, subject):
        echo(line, err=True)
    sys.exit(EXIT_FAULT)


# Every group takes -h as --help, also when a script or a test calls a subgroup such as `import` directly (click
# builds each command's help option once, from the first context it sees).
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

verbose_option = click.option(
    "--verbose", is_flag=True,
    help="Also show the solver's own counters (islands, pricing rounds, columns) in the progress on stderr.")


class Progress:
    """Progress on stderr; silent with --quiet.

    On a terminal, a bar (rich) with counts and the time left for the long stages, the messages above it;
    elsewhere (CI logs, pipes) one timestamped line per message. Library code calls it with a message, and
    long loops call `count(what, done, total)`.
    """

    def __init__(self, quiet: bool, stream: Any = None, verbose: bool = False):
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self._gap = Narrowing()
        self.t0 = time.perf_counter()
        self.stream = stream if stream is not None else sys.stderr
        self.live = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        line = f"[{time.perf_counter() - self.t0:7.1f}s] {one_line(message)}"
        if self.live:
            from rich.markup import escape

            self._ensure().console.print(escape(terminal(line)), highlight=False)
        else:
            click.echo(terminal(line), file=self.stream)

    def detail(self, message: str) -> None:
        """A solver counter: a line with --verbose, nothing otherwise."""
        if self.verbose:
            self(message)

    def proven(self, gap: float) -> None:
        """The proof gap, said only when it narrows."""
        if self._gap.narrower(gap):
            self(gap_words(gap))

    def count(self, what: str, done: int, total: int) -> None:
        """`done` of `total` `what` (islands, scenarios...): a bar with the time left on a terminal, nothing elsewhere."""
        if not self.live:
            return
        from rich.markup import escape

        bar = self._ensure()
        if what not in self._tasks:
            self._tasks[what] = bar.add_task(escape(terminal(what)), total=total)
        bar.update(self._tasks[what], completed=done, total=total, visible=done < total)
        bar.refresh()

    def _ensure(self) -> Any:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("left"),
                            TimeRemainingColumn(), console=Console(file=self.stream), transient=True)
            self._bar.start()
            import atexit

            atexit.register(self.close)  # the bar is transient: it goes when the command ends, whatever way
        return self._bar

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def load_estate(path: Path, catalog_path: Optional[Path], overlays: Sequence[Path] = ()) -> tuple[Inventory, Estate]:
    """The inventory at `path` (with what-if `overlays` laid over it) and its estate; every input error on stderr and exit 2 otherwise."""
    try:
        catalog = load_catalog(catalog_path)
    except CatalogError as exc:
        for problem in exc.problems[:-1]:
            echo(f"error: {one_line(problem)}", err=True)
        fail(exc.problems[-1] if exc.problems else str(exc))
    try:
        inv = load_inventory(path, catalog, overlays)
    except InventoryError as exc:
        for issue in exc.issues:
            echo(f"error: {one_line(issue)}", err=True)
        echo(f"{len(exc.issues)} problem(s) in {one_line(path)}; nothing was planned or written", err=True)
        sys.exit(EXIT_INPUT)
    return inv, Estate.of(inv, catalog)


def load_plan(path: Path, consistent: bool = False) -> Plan:
    """The plan file at `path` (see :func:`planner.plan.document.read_plan` for `consistent`); a message on stderr and exit 2 when it cannot be read."""
    try:
        return read_plan(path, consistent)
    except PlanFileError as exc:
        fail(str(exc))


def emit(data: Any, fmt: str, text: str) -> None:
    """Print `data` as JSON for scripts, or `text` for people."""
    if fmt == "json":
        click.echo(json_text(data, indent=2, sort_keys=True, default=str))
    else:
        echo(text)


format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                             help="Output for people or for scripts.")


def backend_option(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """`--backend`: highs, cbc or an installed PuLP solver; anything else is a usage error (exit 2) naming the choices."""
    if value is None:
        return None
    from planner.solve.solvers import available_backends, backend_problem

    problem = backend_problem(value)
    if problem:
        raise click.BadParameter(f"{problem}; available here: {', '.join(available_backends())}")
    return value
