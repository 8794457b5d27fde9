"""SARIF 2.1.0 for code scanning: one result per finding, at its inventory file and line, within GitHub's upload limits.

A result's `ruleId` is the finding's rule, its level the finding's severity (error, warning,
note), its location the inventory file (a URI relative to the repository root, `%SRCROOT%`)
and line, and its `partialFingerprints` the finding's content identity (``rule:workload:site``),
so an alert survives lines moving. A waived finding carries an external suppression; a
resolved one is not a result (it is gone). Past :data:`MAX_RESULTS` findings (a
million-workload estate) the worst are kept one by one and the rest grouped, one result per
rule and level, and the run's properties say so. Untrusted text goes through
:func:`planner.base.untrusted.sarif_text`, the document through :func:`~planner.base.untrusted.json_text`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Optional
from urllib.parse import quote

from planner.base.untrusted import json_text, sarif_text
from planner.check.findings import (
    BASELINE,
    COST_THRESHOLD,
    FAULT,
    INPUT,
    MOVE_THRESHOLD,
    SEVERITIES,
    STATUSES,
    WAIVER_EXPIRED,
    WAIVER_FILE,
    WAIVER_UNUSED,
    Finding,
)
from planner.check.result import CheckResult
from planner.domain.rules import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
TOOL = "hybrid-migration-planner"
# GitHub accepts 25,000 results per run and shows the top 5,000 by severity; keeping to what it shows
# also keeps the file a few MB, far under its 10 MB upload limit.
MAX_RESULTS = 5_000
MAX_MESSAGE = 1_000  # characters of a finding's message in a result (the JSON output has it whole)
FINGERPRINT = "plannerFindingId/v1"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GATE_RULES = {
    INPUT: "the inventory loads: every field valid, every reference known",
    BASELINE: "the baseline plan is readable",
    WAIVER_FILE: "the waivers file is valid",
    COST_THRESHOLD: "the horizon cost rises no more than --warn-over / --fail-over allow",
    MOVE_THRESHOLD: "no more workloads move off their baseline site than --warn-over-moves / --fail-over-moves allow",
    WAIVER_EXPIRED: "a waiver is renewed or removed before it expires",
    WAIVER_UNUSED: "a waiver still matches a finding",
    FAULT: "the planner's own verifier accepts its re-plan (a fault of the planner, not of the inventory)",
}


@lru_cache(maxsize=1)
def _tool_metadata() -> tuple[str, Optional[str]]:
    """The installed package's version and home page (None when its metadata names none)."""
    from importlib import metadata

    try:
        meta = metadata.metadata(TOOL)
    except metadata.PackageNotFoundError:
        return "0+unknown", None
    home = meta.get("Home-page")
    for entry in meta.get_all("Project-URL") or ():
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "documentation", "repository", "source"):
            home = home or url.strip()
    return meta.get("Version") or "0+unknown", home


def rule_text(rule: str) -> str:
    """What a rule (or a `a+b` pair of rules) demands, in one sentence."""
    parts = []
    for part in rule.split("+"):
        try:
            parts.append(Rule(part).text)
        except ValueError:
            parts.append(_GATE_RULES.get(part, f"the planner's rule {part}"))
    return "; ".join(parts)


def artifact_location(file: str) -> dict[str, str]:
    """A file as SARIF shows it: a relative URI against %SRCROOT% (the repository root), or an absolute file: URI."""
    win = PureWindowsPath(file)
    if win.drive or file.startswith("/"):
        path = PurePosixPath(file) if file.startswith("/") else PurePosixPath("/" + win.as_posix())
        return {"uri": "file://" + quote(path.as_posix(), safe="/:")}
    rel = PurePosixPath(win.as_posix())
    text = rel.as_posix()
    return {"uri": quote(text if text != "." else "", safe="/"), "uriBaseId": SRCROOT}


def _location(file: str, line: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(file)}
    if line > 0:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _worst(f: Finding) -> tuple:
    """Errors before warnings before notes, live before waived, new before old; then the finding's own order."""
    return (SEVERITIES.index(f.severity), f.status == "waived", STATUSES.index(f.status), f.rule, f.workload, f.site, f.message)


def _message(f: Finding) -> str:
    text = f.message if len(f.message) <= MAX_MESSAGE else f.message[: MAX_MESSAGE - 1].rstrip() + "…"
    if f.status == "changed" and f.previous:
        text += f" (was: {f.previous[:MAX_MESSAGE]})"
    if f.fix:
        text = text.rstrip()
        text += ("" if text.endswith((".", "!", "?")) else ".") + f" Nearest fix: {f.fix}"
    return sarif_text(text)


def _result(f: Finding, r: CheckResult, rule_index: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index[f.rule],
        "level": _LEVEL[f.severity],
        "message": {"text": _message(f)},
        "locations": [_location(f.file or r.inventory, f.line if f.file else 0)],
        "partialFingerprints": {FINGERPRINT: f.id},
        "properties": {"status": f.status, "source": f.source, "workloads": len(f.workloads)},
    }
    if f.status == "waived":
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": sarif_text(f"waived until {f.waiver_expires}: {f.waiver_reason}")}]
    return out


def _group(rule: str, level: str, waived: bool, members: list[Finding], r: CheckResult, rule_index: dict[str, int]) -> dict[str, Any]:
    """One result standing for many findings of one rule and level: where the first is, how many, where they all are."""
    first = members[0]
    workloads = sum(len(f.workloads) for f in members)
    where = f" Every finding is in {r.full_text}." if r.full_text else " Every finding is in the JSON output (planner check --format json)."
    text = (f"{len(members)} more {rule} finding{'s' if len(members) != 1 else ''} ({workloads} workload"
            f"{'s' if workloads != 1 else ''}) grouped to keep within code scanning's limits; the first: {first.message}")
    text = text[: MAX_MESSAGE - 1].rstrip() + "…" if len(text) > MAX_MESSAGE else text
    out: dict[str, Any] = {
        "ruleId": rule,
        "ruleIndex": rule_index[rule],
        "level": level,
        "message": {"text": sarif_text(text + where)},
        "locations": [_location(first.file or r.inventory, first.line if first.file else 0)],
        "partialFingerprints": {FINGERPRINT: f"{rule}:group:{level}{':waived' if waived else ''}"},
        "properties": {"grouped": len(members), "workloads": workloads},
    }
    if waived:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": "waived (each finding's waiver is in the full output)"}]
    return out


def to_sarif(r: CheckResult, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    """The SARIF 2.1.0 log of `r`: one run, its rules sorted by id, its results worst first."""
    present = sorted((f for f in r.findings if f.status != "resolved"), key=_worst)
    rules = sorted({f.rule for f in present})
    rule_index = {rule: i for i, rule in enumerate(rules)}
    version, home = _tool_metadata()
    driver: dict[str, Any] = {"name": TOOL, "version": version, "semanticVersion": version}
    if home:
        driver["informationUri"] = home
    driver["rules"] = [{"id": rule, "name": rule, "shortDescription": {"text": rule_text(rule)},
                        "help": {"text": f"{rule_text(rule)}. `planner explain WORKLOAD` says why a workload went where it did."}}
                       for rule in rules]
    if len(present) <= max_results:
        results = [_result(f, r, rule_index) for f in present]
        grouped = 0
    else:
        groups: dict[tuple[str, str, bool], list[Finding]] = {}
        for f in present:
            groups.setdefault((f.rule, _LEVEL[f.severity], f.status == "waived"), []).append(f)
        keep = max(max_results - len(groups), 0)
        results = [_result(f, r, rule_index) for f in present[:keep]]
        rest: dict[tuple[str, str, bool], list[Finding]] = {}
        for f in present[keep:]:
            rest.setdefault((f.rule, _LEVEL[f.severity], f.status == "waived"), []).append(f)
        order = {"error": 0, "warning": 1, "note": 2}
        results += [_group(rule, level, waived, members, r, rule_index)
                    for (rule, level, waived), members in sorted(rest.items(), key=lambda kv: (order[kv[0][1]], kv[0][2], kv[0][0]))]
        grouped = len(present) - keep
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": r.verdict != "fault", "exitCode": r.exit_code}],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root: inventory paths are relative to it."}}},
        "results": results,
        "properties": {"verdict": r.verdict, "summary": sarif_text(r.summary()), "findings": len(present),
                       "results": len(results), "grouped": grouped, "fullText": sarif_text(r.full_text)},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(r: CheckResult) -> str:
    """The SARIF log as compact JSON text (a million-workload estate's stays a few MB), ending in a newline."""
    return json_text(to_sarif(r), separators=(",", ":"), sort_keys=False) + "\n"


__all__ = ["FINGERPRINT", "MAX_RESULTS", "SCHEMA_URI", "artifact_location", "render_sarif", "rule_text", "to_sarif"]
