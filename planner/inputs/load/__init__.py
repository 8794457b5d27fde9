"""Load an inventory (a YAML file, or a folder of YAML files and workload tables) and check it whole.

Every problem in every file is collected before anything is reported, each naming its file,
line (or table row) and field. Stages, each in its own module: which files (`files`), their
YAML sections (`sections`), the topology (`topology`), workload rows from YAML
(`yaml_workloads`) and from tables (`tables`), and the checks across all of them that end in
the columnar workload table (`assemble`). Field declarations live in `schema`. What-if overlays
are laid over the sections (`overlay`) and the workload tables (`overlay_tables`), and errors a
removal caused are told at the overlay's line (`overlay_errors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

from planner.base.errors import InventoryError, Issue
from planner.domain.catalog import Catalog, CatalogError, load_catalog
from planner.domain.inventory import Inventory
from planner.inputs.load.assemble import assemble
from planner.inputs.load.files import InventoryFile, hash_files, inventory_files
from planner.inputs.load.overlay import (
    merge,
    overlay_files,
    overlay_name,
    read_overlay_doc,
)
from planner.inputs.load.overlay_errors import attribute
from planner.inputs.load.overlay_tables import apply_to_tables
from planner.inputs.load.placeholders import without_follow_ons
from planner.inputs.load.rows import Issues, concat_rows
from planner.inputs.load.schema import (
    DEP_NUM,
    DEP_TEXT,
    USER_NUM,
    USER_TEXT,
    WORKLOAD_NUM,
    WORKLOAD_TEXT,
)
from planner.inputs.load.sections import SECTIONS, read_sections
from planner.inputs.load.single import validate_workload
from planner.inputs.load.tables import read_tables
from planner.inputs.load.topology import read_topology
from planner.inputs.load.yaml_workloads import read_yaml_workloads

__all__ = ["InventoryFile", "SECTIONS", "inventory_files", "load_inventory", "overlay_name", "validate_workload"]


def load_inventory(path: Union[str, Path], catalog: Optional[Catalog] = None,
                   overlays: Sequence[Union[str, Path]] = ()) -> Inventory:
    """Read and check an inventory, with what-if `overlays` (files or folders) laid over it in order.

    Raises :class:`InventoryError` listing every problem; one an overlay caused names the overlay's file and line.
    """
    root = Path(path)
    if not root.exists():
        raise InventoryError([Issue(str(root), 0, "", "no such file or folder; give an inventory YAML file or a folder of them")])
    issues = Issues()
    files, problems = inventory_files(root)
    issues.extend(problems)
    if not files and not problems:
        raise InventoryError([Issue(str(root), 0, "", "the folder holds no .yaml or .yml files")])
    sections = read_sections(files, issues)
    over = [f for p in overlays for f in overlay_files(Path(p), issues)]
    docs = [(f, doc) for f in over if (doc := read_overlay_doc(f, issues)) is not None]
    merged = merge(sections, docs, issues) if overlays else None
    if merged is not None:
        sections = merged.sections
    if catalog is None:
        try:
            catalog = load_catalog()
        except CatalogError as exc:
            issues.add(Issue("planner/data/azure_vm_catalog.json", 0, "", str(exc)))
    topo = read_topology(sections, issues, catalog)
    tables = read_tables(files, issues)
    changed = apply_to_tables(merged, tables, issues) if merged is not None else []
    yaml_w, yaml_d, yaml_u = read_yaml_workloads(sections["workloads"] + changed, issues)
    wl = concat_rows(yaml_w + tables["workloads"], WORKLOAD_TEXT, WORKLOAD_NUM)
    deps = concat_rows(yaml_d + tables["dependencies"], DEP_TEXT, DEP_NUM)
    users = concat_rows(yaml_u + tables["users"], USER_TEXT, USER_NUM)
    table = assemble(topo, wl, deps, users, issues)
    if table is not None and len(table) == 0 and not issues:
        issues.add(Issue(str(root), 0, "workloads", "the inventory holds no workloads; add a `workloads:` list or a workloads table "
                                                   "(an empty estate is almost surely the wrong folder)"))
    if issues or table is None or topo.scenario is None:
        found = attribute(issues.all(), merged.removals) if merged is not None else issues.all()
        raise InventoryError(without_follow_ons(found))
    return Inventory(
        zones=tuple(z.item for z in topo.zones.values()),
        latency=tuple(topo.latency),
        countries={k: tuple(v[2]) for k, v in topo.countries.items()},
        policies=tuple(p.item for p in topo.policies.values()),
        sites=tuple(s.item for s in topo.sites.values()),
        workloads=table,
        scenario=topo.scenario,
        sha256=hash_files(files + over),
        source=str(root),
    )
