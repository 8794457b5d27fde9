"""`planner import ...` and `planner catalog refresh`: click wiring only.

Each command parses its options, calls an importer or the catalogue refresh, and writes the
result. Results go to stdout (YAML) or `--out` (YAML, or the workloads table for .csv and
.parquet; written atomically); the summary, progress and warnings go to stderr. Domain
errors become exit code 2 here, at the border, and nothing is written when there is any.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Optional

import click

from planner.base.atomic_write import write_atomic
from planner.base.untrusted import json_text, one_line
from planner.cli.common import CONTEXT_SETTINGS, echo
from planner.domain.catalog import CatalogError, load_catalog
from planner.inputs.importers.common import MAX_REPORTED, ImportFailed, ImportResult
from planner.inputs.importers.emit import render_summary_text, yaml_chunks
from planner.inputs.importers.sites import TemplateError, parse_template
from planner.inputs.importers.table import TableError
from planner.inputs.importers.workload_table import (
    TABLE_SUFFIXES,
    write_workloads_table,
)
from planner.inputs.sources import SourceError
from planner.inputs.table_format import table_kind

FORMATS = click.Choice(["text", "json"])
YAML_SUFFIXES = (".yaml", ".yml")


class Failed(click.ClickException):
    """A domain error at the CLI border: one clear message, exit code 2, made safe for a terminal and a CI log."""

    exit_code = 2

    def format_message(self) -> str:
        return one_line(self.message)


def _site_option(help_text: str) -> Callable[[Any], Any]:
    return click.option("--site", "site", required=True, metavar="SITE_ID", help=help_text)


def _check_site(site: str, placeholders: tuple[str, ...] = ()) -> str:
    """A usage error (exit 2) unless `site` is a site id, with only `placeholders` in braces."""
    try:
        parse_template(site, placeholders)
    except TemplateError as exc:
        raise click.BadParameter(str(exc), param_hint="--site") from None
    return site


def _check_out(ctx: click.Context, param: click.Parameter, out: Optional[Path]) -> Optional[Path]:
    if out is not None and out.suffix.lower() not in YAML_SUFFIXES + TABLE_SUFFIXES:
        raise click.BadParameter(f"{str(out)!r}: name a .yaml or .yml file (inventory YAML), or a .csv or .parquet "
                                 "file (the workloads table)", ctx=ctx, param=param)
    return out


def _out_option() -> Callable[[Any], Any]:
    return click.option(
        "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=_check_out,
        help="Write here (atomically) instead of YAML on stdout: .yaml/.yml for YAML, .csv/.parquet for the "
             "workloads table.",
    )


def _default_storage_option() -> Callable[[Any], Any]:
    return click.option(
        "--default-storage-gb", "default_storage_gb", type=click.FloatRange(min=0, max=1e8), default=None,
        metavar="GB", help="Storage for a server whose source gives no disk size (default: 0, counted in the summary).",
    )


def _format_option() -> Callable[[Any], Any]:
    return click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
                        help="Summary on stderr as text or JSON.")


def _emit(result: ImportResult, command: str, out: Optional[Path], fmt: str) -> None:
    """Write the YAML (stdout or atomically to `out`) or the workloads table, and the summary to stderr."""
    try:
        if out is None:
            for chunk in yaml_chunks(result, command):
                click.echo(chunk, nl=False)
        elif out.suffix.lower() in TABLE_SUFFIXES:
            write_workloads_table(result, out)
        else:
            write_atomic(out, yaml_chunks(result, command))
    except OSError as exc:
        raise Failed(f"cannot write {out}: {exc.strerror or exc}") from None
    summary = result.summary("-" if out is None else str(out))
    if fmt == "json":
        click.echo(json_text(summary, indent=1, sort_keys=True), err=True)
    else:
        echo(render_summary_text(summary), err=True, nl=False)
    if out is not None and out.suffix.lower() in TABLE_SUFFIXES and table_kind(out) != "workloads":
        echo(f"note: an inventory folder reads workloads tables named workloads*{out.suffix.lower()}; "
             f"rename {one_line(out.name)} to be read", err=True)


def _run(command: str, do: Callable[[], ImportResult], out: Optional[Path], fmt: str) -> None:
    """Run an importer; report every error and exit 2 before anything is written."""
    try:
        result = do()
    except ImportFailed as exc:
        errors = exc.errors
        if fmt == "json":
            click.echo(json_text({"format": "planner-import-summary/1", "errors": [e.as_dict() for e in errors]},
                                 indent=1, sort_keys=True), err=True)
        else:
            for issue in errors[:MAX_REPORTED]:
                echo(f"error: {one_line(issue)}", err=True)
            if len(errors) > MAX_REPORTED:
                echo(f"... and {len(errors) - MAX_REPORTED} more errors", err=True)
        raise Failed(f"{len(errors)} error(s) in the input; nothing written") from None
    except (TableError, SourceError, CatalogError) as exc:
        raise Failed(str(exc)) from None
    except OSError as exc:
        raise Failed(f"cannot read {exc.filename or 'the input'}: {exc.strerror or exc}") from None
    _emit(result, command, out, fmt)


@click.group("import", context_settings=CONTEXT_SETTINGS)
def import_group() -> None:
    """Turn real inventories (Azure Migrate, RVTools, running Azure VMs) into inventory YAML or a workloads table."""


@import_group.command("azure-migrate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_site_option("Site id the servers run on today (their current_site).")
@click.option("--sheet", default=None, metavar="NAME",
              help="Sheet of an xlsx workbook to read (default: chosen by its headers).")
@click.option("--skip-powered-off", is_flag=True, help="Leave powered-off servers out (they are imported by default).")
@_default_storage_option()
@_out_option()
@_format_option()
def import_azure_migrate_cmd(
    file: Path, site: str, sheet: Optional[str], skip_powered_off: bool, default_storage_gb: Optional[float],
    out: Optional[Path], fmt: str,
) -> None:
    """Import an Azure Migrate CSV template, discovery report or assessment workbook (.xlsx)."""
    from planner.inputs.importers.azure_migrate import import_azure_migrate

    _check_site(site)
    _run(
        f"planner import azure-migrate {file.name} --site {site}",
        lambda: import_azure_migrate(file, site, sheet=sheet, skip_powered_off=skip_powered_off,
                                     default_storage_gb=default_storage_gb),
        out,
        fmt,
    )


@import_group.command("rvtools")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@_site_option("Site id the VMs run on today, or a template over {datacenter}, {cluster} and {host} "
              "(e.g. '{datacenter}-{cluster}').")
@click.option("--storage", type=click.Choice(["provisioned", "in-use"]), default="provisioned", show_default=True,
              help="Size storage by provisioned disks (vDisk) or by what the guest uses (vPartition).")
@click.option("--skip-powered-off", is_flag=True, help="Leave powered-off VMs out (they are imported by default).")
@click.option("--strict", is_flag=True,
              help="A VM without CPU or memory figures is an error (by default: skipped with a warning).")
@_default_storage_option()
@_out_option()
@_format_option()
def import_rvtools_cmd(
    file: Path, site: str, storage: str, skip_powered_off: bool, strict: bool, default_storage_gb: Optional[float],
    out: Optional[Path], fmt: str,
) -> None:
    """Import an RVTools export: the xlsx, its vInfo CSV, or a folder of its CSVs."""
    from planner.inputs.importers.rvtools import PLACEHOLDERS, import_rvtools

    _check_site(site, PLACEHOLDERS)
    _run(
        f"planner import rvtools {file.name} --site {site}",
        lambda: import_rvtools(file, site, storage=storage, skip_powered_off=skip_powered_off, strict=strict,
                               default_storage_gb=default_storage_gb),
        out,
        fmt,
    )


@import_group.command("azure")
@click.option("--subscription", envvar="AZURE_SUBSCRIPTION_ID", required=True, metavar="ID",
              help="Subscription to list (default: $AZURE_SUBSCRIPTION_ID).")
@_site_option("Site id of the VMs; '{region}' is replaced by each VM's region (e.g. az-{region}).")
@click.option("--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="VM catalogue to resolve sizes (default: the shipped snapshot).")
@_out_option()
@_format_option()
def import_azure_cmd(
    subscription: str, site: str, catalog_path: Optional[Path], out: Optional[Path], fmt: str
) -> None:
    """Import the VMs already running in an Azure subscription (azure-identity credentials)."""
    from planner.inputs.azure.arm import AzureVmInventorySource
    from planner.inputs.importers.azure_vms import PLACEHOLDERS, import_azure_vms

    _check_site(site, PLACEHOLDERS)

    def do() -> ImportResult:
        catalog = load_catalog(catalog_path)
        source = AzureVmInventorySource(subscription)
        return import_azure_vms(source, catalog, site, f"subscription {subscription}")

    _run(f"planner import azure --subscription {subscription} --site {site}", do, out, fmt)


@click.group("catalog", context_settings=CONTEXT_SETTINGS)
def catalog_group() -> None:
    """The Azure VM size and price catalogue."""


@catalog_group.command("refresh")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="Azure region to include (repeatable; default: every region of the shipped snapshot).")
@click.option("--subscription", envvar="AZURE_SUBSCRIPTION_ID", default=None, metavar="ID",
              help="Subscription whose VM sizes to list (default: $AZURE_SUBSCRIPTION_ID).")
@click.option("--currency", default="EUR", show_default=True, help="ISO currency of the prices.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("azure_vm_catalog.json"),
              show_default=True, help="Catalogue file to write (atomically).")
@_format_option()
def catalog_refresh_cmd(
    regions: tuple[str, ...], subscription: Optional[str], currency: str, out: Path, fmt: str
) -> None:
    """Rebuild the catalogue from Azure resource SKUs and the Azure Retail Prices API."""
    from planner.inputs.azure.arm import AzureSkuSource
    from planner.inputs.azure.prices import RetailPriceSource
    from planner.inputs.catalog_refresh import (
        catalog_document,
        option_counts,
        refresh_catalog,
    )

    currency = currency.upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise click.BadParameter(f"{currency!r} is not a three-letter currency code", param_hint="--currency")
    if not subscription:
        raise Failed("catalog refresh lists VM sizes through a subscription: pass --subscription ID "
                     "or set AZURE_SUBSCRIPTION_ID")
    quiet = fmt == "json"

    def progress(message: str) -> None:
        if not quiet:
            echo(one_line(message), err=True)

    try:
        previous = load_catalog(out) if out.is_file() else load_catalog()
    except CatalogError:
        previous = load_catalog()
    wanted = sorted(set(regions)) or sorted(previous.regions)
    try:
        result = refresh_catalog(
            wanted, currency, AzureSkuSource(subscription), RetailPriceSource(progress=progress),
            previous=previous, progress=progress,
        )
    except SourceError as exc:
        raise Failed(str(exc)) from None
    if not result.catalog.skus:
        for warning in result.warnings:
            echo(f"warning: {one_line(warning)}", err=True)
        raise Failed("nothing to write: no region has priced VM sizes; the catalogue is unchanged")
    try:
        write_atomic(out, catalog_document(result))
    except CatalogError as exc:  # the answer holds a price no catalogue may hold: write nothing
        raise Failed(f"the refreshed catalogue would not be valid, nothing written: {exc}") from None
    except OSError as exc:
        raise Failed(f"cannot write {out}: {exc.strerror or exc}") from None
    summary: dict[str, Any] = {
        "format": "planner-catalog-refresh/1",
        "out": str(out),
        "currency": currency,
        "regions": sorted(result.catalog.regions),
        "skus": len(result.catalog.skus),
        "priced": option_counts(result.catalog),
        "skipped_restricted": result.skipped_restricted,
        "skipped_unpriced": result.skipped_unpriced,
        "warnings": result.warnings,
    }
    if quiet:
        click.echo(json_text(summary, indent=1, sort_keys=True), err=True)
        return
    for warning in result.warnings:
        echo(f"warning: {one_line(warning)}", err=True)
    echo(
        f"wrote {one_line(out)}: {summary['skus']} VM sizes in {len(summary['regions'])} regions ({currency}); "
        f"{result.skipped_restricted} restricted and {result.skipped_unpriced} unpriced sizes left out",
        err=True,
    )
    echo("priced beyond Linux pay-as-you-go: "
               + ", ".join(f"{label} {count}" for label, count in summary["priced"].items()), err=True)

