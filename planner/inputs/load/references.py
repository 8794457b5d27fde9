"""References to names that are not defined, told once per name rather than once per reference.

One misspelt zone id, or one site whose definition has a typo (and so is left out), would
otherwise be an error at each of the hundreds of items that name it, each suggesting some other
name. Instead each distinct name is one error, at its first reference found, saying how often it is
referred to; a name whose definition has errors points at that definition's first error and
suggests nothing, since the reference is right and the definition is what needs fixing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional

from planner.base.errors import Issue
from planner.inputs.load.rows import Issues
from planner.inputs.load.yaml_workloads import suggest

_FILES_SHOWN = 3
_MAX_SUGGESTIONS = 1000
_NAME_SHOWN = 60  # a name is quoted whole up to this length (it may be a megabyte of text)


@dataclass
class _Name:
    first: Issue
    count: int = 0
    files: set[str] = field(default_factory=set)


class Unknowns:
    """Unknown references to one kind of name (`zone`, `site`, ...), reported by :meth:`report`."""

    def __init__(self, noun: str, known: Iterable[str], broken: Mapping[str, str]):
        self.noun = noun
        self.known = sorted(known)
        self._known = set(self.known)
        self.broken = broken  # name -> `file:line` of the first error in its definition
        self._names: dict[str, _Name] = {}

    def is_known(self, name: str) -> bool:
        return name in self._known

    def add(self, name: str, at: Issue, count: int = 1, files: Iterable[str] = ()) -> None:
        """`count` references to `name`, the first at `at` (its message is not used), in `files` besides `at.file`."""
        entry = self._names.get(name)
        if entry is None:
            entry = self._names[name] = _Name(at)
        entry.count += count
        entry.files.add(at.file)
        entry.files.update(files)

    def report(self, issues: Issues, describe: Optional[Callable[[str, str], str]] = None) -> None:
        """One issue per name, at its first reference; `describe(name, hint)` words an unknown one (default `unknown zone 'x'`)."""
        for k, (name, entry) in enumerate(self._names.items()):
            shown = name if len(name) <= _NAME_SHOWN else name[: _NAME_SHOWN - 3] + "..."
            if name in self.broken:
                text = f"{self.noun} '{shown}' is defined with errors (see the first error at {self.broken[name]}); fix it there"
            else:
                hint = suggest(name, self.known) if k < _MAX_SUGGESTIONS else ""  # no one reads past the first thousand
                text = describe(shown, hint) if describe else f"unknown {self.noun} '{shown}'{hint}"
            if entry.count > 1:
                files = sorted(entry.files)
                where = "" if files == [entry.first.file] else " in " + ", ".join(files[:_FILES_SHOWN]) + (", ..." if len(files) > _FILES_SHOWN else "")
                text += f" (referred to {entry.count} times{where}; shown once)"
            first = entry.first
            issues.add(Issue(first.file, first.line, first.field, text, first.row))
        self._names.clear()
