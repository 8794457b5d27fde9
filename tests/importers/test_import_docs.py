"""The README names every import and catalog command and each of their options."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from planner.cli.imports import catalog_group, import_group

DOC = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("group", "name"), [(g, n) for g in (import_group, catalog_group) for n in sorted(g.commands)]
)
def test_every_command_and_option_is_documented(group: click.Group, name: str):
    assert f"planner {group.name} {name}" in DOC
    for param in group.commands[name].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in DOC, f"{opt} of planner {group.name} {name} is not in README.md"
