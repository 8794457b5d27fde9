"""`planner init`: scaffold an inventory folder from an export or from nothing. Click wiring only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from planner.base.untrusted import one_line
from planner.cli.common import echo, fail

if TYPE_CHECKING:
    from planner.inputs.importers import ImportResult

_DEFAULT_SITE = {"rvtools": "{datacenter}-{cluster}", "azure-migrate": "dc1"}


@click.command("init")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option("--from", "source", type=(click.Choice(["rvtools", "azure-migrate", "table"]),
                                        click.Path(exists=True, path_type=Path)),
              metavar="KIND FILE", default=None,
              help="The export to start from: `rvtools FILE`, `azure-migrate FILE` or `table FILE` (a workloads*.csv or "
                   ".parquet table). Without it: one example workload to replace.")
@click.option("--site", default=None, metavar="SITE_ID|TEMPLATE",
              help="The workloads' current site, as `planner import` takes it (default: '{datacenter}-{cluster}' for "
                   "RVTools, 'dc1' for Azure Migrate).")
@click.option("--region", "regions", multiple=True, metavar="AZURE_REGION",
              help="An Azure region to plan with (repeatable; default: westeurope, northeurope, swedencentral, "
                   "francecentral, germanywestcentral).")
@click.option("--country", default=None, metavar="ISO2", help="The country of every on-prem site (else a placeholder each).")
@click.option("--answers", "answers_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A YAML file of placeholder field: value (fields as `planner validate` names them; * for any text).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The day to count from (the scenario starts on the first of the next month); default: today.")
@click.option("--force", is_flag=True, help="Replace the files init writes in a non-empty DIR (other files are kept).")
def init_command(folder: Path, source: tuple[str, Path] | None, site: str | None, regions: tuple[str, ...],
                 country: str | None, answers_path: Path | None, today: dt.datetime | None, force: bool) -> None:
    """Scaffold an inventory folder in DIR: workloads, topology, policies, scenario, what-if overlays, waivers example.

    Every value the export cannot know is a placeholder that `planner validate DIR/inventory` lists.
    Exit 0; 2 for a bad export, answers file or region, or a non-empty DIR without --force."""
    from planner.inputs.scaffold import (
        ScaffoldError,
        read_answers,
        scaffold,
        write_scaffold,
    )

    day = today.date() if today is not None else dt.date.today()
    result, table, origin = None, None, "nothing (an empty estate)"
    command = "planner init"
    if source is not None:
        kind, path = source
        origin = f"{path.name} ({kind})"
        if kind == "table":
            if site is not None:
                fail("--site is for an export; a workloads table names each workload's current_site")
            table = path
        else:
            template = site or _DEFAULT_SITE[kind]
            command = f"planner init --from {kind} {path.name} --site {template}"
            result = _imported(kind, path, template)
    elif site is not None:
        fail("--site needs --from: without an export there is one example site, dc1")
    try:
        answers = read_answers(answers_path) if answers_path is not None else None
        s = scaffold(origin, result, table, regions=regions, country=country, today=day, answers=answers, command=command)
        written = write_scaffold(s, folder, force)
    except ScaffoldError as exc:
        fail(str(exc))
    except OSError as exc:
        from planner.base.atomic_write import write_error

        fail(write_error(folder, exc))
    echo(f"wrote {one_line(folder)}: {len(written)} files" + (f", {s.answered} answer(s) filled in" if s.answered else ""),
         err=True)
    if s.placeholders:
        echo(f"{len(s.placeholders)} placeholder(s) to fill in: `planner validate {one_line(folder / 'inventory')}` lists them; "
             f"{one_line(folder / 'README.md')} says how", err=True)
    else:
        echo(f"no placeholders left: `planner plan {one_line(folder / 'inventory')}`", err=True)


def _imported(kind: str, path: Path, template: str) -> ImportResult:
    """The export read by its importer; every error on stderr and exit 2 before anything is written."""
    from planner.domain.catalog import CatalogError
    from planner.inputs.importers import (
        import_azure_migrate,
        import_rvtools,
        render_summary_text,
    )
    from planner.inputs.importers.common import MAX_REPORTED, ImportFailed
    from planner.inputs.importers.sites import TemplateError
    from planner.inputs.importers.table import TableError
    from planner.inputs.sources import SourceError

    try:
        result = import_rvtools(path, template) if kind == "rvtools" else import_azure_migrate(path, template)
    except TemplateError as exc:
        fail(f"--site: {exc}")
    except ImportFailed as exc:
        for issue in exc.errors[:MAX_REPORTED]:
            echo(f"error: {one_line(issue)}", err=True)
        if len(exc.errors) > MAX_REPORTED:
            echo(f"... and {len(exc.errors) - MAX_REPORTED} more errors", err=True)
        fail(f"{len(exc.errors)} error(s) in the export; nothing written")
    except (TableError, SourceError, CatalogError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read {exc.filename or path}: {exc.strerror or exc}")
    echo(render_summary_text(result.summary("the scaffold")), err=True, nl=False)
    return result
