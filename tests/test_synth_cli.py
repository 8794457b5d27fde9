"""`planner synth`: deterministic, the size asked for, and a plannable estate."""

from __future__ import annotations

from click.testing import CliRunner

from planner import load_inventory, make_plan, verify_plan
from planner.cli import main


def test_synth_is_deterministic_and_plannable(tmp_path):
    runner = CliRunner()
    for name, seed in (("a.yaml", 3), ("b.yaml", 3), ("c.yaml", 4)):
        assert runner.invoke(main, ["synth", "--workloads", "300", "--seed", str(seed), "--out", str(tmp_path / name)]).exit_code == 0
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.yaml", "b.yaml", "c.yaml"))
    assert a == b and a != c
    inv = load_inventory(tmp_path / "a.yaml")
    assert len(inv.workloads) == 300
    result = make_plan(inv)
    assert result.plan.status in ("optimal", "feasible")
    assert verify_plan(result.estate, result.plan) == []
