"""Build hook only (all metadata is in pyproject.toml): ship the repository's top-level `templates/`
(the reports' Jinja templates, DESIGN.md's layout) and `inventory/` (the sample estate that
`planner plan` runs on by default) inside the wheel as `planner/templates/` and `planner/inventory/`.

A checkout or an editable install reads them from the repository instead (see
`planner.outputs.report.render.builtin_templates` and `planner.cli.default_inventory`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "inventory")


class BuildPyWithData(build_py):
    """build_py that also copies the top-level data folders into the built `planner` package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the repository's folders directly
        for name in BUNDLED:
            source = ROOT / name
            if source.is_dir():
                target = Path(self.build_lib) / "planner" / name
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildPyWithData})
