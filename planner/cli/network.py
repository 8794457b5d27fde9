"""`planner network`: the zones and measured latency of a set of Azure regions, as inventory YAML. Click wiring only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from planner.base.atomic_write import write_atomic, write_error
from planner.cli.common import echo, fail


@click.command("network")
@click.argument("regions", nargs=-1)
@click.option("--percentile", type=click.Choice(["p50", "p95"]), default="p50", show_default=True,
              help="The median round trip, or the 95th percentile for budgets that must hold at busy times.")
@click.option("--list", "list_regions", is_flag=True, help="List the Azure regions the table knows, and exit.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the YAML here (default: stdout); merge it into an inventory's geography file.")
def network_command(regions: tuple[str, ...], percentile: str, list_regions: bool, out_path: Optional[Path]) -> None:
    """Write `zones` and `latency_ms` for these Azure regions from Microsoft's measured round-trip latency.

    Exit 0; 2 for an unknown region or an --out that cannot be written."""
    from planner.inputs.network import UnknownRegion, azure_network
    from planner.inputs.network import regions as known_regions

    if list_regions:
        for r in known_regions().values():
            echo(f"{r.region:<22} {r.country}  {r.name}")
        return
    if not regions:
        fail("name at least one Azure region (e.g. `planner network westeurope northeurope`); --list shows them")
    try:
        net = azure_network(regions, percentile)
    except UnknownRegion as exc:
        fail(str(exc))
    for a, b in net.unmeasured:
        echo(f"warning: no measured latency between {a} and {b}: no latency budget can hold across them", err=True)
    text = net.to_yaml()
    if out_path is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(out_path, text.encode("utf-8"))
    except OSError as exc:
        fail(write_error(out_path, exc))
    echo(f"wrote {out_path}: {len(net.zones)} zones, {len(net.latency_ms)} measured pairs ({percentile})", err=True)
