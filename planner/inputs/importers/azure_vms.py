"""VMs already running in Azure to workloads, sized through the VM catalogue.

The VM list comes from a :class:`planner.inputs.sources.VmInventorySource` (Azure's
``virtual_machines.list_all`` in production, a fake in tests). A VM's size name becomes
vCPUs and memory through the catalogue: the same size in its own region, else in any region
(a size's shape does not change with the region). Tags ``app``/``application`` and
``env``/``environment`` fill the fields other importers must default; ``os`` comes from the
OS disk's ``os_type`` (``Windows`` or ``Linux``).
"""

from __future__ import annotations

from typing import Any, Optional

from planner.domain.catalog import Catalog, VmSku
from planner.domain.model import Criticality
from planner.inputs.importers.common import (
    ImportedWorkload,
    ImportResult,
    Issue,
    bump,
    defaults_for,
    fill_os,
    finish,
    first_error,
    note_missing,
    note_missing_utilisation,
    text,
    validated,
    workload_id,
)
from planner.inputs.importers.sites import parse_template
from planner.inputs.sources import RunningVm, VmInventorySource

PLACEHOLDERS = ("region",)  # --site placeholders
APP_TAGS = ("app", "application", "workload", "service")
ENV_TAGS = ("env", "environment", "stage")
CRITICALITY_TAGS = ("criticality",)


def import_azure_vms(source: VmInventorySource, catalog: Catalog, site: str, origin: str) -> ImportResult:
    """Workloads from running VMs; a VM whose size the catalogue does not know is skipped with a warning.

    `site` may use ``{region}``; another placeholder raises :class:`planner.inputs.importers.sites.TemplateError`.
    """
    template = parse_template(site, PLACEHOLDERS)
    vms = sorted(source.running_vms(), key=lambda v: (v.name.lower(), v.resource_group.lower(), v.id))
    result = ImportResult("azure", origin, len(vms), [])
    errors: list[Issue] = []
    shapes = _shapes(catalog)
    base_ids: dict[str, int] = {}
    for vm in vms:
        key = workload_id(vm.name).lower()
        base_ids[key] = base_ids.get(key, 0) + 1
    unknown_disks = 0
    for vm in vms:
        where = vm.id or vm.name
        shape = shapes.get((vm.region, vm.size.lower())) or shapes.get(("", vm.size.lower()))
        if shape is None:
            result.warnings.append(Issue(origin, 0, "", f"VM {where}: size {vm.size or '(none)'} is not in the VM "
                                         "catalogue; skipped (run `planner catalog refresh`)"))
            bump(result.skipped, "unknown sizes")
            continue
        wid = workload_id(vm.name)
        if base_ids.get(wid.lower(), 0) > 1:
            # The same name in two resource groups: qualify both, so neither id depends on list order.
            wid = workload_id(f"{vm.resource_group}.{vm.name}")
        disks = (vm.os_disk_gb, *vm.data_disks_gb)
        if any(d is None for d in disks):
            unknown_disks += 1
        fields: dict[str, Any] = {
            "id": wid,
            "vcpu": shape.vcpu,
            "memory_gb": shape.memory_gb,
            "storage_gb": round(sum(d or 0.0 for d in disks), 2),
            "current_site": template.render({"region": vm.region}),
        }
        fill_os(fields, vm.os_type, result, (origin, 0, ""), f"VM {where}")
        known = _from_tags(vm, fields)
        defaulted = defaults_for(fields, known)
        try:
            validated(fields)
        except ValueError as exc:
            errors.append(Issue(origin, 0, "", f"VM {where}: cannot make a valid workload: {first_error(exc)}"))
            continue
        facts = (f"source: {vm.id or vm.name}", f"size: {vm.size}", f"os: {vm.os_type}" if vm.os_type else "")
        note = "; ".join(p for p in facts if p)
        result.workloads.append(ImportedWorkload(fields, defaulted, note))
    note_missing(result, "storage_gb", "VMs with a disk of unknown size: that disk counted as 0 GB, the others summed",
                 unknown_disks)
    note_missing_utilisation(result, "VMs", " (the subscription lists none)")
    return finish(result, errors)


def _shapes(catalog: Catalog) -> dict[tuple[str, str], VmSku]:
    """(region, size) and ("", size) -> a catalogue SKU of that name."""
    shapes: dict[tuple[str, str], VmSku] = {}
    for sku in sorted(catalog.skus):
        shapes[(sku.region, sku.name.lower())] = sku
        shapes.setdefault(("", sku.name.lower()), sku)
    return shapes


def _tag(vm: RunningVm, names: tuple[str, ...]) -> Optional[str]:
    lowered = {k.lower(): v for k, v in vm.tags.items()}
    for name in names:
        value = workload_id(text(lowered.get(name, "")))
        if value:
            return value
    return None


def _from_tags(vm: RunningVm, fields: dict[str, Any]) -> list[str]:
    """Fill app, env and criticality from the VM's tags; returns the fields filled."""
    found = {"app": _tag(vm, APP_TAGS), "env": _tag(vm, ENV_TAGS)}
    crit = (_tag(vm, CRITICALITY_TAGS) or "").lower()
    if crit in {c.value for c in Criticality}:
        found["criticality"] = crit
    known = [name for name, value in found.items() if value]
    for name in known:
        fields[name] = found[name]
    return known
