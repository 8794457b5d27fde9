"""The first-fit schedule and its improvement, for any number of move groups."""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from typing import Optional

import numpy as np

from planner.base.problem import Problem
from planner.domain.estate import Estate
from planner.domain.rules import Rule
from planner.schedule.calendar import months_after
from planner.schedule.capacity import _Room
from planner.schedule.groups import _topological
from planner.schedule.types import _Edge, _short, _Unit

PULL_CANDIDATES = 8  # leavers tried per saver and wave when the saver needs their room (a work limit)


PULL_WAVES = 3  # earlier waves a saver tries pulling leavers into


PULL_SCAN = 50_000_000  # leavers one improvement may look through for pulls (a work limit: each pull reads every leaver
# of the saver's full sites, tens of thousands at a million workloads; the planted 100,000 reads 50 million in all)
JOINED_SETS = 256  # sets of full sites whose leavers an improvement keeps joined (a bound on memory: answers are the same)


DEFER_CHECKS = 2_000  # joint capacity checks one improvement may make deferring losers with the arrivals they make
# room for (a work limit)
DEFER_MAX = 8  # arrivals a deferred loser may take along
DEFER_SCAN = 4_000_000  # arrivals one improvement may look through for losers to defer (a work limit: a full site may
# have tens of thousands, looked at again for each of its losers)


JOINT_MAX = 64  # waiting leavers a waiting unit may move with in one wave (a swap between full sites)
JOINT_TRIES = 2_000  # (group, wave) placements tried for such swaps in one schedule: a work limit, since each is a full
# interim-capacity check and a blocked estate may offer them again after every placement


def _first_fit(estate: Estate, units: list[_Unit], edges: list[_Edge], room: "_Room",
               by_saving: bool = False, rank: Optional[list[int]] = None) -> tuple[Optional[list[int]], Optional[Problem]]:
    """First-fit in deadline order (or, `by_saving`, in order of monthly saving per workload, after `rank` when given:
    a wave per unit, earliest first), respecting every edge and capacity between waves (`room`, emptied first); None
    and the problem when a unit misses its window.

    A unit that finds no room waits until a unit leaving one of its sites is placed, so leavers free room before
    arrivals need it."""
    rules = estate.scenario.waves
    lim = _Limits(rules, units)
    room.reset()
    preds: dict[int, list[_Edge]] = defaultdict(list)
    succ: dict[int, list[int]] = defaultdict(list)
    indeg = [0] * len(units)
    for e in edges:
        preds[e.v].append(e)
        succ[e.u].append(e.v)
        indeg[e.v] += 1

    # a unit is as urgent as the richest unit it unlocks (a production group waits for its non-production one)
    density = [u.saving / u.count for u in units]
    for i in reversed(_topological(len(units), edges)):
        density[i] = max([density[i]] + [density[j] for j in succ[i]])

    # A unit that frees room an arrival is waiting for is as urgent as that arrival, and so is what it waits for.
    urgent = [units[i].hi for i in range(len(units))]
    leavers: dict[int, list[int]] = defaultdict(list)  # site column -> units that take something off it
    for i, cols in enumerate(room.leave_cols):
        for c in cols:
            leavers[c].append(i)

    waited: set[int] = set()

    def prio(i: int) -> tuple:
        if i in waited:  # room freed for units that waited goes to the one with the nearest deadline first
            return (0, units[i].hi, 0.0, 0.0, units[i].keys, i)
        if by_saving:
            boosted = urgent[i] < units[i].hi
            if boosted:
                return (1, 0, urgent[i], 0.0, units[i].keys, i)
            return (1, 1, rank[i] if rank else 0, -density[i], units[i].keys, i)
        return (1, urgent[i], float(units[i].is_prod), 0.0, units[i].keys, i)

    # site column -> the urgency its leavers were last hurried to: urgency only falls, so none of them is later than
    # that, and a site is scanned again only for an earlier one (a few times per site, not once per waiting unit)
    swept: dict[int, int] = {}

    def sweep(cols: list[int], by: int) -> list[int]:
        cols = [c for c in cols if swept.get(c, by + 1) > by]
        swept.update((c, by) for c in cols)
        return [j for c in cols for j in leavers.get(c, ()) if not wave[j] and urgent[j] > by]

    def hurry(cols: list[int], by: int) -> None:
        todo = sweep(cols, by)
        while todo:
            j = todo.pop()
            if wave[j] or urgent[j] <= by:
                continue
            urgent[j] = by
            for c in room.wait_cols[j]:  # its place in the queues it waits in moves up with it
                if j in waiting.get(c, ()) or j in parked:
                    heapq.heappush(queue[c], (by, j))
            late.discard(j)  # a money-losing leaver someone waits for goes when needed, not last
            if j in blocked:
                todo.extend(sweep(room.touch_cols[j], by))
            elif indeg[j] == 0:
                heapq.heappush(ready, prio(j))
            todo.extend(e.u for e in preds[j] if not wave[e.u] and urgent[e.u] > by)

    # with by_saving, units that lose money and touch no order edge wait, then go as late as they fit
    late = {i for i, u in enumerate(units) if by_saving and u.saving < 0 and not preds[i] and not succ[i]}
    ready = [prio(i) for i in range(len(units)) if indeg[i] == 0 and i not in late]
    heapq.heapify(ready)
    count: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    kind: dict[int, bool] = {}
    wave: list[int] = [0] * len(units)
    waiting: dict[int, set[int]] = defaultdict(set)  # site column -> units waiting for room there
    # site column -> (urgency, unit) of its waiting units, the least first; an entry whose unit no longer waits or has
    # grown more urgent since is dropped when it reaches the top, so `queued` reads a top instead of a whole queue
    queue: dict[int, list[tuple[int, int]]] = defaultdict(list)
    blocked: set[int] = set()

    def put(i: int, k: int, placed: bool = False) -> None:
        unit = units[i]
        wave[i] = k
        kind[k] = unit.is_prod
        count[k] += unit.count
        hours[k] += unit.effort
        if not placed:
            room.place(i, k)
        for c in room.leave_cols[i]:  # room freed there: who waited for it tries again
            queue.pop(c, None)
            for j in sorted(waiting.pop(c, ())):
                if j in blocked and not park(j):
                    blocked.discard(j)
                    heapq.heappush(ready, prio(j))
            for p in room.pairs_at(c):  # parked units whose pair now has room: parked again elsewhere, or woken
                for hi, heap in sorted(parked_at.get(p, {}).items()):
                    while heap and room.room_at(p, hi, heap[0][0]):
                        _, version, j = heapq.heappop(heap)
                        if j in blocked and parked.get(j) == version and not park(j):
                            del parked[j]
                            blocked.discard(j)
                            heapq.heappush(ready, prio(j))

    # A waiting unit on a site over capacity today that still finds no room where it brings workloads is parked on
    # the first (site, resource) pair there without room, and looked at again only when a leaver frees room at that
    # pair: it is woken exactly when :meth:`_Room.may_fit` turns true, as if every leaver on its sites had woken it
    # (millions of tries at a million workloads). It keeps its place in the waiting queues meanwhile.
    parked: dict[int, int] = {}  # unit -> version of its one live entry in parked_at
    parked_at: dict[int, dict[int, list[tuple[float, int, int]]]] = {}  # pair -> deadline -> (change, version, unit)
    versions = [0]

    def park(j: int, short: Optional[tuple[int, float]] = None) -> bool:
        """Park waiting unit `j` if it still finds no room (`short`: its short pair, when just read); whether it did."""
        short = short or room.short_pair(j, units[j].hi)
        if short is None:
            return False
        p, d = short
        versions[0] += 1
        parked[j] = versions[0]
        heapq.heappush(parked_at.setdefault(p, {}).setdefault(units[j].hi, []), (d, versions[0], j))
        for c in room.wait_cols[j]:
            waiting[c].discard(j)
        return True

    def arrivals(i: int) -> list[int]:
        return room.arrive_cols[i]

    def wait(i: int) -> None:
        blocked.add(i)
        waited.add(i)
        for c in room.wait_cols[i]:
            waiting[c].add(i)
            heapq.heappush(queue[c], (urgent[i], i))
        hurry(room.touch_cols[i], units[i].hi)

    def wait_parked(i: int, short: tuple[int, float]) -> None:
        """Wait again, parked at once, for a woken unit `i` that found no room after all at pair and change `short`.

        It is what :func:`wait` and the next leaver on its sites would do: its queue places back, its sites already
        hurried (a unit that waited before did that for its deadline), and parked, being short of room where a leaver
        frees it, without sitting in the sites' waiting sets until then."""
        blocked.add(i)
        for c in room.wait_cols[i]:
            heapq.heappush(queue[c], (urgent[i], i))
        park(i, short)

    def queued(i: int) -> bool:
        """Whether a unit with an earlier deadline waits for room on a site `i` would fill: `i` queues behind it."""
        for c in room.arrive_cols[i]:
            top = queue.get(c)
            while top and (top[0][1] not in blocked or urgent[top[0][1]] != top[0][0]):
                heapq.heappop(top)  # no longer waiting, or queued again nearer the front
            if top and top[0][0] < urgent[i]:
                return True
        return False

    earliest_seen: dict[int, tuple[int, int]] = {}  # unit -> (from wave, first wave from there its limits allowed)

    def earliest(i: int, k: int) -> int:
        """:func:`_earliest` of unit `i` from wave `k`, resumed where its last answer stood: counts, hours and kinds
        only fill up during first-fit, so a wave whose limits refused the unit once refuses it still."""
        seen = earliest_seen.get(i)
        r = _earliest(lim, count, hours, kind, units[i], seen[1] if seen is not None and seen[0] <= k <= seen[1] else k)
        earliest_seen[i] = (k, r)
        return r

    def forward(i: int) -> tuple[int, Optional[tuple[int, float]]]:
        """The first wave unit `i` fits now (past its deadline when none), and where a unit on an over-full site is
        short of room by then, if that is why."""
        unit = units[i]
        short = room.short_pair(i, unit.hi)
        if short is not None or not room.may_fit(i, unit.hi):
            return unit.hi + 1, short  # no wave by its deadline has room (a waiting unit tried again, most often)
        k = max([unit.lo] + [wave[e.u] + e.strict for e in preds[i]])
        ok = room.whole(i)
        if ok is not None and k <= unit.hi:  # every wave's capacity answer at once: the limits only where it fits
            for j in (np.flatnonzero(ok[k:unit.hi + 1]) + k).tolist():
                if _fits(lim, count, hours, kind, j, unit):
                    return j, None
            return unit.hi + 1, None
        while k <= unit.hi and not (_fits(lim, count, hours, kind, k, unit) and room.fits(i, k)):
            k += 1
        return k, None

    def retry(i: int) -> bool:
        """Place waiting unit `i` where it fits now, queue or not; whether it did."""
        if indeg[i] or max([units[i].lo] + [wave[e.u] + e.strict for e in preds[i]]) > units[i].hi:
            return False
        k, _ = forward(i)
        if k > units[i].hi:
            return False
        blocked.discard(i)
        put(i, k)
        for v in succ[i]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(ready, prio(v))
        return True

    tries = [0]

    def waiting_leavers(c: int) -> list[int]:
        """The waiting units that leave site column `c`, from the shorter of the two lists (a full site may have tens
        of thousands of leavers)."""
        mine = leavers.get(c, ())
        if len(blocked) < len(mine):
            return [j for j in blocked if c in room.leave_cols[j]]
        return [j for j in mine if j in blocked]

    def together(i: int) -> bool:
        """Place waiting unit `i` in one wave with the waiting units that leave its sites (a swap no order can make
        one by one); whether it worked."""
        if tries[0] >= JOINT_TRIES:
            return False
        group, todo = [i], [i]
        while todo and len(group) < JOINT_MAX:  # the waiting leavers of its sites, theirs in turn, ...
            x = todo.pop(0)
            for j in sorted({j for c in arrivals(x) for j in waiting_leavers(c) if j not in group
                             and units[j].is_prod == units[i].is_prod and indeg[j] == 0}):
                if len(group) < JOINT_MAX:
                    group.append(j)
                    todo.append(j)
        if len(group) < 2:
            return False
        lo = max(max([units[j].lo] + [wave[e.u] + e.strict for e in preds[j]]) for j in group)
        hi = min(units[j].hi for j in group)
        n, h = sum(units[j].count for j in group), sum(units[j].effort for j in group)
        for k in range(lo, hi + 1):
            if not (kind.get(k, units[i].is_prod) == units[i].is_prod and count[k] + n <= rules.max_workloads_in(k)
                    and hours[k] + h <= rules.max_effort_hours + 1e-9):
                continue
            if tries[0] >= JOINT_TRIES:
                return False
            tries[0] += 1
            if room.fit_together(group, k):
                for j in group:
                    blocked.discard(j)
                    put(j, k)
                    for v in succ[j]:
                        indeg[v] -= 1
                        if indeg[v] == 0:
                            heapq.heappush(ready, prio(v))
                return True
        return False

    while True:
        if not ready and blocked:
            for i in sorted(blocked, key=lambda i: (units[i].hi, units[i].keys, i)):
                if i in blocked and together(i):
                    break
        while ready:
            i = heapq.heappop(ready)[-1]
            if wave[i] or i in blocked:
                continue  # a stale entry: placed already, or waiting for room
            unit = units[i]
            if room.limited and queued(i):
                wait(i)
                continue
            k, short = forward(i)
            if k > unit.hi:
                if room.limited and earliest(i, max([unit.lo] + [wave[e.u] + e.strict for e in preds[i]])) <= unit.hi:
                    if i in waited and short is not None:
                        wait_parked(i, short)
                    else:
                        wait(i)
                    continue
                sites = f" leave {', '.join(unit.sites)} and" if unit.sites else ""
                return None, Problem(Rule.WAVES.value, unit.ids, unit.sites,
                                     f"first-fit could not{sites} place {_short(unit.label)} by wave {unit.hi} ({_short(unit.hi_why)}): "
                                     "earlier waves are full (count, effort, pilot, production/non-production or order limits), and "
                                     "the optimiser found no schedule either; raise waves.max_workloads/max_effort_hours or start earlier")
            put(i, k)
            for j in succ[i]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    heapq.heappush(ready, prio(j))
        pending_late = sorted((i for i in late if not wave[i] and i not in blocked),
                              key=lambda i: (units[i].saving / units[i].count, units[i].keys))
        late.clear()
        if not pending_late:
            if blocked and any(together(i) for i in sorted(blocked, key=lambda i: (units[i].hi, units[i].keys, i)) if i in blocked):
                continue  # a swap went in: what waited behind it may go now
            if blocked and any(retry(i) for i in sorted(blocked, key=lambda i: (units[i].hi, units[i].keys, i)) if i in blocked):
                continue  # a unit that queued behind one that never fitted goes now
            break
        for i in pending_late:
            unit = units[i]
            k = unit.hi
            while k >= unit.lo and not (_fits(lim, count, hours, kind, k, unit) and room.fits(i, k)):
                k -= 1
            if k < unit.lo:
                k, _ = forward(i)
                if k > unit.hi:
                    wait(i)
                    continue
            put(i, k)
    if blocked:
        return None, room.short(min(blocked, key=lambda i: (units[i].hi, units[i].keys)), estate, units)
    return wave, None


def _first_leavers(cand: np.ndarray, i: int, k: int, n: int, wave: np.ndarray, saving: np.ndarray,
                   months: np.ndarray, key_rank: np.ndarray) -> list[int]:
    """Of the units `cand` (no repeats; but `i`) now in a wave after `k`, the `n` that lose least moved to wave `k`.

    Least ``-(saving * (months[k] - months[wave]))`` first, then `key_rank`: what sorting them one by one in Python
    floats and keeping the first `n` gives (the same floats), for a pull that reads tens of thousands of leavers."""
    if not len(cand) or n <= 0:
        return []
    cand = cand[(wave[cand] > k) & (cand != i)]
    loss = -(saving[cand] * (months[k] - months[wave[cand]]))
    if len(cand) > n:
        keep = np.nonzero(loss <= np.partition(loss, n - 1)[n - 1])[0]  # every tie of the n-th kept
        cand, loss = cand[keep], loss[keep]
    return cand[np.lexsort((key_rank[cand], loss))][:n].tolist()


class _Limits:
    """The waves' count limits (ramped up, one per wave) and effort limit, looked up rather than recomputed: the
    checks run millions of times at a million workloads."""

    __slots__ = ("caps", "hours")

    def __init__(self, rules, units: list[_Unit]):  # noqa: ANN001
        self.caps = [0] + [rules.max_workloads_in(k) for k in range(1, max([u.hi for u in units] + [1]) + 2)]
        self.hours = rules.max_effort_hours + 1e-9


def _earliest(lim: _Limits, count: dict, hours: dict, kind: dict, unit: "_Unit", k: int) -> int:
    """The first wave from `k` on whose count, effort and kind limits take `unit` (capacity aside)."""
    while k <= unit.hi and not _fits(lim, count, hours, kind, k, unit):
        k += 1
    return k


def _fits(lim: _Limits, count: dict, hours: dict, kind: dict, k: int, unit: "_Unit") -> bool:
    return (kind.get(k, unit.is_prod) == unit.is_prod and count[k] + unit.count <= lim.caps[k]
            and hours[k] + unit.effort <= lim.hours)


def _improve(estate: Estate, units: list[_Unit], edges: list[_Edge], waves: list[int], room: "_Room", passes: int = 4,
             pulls: int = PULL_CANDIDATES) -> list[int]:
    """A schedule improved by moving units one at a time: savers earlier, losers later, every rule kept.

    Each move keeps the unit's window, its order edges (against the waves its neighbours have now), its
    wave's kind, the count and effort limits and capacity between waves; a pass visits the units by saving
    per workload. A saver that finds no room in an earlier wave may pull a unit leaving that site forward
    with it, when the two together realise more; a loser that cannot leave later alone may take along the arrivals
    that needed its room, when deferring them costs less than it gains. A fixed number of passes, pulls, leavers read
    for pulls and joint checks: work, not time.
    """
    rules = estate.scenario.waves
    lim = _Limits(rules, units)
    wave = list(waves)
    room.placed(wave)
    count: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    members: dict[int, int] = defaultdict(int)
    kind: dict[int, bool] = {}
    for i, u in enumerate(units):
        count[wave[i]] += u.count
        hours[wave[i]] += u.effort
        members[wave[i]] += 1
        kind[wave[i]] = u.is_prod
    preds: dict[int, list[_Edge]] = defaultdict(list)
    succs: dict[int, list[_Edge]] = defaultdict(list)
    for e in edges:
        preds[e.v].append(e)
        succs[e.u].append(e)
    leavers: dict[int, list[int]] = defaultdict(list)  # site column -> units taking something off it
    for j, cols in enumerate(room.leave_cols):
        for c in cols:
            leavers[c].append(j)
    order = sorted(range(len(units)), key=lambda i: (-abs(units[i].saving) / units[i].count, units[i].keys, i))
    months = [0.0] + [months_after(estate, k) for k in range(1, max([u.hi for u in units] + [1]) + 1)]

    # swap's filter runs over whole waves at every step: the units' fields as plain lists, and each wave's units
    # sorted by what swap takes first (saving, then keys) and by size (largest first), so it reads the start of a
    # wave in one order or the other
    prod_of, count_of = [u.is_prod for u in units], [u.count for u in units]
    saving_of, keys_of = [u.saving for u in units], [u.keys for u in units]
    lo_of, hi_of = [u.lo for u in units], [u.hi for u in units]
    swap_key = [(u.saving, u.keys, j) for j, u in enumerate(units)]
    size_key = [(-u.count, j) for j, u in enumerate(units)]
    in_wave: dict[int, list[tuple]] = defaultdict(list)
    by_size: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, k in enumerate(wave):
        in_wave[k].append(swap_key[i])
        by_size[k].append(size_key[i])
    for ranked in (*in_wave.values(), *by_size.values()):
        ranked.sort()

    def take(i: int) -> int:
        k0 = wave[i]
        for ranked, key in ((in_wave[k0], swap_key[i]), (by_size[k0], size_key[i])):
            at = bisect.bisect_left(ranked, key)
            if at < len(ranked) and ranked[at] == key:
                del ranked[at]
        count[k0] -= units[i].count
        hours[k0] -= units[i].effort
        members[k0] -= 1
        room.remove(i, k0)
        if members[k0] == 0:
            kind.pop(k0, None)
        return k0

    def put(i: int, k: int) -> None:
        wave[i] = k
        wave_at[i] = k
        bisect.insort(in_wave[k], swap_key[i])
        bisect.insort(by_size[k], size_key[i])
        room.place(i, k)
        count[k] += units[i].count
        hours[k] += units[i].effort
        members[k] += 1
        kind[k] = units[i].is_prod

    # pull reads every leaver of a saver's full sites (tens of thousands at a million workloads): on columns
    wave_at = np.array(wave, dtype=np.int64)
    leaving = {c: np.array(js, dtype=np.int64) for c, js in leavers.items()}
    saving_at, months_at = np.array(saving_of, dtype=float), np.array(months, dtype=float)
    key_rank = np.empty(len(units), dtype=np.int64)  # position by (keys, unit): ties of what a pull gains
    key_rank[sorted(range(len(units)), key=lambda j: (keys_of[j], j))] = np.arange(len(units))

    joined: dict[tuple[int, ...], np.ndarray] = {}
    nobody = np.zeros(0, dtype=np.int64)

    def leavers_of(full: list[int]) -> np.ndarray:
        """The leavers of sites `full`, without repeats, joined once per set of sites: savers share a few sets, and
        joining tens of thousands of leavers again at every pull cost a tenth of the passes."""
        cols = tuple(c for c in full if c in leaving)
        if len(cols) < 2:
            return leaving[cols[0]] if cols else nobody
        got = joined.get(cols)
        if got is None:
            if len(joined) >= JOINED_SETS:
                joined.clear()  # a bound on memory only: a set asked again is joined again, to the same array
            got = joined[cols] = np.unique(np.concatenate([leaving[c] for c in cols]))
        return got

    def pull(i: int, k: int, k0: int) -> bool:
        """Place saver `i` (taken out of wave `k0`) in wave `k` with a leaver of its sites moved to wave `k` or before."""
        gain = units[i].saving * (months[k] - months[k0])
        full = room.arrive_cols[i]
        if pulled[0] >= PULL_SCAN:
            return False
        pulled[0] += sum(len(leavers.get(c, ())) for c in full)
        near = _first_leavers(leavers_of(full), i, k, pulls, wave_at, saving_at, months_at, key_rank)
        for j in near:
            kj = wave[j]
            lo_j = max([units[j].lo] + [wave[e.u] + e.strict for e in preds[j]])
            take(j)
            for kk in range(k, lo_j - 1, -1):
                if units[j].saving * (months[kk] - months[kj]) + gain <= 1e-9:
                    break  # later waves only lose more
                if not (_fits(lim, count, hours, kind, kk, units[j]) and room.fits(j, kk)):
                    continue
                put(j, kk)
                if _fits(lim, count, hours, kind, k, units[i]) and room.fits(i, k):
                    put(i, k)
                    return True
                take(j)
            put(j, kj)
        return False

    def swap(i: int, k: int, k0: int) -> bool:
        """Place saver `i` (taken out of wave `k0`) in the full wave `k`, sending a unit that saves less from `k` to `k0`."""
        u = units[i]
        cap_k, cap_k0 = rules.max_workloads_in(k), rules.max_workloads_in(k0)
        if kind.get(k, u.is_prod) != u.is_prod:
            return False
        s_u, p_u = u.saving, u.is_prod
        fewest, most = count[k] + u.count - cap_k, cap_k0 - count[k0]  # the sizes that keep both waves' counts
        near: list[int] = []
        big = bisect.bisect_left(by_size[k], (1 - fewest,))  # the units large enough to make room for `u`
        if big * big < pulls * len(in_wave[k]):  # fewer than the saving order would read before `pulls` pass
            near = sorted((j for _, j in by_size[k][:big] if swap_key[j][0] < s_u and prod_of[j] == p_u
                           and count_of[j] <= most and lo_of[j] <= k0 <= hi_of[j]), key=swap_key.__getitem__)[:pulls]
        else:
            for saving, _, j in in_wave[k]:  # by saving, then keys: the first `pulls` that pass
                if saving >= s_u or len(near) >= pulls:
                    break
                if prod_of[j] == p_u and fewest <= count_of[j] <= most and lo_of[j] <= k0 <= hi_of[j]:
                    near.append(j)
        for j in near:
            if any((k if e.v == i else wave[e.v]) - e.strict < k0 for e in succs[j]):  # `i` moves to k, not its old wave
                continue
            take(j)
            if _fits(lim, count, hours, kind, k, u) and room.fits(i, k):
                put(i, k)
                if _fits(lim, count, hours, kind, k0, units[j]) and room.fits(j, k0):
                    put(j, k0)
                    return True
                take(i)
            put(j, k)
        return False

    arrivers: dict[int, list[int]] = defaultdict(list)  # site column -> units bringing workloads to it
    for j, cols in enumerate(room.arrive_cols):
        for c in cols:
            arrivers[c].append(j)
    checks, scanned, pulled = [0], [0], [0]

    def in_order(group: list[int], k: int) -> bool:
        """Whether every order edge of `group`'s units holds with all of them in wave `k`."""
        new = set(group)
        for x in group:
            if any((k if e.u in new else wave[e.u]) + e.strict > k for e in preds[x]):
                return False
            if any(k + e.strict > (k if e.v in new else wave[e.v]) for e in succs[x]):
                return False
        return True

    def defer(i: int, k: int, k0: int, after: list[int]) -> bool:
        """Place loser `i` (taken out of wave `k0`) in the later wave `k`, moving to `k` with it the arrivals on the
        sites it leaves (`after`: those of its kind placed from k0 on) that came before k and may need its room,
        cheapest first, while that still gains."""
        gain = units[i].saving * (months[k] - months[k0])
        near = [j for j in after if wave[j] < k and hi_of[j] >= k]
        cost = {j: saving_of[j] * (months[wave[j]] - months[k]) for j in near}
        near = heapq.nsmallest(DEFER_MAX, near, key=lambda j: (cost[j], keys_of[j], j))
        group, spent, was = [i], 0.0, []
        for j in near:
            if checks[0] >= DEFER_CHECKS or spent + cost[j] >= gain - 1e-9:
                break
            was.append(take(j))
            group.append(j)
            spent += cost[j]
            n = sum(count_of[x] for x in group)
            h = sum(units[x].effort for x in group)
            if not (kind.get(k, prod_of[i]) == prod_of[i] and count[k] + n <= lim.caps[k] and hours[k] + h <= lim.hours):
                break
            checks[0] += 1
            if in_order(group, k) and room.fit_together(group, k):
                for x in group:
                    put(x, k)
                return True
        for j, kj in zip(reversed(group[1:]), reversed(was)):
            put(j, kj)
        return False

    for _ in range(passes):
        moved = False
        for i in order:
            u = units[i]
            if u.saving == 0:
                continue
            lo = max([u.lo] + [wave[e.u] + e.strict for e in preds[i]])
            hi = min([u.hi] + [wave[e.v] - e.strict for e in succs[i]])
            k0 = take(i)  # leave the current wave first, so the unit's own load does not block it
            candidates = range(lo, k0) if u.saving > 0 else range(hi, k0, -1)
            best, tries = k0, 0
            for k in candidates:
                if not months[k] * u.saving > months[best] * u.saving + 1e-9 or not _fits(lim, count, hours, kind, k, u):
                    continue
                if room.fits(i, k):
                    best = k
                    break  # waves are tried from the best end: the first that fits is the best
                if u.saving > 0 and tries < PULL_WAVES and pull(i, k, k0):
                    best = -k
                    break
                tries += 1
            if best == k0 and u.saving > 0:
                for k in range(lo, min(k0, lo + PULL_WAVES)):
                    if months[k] > months[k0] + 1e-12 and swap(i, k, k0):
                        best = -k
                        break
            if best == k0 and u.saving < 0 and room.leave_cols[i] and scanned[0] < DEFER_SCAN:
                # its latest waves, and the last waves of the arrivals that would come along (their deadlines)
                later = {k for k in candidates if months[k] < months[k0] - 1e-12}
                scanned[0] += sum(len(arrivers.get(c, ())) for c in room.leave_cols[i])
                after = [j for j in {j for c in room.leave_cols[i] for j in arrivers.get(c, ())}
                         if wave[j] >= k0 and j != i and prod_of[j] == u.is_prod]
                targets = set(sorted(later, reverse=True)[:PULL_WAVES]) | {hi_of[j] for j in after if hi_of[j] in later}
                for k in sorted(targets, reverse=True)[:2 * PULL_WAVES]:
                    if defer(i, k, k0, after):
                        best = -k
                        break
            if best < 0:
                moved = True
                continue
            put(i, best)
            moved |= best != k0
        if not moved:
            break
    return wave
