"""Importers: real inventories (Azure Migrate CSV and workbooks, RVTools, running Azure VMs) to inventory
YAML or a workloads table."""

from planner.inputs.importers.azure_migrate import import_azure_migrate
from planner.inputs.importers.azure_vms import import_azure_vms
from planner.inputs.importers.common import ImportFailed, ImportResult, Issue
from planner.inputs.importers.emit import render_summary_text, render_yaml
from planner.inputs.importers.os_family import os_family
from planner.inputs.importers.rvtools import import_rvtools
from planner.inputs.importers.sites import SiteTemplate, TemplateError, parse_template
from planner.inputs.importers.table import TableError
from planner.inputs.importers.workload_table import (
    workload_columns,
    write_workloads_table,
)

__all__ = [
    "ImportFailed",
    "ImportResult",
    "Issue",
    "SiteTemplate",
    "TableError",
    "TemplateError",
    "import_azure_migrate",
    "import_azure_vms",
    "import_rvtools",
    "os_family",
    "parse_template",
    "render_summary_text",
    "render_yaml",
    "workload_columns",
    "write_workloads_table",
]
