"""The compliance checks of a plan on arrays: every rule applied to every workload it governs, summarised per policy and rule.

One rule set: pass or fail always comes from :mod:`planner.domain.rules` (its messages are the
evidence of a failure), evaluated once per distinct need and site (a policy's data class, a
user need, a certificate list, a pin, a set of allowed kinds) as the solver's candidate
builder does, then spread over the workloads that share it; rules between workloads
(dependency latency, capacity, anti-affinity) come from one call of
:func:`planner.domain.rules.placement_violations_columns`, and data-centre exits from the wave rules
of :mod:`planner.schedule.waves`. Each per-workload rule is a :class:`Block` of arrays: the report lists
its failing and *borderline* checks (a latency path using :data:`LATENCY_WARN` or more of its
budget, a site resource at :data:`CAPACITY_WARN` or more), :mod:`.evidence` writes every check.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Optional, Sequence

import numpy as np

from planner.domain.estate import Estate
from planner.domain.model import Site, UserNeed, Workload
from planner.domain.rules import (
    PlacementViolation,
    Rule,
    latency_text,
    placement_violations_columns,
    profile_violations,
)
from planner.domain.workloads import KINDS
from planner.outputs import limits as output_limits
from planner.outputs.report.arrays import PlanArrays
from planner.plan.document import Plan
from planner.schedule.waves import last_wave_before, wave_dates

LATENCY_WARN = 0.80  # a path using this much of its latency budget is borderline
CAPACITY_WARN = 0.90  # a site resource this full after the plan is borderline
VERIFY_INLINE_MAX = 100_000  # above this many workloads the reports leave the full re-check to `planner verify`
SENTINEL = "\x00workload\x00"  # stands for the workload id in a message made once for many workloads


# ----------------------------------------------------------------------------- what the templates read


@dataclass(frozen=True)
class ProblemRow:
    rule: str
    workloads: tuple[str, ...]
    sites: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class CheckRow:
    """One check listed in the report: the item checked (a workload, a site, a group), what, where, the result, the evidence."""

    item: str
    subject: str
    site: str
    kind: str
    country: str
    zone: str
    passed: bool
    borderline: bool
    used: Optional[float]  # share of the budget or capacity used, where the rule has one
    evidence: str

    @property
    def workload(self) -> str:  # the item of a per-workload rule
        return self.item


@dataclass(frozen=True)
class CheckSummary:
    """One rule (or one residency policy): how many it governs, pass, fail and borderline, and the exceptions listed."""

    key: str  # "residency:gdpr", "user-latency", ...
    rule: str  # the Rule id
    label: str
    rule_text: str
    unit: str  # what one check is: "workloads", "user paths", "dependencies", "site resources", "groups"
    item_label: str
    subject_label: str
    governed: int
    passed: int
    failed: int
    borderline: int
    failing: tuple[CheckRow, ...]  # the first OutputLimits.listed_checks
    near: tuple[CheckRow, ...]  # borderline ones, fullest first, the first OutputLimits.listed_checks
    in_evidence: bool  # whether every check of it is a row of the evidence file


@dataclass(frozen=True)
class SiteUse:
    """Per residency policy: one site its governed workloads use, with the site's country and the result there."""

    site: str
    kind: str
    country: str
    workloads: int
    passed: bool
    evidence: str


@dataclass(frozen=True)
class PresetCitation:
    """A residency preset as the report cites it."""

    name: str
    title: str
    as_of: str
    legal_basis: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class PolicySection:
    id: str
    name: str
    data_class: str
    allowed: tuple[str, ...]
    expanded: tuple[str, ...]
    description: str
    summary: CheckSummary
    sites: tuple[SiteUse, ...]
    preset: Optional[PresetCitation] = None  # the dated law the policy uses, cited with its date and sources
    conditional: tuple[str, ...] = ()  # countries allowed only on certified sites, as "US (sites certified DPF)"

    @property
    def passed(self) -> int:
        return self.summary.passed

    @property
    def failed(self) -> int:
        return self.summary.failed


@dataclass(frozen=True)
class Compliance:
    rule_residency: str
    policies: tuple[PolicySection, ...]
    ungoverned: int  # workloads holding no data class any policy governs
    user_latency: CheckSummary
    dependency_latency: CheckSummary
    certifications: CheckSummary
    pins: CheckSummary
    allowed_kinds: CheckSummary
    site_exits: CheckSummary
    capacity: CheckSummary
    anti_affinity: CheckSummary
    verification: tuple[ProblemRow, ...]
    verified: bool  # whether the independent re-check ran with the reports
    country_groups: tuple[tuple[str, str], ...]
    rules: tuple[tuple[str, str], ...]
    checks: int
    failed: int
    borderline: int
    evidence_file: str  # the file beside the reports holding every per-workload check ("" when there is none)
    evidence_rows: int
    listed: int = field(default_factory=lambda: output_limits.current().listed_checks)
    latency_warn: float = LATENCY_WARN
    capacity_warn: float = CAPACITY_WARN
    verify_inline_max: int = VERIFY_INLINE_MAX

    @property
    def summaries(self) -> tuple[CheckSummary, ...]:
        """Every rule's summary in report order: residency per policy, then the others."""
        return tuple(p.summary for p in self.policies) + (
            self.user_latency, self.dependency_latency, self.certifications, self.pins, self.allowed_kinds, self.site_exits,
            self.capacity, self.anti_affinity)


# ----------------------------------------------------------------------------- checks as arrays


@dataclass
class Block:
    """Every check of one per-workload rule: entry k checks workload `rows[k]` on site `site[k]`."""

    rule: Rule
    policy: str
    rows: np.ndarray
    site: np.ndarray
    requirement: np.ndarray  # codes into `requirements`
    requirements: Sequence[str]
    failed: np.ndarray
    evidence: np.ndarray  # codes into `texts` (a text may hold SENTINEL for the workload id)
    texts: list[str]
    measured: Optional[np.ndarray] = None  # latency checks: ms (inf: no path)
    budget: Optional[np.ndarray] = None
    other_site: Optional[np.ndarray] = None  # dependency checks: the target's site

    def __len__(self) -> int:
        return len(self.rows)

    @cached_property
    def used(self) -> Optional[np.ndarray]:
        """Share of the latency budget used (inf for no path), or None for a rule without a budget."""
        if self.measured is None or self.budget is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.budget > 0, self.measured / np.where(self.budget > 0, self.budget, 1.0),
                            np.where(self.measured > 0, np.inf, 0.0))

    @cached_property
    def borderline(self) -> np.ndarray:
        used = self.used
        if used is None:
            return np.zeros(len(self.rows), dtype=bool)
        return ~self.failed & (used >= LATENCY_WARN)


@dataclass
class Checks:
    """Every check of a plan: per-workload blocks in report order, and the rules between workloads."""

    blocks: list[Block] = field(default_factory=list)
    placement: list[PlacementViolation] = field(default_factory=list)

    def of(self, rule: Rule, policy: str = "") -> Block:
        return next(b for b in self.blocks if b.rule is rule and b.policy == policy)


def _empty(rule: Rule, policy: str = "") -> Block:
    z = np.zeros(0, dtype=np.int64)
    return Block(rule, policy, z, z, z, [], np.zeros(0, dtype=bool), z, [])


class _Texts:
    """Distinct texts and their codes."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(text)
        return self.index[text]


def _per_pair(keys: np.ndarray, sites: np.ndarray, n_sites: int, judge) -> tuple[np.ndarray, np.ndarray, list[str]]:  # noqa: ANN001
    """Evaluate `judge(key, site) -> (failed, text)` once per distinct (key, site); spread over the entries."""
    texts = _Texts()
    if len(keys) == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64), texts.items
    pair = keys.astype(np.int64) * n_sites + sites
    distinct, inverse = np.unique(pair, return_inverse=True)
    fail = np.zeros(len(distinct), dtype=bool)
    code = np.zeros(len(distinct), dtype=np.int64)
    for i, p in enumerate(distinct.tolist()):
        failed, text = judge(p // n_sites, p % n_sites)
        fail[i], code[i] = failed, texts.code(text)
    inverse = inverse.ravel()
    return fail[inverse], code[inverse], texts.items


def _allowed_text(estate: Estate, policy: str, site: Site, country: str) -> str:
    """Why a passing residency check passes: the country is allowed outright, or the site is a certified recipient."""
    res = estate.policy_residency[policy]
    if country in res.countries:
        return f"{site.id} is in {country}, one of the countries {policy} allows ({res.text})"
    cert = next(c.certification for c in res.conditional if c.country == country and c.certification in site.certifications)
    return f"{site.id} is in {country}, which {policy} allows for {cert}-certified recipients ({res.text}); {site.id} is certified {cert}"


def _messages(estate: Estate, probe: Workload, site: Site, rule: Rule, prefix: str = "") -> list[str]:
    return [v.message for v in profile_violations(estate, probe, site) if v.rule is rule and v.message.startswith(prefix)]


def evaluate(plan: Plan, estate: Estate, arr: PlanArrays) -> Checks:
    """Every rule applied to the plan's placement, on arrays (the plan must place every workload)."""
    t = estate.table
    out = Checks()
    n_s = len(estate.sites)
    if len(t) == 0:
        return out
    sites = estate.sites
    # A workload with no needs and a placeholder id: narrowed to one need at a time, its messages are the rule's own,
    # with SENTINEL where the real workload's id goes.
    probe = replace(t.workload(0), id=SENTINEL, data=(), users=(), requires=(), pin=None, allowed_kinds=None, depends_on=())

    for pol in sorted(estate.inventory.policies, key=lambda p: p.id):
        cls = pol.data_class
        holds = np.array([cls in ds for ds in t.data_sets], dtype=bool)
        rows = np.nonzero(holds[t.data])[0] if len(holds) else np.zeros(0, dtype=np.int64)
        on = arr.site[rows]
        one = replace(probe, data=(cls,))

        def judge(_key: int, j: int, pol=pol, one=one) -> tuple[bool, str]:  # noqa: ANN001
            s = sites[j]
            msgs = _messages(estate, one, s, Rule.RESIDENCY, f"{pol.id} ")
            country = estate.site_country(s)
            return bool(msgs), msgs[0] if msgs else (
                _allowed_text(estate, pol.id, s, country))

        failed, ev, texts = _per_pair(np.zeros(len(rows), dtype=np.int64), on, n_s, judge)
        out.blocks.append(Block(Rule.RESIDENCY, pol.id, rows, on, np.zeros(len(rows), dtype=np.int64), [cls], failed, ev, texts))

    out.blocks.append(_user_latency(estate, arr, probe))
    out.placement = placement_violations_columns(estate, arr.site)
    out.blocks.append(_dependency_latency(estate, arr, out.placement))
    out.blocks.append(_certifications(estate, arr, probe))
    out.blocks.append(_pins(estate, arr, probe))
    out.blocks.append(_allowed_kinds(estate, arr, probe))
    out.blocks.append(_site_exits(plan, estate, arr, probe))
    return out


def _user_latency(estate: Estate, arr: PlanArrays, probe: Workload) -> Block:
    t = estate.table
    sets = t.user_sets
    lens = np.array([len(s) for s in sets], dtype=np.int64)
    if not len(lens) or not lens.any():
        return _empty(Rule.USER_LATENCY)
    needs: dict[tuple[int, float], int] = {}
    need_of: list[list[int]] = [[needs.setdefault((z, float(ms)), len(needs)) for z, ms in s] for s in sets]
    order = np.argsort(t.users, kind="stable")
    codes = t.users[order]
    starts = np.searchsorted(codes, np.arange(len(sets)), side="left")
    ends = np.searchsorted(codes, np.arange(len(sets)), side="right")
    parts_rows, parts_need, parts_q = [], [], []
    for s in np.nonzero(lens)[0].tolist():
        members = order[starts[s]:ends[s]]
        for q, need in enumerate(need_of[s]):
            parts_rows.append(members)
            parts_need.append(np.full(len(members), need, dtype=np.int64))
            parts_q.append(np.full(len(members), q, dtype=np.int64))
    rows, need, q = np.concatenate(parts_rows), np.concatenate(parts_need), np.concatenate(parts_q)
    keep = np.lexsort((q, rows))
    rows, need = rows[keep], need[keep]
    on = arr.site[rows]
    need_list = sorted(needs, key=needs.__getitem__)
    zones = t.zone_ids
    requirements = [f"users in {zones[z]}, {ms:g} ms" for z, ms in need_list]
    lat = estate.latency_matrix
    site_zone = estate.site_zone_index

    def judge(k: int, j: int) -> tuple[bool, str]:
        z, budget = need_list[k]
        s = estate.sites[j]
        msgs = _messages(estate, replace(probe, users=(UserNeed(zones[z], budget),)), s, Rule.USER_LATENCY)
        return bool(msgs), msgs[0] if msgs else (
            f"{s.zone} to {zones[z]}: {latency_text(float(lat[site_zone[j], z]))}, within the {budget:g} ms budget")

    failed, ev, texts = _per_pair(need, on, len(estate.sites), judge)
    zone_of_need = np.array([z for z, _ in need_list], dtype=np.int64)
    budget_of_need = np.array([ms for _, ms in need_list], dtype=float)
    return Block(Rule.USER_LATENCY, "", rows, on, need, requirements, failed, ev, texts,
                 measured=lat[site_zone[on], zone_of_need[need]], budget=budget_of_need[need])


def _dependency_latency(estate: Estate, arr: PlanArrays, placement: list[PlacementViolation]) -> Block:
    t = estate.table
    d = t.deps
    k = np.nonzero(~np.isnan(d.max_latency_ms))[0]
    if not len(k):
        return _empty(Rule.DEPENDENCY_LATENCY)
    rows, target = d.src[k].astype(np.int64), d.dst[k].astype(np.int64)
    on, other = arr.site[rows], arr.site[target]
    zone = estate.site_zone_index
    measured = estate.latency_matrix[zone[on], zone[other]]
    budget = d.max_latency_ms[k].astype(float)
    n = len(t)
    index = estate.workload_index
    broken = {index[v.workloads[0]] * n + index[v.workloads[1]]: v.message for v in placement
              if v.rule is Rule.DEPENDENCY_LATENCY}
    pair = rows * n + target
    failed = np.isin(pair, np.fromiter(broken, dtype=np.int64, count=len(broken))) if broken else np.zeros(len(k), dtype=bool)
    texts = _Texts()
    # Passing checks: one text per (site, target's site, budget); failing ones quote the rule's message for their pair.
    budgets, bcode = np.unique(budget, return_inverse=True)
    n_s = len(estate.sites)
    distinct, inverse = np.unique((on * n_s + other) * len(budgets) + bcode.ravel(), return_inverse=True)
    codes = np.empty(len(distinct), dtype=np.int64)
    for i, key in enumerate(distinct.tolist()):
        ab, b_i = divmod(key, len(budgets))
        a, b = divmod(ab, n_s)
        sb = estate.sites[b]
        ms = float(estate.latency_matrix[zone[a], zone[b]])
        codes[i] = texts.code(f"the target runs on {sb.id} ({sb.zone}), {latency_text(ms)} away: within the {float(budgets[b_i]):g} ms budget")
    ev = codes[inverse.ravel()]
    for i in np.nonzero(failed)[0].tolist():
        ev[i] = texts.code(broken[int(pair[i])])
    return Block(Rule.DEPENDENCY_LATENCY, "", rows, on, target, t.ids, failed, ev, texts.items, measured=measured, budget=budget,
                 other_site=other)


def _certifications(estate: Estate, arr: PlanArrays, probe: Workload) -> Block:
    t = estate.table
    has = np.array([bool(r) for r in t.requires_sets], dtype=bool)
    rows = np.nonzero(has[t.requires])[0] if len(has) else np.zeros(0, dtype=np.int64)
    if not len(rows):
        return _empty(Rule.CERTIFICATION)
    on, req = arr.site[rows], t.requires[rows].astype(np.int64)

    def judge(r: int, j: int) -> tuple[bool, str]:
        s = estate.sites[j]
        need = tuple(t.requires_sets[r])
        msgs = _messages(estate, replace(probe, requires=need), s, Rule.CERTIFICATION)
        return bool(msgs), msgs[0] if msgs else f"{s.id} holds {', '.join(sorted(need))}"

    failed, ev, texts = _per_pair(req, on, len(estate.sites), judge)
    return Block(Rule.CERTIFICATION, "", rows, on, req, [", ".join(sorted(r)) for r in t.requires_sets], failed, ev, texts)


def _pins(estate: Estate, arr: PlanArrays, probe: Workload) -> Block:
    t = estate.table
    rows = np.nonzero(t.pin >= 0)[0]
    if not len(rows):
        return _empty(Rule.PIN)
    on, pin = arr.site[rows], t.pin[rows].astype(np.int64)

    def judge(p: int, j: int) -> tuple[bool, str]:
        msgs = _messages(estate, replace(probe, pin=t.site_ids[p]), estate.sites[j], Rule.PIN)
        return bool(msgs), msgs[0] if msgs else f"placed on {t.site_ids[p]}, the site it is pinned to"

    failed, ev, texts = _per_pair(pin, on, len(estate.sites), judge)
    return Block(Rule.PIN, "", rows, on, pin, [f"pinned to {s}" for s in t.site_ids], failed, ev, texts)


def _allowed_kinds(estate: Estate, arr: PlanArrays, probe: Workload) -> Block:
    t = estate.table
    rows = np.nonzero(t.allowed_kinds != 0)[0]
    if not len(rows):
        return _empty(Rule.ALLOWED_KINDS)
    on, mask = arr.site[rows], t.allowed_kinds[rows].astype(np.int64)

    def kinds(m: int) -> tuple:
        return tuple(k for b, k in enumerate(KINDS) if m >> b & 1)

    def judge(m: int, j: int) -> tuple[bool, str]:
        s = estate.sites[j]
        msgs = _messages(estate, replace(probe, allowed_kinds=kinds(m)), s, Rule.ALLOWED_KINDS)
        return bool(msgs), msgs[0] if msgs else f"{s.id} is {s.kind.value}, a kind it allows"

    failed, ev, texts = _per_pair(mask, on, len(estate.sites), judge)
    labels = [", ".join(k.value for k in kinds(m)) + " only" for m in range(1 << len(KINDS))]
    return Block(Rule.ALLOWED_KINDS, "", rows, on, mask, labels, failed, ev, texts)


def _site_exits(plan: Plan, estate: Estate, arr: PlanArrays, probe: Workload) -> Block:
    t = estate.table
    closing = np.array([estate.closes_in_horizon(s) for s in estate.sites], dtype=bool)
    now = t.current_site.astype(np.int64)
    rows = np.nonzero(closing[now])[0] if len(closing) else np.zeros(0, dtype=np.int64)
    if not len(rows):
        return _empty(Rule.SITE_CLOSING)
    old, wave, on = now[rows], arr.wave[rows], arr.site[rows]
    ends = {wv.number: wv.end for wv in plan.waves}
    # A case per entry: 0 leaves in time, 1 stays on the closing site, 2 moves in no wave, 3 moves too late.
    last = np.array([last_wave_before(estate, s.closes) if s.closes else 0 for s in estate.sites], dtype=np.int64)
    case = np.where(on == old, 1, np.where(wave == 0, 2, np.where(wave > last[old], 3, 0)))
    key = (case * (int(wave.max()) + 1) + wave) if len(wave) else case

    def judge(k: int, j: int) -> tuple[bool, str]:
        c, w = divmod(k, int(wave.max()) + 1)
        s = estate.sites[j]
        end = ends.get(w) or (wave_dates(estate, w)[1] if w else None)
        if c == 1:
            return True, _messages(estate, probe, s, Rule.SITE_CLOSING)[0]
        if c == 2:
            return True, f"{SENTINEL} moves off {s.id} but is in no wave"
        if c == 3:
            return True, f"{SENTINEL} leaves {s.id} in wave {w}, which ends {end}, not before it closes on {s.closes}"
        return False, f"leaves {s.id} in wave {w}, which ends {end}, before it closes on {s.closes}"

    failed, ev, texts = _per_pair(key, old, len(estate.sites), judge)
    labels = [f"leave {s.id} by {s.closes}" if s.closes else "" for s in estate.sites]
    return Block(Rule.SITE_CLOSING, "", rows, on, old, labels, failed, ev, texts)


# ----------------------------------------------------------------------------- summaries


LABELS = {
    Rule.USER_LATENCY: ("User latency budgets", "user paths", "Workload", "Users, budget"),
    Rule.DEPENDENCY_LATENCY: ("Dependency latency budgets", "dependencies", "Workload", "Depends on, budget"),
    Rule.CERTIFICATION: ("Required certifications", "workloads", "Workload", "Requires"),
    Rule.PIN: ("Pinned workloads", "workloads", "Workload", "Pin"),
    Rule.ALLOWED_KINDS: ("Allowed site kinds", "workloads", "Workload", "Allows"),
    Rule.SITE_CLOSING: ("Data-centre exits", "workloads", "Workload", "Obligation"),
    Rule.CAPACITY: ("Site capacity", "site resources", "Site", "Resource"),
    Rule.ANTI_AFFINITY: ("Anti-affinity groups", "groups", "Group", "Members"),
}


def text_of(block: Block, k: int, ids: Sequence[str]) -> str:
    """The evidence of entry `k`, with its workload's id in place of SENTINEL."""
    return block.texts[int(block.evidence[k])].replace(SENTINEL, ids[int(block.rows[k])])


def subject_of(block: Block, k: int) -> str:
    req = block.requirements[int(block.requirement[k])]
    if block.rule is Rule.DEPENDENCY_LATENCY and block.budget is not None:
        return f"{req}, {float(block.budget[k]):g} ms"
    return req


def _row(estate: Estate, block: Block, k: int) -> CheckRow:
    s = estate.sites[int(block.site[k])]
    used = block.used
    return CheckRow(estate.table.ids[int(block.rows[k])], subject_of(block, k), s.id, s.kind.value, estate.site_country(s), s.zone,
                    not bool(block.failed[k]), bool(block.borderline[k]), None if used is None else float(used[k]),
                    text_of(block, k, estate.table.ids))


def summarise(estate: Estate, block: Block, label: str, key: str) -> CheckSummary:
    """A per-workload rule's counts and its listed exceptions (failures in workload order; borderline fullest first)."""
    unit, item_label, subject_label = LABELS.get(block.rule, (label, "workloads", "Workload", "Data class"))[1:]
    failing = np.nonzero(block.failed)[0]
    near = np.nonzero(block.borderline)[0]
    used = block.used
    if used is not None and len(near):
        near = near[np.lexsort((near, -used[near]))]
    n_fail, n_near = len(failing), len(near)
    return CheckSummary(key, block.rule.value, label, block.rule.text, unit, item_label, subject_label, len(block),
                        len(block) - n_fail, n_fail, n_near, tuple(_row(estate, block, k) for k in failing[:output_limits.current().listed_checks].tolist()),
                        tuple(_row(estate, block, k) for k in near[:output_limits.current().listed_checks].tolist()), True)


def capacity_summary(estate: Estate, arr: PlanArrays, placement: list[PlacementViolation]) -> CheckSummary:
    """Every site resource with a capacity: used after the plan, over (fail) or at CAPACITY_WARN or more (borderline)."""
    t = estate.table
    over = {(v.sites[0], v.detail): v.message for v in placement if v.rule is Rule.CAPACITY}
    failing: list[CheckRow] = []
    near: list[CheckRow] = []
    governed = 0
    from planner.outputs.report.placement import RESOURCES

    for res, label in RESOURCES:
        load = np.bincount(arr.site, weights=getattr(t, res), minlength=len(estate.sites))
        for j, s in enumerate(estate.sites):
            cap = getattr(s.capacity, res) if s.capacity is not None else None
            if cap is None:
                continue
            governed += 1
            used = float(load[j])
            ratio = used / cap if cap > 0 else (1.0 if used > 0 else 0.0)
            msg = over.get((s.id, res))
            row = CheckRow(s.id, label, s.id, s.kind.value, estate.site_country(s), s.zone, msg is None, False, ratio,
                           msg or f"{used:,.0f} of {cap:,.0f} {label} used after the plan")
            if msg is not None:
                failing.append(row)
            elif ratio >= CAPACITY_WARN:
                near.append(replace(row, borderline=True))
    near.sort(key=lambda r: (-(r.used or 0.0), r.site, r.subject))
    label, unit, item_label, subject_label = LABELS[Rule.CAPACITY]
    return CheckSummary("capacity", Rule.CAPACITY.value, label, Rule.CAPACITY.text, unit, item_label, subject_label, governed,
                        governed - len(failing), len(failing), len(near), tuple(failing[:output_limits.current().listed_checks]),
                        tuple(near[:output_limits.current().listed_checks]), False)


def anti_affinity_summary(estate: Estate, arr: PlanArrays, placement: list[PlacementViolation]) -> CheckSummary:
    """Every anti-affinity group: fails where two of its members share a site."""
    groups = estate.anti_affinity_groups
    broken = sorted((v for v in placement if v.rule is Rule.ANTI_AFFINITY), key=lambda v: (v.detail, v.sites))
    failing = []
    for v in broken[:output_limits.current().listed_checks]:
        s = estate.site_by_id[v.sites[0]]
        failing.append(CheckRow(v.detail, f"{len(v.workloads):,} together", s.id, s.kind.value, estate.site_country(s), s.zone,
                                False, False, None, v.message))
    n_fail = len({v.detail for v in broken})
    label, unit, item_label, subject_label = LABELS[Rule.ANTI_AFFINITY]
    return CheckSummary("anti-affinity", Rule.ANTI_AFFINITY.value, label, Rule.ANTI_AFFINITY.text, unit, item_label, subject_label,
                        len(groups), len(groups) - n_fail, n_fail, 0, tuple(failing), (), False)


def site_uses(estate: Estate, block: Block) -> tuple[SiteUse, ...]:
    """Per site a residency policy's workloads use: how many, the site's country, and the result there (one per site)."""
    if not len(block):
        return ()
    counts = np.bincount(block.site, minlength=len(estate.sites))
    out = []
    for j in np.nonzero(counts)[0].tolist():
        s = estate.sites[j]
        k = int(np.argmax(block.site == j))
        out.append(SiteUse(s.id, s.kind.value, estate.site_country(s), int(counts[j]), not bool(block.failed[k]),
                           text_of(block, k, estate.table.ids)))
    out.sort(key=lambda u: (u.passed, -u.workloads, u.site))
    return tuple(out)


__all__ = ["CAPACITY_WARN", "LATENCY_WARN", "VERIFY_INLINE_MAX", "Block", "CheckRow", "CheckSummary", "Checks", "Compliance",
           "PolicySection", "PresetCitation", "ProblemRow", "SiteUse", "anti_affinity_summary", "capacity_summary", "evaluate", "site_uses", "summarise",
           "text_of"]
