"""The CI gate (`planner check`): re-plan against a baseline, findings, thresholds, waivers, and their renderers."""

from planner.check.changes import WorkloadChange
from planner.check.findings import Finding
from planner.check.gate import CheckOptions, run_check
from planner.check.render import FORMATS, render
from planner.check.result import CHECK_FORMAT, CheckResult
from planner.check.thresholds import (
           CostCheck,
           MoveCheck,
           Threshold,
           ThresholdError,
           parse_threshold,
)
from planner.check.waivers import Waiver, WaiverFileError, load_waivers

__all__ = ["CHECK_FORMAT", "FORMATS", "CheckOptions", "CheckResult", "CostCheck", "Finding", "MoveCheck", "Threshold", "ThresholdError", "Waiver",
           "WaiverFileError", "WorkloadChange", "load_waivers", "parse_threshold", "render", "run_check"]
