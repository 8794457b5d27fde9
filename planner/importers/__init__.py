"""Importers: real inventories (Azure Migrate CSV, RVTools, running Azure VMs) to inventory YAML."""

from planner.importers.azure_migrate import import_azure_migrate
from planner.importers.azure_vms import import_azure_vms
from planner.importers.common import ImportFailed, ImportResult, Issue
from planner.importers.emit import render_summary_text, render_yaml
from planner.importers.rvtools import import_rvtools
from planner.importers.table import TableError

__all__ = [
    "ImportFailed",
    "ImportResult",
    "Issue",
    "TableError",
    "import_azure_migrate",
    "import_azure_vms",
    "import_rvtools",
    "render_summary_text",
    "render_yaml",
]
