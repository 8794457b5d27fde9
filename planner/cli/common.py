"""What every `planner` command module shares: exit codes, printing, progress lines, loading an inventory
or a plan file with bad input turned into exit 2, and the common options.

Everything a command prints for people goes through :func:`echo` (stdout or stderr), which passes
it through :func:`planner.untrusted.terminal`: inventory text can never start a workflow command
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

from ..catalog import CatalogError, load_catalog
from ..errors import InventoryError, PlanFileError
from ..estate import Estate
from ..load import load_inventory
from ..model import Inventory
from ..plan import Plan, read_plan
from ..untrusted import json_text, one_line, terminal

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2

catalog_option = click.option("--catalog", "catalog_path", type=click.Path(path_type=Path, dir_okay=False),
                              help="VM catalogue JSON (default: the shipped snapshot).")


def default_inventory() -> Path:
    """The sample estate shipped with the package (the repository's `inventory/`)."""
    bundled = Path(str(resources.files("planner"))) / "inventory"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parents[2] / "inventory"


def echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Print text for people on stdout (or stderr), made safe for a terminal and a CI log."""
    click.echo(terminal(text), err=err, nl=nl)


def fail(message: str) -> NoReturn:
    """`error: MESSAGE` on stderr, then exit 2 (bad input)."""
    echo(f"error: {one_line(message)}", err=True)
    sys.exit(EXIT_INPUT)


class Progress:
    """Progress lines on stderr, with seconds since start; silent with --quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            echo(f"[{time.perf_counter() - self.t0:7.1f}s] {one_line(message)}", err=True)


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


def load_plan(path: Path) -> Plan:
    """The plan file at `path`; a message on stderr and exit 2 when it cannot be read."""
    try:
        return read_plan(path)
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
