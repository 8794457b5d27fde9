"""Which inventories a set of changed files belongs to (a pre-commit hook validates just those)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path


def _absolute(path: Path) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(path)))


def inventories_touched(files: Iterable[Path], roots: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The `roots` (inventory folders or single files) that hold any of `files`, in the order given, and the files none holds.

    A folder holds every file below it, as a folder inventory merges them; a single-file inventory holds itself.
    """
    marks = [(root, _absolute(root)) for root in roots]
    touched: set[int] = set()
    stray: list[Path] = []
    for file in files:
        at = _absolute(file)
        hit = False
        for i, (_, root) in enumerate(marks):
            if at == root or at.startswith(root.rstrip(os.sep) + os.sep):
                touched.add(i)
                hit = True
        if not hit:
            stray.append(file)
    return [marks[i][0] for i in sorted(touched)], sorted(set(stray))


__all__ = ["inventories_touched"]
