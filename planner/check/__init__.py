"""The CI gate (`planner check`): re-plan against a baseline, findings, thresholds, waivers, and their renderers."""

from .changes import WorkloadChange
from .findings import Finding
from .gate import run_check
from .render import FORMATS, render
from .result import CHECK_FORMAT, CheckResult
from .thresholds import CostCheck, MoveCheck, Threshold, ThresholdError, parse_threshold
from .waivers import Waiver, WaiverFileError, load_waivers

__all__ = ["CHECK_FORMAT", "FORMATS", "CheckResult", "CostCheck", "Finding", "MoveCheck", "Threshold", "ThresholdError", "Waiver",
           "WaiverFileError", "WorkloadChange", "load_waivers", "parse_threshold", "render", "run_check"]
