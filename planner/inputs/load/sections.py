"""The YAML files of an inventory read into their sections, every value remembering its line."""

from __future__ import annotations

import gc
from typing import Any

from planner.base.errors import Issue
from planner.inputs.load.files import InventoryFile
from planner.inputs.load.placeholders import has_placeholders, section_placeholders
from planner.inputs.load.rows import Issues
from planner.inputs.load.schema import a_kind
from planner.inputs.load.topology import Chunks
from planner.inputs.load.yaml_workloads import suggest
from planner.inputs.yamlio import LineDict, YamlProblem, load_yaml, read_yaml_text

SECTIONS = ("zones", "latency_ms", "countries", "policies", "sites", "workloads", "scenario")


def read_sections(files: list[InventoryFile], issues: Issues) -> dict[str, Chunks]:
    """Section name to its (file, value, line) chunks, in file order; problems go to `issues`."""
    sections: dict[str, Chunks] = {name: [] for name in SECTIONS}
    enabled = gc.isenabled()
    gc.disable()  # a large YAML file makes millions of small objects and no garbage: collecting them is half the time
    try:
        for f in files:
            if f.kind == "yaml":
                _read(f, sections, issues)
    finally:
        if enabled:
            gc.enable()
    return sections


def _read(f: InventoryFile, sections: dict[str, Chunks], issues: Issues) -> None:
    try:
        text = read_yaml_text(f.path)
        marked = has_placeholders(text)  # one substring search spares walking a million workloads
        doc: Any = load_yaml(text)
        del text  # not held while the sections are read
    except OSError as exc:
        issues.add(Issue(f.shown, 0, "", f"cannot read the file ({exc.strerror or exc})"))
        return
    except YamlProblem as exc:
        issues.add(Issue(f.shown, exc.line, "", exc.message))
        return
    if doc is None:
        return
    if not isinstance(doc, LineDict):
        issues.add(Issue(f.shown, getattr(doc, "line", 1), "", f"the document is {a_kind(doc)}; an inventory file is a mapping with keys {', '.join(SECTIONS)}"))
        return
    for key, value in doc.items():
        if marked:
            issues.extend(section_placeholders(key, value, doc.lines[key], f.shown))
        if key not in SECTIONS:
            issues.add(Issue(f.shown, doc.lines[key], key, f"unknown section{suggest(key, SECTIONS)}"))
            continue
        sections[key].append((f.shown, value, doc.lines[key]))
