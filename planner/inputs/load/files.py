"""Which files an inventory is, in the order they merge, and the hash that names them.

A folder inventory is every `*.yaml`/`*.yml` below it and every workloads, dependencies or
users table (`workloads*.csv`, `workloads*.parquet`, ...; see :mod:`planner.inputs.table_format`),
recursively, in sorted path order, hidden files and folders skipped. `inventory_sha256` hashes
each file's relative path and bytes in that order, tables included.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from planner.base.bounded import RefusedFile, env_limit, open_regular, read_bounded
from planner.base.bounded import kind_of as _kind_of
from planner.base.errors import Issue
from planner.inputs.table_format import table_kind

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
    """The files `path` stands for, in merge order, and the problems finding them.

    Only regular files are read: a named pipe, a device or a socket is a problem (never opened, so never waited on),
    and so is a link that leads out of the folder (to a secret, to `/dev/zero`, to `/`) or to a folder; links are
    never followed while walking, so no link can make the walk leave the folder or loop.
    """
    if not path.is_dir():
        problem = _not_regular(path)
        if problem and path.exists():
            return [], [Issue(str(path), 0, "", problem)]
        if path.suffix.lower() in _YAML or not table_kind(path):
            return [InventoryFile(path, str(path), path.name, "yaml")], []
        return [], [Issue(str(path), 0, "", "a table holds workloads only; give the inventory folder with the table and the YAML "
                                             "topology (zones, sites, policies) beside it")]
    found: list[InventoryFile] = []
    problems: list[Issue] = []
    for p in _walk(path):
        rel_parts = p.relative_to(path).parts
        if any(part.startswith(".") for part in rel_parts):
            continue
        kind = "yaml" if p.suffix.lower() in _YAML else table_kind(p)
        if kind is None and not p.is_symlink():
            continue
        if p.is_symlink():
            if not p.exists():
                if kind is not None:
                    problems.append(Issue(str(p), 0, "", "a link to a file that does not exist; remove the link or restore its target"))
                continue
            if p.is_dir():
                problems.append(Issue(str(p), 0, "", "a link to a folder, which the planner does not follow; copy the folder in instead"))
                continue
            if kind is None:
                continue
            if not inside(p, path):
                problems.append(Issue(str(p), 0, "", f"a link to a file outside {path}, which the planner does not read; "
                                                    "copy the file into the folder instead"))
                continue
        problem = _not_regular(p)
        if problem:
            problems.append(Issue(str(p), 0, "", problem))
            continue
        found.append(InventoryFile(p, str(p), p.relative_to(path).as_posix(), kind))
    return found, problems


def _walk(root: Path) -> list[Path]:
    """Every entry below `root` in sorted relative-path order, without following links to folders."""
    out: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        out.extend(base / d for d in dirs if (base / d).is_symlink())  # a linked folder is an entry, not a place to go
        out.extend(base / f for f in files)
    return sorted(out, key=lambda q: q.relative_to(root).as_posix())


def _not_regular(path: Path) -> str:
    """Why `path` is not a file the planner reads (a pipe, a device, a socket), or '' when it is one or does not exist."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return ""
    return f"{_kind_of(mode)}, not a file the planner reads; give a regular file"


def hash_files(files: list[InventoryFile]) -> str:
    """inventory_sha256: each file's relative path and bytes, in merge order (streamed, so a large table is fine)."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative.encode() + b"\0")
        try:
            with open_regular(f.path, 1 << 62) as fh:  # a file swapped for a pipe since the walk is never waited on
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
        except OSError:
            pass  # reported by the reader of the file
        digest.update(b"\0")
    return digest.hexdigest()


# ------------------------------------------------------------------------------ bounded reading
# The reader lives in planner.base.bounded (the domain's catalogue reads through it too); its names stay here.

def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, with every link resolved, is `folder` or lies below it."""
    try:
        path.resolve(strict=True).relative_to(folder.resolve(strict=True))
    except (OSError, ValueError, RuntimeError):
        return False
    return True


__all__ = ["InventoryFile", "RefusedFile", "env_limit", "hash_files", "inside", "inventory_files", "open_regular",
           "read_bounded"]
