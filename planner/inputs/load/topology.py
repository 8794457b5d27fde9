"""Zones, latency, country groups, policies, sites and the scenario: the inventory's small sections.

They are pydantic models (planner.domain.model), validated item by item with the line of every field,
then cross-checked: zones of sites, country codes and groups, the catalogue's regions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from pydantic import BaseModel, ValidationError

from planner.base.errors import Issue
from planner.domain.catalog import Catalog
from planner.domain.model import (
    MAX_ID,
    MAX_LATENCY_MS,
    LatencyLink,
    Policy,
    Scenario,
    Site,
    SiteKind,
    Zone,
)
from planner.domain.presets import preset_names
from planner.inputs.load.countries import COMMON_MISTAKES, is_country
from planner.inputs.load.references import Unknowns
from planner.inputs.load.rows import Issues
from planner.inputs.load.schema import a_kind, show
from planner.inputs.load.yaml_workloads import suggest
from planner.inputs.yamlio import LineDict, LineList, line_of

_ITEM_MODELS: dict[str, type[BaseModel]] = {"zones": Zone, "policies": Policy, "sites": Site}
_NOUNS = {"zones": "zone", "policies": "policy", "sites": "site"}
Chunks = list[tuple[str, Any, int]]  # (file, value, line of the section key)


@dataclass
class Located:
    """A validated item and where it was written."""

    item: Any
    file: str
    line: int
    raw: Any = None


@dataclass
class Topology:
    """The validated small sections, each item with its location."""

    zones: dict[str, Located]
    latency: list[LatencyLink]
    countries: dict[str, tuple[str, int, list[str]]]  # group -> (file, line, members)
    policies: dict[str, Located]
    sites: dict[str, Located]
    scenario: Optional[Scenario]
    # noun (zone, site, policy, data class) -> name -> `file:line` of the first error of a definition left out for its errors
    broken: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def data_classes(self) -> set[str]:
        return {p.item.data_class for p in self.policies.values()}


def read_topology(sections: dict[str, Chunks], issues: Issues, catalog: Optional[Catalog]) -> Topology:
    """Validate every section but `workloads`; problems go to `issues`."""
    broken: dict[str, dict[str, str]] = {"zone": {}, "site": {}, "policy": {}, "data class": {}}
    items = {name: list(_validate_list(name, model, sections[name], issues, broken)) for name, model in _ITEM_MODELS.items()}
    scenario = _scenario(sections["scenario"], issues)
    groups = _countries(sections["countries"], issues)
    zones = _unique("zones", "zone", items["zones"], issues)
    zone_refs = Unknowns("zone", zones, broken["zone"])
    topo = Topology(zones, _latency(sections["latency_ms"], zones, zone_refs, issues), groups,
                    _unique("policies", "policy", items["policies"], issues), _unique("sites", "site", items["sites"], issues), scenario,
                    broken)

    for name, (file, line, codes) in groups.items():
        for code in codes:
            _country(code, groups, Issue(file, line, f"countries.{name}", ""), issues)
    for pol in topo.policies.values():
        _check_preset(pol, issues)
        for i, code in enumerate(pol.item.allowed_countries or ()):
            line = line_of(pol.raw, ("allowed_countries", i)) or pol.line
            _country(code, groups, Issue(pol.file, line, f"policies[{pol.item.id}].allowed_countries", ""), issues)
    for zone in zones.values():
        line = line_of(zone.raw, ("country",)) or zone.line
        _country(zone.item.country, None, Issue(zone.file, line, f"zones[{zone.item.id}].country", ""), issues)
    for site in topo.sites.values():
        _check_site(site, zone_refs, scenario, catalog, issues)
    zone_refs.report(issues)
    return topo


def _check_preset(pol: Located, issues: Issues) -> None:
    """A policy names a shipped preset, if any, and gives a preset or allowed countries (or both)."""
    p: Policy = pol.item
    where = f"policies[{p.id}]"
    names = preset_names()
    if p.preset is not None and p.preset not in names:
        issues.add(Issue(pol.file, line_of(pol.raw, ("preset",)) or pol.line, f"{where}.preset",
                         f"there is no residency preset {show(p.preset)}{suggest(p.preset, list(names))}; "
                         f"the presets are: {', '.join(names)}"))
    if p.preset is None and p.allowed_countries is None:
        issues.add(Issue(pol.file, pol.line, f"{where}.allowed_countries",
                         f"a policy needs `preset` (one of {', '.join(names)}) or `allowed_countries`, or both"))


def _country(code: str, groups: Optional[dict[str, Any]], at: Issue, issues: Issues) -> None:
    """`code` must be an ISO 3166-1 alpha-2 code, or (where `groups` is given) the name of a country group."""
    if is_country(code) or (groups is not None and code in groups):
        return
    if code in COMMON_MISTAKES:
        hint = f"; that country's code is {COMMON_MISTAKES[code]}"
    else:
        hint = suggest(code, groups) if groups and len(code) <= MAX_ID else ""
    also = " nor a group under `countries`" if groups is not None else ""
    issues.add(Issue(at.file, at.line, at.field, f"{show(code)} is not an ISO 3166-1 alpha-2 country code (like ES){also}{hint}"))


def _check_site(site: Located, zone_refs: Unknowns, scenario: Optional[Scenario], catalog: Optional[Catalog], issues: Issues) -> None:
    s: Site = site.item
    where = f"sites[{s.id}]"
    if not zone_refs.is_known(s.zone):
        zone_refs.add(s.zone, Issue(site.file, line_of(site.raw, ("zone",)) or site.line, f"{where}.zone", ""))
    priced = s.cost is not None and s.cost.vcpu_month is not None
    if s.kind is not SiteKind.AZURE and not priced:
        issues.add(Issue(site.file, line_of(site.raw, ("cost",)) or site.line, f"{where}.cost.vcpu_month",
                         f"an {s.kind.value} site needs a cost block with vcpu_month (only Azure sites are priced from the VM catalogue)"))
    if s.kind is SiteKind.AZURE and not priced:
        if s.region is None:
            issues.add(Issue(site.file, site.line, f"{where}.region", "an Azure site without cost.vcpu_month needs `region` to be priced from the VM catalogue"))
        elif catalog is not None and not catalog.has_region(s.region):
            known = sorted(catalog.regions)
            issues.add(Issue(site.file, line_of(site.raw, ("region",)) or site.line, f"{where}.region",
                             f"the VM catalogue has no prices for region '{s.region}'{suggest(s.region, known)}; give the site a cost block or refresh the catalogue with this region"))
        elif catalog is not None and scenario is not None and catalog.currency != scenario.currency:
            issues.add(Issue(site.file, site.line, f"{where}.cost",
                             f"priced from the VM catalogue in {catalog.currency}, but the scenario's currency is {scenario.currency}; use a catalogue in {scenario.currency} or give the site a cost block"))


def _validate_list(section: str, model: type[BaseModel], chunks: Chunks, issues: Issues, broken: dict[str, dict[str, str]]) -> Iterable[Located]:
    """Each item of `section` that validates; one that does not is reported, and its id (and data class) marked broken."""
    for file, value, line in chunks:
        if value is None:
            continue
        if not isinstance(value, LineList):
            issues.add(Issue(file, line, section, f"expected a list of {section}, got {a_kind(value)}"))
            continue
        for index, raw in enumerate(value):
            item_line = value.lines[index]
            if not isinstance(raw, LineDict):
                issues.add(Issue(file, item_line, f"{section}[{index}]", f"expected a mapping with fields ({', '.join(model.model_fields)}), got {a_kind(raw)}"))
                continue
            ident = raw.get("id")
            label = f"{section}[{ident}]" if isinstance(ident, str) and ident else f"{section}[{index}]"
            try:
                yield Located(model.model_validate(raw), file, item_line, raw)
            except ValidationError as exc:
                where = f"{file}:{report(exc, raw, file, label, model, issues) or item_line}"
                if isinstance(ident, str):
                    broken[_NOUNS[section]].setdefault(ident, where)
                if section == "policies" and isinstance(raw.get("data_class"), str):
                    broken["data class"].setdefault(raw["data_class"], where)


def report(exc: ValidationError, raw: Any, file: str, label: str, model: type[BaseModel], issues: Issues) -> int:
    """Every error of a pydantic validation, at the line of its field; returns the first error's line (0: unknown)."""
    first = 0
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc if not _is_union_tag(p))
        line = line_of(raw, loc) or 0
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = _resolve_model(model, loc[:-1])
            allowed = list(parent.model_fields) if parent else []
            msg = f"unknown field{suggest(str(loc[-1]), allowed)}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
        elif kind == "missing":
            msg = "required field is missing"
        else:
            msg = f"{err['msg'].removeprefix('Value error, ')} (got {show(err.get('input'))})"
        issues.add(Issue(file, line, path, msg))
        first = min(first, line) if first and line else (first or line)
    return first


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


def _unique(section: str, noun: str, located: list[Located], issues: Issues) -> dict[str, Located]:
    by_id: dict[str, Located] = {}
    for loc in located:
        ident = loc.item.id
        if ident in by_id:
            first = by_id[ident]
            issues.add(Issue(loc.file, loc.line, f"{section}[{ident}].id", f"duplicate {noun} id '{ident}' (first at {first.file}:{first.line}); ids must be unique"))
        else:
            by_id[ident] = loc
    return by_id


def _scenario(chunks: Chunks, issues: Issues) -> Optional[Scenario]:
    if len(chunks) > 1:
        first = chunks[0]
        for file, _, line in chunks[1:]:
            issues.add(Issue(file, line, "scenario", f"a second scenario (the first is at {first[0]}:{first[2]}); keep one"))
    if not chunks or chunks[0][1] is None:
        return Scenario()
    file, raw, line = chunks[0]
    if not isinstance(raw, LineDict):
        issues.add(Issue(file, line, "scenario", f"expected a mapping of scenario settings, got {a_kind(raw)}"))
        return None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        report(exc, raw, file, "scenario", Scenario, issues)
        return None
    days = (scenario.horizon_end - scenario.start).days
    if scenario.waves.length_days > days:  # no wave would end inside the horizon, so nothing could ever move
        issues.add(Issue(file, line_of(raw, ("waves", "length_days")) or line, "scenario.waves.length_days",
                         f"a wave of {scenario.waves.length_days} days is longer than the {scenario.horizon_months}-month horizon "
                         f"({days} days from {scenario.start}); use at most {days}, or lengthen scenario.horizon_months"))
    return scenario


def _countries(chunks: Chunks, issues: Issues) -> dict[str, tuple[str, int, list[str]]]:
    groups: dict[str, tuple[str, int, list[str]]] = {}
    for file, raw, line in chunks:
        if raw is None:
            continue
        if not isinstance(raw, LineDict):
            issues.add(Issue(file, line, "countries", f"expected a mapping of group name to country list, got {a_kind(raw)}"))
            continue
        for name, codes in raw.items():
            gline = raw.lines[name]
            if is_country(name):
                issues.add(Issue(file, gline, f"countries.{name}", f"'{name}' is the ISO 3166-1 code of a country: a group of that name would "
                                                                   f"redefine {name} wherever a policy names it; give the group another name"))
                continue
            if not name or len(name) > MAX_ID:
                issues.add(Issue(file, gline, f"countries.{show(name)}", f"a group name has 1 to {MAX_ID} characters"))
                continue
            if name in groups:
                issues.add(Issue(file, gline, f"countries.{name}", f"group defined twice (first at {groups[name][0]}:{groups[name][1]})"))
                continue
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                issues.add(Issue(file, gline, f"countries.{name}", "expected a list of country codes or group names, like [ES, PT]"))
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
            issues.add(Issue(file, line, f"countries.{name}", f"country groups name each other in a cycle: {' -> '.join(cycle)}"))
            return
        state[name] = 1
        for member in groups[name][2]:
            if member in groups:
                visit(member, trail + [name])
        state[name] = 2

    for name in groups:
        visit(name, [])
    return groups


def _latency(chunks: Chunks, zones: dict[str, Located], zone_refs: Unknowns, issues: Issues) -> list[LatencyLink]:
    links: dict[tuple[str, str], tuple[LatencyLink, str, int]] = {}
    for file, raw, line in chunks:
        if raw is None:
            continue
        if not isinstance(raw, LineList):
            issues.add(Issue(file, line, "latency_ms", f"expected a list of [zone, zone, ms] entries, got {a_kind(raw)}"))
            continue
        for i, entry in enumerate(raw):
            eline = raw.lines[i]
            where = f"latency_ms[{i}]"
            if not (isinstance(entry, list) and len(entry) == 3):
                issues.add(Issue(file, eline, where, f"expected [zone, zone, ms], like [madrid, paris, 17]; got {show(entry)}"))
                continue
            a, b, ms = entry
            bad = False
            for name in (a, b):
                if not isinstance(name, str):
                    issues.add(Issue(file, eline, where, f"expected a zone id, got {a_kind(name)}"))
                    bad = True
                elif name not in zones:
                    zone_refs.add(name, Issue(file, eline, where, ""))
                    bad = True
            if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not 0 <= ms <= MAX_LATENCY_MS:  # NaN fails too
                issues.add(Issue(file, eline, where, f"latency must be a number of milliseconds from 0 to {MAX_LATENCY_MS:g}; got {show(ms)}"))
                bad = True
            if bad:
                continue
            if a == b:
                issues.add(Issue(file, eline, where, f"latency of zone '{a}' to itself is scenario.intra_zone_ms; remove this entry"))
                continue
            key = (min(a, b), max(a, b))
            if key in links:
                prev, pfile, pline = links[key]
                if prev.ms != float(ms):
                    issues.add(Issue(file, eline, where, f"{a}<->{b} is already {prev.ms:g} ms at {pfile}:{pline}; latency is symmetric, give one value"))
                continue
            links[key] = (LatencyLink(a=key[0], b=key[1], ms=float(ms)), file, eline)
    return [v[0] for _, v in sorted(links.items())]


