"""The documentation: format references complete and current, a one-screen README pointing at them, a CLI reference that is
click's own help, and a site that builds with every link and anchor checked."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from pydantic import BaseModel

from planner.inputs.load.schema import FieldSpec

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("make_reference", ROOT / "tools" / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_reference"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_references_are_complete_and_current(reference, capsys):
    assert reference.undocumented() == []
    assert reference.main(["--check"]) == 0, "run: python tools/make_reference.py\n" + capsys.readouterr().err


def test_an_undocumented_or_vanished_model_field_is_caught(reference):
    class Site(BaseModel):
        id: str
        rack: Optional[str] = None  # a new field nobody described

    gaps = reference.model_gaps(Site, {"id": reference.Doc("the id"), "zone": reference.Doc("the zone")})
    assert gaps == ["Site.rack: no description in tools/make_reference.py", "Site.zone: described, but the model has no such field"]
    assert reference.spec_gaps([FieldSpec("vcpu", "number", " ")], "workloads") == ["workloads.vcpu: empty doc in planner/load/schema.py"]


def test_an_undocumented_plan_key_or_table_column_is_caught(reference, monkeypatch):
    plan = reference.specimen_plan()
    plan["assignments"][0]["carbon_kg_month"] = 1.5
    assert reference.plan_gaps([plan]) == ["plan.json assignments[].carbon_kg_month: no description in tools/make_reference.py"]
    monkeypatch.setitem(reference.tf.COLUMNS, "users", reference.tf.USER_COLUMNS + ("weight",))
    assert reference.table_gaps() == ["users table column weight: no field declaration"]


def test_a_stale_reference_is_caught(reference, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(reference, "DOCS", tmp_path)
    assert reference.main(["--check"]) == 1
    assert "stale: docs/inventory.md" in capsys.readouterr().err
    assert reference.main([]) == 0 and reference.main(["--check"]) == 0  # written, then current
    (tmp_path / "plan-file.md").write_text("hand-edited\n", encoding="utf-8")
    assert reference.main(["--check"]) == 1


def test_every_field_is_in_the_references():
    from planner.domain.model import Scenario, Site
    from planner.inputs.load.schema import (
        DEPENDENCY_FIELDS,
        USER_FIELDS,
        WORKLOAD_FIELDS,
    )
    from planner.inputs.table_format import COLUMNS

    inventory = (ROOT / "docs" / "inventory.md").read_text(encoding="utf-8")
    for f in (*WORKLOAD_FIELDS, *DEPENDENCY_FIELDS, *USER_FIELDS):
        assert f"| `{f.name}` |" in inventory, f.name
    for model in (Site, Scenario):
        for name in model.model_fields:
            assert f"| `{name}` |" in inventory, name
    tables = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    for columns in COLUMNS.values():
        for c in columns:
            assert f"| `{c}` |" in tables, c
    assert "| `solver.seconds` |" in (ROOT / "docs" / "plan-file.md").read_text(encoding="utf-8")


def test_readme_links_the_docs_and_nothing_users_never_see():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "shared/" not in readme and "DESIGN.md" not in readme
    links = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    assert links >= {"docs/index.md", "docs/inventory.md", "docs/tables.md", "docs/plan-file.md", "docs/design.md"}
    for link in links:
        assert (ROOT / link).is_file(), link
    for doc in (ROOT / "docs").rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+\.md)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).is_file(), f"{doc.relative_to(ROOT)} links {target}"
    assert "open `reports/executive.html`" in readme


def test_readme_is_one_screen_that_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1].splitlines()
    assert first_block[1].startswith("pip install -e . && planner plan ")
    assert first_block[2].startswith("pip install -e '.[test]' && python -m pytest ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert first_block[2].split("&&", 1)[1].split("#", 1)[0].strip() in ci, "CI runs the README's test command verbatim"
    assert len(readme.splitlines()) <= 60, "the README is one screen: move the rest into a page of docs/"
    for journey in ("planner plan", "planner check", "reports/executive.html"):
        assert journey in readme, journey


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_is_click_s_own_help_and_current(capsys):
    tool = load_tool("make_cli_reference")
    assert tool.main(["--check"]) == 0, "run: python tools/make_cli_reference.py\n" + capsys.readouterr().err
    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    from click.testing import CliRunner

    from planner.cli import main

    help_text = CliRunner().invoke(main, ["import", "rvtools", "--help"], prog_name="planner", terminal_width=tool.WIDTH,
                                  max_content_width=tool.WIDTH).output
    assert help_text.strip() in page  # what a user's --help prints, at the page's width


def test_a_new_option_without_regenerating_the_cli_reference_is_caught(tmp_path, monkeypatch, capsys):
    import click

    tool = load_tool("make_cli_reference")
    monkeypatch.setattr(tool, "PAGE", tmp_path / "cli.md")
    assert tool.main([]) == 0 and tool.main(["--check"]) == 0
    plan = tool.planner_main.commands["plan"]
    monkeypatch.setattr(plan, "params", [*plan.params, click.Option(["--brand-new"], help="Something new.")])
    assert tool.main(["--check"]) == 1
    assert "run python tools/make_cli_reference.py" in capsys.readouterr().err


def test_the_documentation_site_builds_with_strict_checks(tmp_path):
    pytest.importorskip("mkdocs", reason="the documentation site needs mkdocs-material: pip install -e '.[test]'")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "strict: true" in config and "anchors: warn" in config  # a broken link or anchor fails the build
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                           cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    warnings = [line for line in build.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert build.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(warnings or build.stderr.splitlines()[-20:])
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").is_file()
