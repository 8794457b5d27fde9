"""The `planner` command line: click wiring over the library, nothing more.

Exit codes: 0 success, 1 no plan / a check failed, 2 bad input or usage, 3 a fault of the
planner itself (its own verifier rejected the plan it made: nothing is published).
Results go to stdout or files, progress to stderr; written files appear whole or not at all.
Each command lives in a module of this package named for it; this module only groups them.
"""

from __future__ import annotations

import click

from planner.base.errors import PlannerError
from planner.cli.check import check_command
from planner.cli.common import CONTEXT_SETTINGS, default_inventory, exit_error
from planner.cli.compare import compare_command
from planner.cli.diff import diff_command, explain_command
from planner.cli.export import export_command
from planner.cli.imports import catalog_group, import_group
from planner.cli.init import init_command
from planner.cli.network import network_command
from planner.cli.plan import plan_command
from planner.cli.precommit import precommit_command
from planner.cli.report import report_command
from planner.cli.synth import synth_command
from planner.cli.validate import validate_command, verify_command

# Re-exported: scripts and tests use planner.cli.default_inventory.
__all__ = ["default_inventory", "main"]


class _Commands(click.Group):
    """The command group: an error a command does not handle itself still ends with its message and exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PlannerError as exc:
            exit_error(exc)


@click.group(cls=_Commands, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="hybrid-migration-planner")
def main() -> None:
    """Plan the cheapest legal, latency-safe move of an estate into own DCs, Azure and edge sites."""


for _command in (plan_command, validate_command, verify_command, import_group, catalog_group, report_command, diff_command,
                 explain_command, check_command, synth_command, export_command, compare_command, network_command,
                 init_command, precommit_command):
    main.add_command(_command)
