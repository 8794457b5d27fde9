"""The bytes a scenario is planned from, so a worker on another machine plans exactly what was validated here.

A :class:`Snapshot` holds every file of the base inventory (as :func:`planner.inputs.load.inventory_files`
lists them), every scenario's overlay files and the VM catalogue. A worker writes them into a
private temporary folder with the same relative names (so `inventory_sha256` is the same as
here) and loads the inventory from there.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from planner.base.bounded import read_bounded
from planner.compare.scenarios import ScenarioSpec
from planner.domain.catalog import SNAPSHOT_ORIGIN
from planner.domain.catalog_schema import CATALOG_BYTES_SETTING, MAX_DOCUMENT_BYTES
from planner.inputs.load import inventory_files

Files = tuple[tuple[str, bytes], ...]  # (relative path, bytes)


@dataclass(frozen=True)
class Snapshot:
    """The base inventory, every overlay and the catalogue, as bytes."""

    base_name: str  # the inventory file's or folder's name
    base_is_dir: bool
    base: Files
    overlays: dict[str, tuple[bool, Files]]  # scenario id -> (is a folder, files)
    shown: dict[str, str]  # "" (the inventory) and each scenario id -> the path as the user gave it, for messages
    catalog: bytes
    catalog_origin: str  # how messages name the catalogue

    @property
    def size(self) -> int:
        return (sum(len(b) for _, b in self.base) + len(self.catalog)
                + sum(len(b) for _, files in self.overlays.values() for _, b in files))


def _files(path: Path) -> Files:
    found, _ = inventory_files(path)
    return tuple((f.relative, read_bounded(f.path, 1 << 62)) for f in found)  # regular files only; the loader caps them


def take(inventory: Path, specs: Sequence[ScenarioSpec], catalog: Optional[Path]) -> Snapshot:
    """Read every file the comparison plans from (raises OSError when one cannot be read)."""
    overlays = {s.id: (s.overlay.is_dir(), _files(s.overlay)) for s in specs if s.overlay is not None}
    shown = {"": str(inventory), **{s.id: str(s.overlay) for s in specs if s.overlay is not None}}
    if catalog is not None:
        data, origin = read_bounded(catalog, MAX_DOCUMENT_BYTES, CATALOG_BYTES_SETTING), str(catalog)
    else:
        data, origin = resources.files("planner").joinpath("data/azure_vm_catalog.json").read_bytes(), SNAPSHOT_ORIGIN
    return Snapshot(inventory.name, inventory.is_dir(), _files(inventory), overlays, shown, data, origin)


def _write(root: Path, files: Files) -> None:
    for rel, data in files:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@contextmanager
def materialised(snap: Snapshot, scenario: str) -> Iterator[tuple[Path, list[Path], Callable[[str], str]]]:
    """(inventory path, overlay paths, how to name a file of them as the user's) of `scenario` in a temporary folder.

    The folder is removed afterwards.
    """
    tmp = Path(tempfile.mkdtemp(prefix="planner-scenario-"))
    try:
        base = tmp / "inventory" / snap.base_name
        if snap.base_is_dir:
            base.mkdir(parents=True)
            _write(base, snap.base)
        else:
            _write(base.parent, snap.base)
        overlays: list[Path] = []
        if scenario in snap.overlays:
            is_dir, files = snap.overlays[scenario]
            where = tmp / "overlay"
            if is_dir:
                where = where / scenario
                where.mkdir(parents=True)
                _write(where, files)
                overlays.append(where)
            else:
                _write(where, files)
                overlays.append(where / files[0][0])
        roots = [(str(base), snap.shown[""])] + [(str(p), snap.shown[scenario]) for p in overlays]

        def shown(name: str) -> str:
            for root, user in roots:
                if name.startswith(root):  # the folder is private and fresh: nothing else starts so
                    return user + name[len(root):]
            return name

        yield base, overlays, shown
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["Snapshot", "materialised", "take"]
