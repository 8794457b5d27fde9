"""Hybrid-cloud migration planner: provably cheapest placement under residency and latency rules."""

from .catalog import Catalog, load_catalog
from .errors import InventoryError, Issue
from .estate import Estate
from .loader import load_inventory
from .model import Inventory, Site, Workload
from .pipeline import PlanResult, make_plan
from .plan import Plan, read_plan
from .rules import Rule, Violation, violations
from .verify import verify_plan

__all__ = [
    "Catalog", "Estate", "Inventory", "InventoryError", "Issue", "Plan", "PlanResult", "Rule", "Site",
    "Violation", "Workload", "load_catalog", "load_inventory", "make_plan", "read_plan", "verify_plan", "violations",
]
