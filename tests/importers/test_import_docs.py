"""The README or the importing how-to names every import and catalog command and each of their options."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from planner.cli.imports import catalog_group, import_group

ROOT = Path(__file__).resolve().parents[2]
DOC = "".join((ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "docs/how-to/importing.md", "docs/how-to/catalogue.md",
                                                                      "docs/reference/commands.md")
              if (ROOT / name).is_file())


@pytest.mark.parametrize(
    ("group", "name"), [(g, n) for g in (import_group, catalog_group) for n in sorted(g.commands)]
)
def test_every_command_and_option_is_documented(group: click.Group, name: str):
    assert f"planner {group.name} {name}" in DOC
    for param in group.commands[name].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in DOC, f"{opt} of planner {group.name} {name} is not in README.md or the importing, catalogue or commands page"
