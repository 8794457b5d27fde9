"""Load an inventory (one YAML file or a folder of them) and check it whole.

Every problem in every file is collected before anything is reported, each naming its
file, line and field. A folder's ``*.yaml``/``*.yml`` files are read recursively in
sorted path order (hidden files and folders skipped); their lists concatenate, their
``countries`` maps merge, and ``scenario`` may appear in one file only (absent: the
defaults of DESIGN.md).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from pydantic import BaseModel, ValidationError

from .catalog import Catalog, CatalogError, load_catalog
from .errors import InventoryError, Issue
from .model import Inventory, LatencyLink, Policy, Scenario, Site, SiteKind, Workload, Zone
from .yamlio import LineDict, LineList, YamlProblem, line_of, load_yaml

SECTIONS = ("zones", "latency_ms", "countries", "policies", "sites", "workloads", "scenario")
_ITEM_MODELS: dict[str, type[BaseModel]] = {"zones": Zone, "policies": Policy, "sites": Site, "workloads": Workload}
_COUNTRY_CODE_LEN = 2


@dataclass
class _Located:
    """A validated item and where it was written."""

    item: Any
    file: str
    line: int
    raw: Any = None


@dataclass
class _Collector:
    issues: list[Issue] = field(default_factory=list)

    def add(self, file: str, line: Optional[int], field_: str, message: str) -> None:
        self.issues.append(Issue(file, line or 0, field_, message))


def inventory_files(path: Path) -> list[Path]:
    """The YAML files an inventory path stands for, in the order they merge."""
    if path.is_dir():
        files = [
            p
            for p in path.rglob("*")
            if p.suffix in (".yaml", ".yml") and p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        ]
        return sorted(files, key=lambda p: p.relative_to(path).as_posix())
    return [path]


def load_inventory(path: Union[str, Path], catalog: Optional[Catalog] = None) -> Inventory:
    """Read and check an inventory; raises :class:`InventoryError` listing every problem."""
    root = Path(path)
    out = _Collector()
    if not root.exists():
        raise InventoryError([Issue(str(root), 0, "", "no such file or folder; give an inventory YAML file or a folder of them")])
    files = inventory_files(root)
    if not files:
        raise InventoryError([Issue(str(root), 0, "", "the folder holds no .yaml or .yml files")])
    digest = hashlib.sha256()
    sections: dict[str, list[tuple[str, Any, int]]] = {name: [] for name in SECTIONS}
    for file in files:
        shown = str(file)
        try:
            data = file.read_bytes()
        except OSError as exc:
            out.add(shown, 0, "", f"cannot read the file ({exc.strerror})")
            continue
        rel = file.relative_to(root).as_posix() if root.is_dir() else file.name
        digest.update(rel.encode() + b"\0" + data + b"\0")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            out.add(shown, line, "", "the file is not UTF-8 text; save it as UTF-8")
            continue
        try:
            doc = load_yaml(text)
        except YamlProblem as exc:
            out.add(shown, exc.line, "", exc.message)
            continue
        if doc is None:
            continue
        if not isinstance(doc, LineDict):
            out.add(shown, getattr(doc, "line", 1), "", f"the document is a {_kind(doc)}; an inventory file is a mapping with keys {', '.join(SECTIONS)}")
            continue
        for key, value in doc.items():
            if key not in SECTIONS:
                out.add(shown, doc.lines[key], key, f"unknown section{_suggest(key, SECTIONS)}")
                continue
            sections[key].append((shown, value, doc.lines[key]))

    if catalog is None:
        try:
            catalog = load_catalog()
        except CatalogError as exc:
            out.add("planner/data/azure_vm_catalog.json", 0, "", str(exc))
    inv = _build(sections, out, catalog)
    if out.issues or inv is None:
        raise InventoryError(out.issues)
    return inv.model_copy(update={"sha256": digest.hexdigest(), "source": str(root)})


def _build(sections: dict[str, list[tuple[str, Any, int]]], out: _Collector, catalog: Optional[Catalog]) -> Optional[Inventory]:
    items: dict[str, list[_Located]] = {}
    for name, model in _ITEM_MODELS.items():
        items[name] = list(_validate_list(name, model, sections[name], out))
    scenario = _scenario(sections["scenario"], out)
    groups = _countries(sections["countries"], out)
    zones = _unique("zones", "zone", items["zones"], out)
    latency = _latency(sections["latency_ms"], zones, out)
    policies = _unique("policies", "policy", items["policies"], out)
    sites = _unique("sites", "site", items["sites"], out)
    workloads = _unique("workloads", "workload", items["workloads"], out)

    def country_ok(code: str, file: str, line: int, where: str) -> None:
        if code not in groups and not (len(code) == _COUNTRY_CODE_LEN and code.isupper() and code.isalpha()):
            out.add(file, line, where, f"'{code}' is neither an ISO 3166 country code (two capitals, like ES) nor a group under `countries`{_suggest(code, groups)}")

    for name, members in groups.items():
        file, line, codes = members
        for code in codes:
            country_ok(code, file, line, f"countries.{name}")
    for pol in policies.values():
        for code in pol.item.allowed_countries:
            country_ok(code, pol.file, pol.line, f"policies[{pol.item.id}].allowed_countries")
    data_classes = {p.item.data_class for p in policies.values()}
    for site in sites.values():
        s: Site = site.item
        where = f"sites[{s.id}]"
        if s.zone not in zones:
            out.add(site.file, line_of(site.raw, ("zone",)), f"{where}.zone", f"unknown zone '{s.zone}'{_suggest(s.zone, zones)}")
        priced = s.cost is not None and s.cost.vcpu_month is not None
        if s.kind is not SiteKind.AZURE and not priced:
            out.add(site.file, line_of(site.raw, ("cost",)), f"{where}.cost.vcpu_month", f"an {s.kind.value} site needs a cost block with vcpu_month (only Azure sites are priced from the VM catalogue)")
        if s.kind is SiteKind.AZURE and not priced:
            if s.region is None:
                out.add(site.file, site.line, f"{where}.region", "an Azure site without cost.vcpu_month needs `region` to be priced from the VM catalogue")
            elif catalog is not None and not catalog.has_region(s.region):
                known = sorted(catalog.regions)
                out.add(site.file, line_of(site.raw, ("region",)), f"{where}.region", f"the VM catalogue has no prices for region '{s.region}'{_suggest(s.region, known)}; give the site a cost block or refresh the catalogue with this region")
            elif catalog is not None and scenario is not None and catalog.currency != scenario.currency:
                out.add(site.file, site.line, f"{where}.cost", f"priced from the VM catalogue in {catalog.currency}, but the scenario's currency is {scenario.currency}; use a catalogue in {scenario.currency} or give the site a cost block")
    for wl in workloads.values():
        w: Workload = wl.item
        where = f"workloads[{w.id}]"
        if w.current_site not in sites:
            out.add(wl.file, line_of(wl.raw, ("current_site",)), f"{where}.current_site", f"unknown site '{w.current_site}'{_suggest(w.current_site, sites)}")
        if w.pin is not None and w.pin not in sites:
            out.add(wl.file, line_of(wl.raw, ("pin",)), f"{where}.pin", f"unknown site '{w.pin}'{_suggest(w.pin, sites)}")
        for i, cls in enumerate(w.data):
            if cls not in data_classes:
                out.add(wl.file, line_of(wl.raw, ("data", i)), f"{where}.data[{i}]", f"no policy covers data class '{cls}'{_suggest(cls, data_classes)}; add a policy with data_class: {cls} or fix the name")
        for i, user in enumerate(w.users):
            if user.zone not in zones:
                out.add(wl.file, line_of(wl.raw, ("users", i, "zone")), f"{where}.users[{i}].zone", f"unknown zone '{user.zone}'{_suggest(user.zone, zones)}")
        seen: set[str] = set()
        for i, dep in enumerate(w.depends_on):
            field_ = f"{where}.depends_on[{i}].workload"
            line = line_of(wl.raw, ("depends_on", i, "workload"))
            if dep.workload == w.id:
                out.add(wl.file, line, field_, "a workload cannot depend on itself")
            elif dep.workload not in workloads:
                out.add(wl.file, line, field_, f"unknown workload '{dep.workload}'{_suggest(dep.workload, workloads)}")
            elif dep.workload in seen:
                out.add(wl.file, line, field_, f"'{dep.workload}' is listed twice; merge the two entries")
            seen.add(dep.workload)
    if out.issues or scenario is None:
        return None
    return Inventory(
        zones=tuple(z.item for z in zones.values()),
        latency=tuple(latency),
        countries={k: tuple(v[2]) for k, v in groups.items()},
        policies=tuple(p.item for p in policies.values()),
        sites=tuple(s.item for s in sites.values()),
        workloads=tuple(w.item for w in workloads.values()),
        scenario=scenario,
        sha256="",
        source="",
    )


def _validate_list(section: str, model: type[BaseModel], chunks: list[tuple[str, Any, int]], out: _Collector) -> Iterable[_Located]:
    for file, value, line in chunks:
        if value is None:
            continue
        if not isinstance(value, LineList):
            out.add(file, line, section, f"expected a list of {section}, got a {_kind(value)}")
            continue
        for index, raw in enumerate(value):
            item_line = value.lines[index]
            if not isinstance(raw, LineDict):
                out.add(file, item_line, f"{section}[{index}]", f"expected a mapping with fields ({', '.join(model.model_fields)}), got a {_kind(raw)}")
                continue
            ident = raw.get("id")
            label = f"{section}[{ident}]" if isinstance(ident, str) and ident else f"{section}[{index}]"
            try:
                yield _Located(model.model_validate(raw), file, item_line, raw)
            except ValidationError as exc:
                _report(exc, raw, file, label, model, out)


def _report(exc: ValidationError, raw: Any, file: str, label: str, model: type[BaseModel], out: _Collector) -> None:
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc if not _is_union_tag(p))
        line = line_of(raw, loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = _resolve_model(model, loc[:-1])
            allowed = list(parent.model_fields) if parent else []
            msg = f"unknown field{_suggest(str(loc[-1]), allowed)}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
        elif kind == "missing":
            msg = "required field is missing"
        else:
            msg = f"{err['msg']} (got {_show(err.get('input'))})"
        out.add(file, line, path, msg)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in ("float", "int", "str", "date", "constrained-str", "function-after")


def _resolve_model(model: type[BaseModel], loc: tuple[Any, ...]) -> Optional[type[BaseModel]]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return None
        current = _inner_model(info.annotation)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _unique(section: str, noun: str, located: list[_Located], out: _Collector) -> dict[str, _Located]:
    by_id: dict[str, _Located] = {}
    for loc in located:
        ident = loc.item.id
        if ident in by_id:
            first = by_id[ident]
            out.add(loc.file, loc.line, f"{section}[{ident}].id", f"duplicate {noun} id '{ident}' (first at {first.file}:{first.line}); ids must be unique")
        else:
            by_id[ident] = loc
    return by_id


def _scenario(chunks: list[tuple[str, Any, int]], out: _Collector) -> Optional[Scenario]:
    if len(chunks) > 1:
        first = chunks[0]
        for file, _, line in chunks[1:]:
            out.add(file, line, "scenario", f"a second scenario (the first is at {first[0]}:{first[2]}); keep one")
    if not chunks or chunks[0][1] is None:
        return Scenario()
    file, raw, line = chunks[0]
    if not isinstance(raw, LineDict):
        out.add(file, line, "scenario", f"expected a mapping of scenario settings, got a {_kind(raw)}")
        return None
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        _report(exc, raw, file, "scenario", Scenario, out)
        return None


def _countries(chunks: list[tuple[str, Any, int]], out: _Collector) -> dict[str, tuple[str, int, list[str]]]:
    groups: dict[str, tuple[str, int, list[str]]] = {}
    for file, raw, line in chunks:
        if raw is None:
            continue
        if not isinstance(raw, LineDict):
            out.add(file, line, "countries", f"expected a mapping of group name to country list, got a {_kind(raw)}")
            continue
        for name, codes in raw.items():
            gline = raw.lines[name]
            if name in groups:
                out.add(file, gline, f"countries.{name}", f"group defined twice (first at {groups[name][0]}:{groups[name][1]})")
                continue
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                out.add(file, gline, f"countries.{name}", "expected a list of country codes or group names, like [ES, PT]")
                continue
            groups[name] = (file, gline, list(codes))
    # A group may name groups; a cycle would make its expansion endless.
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = trail[trail.index(name):] + [name]
            file, line, _ = groups[name]
            out.add(file, line, f"countries.{name}", f"country groups name each other in a cycle: {' -> '.join(cycle)}")
            return
        state[name] = 1
        for member in groups[name][2]:
            if member in groups:
                visit(member, trail + [name])
        state[name] = 2

    for name in groups:
        visit(name, [])
    return groups


def _latency(chunks: list[tuple[str, Any, int]], zones: dict[str, _Located], out: _Collector) -> list[LatencyLink]:
    links: dict[tuple[str, str], tuple[LatencyLink, str, int]] = {}
    for file, raw, line in chunks:
        if raw is None:
            continue
        if not isinstance(raw, LineList):
            out.add(file, line, "latency_ms", f"expected a list of [zone, zone, ms] entries, got a {_kind(raw)}")
            continue
        for i, entry in enumerate(raw):
            eline = raw.lines[i]
            where = f"latency_ms[{i}]"
            if not (isinstance(entry, list) and len(entry) == 3):
                out.add(file, eline, where, f"expected [zone, zone, ms], like [madrid, paris, 17]; got {_show(entry)}")
                continue
            a, b, ms = entry
            bad = False
            for name in (a, b):
                if not isinstance(name, str) or name not in zones:
                    out.add(file, eline, where, f"unknown zone {_show(name)}{_suggest(str(name), zones)}")
                    bad = True
            if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0 or ms != ms or ms == float("inf"):
                out.add(file, eline, where, f"latency must be a number of milliseconds >= 0; got {_show(ms)}")
                bad = True
            if bad:
                continue
            if a == b:
                out.add(file, eline, where, f"latency of zone '{a}' to itself is scenario.intra_zone_ms; remove this entry")
                continue
            key = (min(a, b), max(a, b))
            if key in links:
                prev, pfile, pline = links[key]
                if prev.ms != float(ms):
                    out.add(file, eline, where, f"{a}<->{b} is already {prev.ms:g} ms at {pfile}:{pline}; latency is symmetric, give one value")
                continue
            links[key] = (LatencyLink(a=key[0], b=key[1], ms=float(ms)), file, eline)
    return [v[0] for _, v in sorted(links.items())]


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "empty value"
    return f"{type(value).__name__} ({_show(value)})"


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a " + ("mapping" if isinstance(value, dict) else "list")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
