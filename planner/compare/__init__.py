"""What-if scenarios planned side by side (`planner compare`): overlays over one inventory, each planned
independently on an executor, compared in `comparison.json`, `.html` and `.md`.

Modules, one job each: `scenarios` (which scenarios, their ids and names), `snapshot` (the bytes
a worker plans from), `task` (what a worker does for one scenario), `figures` (one plan in
numbers), `differences` (what lands elsewhere than in the base, and why), `model` (the
comparison), `run` (the whole run on an executor), `render` and `charts` (the documents),
`write` (publishing the output folder).
"""

from planner.compare.differences import Differences, Flow
from planner.compare.figures import Figures
from planner.compare.model import COMPARISON_FORMAT, Comparison, ScenarioView
from planner.compare.run import CompareInputError, CompareResult, ScenarioFault, compare
from planner.compare.scenarios import BASE, ScenarioInputError, ScenarioSpec, discover
from planner.compare.task import Overrides

__all__ = ["BASE", "COMPARISON_FORMAT", "CompareInputError", "CompareResult", "Comparison", "Differences", "Figures", "Flow",
           "Overrides", "ScenarioFault", "ScenarioInputError", "ScenarioSpec", "ScenarioView", "compare", "discover"]
