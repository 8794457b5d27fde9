"""Hybrid-cloud migration planner: provably cheapest placement under residency and latency rules."""

from .catalog import Catalog, load_catalog
from .diff import PlanDiff, diff_plans
from .errors import InventoryError, Issue, PlannerError
from .estate import Estate
from .explain import Explanation, explain_workload
from .load import load_inventory
from .model import Inventory, Site, Workload
from .pipeline import PlanResult, make_plan
from .plan import Plan, read_plan
from .rules import Rule, Violation, violations
from .solve.limits import Limits
from .solve.limits import use as use_limits
from .verify import verify_plan

__all__ = [
    "Catalog", "Estate", "Explanation", "Inventory", "InventoryError", "Issue", "Limits", "Plan", "PlanDiff", "PlanResult",
    "PlannerError", "Rule", "Site", "Violation", "Workload", "diff_plans", "explain_workload", "load_catalog", "load_inventory",
    "make_plan", "read_plan", "use_limits", "verify_plan", "violations",
]
