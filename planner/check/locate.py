"""Where a workload or a site is written in an inventory, for annotations that point at the line.

The loader validates and forgets positions; the CI gate needs them only for the few
workloads and sites that have findings, so it re-reads the inventory's files lazily (the
same files, in the same order, that :func:`planner.inputs.load.inventory_files` names) and
remembers the line of each item of the ``workloads`` and ``sites`` lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from planner.inputs.load import inventory_files
from planner.inputs.yamlio import (
    LineDict,
    LineList,
    YamlProblem,
    load_yaml,
    read_yaml_text,
)

Location = tuple[str, int]


class Locations:
    """Lazy lookup of ``(file, line)`` by workload id or site id; files are shown as the loader shows them."""

    def __init__(self, inventory: Union[str, Path]):
        self.root = Path(inventory)
        self._index: Optional[dict[tuple[str, str], Location]] = None

    def _build(self) -> dict[tuple[str, str], Location]:
        index: dict[tuple[str, str], Location] = {}
        if not self.root.exists():
            return index
        for entry in inventory_files(self.root)[0]:
            if entry.kind != "yaml":
                continue
            file = entry.path
            try:
                doc = load_yaml(read_yaml_text(file))
            except (OSError, YamlProblem):
                continue
            if not isinstance(doc, LineDict):
                continue
            for section, kind in (("workloads", "workload"), ("sites", "site")):
                items = doc.get(section)
                if not isinstance(items, LineList):
                    continue
                for item, line in zip(items, items.lines):
                    ident = item.get("id") if isinstance(item, LineDict) else None
                    if isinstance(ident, str):
                        index.setdefault((kind, ident), (str(file), line))
        return index

    def _get(self, kind: str, ident: str) -> Optional[Location]:
        if self._index is None:
            self._index = self._build()
        return self._index.get((kind, ident))

    def workload(self, wid: str) -> Optional[Location]:
        """Where workload `wid` is written, or None."""
        return self._get("workload", wid)

    def site(self, sid: str) -> Optional[Location]:
        """Where site `sid` is written, or None."""
        return self._get("site", sid)


__all__ = ["Location", "Locations"]
