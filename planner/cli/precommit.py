"""`planner precommit`: the pre-commit hook's entry, validating the inventories that hold the changed files. Click wiring only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from planner.base.errors import InventoryError
from planner.base.untrusted import one_line
from planner.cli.common import EXIT_INPUT, catalog_option, echo
from planner.domain.catalog import CatalogError, load_catalog
from planner.inputs.changed import inventories_touched
from planner.inputs.load import load_inventory

DEFAULT_ROOT = Path("inventory")  # the planner's default inventory folder, relative to the repository root


@click.command("precommit")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--inventory", "roots", multiple=True, type=click.Path(path_type=Path), metavar="PATH",
              help="An inventory (folder or single file) to guard; repeatable (default: inventory).")
@catalog_option
def precommit_command(files: tuple[Path, ...], roots: tuple[Path, ...], catalog_path: Optional[Path]) -> None:
    """Validate every inventory that holds one of FILES (the changed files pre-commit passes), as `planner validate`
    does, each once. Files in no inventory are skipped. Exit 0 all valid (or none touched), 2 a problem.
    """
    touched, stray = inventories_touched(files, roots or (DEFAULT_ROOT,))
    if stray and not touched:
        echo(f"{len(stray)} changed file(s) in no inventory ({', '.join(one_line(r) for r in roots or (DEFAULT_ROOT,))}): nothing to validate")
    bad = 0
    catalog = None
    for root in touched:
        try:
            catalog = catalog or load_catalog(catalog_path)
            inv = load_inventory(root, catalog)
        except (InventoryError, CatalogError) as exc:
            issues = exc.issues if isinstance(exc, InventoryError) else []
            for issue in issues:
                echo(f"error: {one_line(issue)}", err=True)
            if not issues:
                echo(f"error: {one_line(exc)}", err=True)
            echo(f"{len(issues) or 1} problem(s) in {one_line(root)}", err=True)
            bad += 1
            continue
        echo(f"{one_line(root)}: valid: {len(inv.workloads)} workloads, {len(inv.sites)} sites, {len(inv.zones)} zones, "
             f"{len(inv.policies)} policies")
    if bad:
        sys.exit(EXIT_INPUT)
