"""Renderers of a :class:`CheckResult`: text, json, markdown, junit, github and sarif. Each is a pure function of it.

Every output leads with what changed (the headline, the reasons, the changed workloads and
the rules the change would have broken), then the moves, totals and thresholds; rules that
pass collapse into one line, and a sentence is said once: a threshold's sentence is a reason,
so it is not repeated as a finding. Every list is sorted before it is rendered or truncated,
and every output but JSON ends with a one-line summary. Nothing depends on the clock or the
working folder, so the same result renders to the same bytes (the golden-file tests rely on
it). Text from the inventory, the baseline and the waivers file is untrusted: each renderer
escapes it with :mod:`planner.base.untrusted` for its format, so no output (printed in a CI log,
posted as a PR comment) carries a live workflow command, mention, link or markup.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Callable, Optional

from planner.base.untrusted import (
    json_text,
    markdown,
    one_line,
    terminal,
    workflow_data,
    workflow_property,
    xml_text,
)
from planner.check.findings import (
    COST_THRESHOLD,
    FAULT,
    MOVE_THRESHOLD,
    THRESHOLDS,
    WAIVER_EXPIRED,
    WAIVER_UNUSED,
    Finding,
)
from planner.check.result import CHECK_FORMAT, CheckResult
from planner.check.sarif import render_sarif
from planner.domain.rules import Rule
from planner.plan.document import NO_PLAN

FORMATS = ("text", "json", "markdown", "junit", "github", "sarif")
MAX_MOVE_ROWS = 50  # a PR comment holds at most 65,536 characters
MAX_CHANGE_ROWS = 50
MAX_FINDING_ROWS = 100
MAX_REASON_ROWS = 20
MAX_TEXT_ROWS = 200  # changed workloads and moves in the text output (a CI log); JSON has them all
MAX_ANNOTATION = 200  # characters of a finding's statement in a GitHub annotation (the fix and the pointer follow)
_TOTAL_LABELS = {"horizon_cost": "Horizon cost", "monthly_run_cost": "Monthly run", "one_time_cost": "One-time",
                 "monthly_egress_cost": "Monthly egress", "stay_put_monthly_run_cost": "Stay-put monthly run"}
_TOTAL_LABELS.update({"emissions_tonnes": "Emissions over the horizon", "stay_put_emissions_tonnes": "Stay-put emissions",
                      "carbon_cost": "Carbon charge"})
_TONNES = ("emissions_tonnes", "stay_put_emissions_tonnes")  # totals in tCO2e, not money
_VERDICT_MD = {"pass": "✅ planner check passed", "warn": "⚠️ planner check passed with warnings",
               "fail": "❌ planner check failed", "error": "🛑 planner check: bad input",
               "fault": "🐞 planner check: a fault of the planner, not of the inventory"}
_STATUS_MD = {"new": "❌ new", "changed": "❌ changed", "unchanged": "❌ still failing", "waived": "⚪ waived",
              "resolved": "✅ resolved"}
_LEVEL_MD = {"fail": "❌", "warn": "⚠️"}


def render(result: CheckResult, fmt: str) -> str:
    """`result` in one of :data:`FORMATS`."""
    return _RENDERERS[fmt](result)


def _where(f: Finding) -> str:
    return f"{f.file}:{f.line}" if f.file and f.line else f.file


def _subject(f: Finding) -> str:
    who = f.workload or "(estate)"
    return f"{who} on {f.site}" if f.site else who


def _status(f: Finding) -> str:
    return "kept" if f.averted else f.status


def _totals(r: CheckResult) -> list[tuple[str, float, float, float, Optional[float]]]:
    if r.diff is None or r.status_new in NO_PLAN:  # no plan, no totals to compare
        return []
    d = r.diff
    return [(k, d.totals_old.get(k, 0.0), d.totals_new.get(k, 0.0), d.delta(k), d.delta_ratio(k)) for k in d.total_keys]


def _amount(r: CheckResult, key: str, x: float, signed: bool = False) -> str:
    """A total's value: money in the plan's currency, or tCO2e for the emission totals."""
    if key in _TONNES:
        return f"{x:{'+' if signed and x else ''},.2f} tCO2e"
    return r.money(x, signed=signed)


def _pct(ratio: Optional[float]) -> str:
    return f" ({ratio:+.2%})" if ratio is not None else ""


def _moves_line(r: CheckResult) -> str:
    n = len(r.moves)
    why = ", ".join(f"{k} {v}" for k, v in r.moves_by_reason.items())
    return f"{n} workload{'s' if n != 1 else ''} move{'s' if n == 1 else ''} off the baseline" + (f" ({why})" if why else "")


def _listed(r: CheckResult) -> list[Finding]:
    """The findings a detailed list shows: not those said already (a threshold's sentence is a reason; a kept rule has its own section)."""
    return [f for f in r.findings if not f.stated_as_reason and not f.averted]


def _changes_note(r: CheckResult) -> str:
    return f"own run cost over {r.horizon_months} months plus one-time cost, against the baseline; egress is in the totals"


def _thresholds(r: CheckResult) -> list[tuple[str, str, str, str]]:
    """(what, value, limits, level) for the cost and the churn thresholds."""
    rows = []
    for name, check, warn, fail, value in (
            ("cost", r.cost, r.warn_over.text if r.warn_over else None, r.fail_over.text if r.fail_over else None,
             r.cost_change()),
            ("moves", r.churn, r.warn_over_moves, r.fail_over_moves, str(r.churn.moved) if r.churn else "")):
        if check is None:
            continue
        limits = ", ".join(f"{flag} {v}" for flag, v in ((f"--warn-over{'-moves' if name == 'moves' else ''}", warn),
                                                         (f"--fail-over{'-moves' if name == 'moves' else ''}", fail)) if v is not None)
        level = check.level if check.level != "skipped" else check.sentence
        rows.append((name, value or "—", limits or "none set", level))
    return rows


def _table(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()
            for row in rows]


# ---------------------------------------------------------------- text

def render_text(r: CheckResult) -> str:
    """For people at a terminal; ends with the one-line summary. Untrusted text is :func:`one_line`-escaped."""
    t = one_line
    lines = [f"planner check {t(r.inventory)} --baseline {t(r.baseline)}"]
    if r.verdict == "error":
        lines += ["", "bad input (nothing was planned):"]
        lines += [f"  error: {t(_where(f)) + ': ' if _where(f) else ''}{t(f.message)}" for f in r.findings]
        return terminal("\n".join(lines + ["", t(r.summary())]) + "\n")
    if r.verdict == "fault":
        lines += ["", t(r.headline()), "", f"the planner's own findings on its re-plan ({len(r.findings)}):"]
        for f in r.findings[:MAX_TEXT_ROWS]:
            lines.append(f"  {t(f.rule)}: {t(_subject(f))}" + (f"  {t(_where(f))}" if _where(f) else ""))
            lines.append(f"            {t(f.message)}")
        if len(r.findings) > MAX_TEXT_ROWS:
            lines.append(f"  ... {len(r.findings) - MAX_TEXT_ROWS} more (see the JSON output)")
        lines += [f"note: {t(n)}" for n in r.notes]
        return terminal("\n".join(lines + ["", t(r.summary())]) + "\n")
    lines.append(f"re-plan: {t(r.status_new)} (baseline: {t(r.status_baseline)}); {r.workloads} workloads; today {r.today.isoformat()}")
    lines += ["", t(r.headline())]
    if r.changes:
        lines += ["", f"changed workloads ({len(r.changes)}; {_changes_note(r)}):"]
        rows = [("workload", "change", "site", "monthly", "horizon")]
        rows += [(t(c.workload), t(c.what), t(c.where), r.money(c.monthly_delta, signed=True), r.money(c.horizon_delta, signed=True))
                 for c in r.changes[:MAX_TEXT_ROWS]]
        lines += _table(rows, right=(3, 4))
        if len(r.changes) > MAX_TEXT_ROWS:
            lines.append(f"  ... {len(r.changes) - MAX_TEXT_ROWS} more (see the JSON output)")
    if r.averted:
        lines += ["", "kept by the re-plan:"] + [f"  {t(f.message)}" for f in r.averted]
    if r.status_new not in NO_PLAN:
        lines += ["", f"moves: {t(_moves_line(r))}"]
        for m in r.moves[:MAX_TEXT_ROWS]:
            lines.append(f"  {t(m.workload)}: {t(m.old_site)} -> {t(m.new_site)} ({r.money(m.monthly_cost_delta, signed=True)}/month): {t(m.reason)}")
        if len(r.moves) > MAX_TEXT_ROWS:
            lines.append(f"  ... {len(r.moves) - MAX_TEXT_ROWS} more (see the JSON output)")
    rows = _totals(r)
    if rows:
        table = [("total", "baseline", "new", "delta")] + [(t(k), _amount(r, k, a), _amount(r, k, b), _amount(r, k, c, True) + _pct(q))
                                                           for k, a, b, c, q in rows]
        lines += ["", "totals:"] + _table(table, right=(1, 2, 3))
    th = _thresholds(r)
    if th:
        lines += ["", "thresholds:"] + _table([(name, value, limits + ":", t(level)) for name, value, limits, level in th])
    listed = _listed(r)
    lines += ["", f"findings ({len(listed)}):" if listed else ("findings: none besides the above" if r.findings else "findings: none")]
    for f in listed:
        lines.append(f"  {f.status.upper():9} {f.severity:7} {t(f.id)}" + (f"  {t(_where(f))}" if _where(f) else ""))
        lines.append(f"            {t(f.message)}")
        if f.status == "changed":
            lines.append(f"            (was: {t(f.previous)})")
        if f.status == "waived":
            lines.append(f"            waived until {t(f.waiver_expires)}: {t(f.waiver_reason)}")
        if f.fix:
            lines.append(f"            nearest fix: {t(f.fix)}")
    lines += [f"note: {t(n)}" for n in r.notes]
    return terminal("\n".join(lines + ["", t(r.summary())]) + "\n")


# ---------------------------------------------------------------- json

def to_json(r: CheckResult) -> dict[str, Any]:
    """The versioned JSON document (`hybrid-migration-check/1`); readers ignore keys they do not know."""
    counts = {s: r.count(status=s) for s in ("new", "changed", "unchanged", "waived", "resolved")}
    counts.update({"findings": len(r.findings), "errors": r.count(severity="error"), "warnings": r.count(severity="warning"),
                   "blocking": sum(f.blocking for f in r.findings), "averted": len(r.averted), "changed_workloads": len(r.changes)})
    stability = None
    if r.diff is not None and r.status_new not in (None, *NO_PLAN):
        stability = {"moved": len(r.moves), "added": list(r.added), "removed": list(r.removed), "by_reason": r.moves_by_reason,
                     "moves": [m.to_json() for m in r.moves]}
    return {
        "format": CHECK_FORMAT,
        "verdict": r.verdict,
        "exit_code": r.exit_code,
        "reasons": list(r.reasons),
        "headline": r.headline(),
        "summary": r.summary(),
        "inventory": r.inventory,
        "baseline": r.baseline,
        "today": r.today.isoformat(),
        "currency": r.currency,
        "horizon_months": r.horizon_months,
        "status": {"baseline": r.status_baseline, "new": r.status_new},
        "thresholds": {"warn_over": r.warn_over.text if r.warn_over else None, "fail_over": r.fail_over.text if r.fail_over else None,
                       "warn_over_moves": r.warn_over_moves, "fail_over_moves": r.fail_over_moves},
        "cost": r.cost.to_json(r.currency) if r.cost is not None else None,
        "churn": r.churn.to_json() if r.churn is not None else None,
        "totals": {k: {"baseline": round(a, 2) + 0.0, "new": round(b, 2) + 0.0, "delta": c,
                       "ratio": None if q is None else round(q, 6) + 0.0} for k, a, b, c, q in _totals(r)},
        "changes": [c.to_json() for c in r.changes],
        "stability": stability,
        "counts": counts,
        "findings": [f.to_json() for f in r.findings],
        "waivers": [w.to_json(r.today) for w in sorted(r.waivers)],
        "waivers_file": r.waivers_file,
        "notes": sorted(r.notes),
    }


def render_json(r: CheckResult) -> str:
    return json_text(to_json(r), indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------- markdown

MAX_CELL = 600  # characters of a finding's message in a table cell (the JSON output has them whole)

# Untrusted text in a Markdown cell: planner.base.untrusted.markdown (no HTML, no Markdown syntax, no
# live mention, issue reference or URL, one line); `md` is its older name here.
md = markdown


def _policy_rows(r: CheckResult) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The rules that pass, and (rule, result, detail) for each that does not, over the hard rules and the gate's rules in play."""
    by_rule: dict[str, list[Finding]] = {}
    for f in r.findings:
        for part in f.rule.split("+"):
            by_rule.setdefault(part, []).append(f)
    names = [rule.value for rule in Rule]
    if r.warn_over or r.fail_over:
        names.append(COST_THRESHOLD)
    if r.warn_over_moves is not None or r.fail_over_moves is not None:
        names.append(MOVE_THRESHOLD)
    names += sorted(k for k in by_rule if k not in names and k not in (WAIVER_UNUSED,))
    passing, rows = [], []
    for name in names:
        fs = by_rule.get(name, [])
        failing = sum(f.blocking for f in fs)
        warning = sum(f.active and f.severity == "warning" for f in fs)
        waived = sum(f.status == "waived" for f in fs)
        check = {COST_THRESHOLD: r.cost, MOVE_THRESHOLD: r.churn}.get(name)
        if check is not None and check.level == "skipped" and not fs:
            result = "➖ not applied"
        elif failing:
            result = f"❌ fail ({failing})"
        elif warning:
            result = f"⚠️ warn ({warning})"
        elif waived:
            result = f"⚪ waived ({waived})"
        else:
            passing.append(name)
            continue
        if check is not None:  # its sentence is a reason above, or says why it was not applied
            detail = check.sentence if check.level == "skipped" else "see above"
        else:
            detail = f"{waived} waived" if waived and failing + warning else ""
        rows.append((name, result, detail))
    return passing, rows


def _reason_md(r: CheckResult, reason: str, cell: int = 0) -> str:
    icon = _LEVEL_MD.get(r.verdict, "")
    return f"- {icon} {md(reason, cell)}" if icon else f"- {md(reason, cell)}"


def _more_reasons(r: CheckResult, rows: int) -> list[str]:
    """A line counting the reasons not listed (a warning's reasons are its findings' messages: one per warning)."""
    n = len(r.reasons) - rows
    return [f"- … {n} more (see the JSON output)"] if n > 0 else []


def _markdown(r: CheckResult, rows_c: int, rows_m: int, rows_f: int, cell: int, rows_r: int) -> str:
    """The comment with at most these many changed-workload, move, finding and reason rows, and `cell` characters a message."""
    out = [f"## {_VERDICT_MD[r.verdict]}", "", f"**{'' if r.verdict in ('error', 'fault') else '💰 '}{md(r.headline())}**", ""]
    if r.verdict == "error":
        out += ["| Where | Problem |", "| --- | --- |"]
        out += [f"| {md(_where(f)) or '—'} | {md(f.message, cell)} |" for f in r.findings[:rows_f]]
        if len(r.findings) > rows_f:
            out.append(f"| … | {len(r.findings) - rows_f} more (see the JSON output) |")
        out += ["", f"<sub>{md(r.tally())}</sub>", ""]
        return "\n".join(out)
    if r.verdict == "fault":  # the planner's own findings, not the inventory's: no fixes, no waivers, no thresholds
        out += [f"- {md(x, cell)}" for x in r.reasons[:rows_r]] + _more_reasons(r, rows_r)
        out += ["", "| Rule | Subject | Finding |", "| --- | --- | --- |"]
        out += [f"| {md(f.rule)} | {md(_subject(f))} | {md(f.message, cell)} |" for f in r.findings[:rows_f]]
        if len(r.findings) > rows_f:
            out.append(f"| … | | {len(r.findings) - rows_f} more (see the JSON output) |")
        out += [""] + [md(n) for n in r.notes] + ["", f"<sub>{md(r.tally())}</sub>", ""]
        return "\n".join(out)
    if r.reasons:
        out += [_reason_md(r, x, cell) for x in r.reasons[:rows_r]] + _more_reasons(r, rows_r) + [""]
    if r.changes:
        out += ["### Changed workloads", "", f"| Workload | Change | Site | Monthly | Over {r.horizon_months} months |",
                "| --- | --- | --- | ---: | ---: |"]
        out += [f"| {md(c.workload)} | {md(c.what)} | {md(c.where.replace(' -> ', ' → '))} | {md(r.money(c.monthly_delta, signed=True))} | "
                f"{md(r.money(c.horizon_delta, signed=True))} |" for c in r.changes[:rows_c]]
        if len(r.changes) > rows_c:
            out.append(f"| … | {len(r.changes) - rows_c} more (see the JSON output) | | | |")
        out += ["", f"<sub>{md(_changes_note(r)[0].upper() + _changes_note(r)[1:])}.</sub>", ""]
    if r.averted:
        out += [f"🛡️ {md(f.message[0].upper() + f.message[1:], cell)}." for f in r.averted[:rows_f]]
        if len(r.averted) > rows_f:
            out.append(f"… and {len(r.averted) - rows_f} more (see the JSON output).")
        out.append("")
    rows = _totals(r)
    if rows:
        out += [f"| {md(r.currency or 'Total')} | Baseline | This change | Delta |", "| --- | ---: | ---: | ---: |"]
        out += [f"| {_TOTAL_LABELS.get(k, md(k))} | {md(_amount(r, k, a))} | {md(_amount(r, k, b))} | {md(_amount(r, k, c, True) + _pct(q))} |"
                for k, a, b, c, q in rows]
        out.append("")
    if r.status_new not in NO_PLAN:
        out += [f"<details><summary>{md(_moves_line(r))}</summary>", ""]
        if r.moves:
            out += ["| Workload | From | To | Monthly | Why |", "| --- | --- | --- | ---: | --- |"]
            out += [f"| {md(m.workload)} | {md(m.old_site)} | {md(m.new_site)} | {md(r.money(m.monthly_cost_delta, signed=True))} | {md(m.reason, cell)} |"
                    for m in r.moves[:rows_m]]
            if len(r.moves) > rows_m:
                out.append(f"| … | | | | {len(r.moves) - rows_m} more (see the JSON output) |")
        else:
            out.append("Every workload stays where the baseline put it.")
        out += ["", "</details>", ""]
    passing, failing = _policy_rows(r)
    out += ["### Policies", ""]
    if passing:
        n = f"{len(passing)} rule{'s' if len(passing) != 1 else ''}"
        verb = "pass" if r.status_new not in NO_PLAN else "are not among the reasons there is no plan"
        out += [f"✅ {n} {verb}: {md(', '.join(passing))}", ""]
    if failing:
        out += ["| Rule | Result | Detail |", "| --- | --- | --- |"]
        out += [f"| {md(name)} | {result} | {md(detail)} |" for name, result, detail in failing]
        out.append("")
    listed = _listed(r)
    if listed:
        counts = ", ".join(f"{n} {s}" for s in ("new", "changed", "unchanged", "resolved", "waived")
                           if (n := sum(f.status == s for f in listed)))
        out += [f"<details><summary>{len(listed)} finding{'s' if len(listed) != 1 else ''} ({counts})</summary>", ""]
        out += ["| Status | Rule | Subject | Finding | Nearest fix |", "| --- | --- | --- | --- | --- |"]
        for f in listed[:rows_f]:
            status = _STATUS_MD.get(f.status, f.status) if f.severity == "error" or f.status in ("waived", "resolved") else \
                ("⚠️ " if f.severity == "warning" else "ℹ️ ") + f.status
            text = f.message + (f" (waived until {f.waiver_expires}: {f.waiver_reason})" if f.status == "waived" else "")
            text += f" (was: {f.previous})" if f.status == "changed" else ""
            where = f" ({_where(f)})" if _where(f) else ""
            out.append(f"| {status} | {md(f.rule)} | {md(_subject(f) + where)} | {md(text, cell)} | {md(f.fix, cell)} |")
        if len(listed) > rows_f:
            out.append(f"| … | | | {len(listed) - rows_f} more (see the JSON output) | |")
        out += ["", "</details>", ""]
    out += [f"<sub>{md(r.tally())}</sub>", ""]
    return "\n".join(out)


# A PR comment holds at most 65,536 characters; this leaves room for the Action's marker and link to the full file.
MAX_MARKDOWN = 60_000
# Row limits tried in turn (changed workloads, moves, findings, characters a cell, reasons) until the comment fits.
_MARKDOWN_LADDER = ((MAX_CHANGE_ROWS, MAX_MOVE_ROWS, MAX_FINDING_ROWS, MAX_CELL, MAX_REASON_ROWS), (25, 25, 50, 300, 10),
                    (10, 10, 20, 200, 5), (5, 5, 5, 120, 3))


def render_markdown(r: CheckResult) -> str:
    """A pull-request comment in Infracost's shape: what changed first, passes collapsed, each sentence once; under MAX_MARKDOWN."""
    for limits in _MARKDOWN_LADDER:
        text = _markdown(r, *limits)
        if len(text) <= MAX_MARKDOWN:
            return text
    cut = text[: MAX_MARKDOWN - 200].rsplit("\n", 1)[0]  # the last resort: whole lines, then where the rest is
    return cut + f"\n\n… cut to fit a pull-request comment (see the JSON output)\n\n<sub>{md(r.tally())}</sub>\n"


# ---------------------------------------------------------------- junit

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: Any) -> str:
    return _XML_BAD.sub("\ufffd", str(text))


def render_junit(r: CheckResult) -> str:
    """JUnit XML: one testsuite; a testcase per check step and per finding. No timestamps, so it is deterministic."""
    cases: list[ET.Element] = []

    def case(classname: str, name: str, *, failure: str = "", ftype: str = "", skipped: str = "", out: str = "",
             file: str = "", line: int = 0) -> None:
        el = ET.Element("testcase", {"classname": _x(classname), "name": _x(name)})
        if file:
            el.set("file", _x(file))
            if line:
                el.set("line", str(line))
        if failure:
            ET.SubElement(el, "failure", {"type": _x(ftype), "message": _x(failure.splitlines()[0][:500])}).text = _x(failure)
        elif skipped:
            ET.SubElement(el, "skipped", {"message": _x(skipped)})
        if out:
            ET.SubElement(el, "system-out").text = _x(out)
        cases.append(el)

    steps = "planner.check"
    bad = r.verdict == "error"
    for source, name in (("input", "the inventory is valid"), ("baseline", "the baseline plan is readable"), ("waivers", "the waivers file is valid")):
        fs = [f for f in r.findings if f.source == source and bad]
        if source == "waivers" and r.waivers_file is None:
            continue
        case(steps, name, failure="\n".join(f"{_where(f)}: {f.message}" if _where(f) else f.message for f in fs), ftype=source)
    not_run = "not run: bad input" if bad else "not run: a fault of the planner" if r.verdict == "fault" else ""
    if r.verdict == "fault":
        case(steps, "a plan exists", failure="; ".join(r.reasons), ftype=FAULT)
    elif r.status_new in NO_PLAN:
        probs = [f for f in r.findings if f.source == "plan" and f.status != "resolved"]
        case(steps, "a plan exists", failure="the re-plan found no plan:\n" + "\n".join(f.message for f in probs), ftype="infeasible")
    else:
        case(steps, "a plan exists", skipped=not_run, out="" if bad else f"status {r.status_new}")
    verify = [f for f in r.findings if f.source in ("verify", "compliance") and f.blocking]
    case(steps, "the plan keeps every hard rule and total", skipped=not_run or ("not run: no plan" if r.status_new in NO_PLAN else ""),
         failure="\n".join(f"[{f.rule}] {f.message}" for f in verify), ftype="verify")
    for name, check, rule in (("the horizon cost is within the thresholds", r.cost, COST_THRESHOLD),
                              ("the moves off the baseline are within the thresholds", r.churn, MOVE_THRESHOLD)):
        if check is None or check.level == "skipped":
            case(steps, name, skipped=not_run or (check.sentence if check else ""))
            continue
        waived = any(f.rule == rule and f.status == "waived" for f in r.findings)
        failed = check.level == "fail" and not waived
        case(steps, name, failure=check.sentence if failed else "", ftype=rule,
             out="" if failed else check.sentence + (" (waived)" if waived else ""))
    if r.waivers:
        expired = [f for f in r.findings if f.rule == WAIVER_EXPIRED]
        case(steps, "the waivers are current", failure="\n".join(f.message for f in expired), ftype=WAIVER_EXPIRED)
    if not bad:
        for f in r.findings:
            if f.rule in THRESHOLDS:
                continue  # the threshold steps above say it
            name = f"{_subject(f)} [{_status(f)}]"
            fix = f"\nnearest fix: {f.fix}" if f.fix else ""
            if f.blocking:
                case(f"{steps}.{f.rule}", name, failure=f.message + fix, ftype=f.rule, file=f.file, line=f.line)
            elif f.status == "waived":
                case(f"{steps}.{f.rule}", name, skipped=f"waived until {f.waiver_expires}: {f.waiver_reason}", out=f.message, file=f.file, line=f.line)
            elif f.status == "resolved":
                case(f"{steps}.{f.rule}", name, out=f.message, file=f.file, line=f.line)
            else:
                case(f"{steps}.{f.rule}", name, out=f"{f.severity}: {f.message}{fix}", file=f.file, line=f.line)
    failures = sum(c.find("failure") is not None for c in cases)
    skipped = sum(c.find("skipped") is not None for c in cases)
    attrs = {"name": "planner check", "tests": str(len(cases)), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    suites = ET.Element("testsuites", {k: v for k, v in attrs.items() if k != "skipped"})
    suite = ET.SubElement(suites, "testsuite", attrs)
    props = ET.SubElement(suite, "properties")
    for key, value in (("baseline", r.baseline), ("inventory", r.inventory), ("summary", r.summary()), ("verdict", r.verdict)):
        ET.SubElement(props, "property", {"name": key, "value": _x(value)})
    suite.extend(cases)
    ET.indent(suites)
    return xml_text('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n")


# ---------------------------------------------------------------- github

# A workflow command's message and property values: planner.base.untrusted's GitHub escapes, under their older names.
escape_data = workflow_data
escape_property = workflow_property


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, ending in `…` when cut."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:(") + "…"


def _statement(f: Finding) -> str:
    """What is wrong, in one short clause: the first part of the message (merged messages and detail lists dropped)."""
    head = f.message.split(" | ")[0]
    head = re.split(r"(?<=[a-z0-9)\]])\. (?=[A-Za-z])", head, maxsplit=1)[0]
    return clip(head, MAX_ANNOTATION)


def annotation(f: Finding, full_text: str) -> str:
    """One line: the rule's statement, the nearest fix and where the full text is (a few hundred characters at most)."""
    text = _statement(f)
    if f.status == "waived":
        text += f" [waived until {f.waiver_expires}: {clip(f.waiver_reason, 80)}]"
    if f.fix:
        text += f". Nearest fix: {clip(f.fix, MAX_ANNOTATION)}"
    if full_text and text != f.message:
        text += f". Full text: {full_text}"
    return text


# GitHub shows 10 error and 10 warning annotations per step (50 per job) and drops the rest unseen; notices alike.
ANNOTATIONS_PER_LEVEL = 10


def render_github(r: CheckResult) -> str:
    """GitHub Actions workflow commands: one short annotation per finding at its inventory line, then the summary.

    Past :data:`ANNOTATIONS_PER_LEVEL` of a level (the summary included) the worst are kept and one annotation
    counts the rest by rule and says where the full text is, so none is dropped unsaid.
    """
    level = {"pass": "notice", "warn": "warning", "fail": "error", "error": "error", "fault": "error"}[r.verdict]
    entries: list[tuple[str, Finding]] = []
    for f in r.findings if r.verdict != "fault" else ():  # a fault is the planner's, not at any inventory line
        if f.stated_as_reason:
            continue  # the summary annotation says it
        if f.blocking:
            entries.append(("error", f))
        elif f.active and f.severity == "warning":
            entries.append(("warning", f))
        else:
            entries.append(("notice", f))
    budget = {kind: ANNOTATIONS_PER_LEVEL - (kind == level) for kind in ("error", "warning", "notice")}
    total = {kind: 0 for kind in budget}
    for kind, _ in entries:
        total[kind] += 1
    keep = {kind: budget[kind] if total[kind] <= budget[kind] else budget[kind] - 1 for kind in budget}
    lines, seen = [], {kind: 0 for kind in budget}
    rest: dict[str, dict[str, int]] = {kind: {} for kind in budget}
    for kind, f in entries:  # findings come worst first (new before old, errors before warnings): the first are kept
        seen[kind] += 1
        if seen[kind] > keep[kind]:
            rest[kind][f.rule] = rest[kind].get(f.rule, 0) + 1
            continue
        props = []
        if f.file:
            props.append(f"file={escape_property(f.file)}")
            if f.line:
                props.append(f"line={f.line}")
        props.append(f"title={escape_property(f'{f.rule} ({_status(f)})')}")
        lines.append(f"::{kind} {','.join(props)}::{escape_data(annotation(f, r.full_text))}")
    for kind, by_rule in rest.items():
        if not by_rule:
            continue
        n = sum(by_rule.values())
        rules = ", ".join(f"{rule} {k}" for rule, k in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
        where = f"; every finding is in {r.full_text}" if r.full_text else ""
        text = clip(f"{n} more {kind} findings not annotated (GitHub shows {ANNOTATIONS_PER_LEVEL} a step): {rules}", 2 * MAX_ANNOTATION)
        lines.append(f"::{kind} title={escape_property(f'planner check: {n} more')}::{escape_data(text + where)}")
    lines.append(f"::{level} title=planner check::{escape_data(r.summary())}")
    return "\n".join(lines) + "\n"


_RENDERERS: dict[str, Callable[[CheckResult], str]] = {
    "text": render_text, "json": render_json, "markdown": render_markdown, "junit": render_junit, "github": render_github,
    "sarif": render_sarif,
}

__all__ = ["ANNOTATIONS_PER_LEVEL", "FORMATS", "MAX_MARKDOWN", "annotation", "clip", "escape_data", "escape_property", "render",
           "render_github", "render_json", "render_junit", "render_markdown", "render_text", "to_json"]
