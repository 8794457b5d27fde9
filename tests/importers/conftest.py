"""Fixtures for the importer tests: the sample files and their generator."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/fixtures/import: realistic and broken sample files (made by make_fixtures.py)."""
    return FIXTURES


@pytest.fixture(scope="session")
def make_fixtures() -> ModuleType:
    """The fixture generator as a module (its folder is named `import`, so it cannot be imported by name)."""
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
