"""The bug report of a plan that the planner's own verifier rejects: that plan.json and the findings, nothing else.

No inventory and nothing of the machine goes in, so the folder can be attached to an issue as it is.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from planner.base.atomic_write import write_atomic
from planner.base.problem import Problem
from planner.base.untrusted import json_text
from planner.outputs.publish import PLAN_FILE
from planner.plan.document import Plan

BUNDLE_PREFIX = "planner-fault-"
FINDINGS_FILE = "findings.json"
FINDINGS_FORMAT = "hybrid-migration-findings/1"


def findings_json(findings: Sequence[Problem]) -> str:
    """findings.json: the verifier's findings (rule, workloads, sites, message), sorted."""
    doc = {"format": FINDINGS_FORMAT, "findings": [p.to_json() for p in sorted(set(findings))]}
    return json_text(doc, indent=2, sort_keys=True) + "\n"


def write_bundle(plan: Plan, findings: Sequence[Problem]) -> Path:
    """Write plan.json and findings.json into a new folder of the system's temporary folder and return it (OSError if it cannot)."""
    folder = Path(tempfile.mkdtemp(prefix=BUNDLE_PREFIX))
    try:
        write_atomic(folder / FINDINGS_FILE, findings_json(findings))
        write_atomic(folder / PLAN_FILE, plan.to_json())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # half a bug report would pass for a whole one
        raise
    return folder


__all__ = ["BUNDLE_PREFIX", "FINDINGS_FILE", "FINDINGS_FORMAT", "findings_json", "write_bundle"]
