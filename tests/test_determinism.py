"""The same inventory gives the same plan.json on a busy machine as on an idle one: work decides, never the clock."""

from __future__ import annotations

import json
import time

import pytest

from planner import load_inventory, make_plan
from planner.inputs.synth import synth_to_file


def _plan_bytes(path) -> str:
    doc = json.loads(make_plan(load_inventory(path)).plan.to_json())
    doc["solver"].pop("seconds")
    return json.dumps(doc, sort_keys=True)


@pytest.mark.slow
def test_a_slow_clock_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "estate.yaml"
    synth_to_file(path, 2500, 7)  # islands sharing full sites: pricing rounds, masters, island MIPs and waves all run
    idle = _plan_bytes(path)
    real_monotonic, real_perf = time.monotonic, time.perf_counter
    lag = {"s": 0.0}

    def busy(real):
        def clock() -> float:
            lag["s"] += 0.01  # every look at the clock finds it later: a machine busy with other work
            return real() + lag["s"]
        return clock

    monkeypatch.setattr(time, "monotonic", busy(real_monotonic))
    monkeypatch.setattr(time, "perf_counter", busy(real_perf))
    assert _plan_bytes(path) == idle
    assert lag["s"] > 0  # the slowed clock was read
