"""Which scenarios a comparison holds: `base` (the inventory as is) and one per overlay file or folder.

A scenario's id is its file name without `.yaml`/`.yml`, or its folder's name; it names the
scenario's output folder, so it must be a plain name that is neither `base` nor one of the
comparison's own files. `--scenarios DIR` adds every overlay file and folder directly inside DIR
(hidden ones skipped), in name order, after the `--scenario` ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from ..load import overlay_name
from ..load.overlay import overlay_files, read_overlay_doc
from ..load.rows import Issues
from ..load.schema import ID_PATTERN, MAX_TEXT

BASE = "base"
YAML_SUFFIXES = (".yaml", ".yml")
RESERVED = (BASE, "comparison.html", "comparison.md", "comparison.json")


class ScenarioInputError(Exception):
    """Scenarios that cannot be compared as given; `problems` holds one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario: its id (its folder in the output), the overlay it lays over the base (None: the base) and its name."""

    id: str
    overlay: Optional[Path]
    name: str


def scenario_id(path: Path) -> str:
    """The id of an overlay file or folder: its name without `.yaml`/`.yml`."""
    name = path.name
    for suffix in YAML_SUFFIXES:
        if name.lower().endswith(suffix) and not path.is_dir():
            return name[: -len(suffix)]
    return name


def sweep(folder: Path) -> list[Path]:
    """Every overlay file (`*.yaml`, `*.yml`) and overlay folder directly inside `folder`, in name order."""
    return sorted((p for p in folder.iterdir() if not p.name.startswith(".")
                   and (p.is_dir() or p.suffix.lower() in YAML_SUFFIXES)), key=lambda p: p.name)


def discover(scenarios: Sequence[Path], folders: Sequence[Path]) -> list[ScenarioSpec]:
    """`base` first, then each `--scenario` in order, then each `--scenarios` folder's entries; raises :class:`ScenarioInputError`."""
    problems: list[str] = []
    paths: list[Path] = []
    for p in scenarios:
        if not p.exists():
            problems.append(f"--scenario {p}: no such file or folder")
        else:
            paths.append(p)
    for folder in folders:
        if not folder.is_dir():
            problems.append(f"--scenarios {folder}: not a folder of scenario files")
            continue
        found = sweep(folder)
        if not found:
            problems.append(f"--scenarios {folder}: holds no scenario (.yaml or .yml files, or folders of them)")
        paths.extend(found)
    specs = [ScenarioSpec(BASE, None, "Base: the inventory as it is")]
    seen: dict[str, Path] = {}
    for p in paths:
        ident = scenario_id(p)
        if ident.lower() in RESERVED:
            problems.append(f"{p}: the scenario id '{ident}' is reserved for the comparison's own files; rename it")
            continue
        if not ID_PATTERN.match(ident) or len(ident) > MAX_TEXT:
            problems.append(f"{p}: the scenario id '{ident}' names its output folder, so it must be letters, digits and _.:@+- "
                            f"(starting with a letter or digit, at most {MAX_TEXT} characters); rename the file")
            continue
        if ident in seen:
            problems.append(f"{p}: a second scenario '{ident}' (the first is {seen[ident]}); ids are file names and must differ")
            continue
        seen[ident] = p
        specs.append(ScenarioSpec(ident, p, overlay_name([p]) or ident))
    if problems:
        raise ScenarioInputError(problems)
    return specs


def overlay_problems(spec: ScenarioSpec) -> list[str]:
    """The problems an overlay shows on its own (not YAML, not UTF-8, unknown sections), one line each."""
    if spec.overlay is None:
        return []
    issues = Issues()
    for f in overlay_files(spec.overlay, issues):
        read_overlay_doc(f, issues)
    return [str(i) for i in sorted(set(issues.all()))]


__all__ = ["BASE", "ScenarioInputError", "ScenarioSpec", "discover", "overlay_problems", "scenario_id", "sweep"]
