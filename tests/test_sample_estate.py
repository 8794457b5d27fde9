"""The shipped sample estate plans, verifies, and replans to the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner import load_inventory, make_plan, verify_plan

SAMPLE = Path(__file__).parent.parent / "inventory"


@pytest.mark.slow
def test_sample_estate_plans_optimally_and_verifies():
    inv = load_inventory(SAMPLE)
    first = make_plan(inv)
    assert first.plan.status == "optimal"
    assert verify_plan(first.estate, first.plan) == []
    kinds = {first.estate.site_by_id[a.site].kind.value for a in first.plan.assignments}
    assert kinds == {"onprem", "azure", "edge"}
    assert first.plan.totals["horizon_cost"] < first.plan.totals["stay_put_monthly_run_cost"] * inv.scenario.horizon_months
    again = json.loads(make_plan(load_inventory(SAMPLE)).plan.to_json())
    ours = json.loads(first.plan.to_json())
    again["solver"].pop("seconds"), ours["solver"].pop("seconds")
    assert again == ours
