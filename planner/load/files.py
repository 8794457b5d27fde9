"""Which files an inventory is, in the order they merge, and the hash that names them.

A folder inventory is every `*.yaml`/`*.yml` below it and every workloads, dependencies or
users table (`workloads*.csv`, `workloads*.parquet`, ...; see :mod:`planner.table_format`),
recursively, in sorted path order, hidden files and folders skipped. `inventory_sha256` hashes
each file's relative path and bytes in that order, tables included.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import Issue
from ..table_format import table_kind

_YAML = (".yaml", ".yml")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class InventoryFile:
    """One file of an inventory: its path, how errors name it, and what it holds (yaml or a table kind)."""

    path: Path
    shown: str
    relative: str
    kind: str  # yaml | workloads | dependencies | users


def inventory_files(path: Path) -> tuple[list[InventoryFile], list[Issue]]:
    """The files `path` stands for, in merge order, and the problems finding them (a dangling link, say)."""
    if not path.is_dir():
        if path.suffix.lower() in _YAML or not table_kind(path):
            return [InventoryFile(path, str(path), path.name, "yaml")], []
        return [], [Issue(str(path), 0, "", "a table holds workloads only; give the inventory folder with the table and the YAML "
                                             "topology (zones, sites, policies) beside it")]
    found: list[InventoryFile] = []
    problems: list[Issue] = []
    for p in sorted(path.rglob("*"), key=lambda q: q.relative_to(path).as_posix()):
        rel = p.relative_to(path).as_posix()
        if any(part.startswith(".") for part in p.relative_to(path).parts):
            continue
        kind = "yaml" if p.suffix.lower() in _YAML else table_kind(p)
        if kind is None:
            continue
        if p.is_symlink() and not p.exists():
            problems.append(Issue(str(p), 0, "", "a link to a file that does not exist; remove the link or restore its target"))
            continue
        if p.is_file():
            found.append(InventoryFile(p, str(p), rel, kind))
    return found, problems


def hash_files(files: list[InventoryFile]) -> str:
    """inventory_sha256: each file's relative path and bytes, in merge order (streamed, so a large table is fine)."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative.encode() + b"\0")
        try:
            with open(f.path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
        except OSError:
            pass  # reported by the reader of the file
        digest.update(b"\0")
    return digest.hexdigest()
