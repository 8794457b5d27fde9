"""Waivers: accepted findings, as data with a reason and an expiry.

A waivers file is YAML::

    waivers:
      - rule: cost-threshold          # a finding's rule id
        workload: "*"                 # a workload id, or "*" for any (and for estate-wide findings)
        site: az-westeurope           # optional: only the finding on this site
        reason: FinOps accepted the Azure exit cost (FIN-123)
        expires: 2027-03-31           # last day the waiver holds

A current waiver turns each finding it matches into status ``waived`` (still reported,
never failing). From the day after ``expires`` the waiver no longer applies and is itself
a failing finding (``waiver-expired``); a current waiver that matches nothing is reported
as ``waiver-unused`` (info). Every problem in the file is reported at once with its line,
like an inventory's, and makes the check exit 2.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Optional, Union

from planner.base.errors import Issue, PlannerError
from planner.check.findings import WAIVER_EXPIRED, WAIVER_UNUSED, Finding
from planner.domain.model import parse_day
from planner.inputs.yamlio import (
    LineDict,
    LineList,
    YamlProblem,
    load_yaml,
    read_yaml_text,
)

FIELDS = ("rule", "workload", "site", "reason", "expires")
REQUIRED = ("rule", "workload", "reason", "expires")


@dataclass(frozen=True, order=True)
class Waiver:
    """One accepted finding: which (rule, workload[, site]), why, and until when."""

    rule: str
    workload: str
    site: Optional[str]
    reason: str
    expires: dt.date
    file: str = ""
    line: int = 0

    def matches(self, f: Finding) -> bool:
        if self.rule != f.rule:
            return False
        if self.workload != "*" and self.workload != f.workload and self.workload not in f.workloads:
            return False
        return self.site in (None, "*") or self.site == f.site or self.site in f.sites

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    @property
    def label(self) -> str:
        who = "any workload" if self.workload == "*" else self.workload
        return f"{self.rule} on {who}" + (f" at {self.site}" if self.site not in (None, "*") else "")

    def to_json(self, today: dt.date) -> dict:
        return {"rule": self.rule, "workload": self.workload, "site": self.site, "reason": self.reason,
                "expires": self.expires.isoformat(), "expired": self.expired(today), "file": self.file or None, "line": self.line or None}


class WaiverFileError(PlannerError):
    """A waivers file that cannot be used; `issues` lists every problem, each with file and line."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))


def load_waivers(path: Union[str, Path]) -> list[Waiver]:
    """Read and check a waivers file; raises :class:`WaiverFileError` listing every problem."""
    shown = str(path)
    issues: list[Issue] = []
    try:
        doc = load_yaml(read_yaml_text(path))
    except OSError as exc:
        raise WaiverFileError([Issue(shown, 0, "", f"cannot read the waivers file ({exc.strerror or exc})")]) from None
    except YamlProblem as exc:
        raise WaiverFileError([Issue(shown, exc.line, "", exc.message)]) from None
    if doc is None:
        return []
    if not isinstance(doc, LineDict):
        raise WaiverFileError([Issue(shown, getattr(doc, "line", 1), "", "expected a mapping with a `waivers:` list")])
    for key in doc:
        if key != "waivers":
            issues.append(Issue(shown, doc.lines[key], str(key), "unknown key; a waivers file holds only `waivers:`"))
    entries = doc.get("waivers")
    if entries is None:
        entries = LineList()
    if not isinstance(entries, LineList):
        issues.append(Issue(shown, doc.lines.get("waivers", 1), "waivers", "expected a list of waivers, each with rule, workload, reason and expires"))
        raise WaiverFileError(issues)
    out: list[Waiver] = []
    seen: dict[tuple[str, str, Optional[str]], int] = {}
    for i, raw in enumerate(entries):
        line = entries.lines[i]
        where = f"waivers[{i}]"
        if not isinstance(raw, LineDict):
            issues.append(Issue(shown, line, where, f"expected a mapping with {', '.join(REQUIRED)} (and optionally site)"))
            continue
        bad = False
        for key in raw:
            if key not in FIELDS:
                close = difflib.get_close_matches(str(key), FIELDS, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                issues.append(Issue(shown, raw.lines[key], f"{where}.{key}", f"unknown field{hint} (allowed: {', '.join(FIELDS)})"))
                bad = True
        for key in REQUIRED:
            if key not in raw:
                issues.append(Issue(shown, line, f"{where}.{key}", "required field is missing"))
                bad = True
        values: dict[str, Any] = {}
        for key in ("rule", "workload", "site", "reason"):
            if key not in raw or (key == "site" and raw[key] is None):
                continue
            value = raw[key]
            if not isinstance(value, str) or not value.strip():
                issues.append(Issue(shown, raw.lines[key], f"{where}.{key}", f"expected non-empty text, got {value!r}"))
                bad = True
            else:
                values[key] = value.strip()
        if "expires" in raw:
            try:
                values["expires"] = parse_day(raw["expires"])
            except ValueError as exc:
                got = repr(raw["expires"])
                issues.append(Issue(shown, raw.lines["expires"], f"{where}.expires", f"{exc}, got {got if len(got) <= 60 else got[:57] + '...'}"))
                bad = True
        if bad:
            continue
        w = Waiver(values["rule"], values["workload"], values.get("site"), values["reason"], values["expires"], shown, line)
        key3 = (w.rule, w.workload, w.site)
        if key3 in seen:
            issues.append(Issue(shown, line, where, f"a second waiver for {w.label} (first on line {seen[key3]}); keep one"))
            continue
        seen[key3] = line
        out.append(w)
    if issues:
        raise WaiverFileError(issues)
    return sorted(out)


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: dt.date) -> list[Finding]:
    """Mark active findings a current waiver covers as waived; add findings for expired and unused waivers."""
    current = [w for w in waivers if not w.expired(today)]
    used: set[Waiver] = set()
    out: list[Finding] = []
    for f in findings:
        if f.active:
            match = next((w for w in current if w.matches(f)), None)
            if match is not None:
                used.add(match)
                f = replace(f, status="waived", waiver_reason=match.reason, waiver_expires=match.expires.isoformat())
        out.append(f)
    for w in waivers:
        site = w.site or ""
        if w.expired(today):
            out.append(Finding(WAIVER_EXPIRED, w.workload, site, "error",
                               f"the waiver for {w.label} expired on {w.expires.isoformat()} ({w.reason}); fix what it waived, "
                               f"or renew it with a new expiry and a reason", "waivers", w.file, w.line))
        elif w not in used:
            out.append(Finding(WAIVER_UNUSED, w.workload, site, "info",
                               f"the waiver for {w.label} (until {w.expires.isoformat()}: {w.reason}) matches no finding; remove it",
                               "waivers", w.file, w.line))
    return out


__all__ = ["Waiver", "WaiverFileError", "apply_waivers", "load_waivers"]
