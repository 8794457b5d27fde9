"""Hybrid-cloud migration planner: provably cheapest placement under residency and latency rules."""

from planner.analysis.diff import PlanDiff, diff_plans
from planner.analysis.explain import Explanation, explain_workload
from planner.analysis.verify import verify_plan
from planner.base.errors import InventoryError, Issue, PlannerError
from planner.domain.catalog import Catalog, load_catalog
from planner.domain.estate import Estate
from planner.domain.inventory import Inventory
from planner.domain.model import Site, Workload
from planner.domain.rules import Rule, Violation, violations
from planner.inputs.load import load_inventory
from planner.outputs.limits import OutputLimits
from planner.outputs.limits import use as use_output_limits
from planner.pipeline import PlanResult, make_plan
from planner.plan.document import Plan, read_plan
from planner.solve.limits import Limits
from planner.solve.limits import use as use_limits

__all__ = [
    "Catalog", "Estate", "Explanation", "Inventory", "InventoryError", "Issue", "Limits", "OutputLimits", "Plan", "PlanDiff", "PlanResult",
    "PlannerError", "Rule", "Site", "Violation", "Workload", "diff_plans", "explain_workload", "load_catalog", "load_inventory",
    "make_plan", "read_plan", "use_limits", "use_output_limits", "verify_plan", "violations",
]
