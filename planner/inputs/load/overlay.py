"""What-if overlays laid over an inventory's sections, by id, before anything is validated.

An overlay is a YAML file (or a folder of them, applied in sorted path order) with the
inventory's sections plus `name` and `remove`. It is merged at the raw level, so the merged
inventory is validated like any other and every error about a value the overlay wrote names
the overlay's file and line:

- `zones`, `policies`, `sites`, `workloads` merge by `id`: the fields of an existing item are
  replaced one by one (`null` removes an optional field), a new id is added;
- `scenario` and `countries` merge key by key (`scenario`'s nested mappings too);
- a `latency_ms` entry replaces the same pair of zones (`[a, b, null]` removes the pair);
- `remove: {workloads: [...], sites: [...], zones: [...], policies: [...]}` drops items by id,
  before the overlay's own items are merged (so remove plus add replaces an item whole).

Workloads held in tables are merged on the typed rows (:mod:`planner.inputs.load.overlay_tables`): an
overlay entry for a table row takes the row's values as its base, goes through the YAML
coercion with the overlay's lines, and replaces the row. A removed id that a remaining item
still names becomes one error at the `remove` line (:func:`attribute`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from planner.base.bounded import read_bounded
from planner.base.errors import Issue
from planner.inputs.load.files import InventoryFile, inventory_files
from planner.inputs.load.rows import Issues
from planner.inputs.load.schema import a_kind
from planner.inputs.load.sections import SECTIONS
from planner.inputs.load.topology import Chunks
from planner.inputs.load.yaml_workloads import suggest
from planner.inputs.yamlio import (
    MAX_FILE_BYTES,
    LineDict,
    LineList,
    YamlProblem,
    load_yaml,
)

LIST_SECTIONS = ("zones", "policies", "sites", "workloads")
OVERLAY_KEYS = ("name", *SECTIONS, "remove")
NOUN = {"zones": "zone", "policies": "policy", "sites": "site", "workloads": "workload"}
HASH_PREFIX = "/overlay/"  # an overlay file's name in inventory_sha256; no relative path starts with "/"


@dataclass(frozen=True)
class Removal:
    """An id an overlay removed (or a country group it set to null), and where it said so."""

    noun: str  # zone | policy | site | workload | country group
    id: str
    file: str
    line: int
    data_class: str = ""  # a removed policy's data class


@dataclass
class Merge:
    """Sections after every overlay, and what is left for the workload tables."""

    sections: dict[str, Chunks]
    pending: list[tuple[str, LineDict, int]] = field(default_factory=list)  # workload items whose id is in no YAML file
    table_removals: list[Removal] = field(default_factory=list)  # workload ids to remove that are in no YAML file
    removals: list[Removal] = field(default_factory=list)


def overlay_files(path: Path, issues: Issues) -> list[InventoryFile]:
    """The YAML files of an overlay (a file, or a folder's files in sorted order), named `/overlay/...` in the hash."""
    if not path.exists():
        issues.add(Issue(str(path), 0, "", "no such scenario file or folder"))
        return []
    found, problems = inventory_files(path)
    issues.extend(problems)
    out = []
    base = path.name
    for f in found:
        if f.kind != "yaml":
            issues.add(Issue(f.shown, 0, "", "a scenario overlay holds YAML files only; change workloads of a table "
                                             "with `workloads:` entries (by id) in the overlay"))
            continue
        rel = base if not path.is_dir() else f"{base}/{f.relative}"
        out.append(InventoryFile(f.path, f.shown, HASH_PREFIX + rel, "yaml"))
    if path.is_dir() and not found and not problems:
        issues.add(Issue(str(path), 0, "", "the scenario folder holds no .yaml or .yml files"))
    return out


def read_overlay_doc(f: InventoryFile, issues: Issues) -> Optional[LineDict]:
    """One overlay file as a mapping of known keys; None (problems told) when it is not one."""
    try:
        data = read_bounded(f.path, MAX_FILE_BYTES, "PLANNER_MAX_YAML_BYTES")
    except OSError as exc:
        issues.add(Issue(f.shown, 0, "", f"cannot read the file ({exc.strerror})"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        issues.add(Issue(f.shown, data[: exc.start].count(b"\n") + 1, "", "the file is not UTF-8 text; save it as UTF-8"))
        return None
    if "\0" in text:
        issues.add(Issue(f.shown, text.count("\n", 0, text.find("\0")) + 1, "", "the file holds a NUL character; it is not a text file"))
        return None
    try:
        doc: Any = load_yaml(text)
    except YamlProblem as exc:
        issues.add(Issue(f.shown, exc.line, "", exc.message))
        return None
    if doc is None:
        return LineDict()
    if not isinstance(doc, LineDict):
        issues.add(Issue(f.shown, getattr(doc, "line", 1), "", f"the document is {a_kind(doc)}; a scenario overlay is a mapping "
                                                              f"with keys {', '.join(OVERLAY_KEYS)}"))
        return None
    ok = True
    for key in doc:
        if key not in OVERLAY_KEYS:
            issues.add(Issue(f.shown, doc.lines[key], key, f"unknown section{suggest(key, OVERLAY_KEYS)} (a scenario overlay may hold "
                                                         f"{', '.join(OVERLAY_KEYS)})"))
            ok = False
    name = doc.get("name")
    if "name" in doc and not (isinstance(name, str) and 0 < len(name.strip()) <= 1000):
        issues.add(Issue(f.shown, doc.lines["name"], "name", "must be a text of 1 to 1000 characters, shown in the comparison"))
        ok = False
    return doc if ok else None


def overlay_name(paths: Sequence[Path]) -> Optional[str]:
    """The `name` an overlay gives itself (the first file that has one), or None; unreadable files give None."""
    for path in paths:
        issues = Issues()
        for f in overlay_files(Path(path), issues):
            doc = read_overlay_doc(f, issues)
            if doc is not None and isinstance(doc.get("name"), str):
                return doc["name"].strip()
    return None


# ------------------------------------------------------------------------------------------- merging


def merge(sections: dict[str, Chunks], docs: Sequence[tuple[InventoryFile, LineDict]], issues: Issues) -> Merge:
    """`sections` with every overlay document laid over them, in order."""
    out = Merge({k: list(v) for k, v in sections.items()})
    named: Optional[tuple[str, int]] = None
    for f, doc in docs:
        if "name" in doc:
            if named is not None:
                issues.add(Issue(f.shown, doc.lines["name"], "name", f"the scenario is already named at {named[0]}:{named[1]}; keep one name"))
            else:
                named = (f.shown, doc.lines["name"])
        _apply(out, f.shown, doc, issues)
    return out


def _apply(out: Merge, file: str, doc: LineDict, issues: Issues) -> None:
    entries = {name: _flatten(out.sections[name]) for name in LIST_SECTIONS}
    if "remove" in doc:
        _remove(out, entries, file, doc["remove"], doc.lines["remove"], issues)
    for name in LIST_SECTIONS:
        if name in doc:
            _merge_items(out, entries[name], name, file, doc[name], doc.lines[name], issues)
    for name in LIST_SECTIONS:
        out.sections[name] = _regroup(entries[name])
    if "scenario" in doc:
        _merge_scenario(out, file, doc["scenario"], doc.lines["scenario"], issues)
    if "countries" in doc:
        _merge_countries(out, file, doc["countries"], doc.lines["countries"], issues)
    if "latency_ms" in doc:
        _merge_latency(out, file, doc["latency_ms"], doc.lines["latency_ms"], issues)


# One list item of a section: (file, item, item line, section key line); item None marks a chunk that is not a list.
_Entry = list


def _flatten(chunks: Chunks) -> list[_Entry]:
    flat: list[_Entry] = []
    for file, value, line in chunks:
        if isinstance(value, LineList):
            flat.extend([file, item, value.lines[i], line] for i, item in enumerate(value))
        else:
            flat.append([file, None, line, line, value])  # not a list: passed on for the section's own error
    return flat


def _regroup(flat: list[_Entry]) -> Chunks:
    """Entries back into chunks: consecutive items of one file make one list."""
    chunks: Chunks = []
    current: Optional[LineList] = None
    current_file = None
    for entry in flat:
        if entry[1] is None:
            chunks.append((entry[0], entry[4], entry[3]))
            current = None
            continue
        if current is None or entry[0] != current_file:
            current = LineList()
            current.line = entry[3]
            current_file = entry[0]
            chunks.append((entry[0], current, entry[3]))
        current.append(entry[1])
        current.lines.append(entry[2])
    return chunks


def item_id(item: Any) -> Optional[str]:
    """The `id` of a list item, when it is text."""
    value = item.get("id") if isinstance(item, LineDict) else None
    return value if isinstance(value, str) else None


def _index(flat: list[_Entry]) -> dict[str, int]:
    index: dict[str, int] = {}
    for k, entry in enumerate(flat):
        ident = item_id(entry[1])
        if ident is not None:
            index.setdefault(ident, k)
    return index


def _remove(out: Merge, entries: dict[str, list[_Entry]], file: str, raw: Any, line: int, issues: Issues) -> None:
    if not isinstance(raw, LineDict):
        issues.add(Issue(file, line, "remove", f"expected a mapping of section to ids, like {{workloads: [fax-gw-01]}}; got {a_kind(raw)}"))
        return
    for name, ids in raw.items():
        kline = raw.lines[name]
        if name not in LIST_SECTIONS:
            issues.add(Issue(file, kline, f"remove.{name}", f"unknown section{suggest(str(name), LIST_SECTIONS)}; remove takes "
                                                          f"{', '.join(LIST_SECTIONS)}"))
            continue
        if not isinstance(ids, LineList) or not all(isinstance(i, str) for i in ids):
            issues.add(Issue(file, kline, f"remove.{name}", f"expected a list of {NOUN[name]} ids, like [{'fax-gw-01' if name == 'workloads' else 'x'}]"))
            continue
        flat = entries[name]
        index = _index(flat)
        gone: set[int] = set()
        for i, ident in enumerate(ids):
            iline = ids.lines[i]
            k = index.get(ident)
            if k is not None and k not in gone:
                gone.add(k)
                item = flat[k][1]
                out.removals.append(Removal(NOUN[name], ident, file, iline,
                                            item.get("data_class", "") if name == "policies" and isinstance(item.get("data_class"), str) else ""))
            elif name == "workloads" and k is None:
                out.table_removals.append(Removal("workload", ident, file, iline))
            else:
                issues.add(Issue(file, iline, f"remove.{name}[{ident}]",
                                 f"no {NOUN[name]} '{ident}' in the base inventory{suggest(ident, index)}"))
        if gone:
            entries[name] = [e for k, e in enumerate(flat) if k not in gone]


def _merge_items(out: Merge, flat: list[_Entry], name: str, file: str, raw: Any, line: int, issues: Issues) -> None:
    if raw is None:
        return
    if not isinstance(raw, LineList):
        issues.add(Issue(file, line, name, f"expected a list of {name}, each with the `id` it adds or changes; got {a_kind(raw)}"))
        return
    index = _index(flat)
    for i, item in enumerate(raw):
        iline = raw.lines[i]
        ident = item_id(item)
        if ident is None:
            issues.add(Issue(file, iline, f"{name}[{i}].id", "a scenario's item needs the `id` of the item it adds or changes"))
            continue
        k = index.get(ident)
        if k is not None:
            flat[k] = [file, merged_item(flat[k][1], item), iline, line]
        elif name == "workloads":
            # A table row to change, or a new workload: known once the tables are read.
            prev = next((p for p, (_, it, _) in enumerate(out.pending) if item_id(it) == ident), None)
            if prev is None:
                out.pending.append((file, item, iline))
            else:
                out.pending[prev] = (file, merged_item(out.pending[prev][1], item), iline)
        else:
            index[ident] = len(flat)
            flat.append([file, merged_item(None, item), iline, line])


def merged_item(base: Optional[LineDict], over: LineDict) -> LineDict:
    """`over`'s fields laid over `base` (None: a new item); `null` removes a field. Base values take `over`'s line."""
    out = LineDict()
    out.line = over.line
    if base is not None:
        for key, value in base.items():
            out[key] = relined(value, over.line)
            out.lines[key] = over.line
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
            out.lines.pop(key, None)
        else:
            out[key] = value
            out.lines[key] = over.lines[key]
    return out


def relined(value: Any, line: int) -> Any:
    """A copy of a YAML value whose every line is `line` (a base value shown in an overlay's file)."""
    if isinstance(value, LineDict):
        out = LineDict({k: relined(v, line) for k, v in value.items()})
        out.line = line
        out.lines = {k: line for k in value}
        return out
    if isinstance(value, LineList):
        seq = LineList([relined(v, line) for v in value])
        seq.line = line
        seq.lines = [line] * len(value)
        return seq
    return value


def _deep_merge(base: LineDict, over: LineDict, base_line: int) -> LineDict:
    """Mappings merged key by key, all the way down (the scenario block)."""
    out = relined(base, base_line)
    out.line = over.line
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
            out.lines.pop(key, None)
        elif isinstance(value, LineDict) and isinstance(out.get(key), LineDict):
            out[key] = _deep_merge(out[key], value, over.lines[key])
            out.lines[key] = over.lines[key]
        else:
            out[key] = value
            out.lines[key] = over.lines[key]
    return out


def _merge_scenario(out: Merge, file: str, raw: Any, line: int, issues: Issues) -> None:
    if raw is None:
        return
    if not isinstance(raw, LineDict):
        issues.add(Issue(file, line, "scenario", f"expected a mapping of scenario settings to change; got {a_kind(raw)}"))
        return
    chunks = out.sections["scenario"]
    if chunks and isinstance(chunks[0][1], LineDict):
        merged = _deep_merge(chunks[0][1], raw, line)
        out.sections["scenario"] = [(file, merged, line)] + chunks[1:]
    elif chunks and chunks[0][1] is not None:
        return  # the base's scenario is not a mapping: its own error says so
    else:
        out.sections["scenario"] = [(file, _deep_merge(LineDict(), raw, line), line)] + chunks[1:]


def _merge_countries(out: Merge, file: str, raw: Any, line: int, issues: Issues) -> None:
    if raw is None:
        return
    if not isinstance(raw, LineDict):
        issues.add(Issue(file, line, "countries", f"expected a mapping of group name to country list; got {a_kind(raw)}"))
        return
    kept: Chunks = []
    for cfile, value, cline in out.sections["countries"]:
        if isinstance(value, LineDict) and any(g in value for g in raw):
            rest = LineDict({g: v for g, v in value.items() if g not in raw})
            rest.line, rest.lines = value.line, {g: value.lines[g] for g in rest}
            value = rest
        kept.append((cfile, value, cline))
    added = LineDict()
    added.line = line
    for group, codes in raw.items():
        if codes is None:
            out.removals.append(Removal("country group", str(group), file, raw.lines[group]))
            continue
        added[group] = codes
        added.lines[group] = raw.lines[group]
    out.sections["countries"] = kept + ([(file, added, line)] if added else [])


def _pair(entry: Any) -> Optional[tuple[str, str]]:
    if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str) and isinstance(entry[1], str):
        return (min(entry[0], entry[1]), max(entry[0], entry[1]))
    return None


def _merge_latency(out: Merge, file: str, raw: Any, line: int, issues: Issues) -> None:
    if raw is None:
        return
    if not isinstance(raw, LineList):
        issues.add(Issue(file, line, "latency_ms", f"expected a list of [zone, zone, ms] entries; got {a_kind(raw)}"))
        return
    pairs = {p for p in (_pair(e) for e in raw) if p is not None}
    kept: Chunks = []
    for cfile, value, cline in out.sections["latency_ms"]:
        if isinstance(value, LineList):
            keep = [i for i, e in enumerate(value) if _pair(e) not in pairs]
            if len(keep) != len(value):
                rest = LineList([value[i] for i in keep])
                rest.line, rest.lines = value.line, [value.lines[i] for i in keep]
                value = rest
        kept.append((cfile, value, cline))
    added = LineList()
    added.line = line
    for i, entry in enumerate(raw):
        if _pair(entry) is not None and entry[2] is None:
            continue  # [a, b, null]: the pair has no known path any more
        added.append(entry)
        added.lines.append(raw.lines[i])
    out.sections["latency_ms"] = kept + ([(file, added, line)] if added else [])


__all__ = ["HASH_PREFIX", "LIST_SECTIONS", "Merge", "Removal", "item_id", "merge", "merged_item", "overlay_files", "overlay_name",
           "read_overlay_doc", "relined"]
