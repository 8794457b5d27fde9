"""Which scenarios a comparison holds: `base` (the inventory as is) and one per overlay file or folder.

A scenario's id is its file name without `.yaml`/`.yml`, or its folder's name; it names the
scenario's output folder, so it must be a plain name that is neither `base` nor one of the
comparison's own files. `--scenarios DIR` adds every overlay file and folder directly inside DIR
(hidden ones skipped), in name order, after the `--scenario` ones; only regular files and folders inside DIR
are read, each file at most :data:`MAX_SCENARIO_BYTES`.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from planner.base.errors import PlannerError
from planner.base.untrusted import one_line
from planner.inputs.load import overlay_name
from planner.inputs.load.files import env_limit, inside, inventory_files
from planner.inputs.load.overlay import overlay_files, read_overlay_doc
from planner.inputs.load.rows import Issues
from planner.inputs.load.schema import ID_PATTERN, MAX_TEXT

BASE = "base"
YAML_SUFFIXES = (".yaml", ".yml")
RESERVED = (BASE, "comparison.html", "comparison.md", "comparison.json")
MAX_SCENARIO_BYTES = env_limit("PLANNER_MAX_SCENARIO_BYTES", 64 << 20)  # one overlay file; an overlay is a few edits


class ScenarioInputError(PlannerError):
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


def sweep(folder: Path, problems: Optional[list[str]] = None) -> list[Path]:
    """Every overlay file (`*.yaml`, `*.yml`) and overlay folder directly inside `folder`, in name order.

    Only real folders and regular files inside `folder` count: a link that leads out of it, to a folder, or that
    leads nowhere, and a named pipe, device or socket, is refused (a line in `problems`) and never opened.
    """
    found = []
    for p in sorted(folder.iterdir(), key=lambda q: q.name):
        if p.name.startswith("."):
            continue
        yaml_name = p.suffix.lower() in YAML_SUFFIXES
        problem = _entry_problem(p, folder, yaml_name)
        if problem:
            if problems is not None:
                problems.append(f"--scenarios {one_line(folder)}: {one_line(p.name)}: {problem}")
            continue
        if (p.is_dir() and not p.is_symlink()) or yaml_name:
            found.append(p)
    return found


def _entry_problem(p: Path, folder: Path, yaml_name: bool) -> str:
    """Why an entry of a `--scenarios` folder is not read ('' when it is a real folder or a regular file inside it)."""
    try:
        mode = p.lstat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return ""
    if stat.S_ISLNK(mode):
        if not p.exists():
            return "a link to nothing; remove it" if yaml_name else ""
        if p.is_dir():
            return "a link to a folder, which is not followed; copy the folder in instead"
        if not inside(p, folder):
            return "a link to a file outside the folder, which is not read; copy the file in instead" if yaml_name else ""
        mode = p.stat().st_mode
    if stat.S_ISREG(mode):
        return ""
    if not yaml_name and not stat.S_ISFIFO(mode) and not stat.S_ISCHR(mode) and not stat.S_ISBLK(mode):
        return ""
    kind = "a named pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"
    return f"{kind}, which is never read as a scenario" if yaml_name else ""


def _size_problems(p: Path) -> list[str]:
    """The overlay's files that are not regular files inside it, or larger than :data:`MAX_SCENARIO_BYTES`."""
    found, issues = inventory_files(p)
    out = [str(i) for i in issues]
    for f in found:
        try:
            size = f.path.stat().st_size
        except OSError:
            continue
        if size > MAX_SCENARIO_BYTES:
            out.append(f"{one_line(f.shown)}: {size:,} bytes, more than the {MAX_SCENARIO_BYTES:,} a scenario file may hold "
                       "(raise PLANNER_MAX_SCENARIO_BYTES)")
    return out


def discover(scenarios: Sequence[Path], folders: Sequence[Path]) -> list[ScenarioSpec]:
    """`base` first, then each `--scenario` in order, then each `--scenarios` folder's entries; raises :class:`ScenarioInputError`."""
    problems: list[str] = []
    paths: list[Path] = []
    for p in scenarios:
        if not p.exists():
            problems.append(f"--scenario {one_line(p)}: no such file or folder")
        else:
            paths.append(p)
    for folder in folders:
        if not folder.is_dir():
            problems.append(f"--scenarios {one_line(folder)}: not a folder of scenario files")
            continue
        before = len(problems)
        found = sweep(folder, problems)
        if not found and len(problems) == before:
            problems.append(f"--scenarios {one_line(folder)}: holds no scenario (.yaml or .yml files, or folders of them)")
        paths.extend(found)
    for p in paths:
        problems.extend(_size_problems(p))
    if problems:
        raise ScenarioInputError(problems)
    specs = [ScenarioSpec(BASE, None, "Base: the inventory as it is")]
    seen: dict[str, Path] = {}
    for p in paths:
        ident = scenario_id(p)
        if ident.lower() in RESERVED:
            problems.append(f"{one_line(p)}: the scenario id '{one_line(ident)}' is reserved for the comparison's own files; rename it")
            continue
        if not ID_PATTERN.match(ident) or len(ident) > MAX_TEXT:
            problems.append(f"{one_line(p)}: the scenario id '{one_line(ident[:MAX_TEXT])}' names its output folder, so it must be letters, digits and _.:@+- "
                            f"(starting with a letter or digit, at most {MAX_TEXT} characters); rename the file")
            continue
        if ident in seen:
            problems.append(f"{one_line(p)}: a second scenario '{one_line(ident)}' (the first is {one_line(seen[ident])}); ids are file names and must differ")
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
