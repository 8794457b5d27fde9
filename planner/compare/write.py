"""Publishing a comparison: one folder per scenario, exactly as `planner plan` writes it, then the comparison documents.

Each scenario folder is published by :func:`planner.outputs.publish.publish` (reports first, plan.json
last, an older plan's reports removed); `comparison.json` goes last of all, so whenever it is
there every folder it names is complete. :func:`check_targets` refuses, before any solving, an
output that cannot take the folders (a file where a folder must go, a folder where a file must).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from planner.compare.render import FILES, comparison_files
from planner.compare.run import CompareResult
from planner.outputs.publish import PLAN_FILE, REPORT_FILES, PublishError, publish


def check_targets(out_dir: Path, scenarios: Sequence[str]) -> None:
    """Raise :class:`PublishError` when OUT, a scenario folder or a comparison file cannot be written as one."""
    existing = next((p for p in (out_dir, *out_dir.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise PublishError(f"cannot write {out_dir}: {existing} is a file, not a folder")
    for name in FILES:
        if (out_dir / name).is_dir():
            raise PublishError(f"cannot write {out_dir / name}: it is a folder; move it away or choose another --out")
    for ident in scenarios:
        folder = out_dir / ident
        if folder.exists() and not folder.is_dir():
            raise PublishError(f"cannot write {folder}: it is a file, not a folder for the scenario's plan")
        for name in (PLAN_FILE, *REPORT_FILES):
            if (folder / name).is_dir():
                raise PublishError(f"cannot write {folder / name}: it is a folder; move it away or choose another --out")


def write_comparison(result: CompareResult, out_dir: Path) -> list[Path]:
    """Write every scenario folder and the comparison documents into `out_dir`; return the comparison files."""
    check_targets(out_dir, list(result.folders))
    for ident, files in result.folders.items():
        publish(out_dir / ident, files, last=PLAN_FILE, remove=REPORT_FILES)
    publish(out_dir, comparison_files(result.comparison), last="comparison.json")
    return [out_dir / name for name in FILES]


__all__ = ["check_targets", "write_comparison"]
