"""A run of empty waves inside the programme is explained: in plan.json's schedule.notes and in the roadmap."""

from __future__ import annotations

import pytest
from helpers import BASE, inventory, workload

from planner import load_inventory, make_plan
from planner.outputs.report import render_files


def _closing_cheap_site(tmp_path):
    """app1 saves by leaving dear mad-dc1 (early); app2 must leave cheap lon-dc1 before it closes and pays more for it (late)."""
    sites = [dict(s) for s in BASE["sites"]]
    sites.append({"id": "lon-dc1", "kind": "onprem", "zone": "frankfurt", "closes": "2027-12-31",
                  "cost": {"vcpu_month": 2.0, "memory_gb_month": 0.2, "storage_gb_month": 0.01, "egress_gb": 0.0}})
    wls = [workload("a1", app="app1"), workload("b1", app="app2", current_site="lon-dc1")]
    scenario = {**BASE["scenario"], "horizon_months": 24, "waves": {"length_days": 30, "pilot_waves": 0}}
    return load_inventory(inventory(tmp_path, wls, sites=sites, scenario=scenario))


@pytest.mark.slow
def test_empty_waves_between_moves_say_why_in_the_plan_and_the_roadmap(tmp_path):
    result = make_plan(_closing_cheap_site(tmp_path))
    plan = result.plan
    wave_of = {a.workload: a.wave for a in plan.assignments}
    assert wave_of["a1"] == 1 and wave_of["b1"] > 2, wave_of
    assert len(plan.schedule.notes) == 1
    note = plan.schedule.notes[0]
    assert note.startswith(f"waves 2 to {wave_of['b1'] - 1} (")
    assert "cost more after their move than before (app2)" in note and "as late as their deadlines allow" in note
    files = render_files(plan, result.estate, None, ("html", "md"))
    assert f"- {note}." in files["roadmap.md"].decode()
    assert note.split(":")[0] in files["roadmap.html"].decode()


def test_a_programme_without_gaps_has_no_notes(tmp_path):
    wls = [workload("a1", app="app1"), workload("a2", app="app2")]
    result = make_plan(load_inventory(inventory(tmp_path, wls)))
    assert result.plan.schedule.notes == ()
    assert "move nothing:" not in render_files(result.plan, result.estate, None, ("md",))["roadmap.md"].decode()
