"""Capacity between waves: each site's load after every wave, and who frees room for whom."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping, Optional

import numpy as np

from planner.base.problem import Problem
from planner.domain.estate import Estate
from planner.domain.rules import Rule
from planner.schedule.calendar import wave_dates
from planner.schedule.types import _short, _Unit

RESOURCES = ("vcpu", "memory_gb", "storage_gb")


RESOURCE_WORDS = {"vcpu": "vCPU", "memory_gb": "GB of memory", "storage_gb": "GB of storage"}


def site_capacities(estate: Estate) -> np.ndarray:
    """Per site and resource (RESOURCES order) its capacity; inf where none is given (unlimited)."""
    return np.array([[float(getattr(s.capacity, r)) if s.capacity is not None and getattr(s.capacity, r) is not None else np.inf
                      for r in RESOURCES] for s in estate.sites], dtype=float).reshape(len(estate.sites), len(RESOURCES))


def capacity_limit(cap: "np.ndarray | float") -> "np.ndarray | float":
    """The most a site may hold against capacity `cap`: the capacity with room for the rounding of sums of sizes."""
    return cap * (1 + 1e-9) + 1e-6


def over_capacity(load: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Where `load` exceeds `cap`, with room for the rounding of sums of sizes."""
    return load > capacity_limit(cap)


def interim_breaches(load: np.ndarray, adds: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per wave (row k >= 1 of `load`: after wave k; row 0: today), site and resource: whether capacity between waves
    is broken: over capacity after the wave, unless already over before it and the wave brought nothing there."""
    return _breach(load, adds, capacity_limit(cap))


def _breach(load: np.ndarray, adds: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """:func:`interim_breaches` with over_capacity's threshold `limit` (a capacity with its rounding room) given."""
    over = load > limit
    return over[1:] & (~over[:-1] | (adds[1:] > 0))


class _Room:
    """What every capacity-limited site holds after each wave (row 0: today) and how many workloads each wave brings,
    as units are placed and removed; whether a unit fits a wave without breaking capacity between waves.

    The checks run often (every wave a unit may take, at every step of first-fit and the improvement passes), so a
    (site, resource) pair that no set of arrivals could ever push over its capacity is never looked at, and the others
    keep their loads and arrival counts as short lists: at a site not over capacity today the rule holds exactly when
    no wave's load is over, so a check is the largest load before and after the wave, with the same floating-point
    sums as ever; the other checks read those lists only. The full arrays (``load``, ``adds``), for messages and the
    MILP, are rebuilt from the placed units when read."""

    def __init__(self, estate: Estate, units: list[_Unit], site_of: Mapping[str, str], last: int):
        t = estate.table
        caps = site_capacities(estate)
        limited = np.nonzero(np.isfinite(caps).any(axis=1))[0]
        column = np.full(len(estate.sites), -1, dtype=np.int64)
        column[limited] = np.arange(len(limited))
        self.sites = limited
        self.cap = caps[limited]
        sizes = np.stack([getattr(t, r).astype(float) for r in RESOURCES], axis=1)
        today = np.zeros((len(limited), len(RESOURCES)))
        here = column[t.current_site.astype(np.int64)]
        np.add.at(today, here[here >= 0], sizes[here >= 0])
        self.today, self.last = today, last
        site_index, index = estate.site_index, estate.workload_index
        # Every unit's members in one column (a unit's in its own order), so the changes are summed for all units at
        # once: per (unit, site column) the leavers' sizes subtracted in member order, then the arrivals' added, each
        # one `np.add.at` step in that order, as a unit at a time always summed them.
        ids = [w.id for u in units for w in u.members]
        owner = np.repeat(np.arange(len(units), dtype=np.int64), [len(u.members) for u in units])
        rows = np.fromiter((index[w] for w in ids), dtype=np.int64, count=len(ids))
        src = here[rows]
        dst = column[np.fromiter((site_index.get(site_of.get(w, ""), -1) for w in ids), dtype=np.int64, count=len(ids))]
        dst[~np.fromiter((w in site_of for w in ids), dtype=bool, count=len(ids))] = -1
        n_c = max(len(limited), 1)
        left, came = src >= 0, dst >= 0
        cell_of = np.concatenate([owner[left] * n_c + src[left], owner[came] * n_c + dst[came]])
        cells, at = np.unique(cell_of, return_inverse=True)
        delta_all = np.zeros((len(cells), len(RESOURCES)))
        np.add.at(delta_all, at, np.concatenate([-sizes[rows[left]], sizes[rows[came]]]))
        arrive_all = np.zeros((len(cells), len(RESOURCES)), dtype=np.int64)
        n_left = int(left.sum())
        np.add.at(arrive_all, at[n_left:], (sizes[rows[came]] > 0).astype(np.int64))
        bounds = np.searchsorted(cells // n_c, np.arange(len(units) + 1))
        col_all = cells % n_c
        self.touch: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [  # per unit: columns, net change, workloads arriving
            (col_all[a:b], delta_all[a:b], arrive_all[a:b]) for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]
        self._columns()
        self._pairs()
        self.reset()

    def _columns(self) -> None:
        """Per unit, as plain lists: the site columns it touches, those it takes something off, those it brings
        workloads to, and those it waits on when it finds no room (where it arrives, else all it touches)."""
        self.touch_cols = [cols.tolist() for cols, _, _ in self.touch]
        self.leave_cols = [cols[(delta < 0).any(axis=1)].tolist() for cols, delta, _ in self.touch]
        self.arrive_cols = [cols[(arrive > 0).any(axis=1)].tolist() for cols, _, arrive in self.touch]
        self.wait_cols = [a or t for a, t in zip(self.arrive_cols, self.touch_cols)]

    def _pairs(self) -> None:
        """The (site, resource) pairs a check must look at, and per unit its pairs and changes there."""
        grow = np.zeros(self.today.shape)
        for cols, delta, _ in self.touch:
            grow[cols] += np.maximum(delta, 0.0)
        # Any load the schedule can reach is today's plus some of the units' changes, at most today + grow up to
        # the rounding of sums (far below a millionth): below that margin a pair is never over capacity.
        tight = (self.today + grow) * (1 + 1e-6) > self.cap
        self._limit = capacity_limit(self.cap)  # over_capacity's own threshold
        pair = np.full(self.today.shape, -1, dtype=np.int64)
        pair[tight] = np.arange(int(tight.sum()))
        self._pair_site = np.nonzero(tight)
        over_today = over_capacity(self.today, self.cap)
        # one list of loads and one of arrival counts per tight pair (row 0: today), kept as the same lists across
        # resets; per unit, its tight pairs' lists with its change and arrivals there and the threshold, and those it
        # changes
        self._rows: list[list[float]] = [[0.0] * (self.last + 1) for _ in range(int(tight.sum()))]
        self._add_rows: list[list[int]] = [[0] * (self.last + 1) for _ in range(int(tight.sum()))]
        self._checks: list[list[tuple[list[float], float, float, list[int], int]]] = []
        self._moves: list[Optional[list[tuple[list[float], float]]]] = []  # None: the unit touches no limited site
        self._arrivals: list[list[tuple[list[int], int]]] = []
        self._whole: list[bool] = []  # per unit: touches a site over capacity today, where arrivals matter: whole check
        self._arrive_checks: list[list[tuple[list[float], float, float, int]]] = []  # per unit: its checks (and pairs)
        # where it arrives
        self._pair_limit: list[float] = self._limit[self._pair_site].tolist()
        self._col_pairs: dict[int, list[int]] = defaultdict(list)
        for p, col in enumerate(self._pair_site[0].tolist()):
            self._col_pairs[col].append(p)
        for cols, delta, arrive in self.touch:
            on = pair[cols]
            c, r = np.nonzero(on >= 0)
            ids = on[c, r].tolist()
            checks = [(self._rows[p], d, limit, self._add_rows[p], a) for p, d, limit, a in
                      zip(ids, delta[c, r].tolist(), self._limit[cols[c], r].tolist(), arrive[c, r].tolist())]
            self._checks.append(checks)
            self._moves.append([(row, d) for row, d, _, _, _ in checks if d] if len(cols) else None)
            self._arrivals.append([(adds, a) for _, _, _, adds, a in checks if a])
            self._whole.append(bool(over_today[cols].any()))
            self._arrive_checks.append([(row, d, limit, p) for (row, d, limit, _, a), p in zip(checks, ids) if a > 0]
                                       if self._whole[-1] else [])  # read only for units on over-full sites

    def reset(self) -> None:
        """Nothing placed: every wave holds what the sites hold today."""
        self._net: dict[tuple[int, int], int] = {}  # (unit, wave) -> how many times it is placed there (never 0)
        for row, adds, c, r in zip(self._rows, self._add_rows, *self._pair_site):
            row[:] = [float(self.today[c, r])] * (self.last + 1)
            adds[:] = [0] * (self.last + 1)
        self._full_stamp = -1
        self._stamp = getattr(self, "_stamp", 0) + 1  # bumped by every change: the cached whole check holds while it does
        self._fit_key: tuple[int, int] = (-1, -1)  # (unit, stamp) whose answer for every wave `_fit` holds
        self._fit = np.ones(0, dtype=bool)
        self._asked: tuple[int, int] = (-1, -1)  # (unit, stamp) of the last single check
        self._span_key: tuple[int, int] = (-1, -1)  # (unit, stamp) whose waves that fit `_span` holds
        self._span = (0, 0)

    def _full(self) -> None:
        """Bring ``load`` and ``adds`` up to date: the placed units' changes summed per wave, then the tight pairs'
        loads taken from their lists, so the arrays hold the very floats every check reads (elsewhere no load comes
        near a capacity, so the order of a sum cannot matter)."""
        if self._full_stamp == self._stamp:
            return
        change = np.zeros((self.last + 1,) + self.today.shape)
        adds = np.zeros(change.shape, dtype=np.int64)
        for (i, k), times in self._net.items():
            cols, delta, arrive = self.touch[i]
            change[k, cols] += times * delta
            adds[k, cols] += times * arrive
        load = self.today + np.cumsum(change, axis=0)
        if self._rows:
            load[(slice(None),) + self._pair_site] = np.array(self._rows).T
        self._load, self._adds, self._full_stamp = load, adds, self._stamp

    @property
    def load(self) -> np.ndarray:
        """Per wave (row 0: today), limited site and resource: what it holds after the wave."""
        self._full()
        return self._load

    @property
    def adds(self) -> np.ndarray:
        """Per wave, limited site and resource: how many workloads the wave brings there."""
        self._full()
        return self._adds

    def placed(self, wave: list[int]) -> "_Room":
        """This room with unit `i` placed in `wave[i]`, every one."""
        self.reset()
        for i, k in enumerate(wave):
            self.place(i, k)
        return self

    @property
    def limited(self) -> bool:
        return len(self.sites) > 0

    def place(self, i: int, k: int, sign: int = 1) -> None:
        moves = self._moves[i]
        if moves is None:
            return
        times = self._net.get((i, k), 0) + sign
        if times:
            self._net[i, k] = times
        else:
            del self._net[i, k]
        if sign > 0:  # x + d and x - d, as numpy's x + sign * d
            for row, d in moves:
                row[k:] = [x + d for x in row[k:]]
        else:
            for row, d in moves:
                row[k:] = [x - d for x in row[k:]]
        for adds, a in self._arrivals[i]:
            adds[k] += sign * a
        self._stamp += 1

    def remove(self, i: int, k: int) -> None:
        self.place(i, k, -1)

    def breaches(self, i: int, k: int) -> np.ndarray:
        """Per wave, touched site and resource, the breaches with unit `i` placed in wave `k` (it is not placed now)."""
        cols, delta, arrive = self.touch[i]
        load = self.load[:, cols].copy()
        load[k:] += delta
        adds = self.adds[:, cols].copy()
        adds[k] += arrive
        return interim_breaches(load, adds, self.cap[cols])

    def whole(self, i: int) -> Optional[np.ndarray]:
        """For a unit touching a site over capacity today, :meth:`fitting` of the room as it is now (kept until the
        room changes); None for the others, whose checks are cheaper one wave at a time."""
        if not self._whole[i]:
            return None
        if self._fit_key != (i, self._stamp):
            self._fit, self._fit_key = self.fitting(i), (i, self._stamp)
        return self._fit

    def fits(self, i: int, k: int) -> bool:
        """Whether unit `i` (not placed now) fits wave `k`: ``not breaches(i, k).any()``, the same answer, faster."""
        if self._whole[i]:
            if self._fit_key != (i, self._stamp):
                self._fit, self._fit_key = self.fitting(i), (i, self._stamp)
            return bool(self._fit[k])
        key = (i, self._stamp)
        if self._span_key == key:
            return self._span[0] < k <= self._span[1]
        if self._asked == key:  # a second wave asked of the same room: answer every wave at once
            self._span, self._span_key = self._waves_that_fit(i), key
            return self._span[0] < k <= self._span[1]
        self._asked = key
        for row, d, limit, _, _ in self._checks[i]:
            # no site here is over today, so a breach is a wave over capacity: before k as it is, from k with the unit
            if (k > 1 and max(row[1:k]) > limit) or max(row[k:]) + d > limit:
                return False  # (x + d is monotone in x, so the largest sum is the largest load's)
        return True

    def may_fit(self, i: int, hi: int) -> bool:
        """False only when unit `i` (not placed now) fits no wave up to `hi`: a necessary test of :meth:`fits` and
        :meth:`fitting` on the loads' short lists, for the many tries of units that still find no room."""
        if self._whole[i]:
            # fitting(i)[k] needs, where the unit brings workloads, the load with it within the limit after wave k
            # and after every later wave (the first one over would break the rule, as the wave before was not), so
            # max(row[k:]) + d within it, and max(row[k:]) is no smaller for any k <= hi: no pair short of room there
            return self.short_pair(i, hi) is None
        # fits(i, k) needs max(row[k:]) + d within the limit, and max(row[k:]) is no smaller for any k <= hi
        return all(max(row[hi:]) + d <= limit for row, d, limit, _, _ in self._checks[i])

    def short_pair(self, i: int, hi: int) -> Optional[tuple[int, float]]:
        """For unit `i` on a site over capacity today, which only the loads where it brings workloads decide
        (:meth:`may_fit`): the first (site, resource) pair there with no room by wave `hi`, and the unit's change
        there; None when it has room at every one, or is not such a unit. Until a leaver frees room at that pair, the
        unit finds none."""
        for row, d, limit, p in self._arrive_checks[i]:
            if max(row[hi:]) + d > limit:
                return p, d
        return None

    def pairs_at(self, c: int) -> list[int]:
        """The tight (site, resource) pairs of site column `c`."""
        return self._col_pairs.get(c, [])

    def room_at(self, p: int, hi: int, d: float) -> bool:
        """Whether tight pair `p` has room for a change `d` by wave `hi`: the test :meth:`short_pair` makes there."""
        return max(self._rows[p][hi:]) + d <= self._pair_limit[p]

    def fit_together(self, group: list[int], k: int) -> bool:
        """Whether the units of `group` (none placed now) fit wave `k` together: what placing them all and reading
        :meth:`clean` of their sites answers, with the same sums in the same order, without placing them."""
        if any(self._whole[j] for j in group):
            # on copies of the tight pairs' lists, each unit's change added in placing order as `place` would: trying
            # leaves the room (and its cached answers) untouched
            column: dict[int, int] = {}
            rows, add_rows, limits = [], [], []
            for j in group:
                for row, _, limit, adds, _ in self._checks[j]:
                    if id(row) not in column:
                        column[id(row)] = len(rows)
                        rows.append(row)
                        add_rows.append(adds)
                        limits.append(limit)
            if not rows:
                return True
            load, added = np.array(rows).T, np.array(add_rows).T
            for j in group:
                checks = self._checks[j]
                if checks:
                    at = [column[id(row)] for row, _, _, _, _ in checks]
                    load[k:, at] += np.array([d for _, d, _, _, _ in checks])
                    added[k, at] += np.array([a for _, _, _, _, a in checks])
            return not _breach(load, added, np.array(limits)).any()
        # no site here is over today: a breach is a wave over capacity, and the largest load from k on with every
        # change added in placing order is the largest load's (x + d is monotone in x)
        changes: dict[int, tuple[list[float], list[float], float]] = {}
        for j in group:
            for row, d, limit, _, _ in self._checks[j]:
                entry = changes.get(id(row))
                if entry is None:
                    changes[id(row)] = (row, [d], limit)
                else:
                    entry[1].append(d)
        for row, ds, limit in changes.values():
            if k > 1 and max(row[1:k]) > limit:
                return False
            top = max(row[k:])
            for d in ds:
                top = top + d
            if top > limit:
                return False
        return True

    def _waves_that_fit(self, i: int) -> tuple[int, int]:
        """(a, b): unit `i` (on sites not over capacity today) fits wave k exactly when a < k <= b. It fits no later
        than the first wave already over capacity, and after the last wave its own change would put over."""
        a, b = 0, self.last
        for row, d, limit, _, _ in self._checks[i]:
            over = [j for j, x in enumerate(row) if x > limit]
            if over:
                b = min(b, over[0])
            over = [j for j, x in enumerate(row) if x + d > limit]
            if over:
                a = max(a, over[-1])
        return a, b

    def fitting(self, i: int) -> np.ndarray:
        """Per wave k (index 0 unused), whether unit `i` placed in wave k leaves no breach on the sites it touches:
        the same answer as ``not breaches(i, k).any()`` for every k, in one pass over the waves."""
        n = self.last
        checks = self._checks[i]
        if not checks:  # elsewhere no load comes near a capacity
            return np.arange(n + 1) > 0
        load, adds = np.array([c[0] for c in checks]).T, np.array([c[3] for c in checks]).T
        delta, arrive, limit = (np.array([c[j] for c in checks]) for j in (1, 4, 2))
        was = load > limit  # over without the unit
        now = load + delta > limit  # over with the unit placed in this wave or before
        brings = adds[1:] > 0
        # a wave's breach depends on it and the wave before: before k without the unit, after k with it, and at k
        # with it now but not before, and its arrivals added
        without = (was[1:] & (~was[:-1] | brings)).any(axis=1)
        with_ = (now[1:] & (~now[:-1] | brings)).any(axis=1)
        at = (now[1:] & (~was[:-1] | (adds[1:] + arrive > 0))).any(axis=1)
        ok = np.ones(n + 1, dtype=bool)
        ok[2:] = ~np.logical_or.accumulate(without[:-1])  # no breach in waves 1..k-1
        ok[1:] &= ~at
        after = np.zeros(n + 1, dtype=bool)
        after[:-1] = np.logical_or.accumulate(with_[::-1])[::-1]  # after[k]: a breach in waves k+1..n
        ok &= ~after
        ok[0] = False
        return ok

    def clean(self) -> bool:
        """Whether no wave breaks capacity between waves (elsewhere than the tight pairs no load comes near one)."""
        if not self._rows:
            return True
        return not _breach(np.array(self._rows).T, np.array(self._add_rows).T, self._limit[self._pair_site]).any()

    def short(self, i: int, estate: Estate, units: list[_Unit]) -> Problem:
        """The problem of unit `i`, which finds no room in any wave it may move in: the site, the wave, the shortfall
        and the smallest change that would let it move at its deadline."""
        unit = units[i]
        k = unit.hi
        cols, delta, _ = self.touch[i]
        load = self.load[:, cols].copy()
        load[k:] += delta
        bad = self.breaches(i, k)  # rows: waves 1..last
        if not bad.any():  # room there, but the count, effort or order limits of the waves left none in time
            return Problem(Rule.WAVES.value, unit.ids, unit.sites,
                           f"{_short(unit.label, 80)} finds no wave by wave {k} with room for it under the count, effort and "
                           "order limits once the moves that free capacity go first; raise waves.max_workloads or "
                           "growth_per_wave, or start earlier")
        excess = np.where(bad, load[1:] - self.cap[cols], 0.0)
        row, c, r = np.unravel_index(int(np.argmax(excess)), excess.shape)
        site = estate.sites[int(self.sites[cols[c]])]
        over = np.nonzero(bad[:, c, r])[0] + 1
        first, worst = int(over.min()), int(row) + 1
        run_end = first
        while run_end + 1 <= self.last and bad[run_end, c, r]:  # the run of waves over capacity from the first one
            run_end += 1
        short = float(excess[:, c, r].max())
        word = RESOURCE_WORDS[RESOURCES[r]]
        a, _ = wave_dates(estate, first)
        _, b = wave_dates(estate, run_end)
        deadline = f"; it may not move later: {_short(unit.hi_why, 100)}" if unit.hi_why and unit.hi < self.last else ""
        return Problem(Rule.WAVE_CAPACITY.value, unit.ids, (site.id,),
                       f"{_short(unit.label, 80)} cannot move by wave {k}: after wave {worst} {site.id} would hold "
                       f"{load[worst, c, r]:,.0f} {word}, {short:,.0f} over its capacity of {self.cap[cols[c], r]:,.0f}, and no "
                       f"earlier move frees that room{deadline}; give {site.id} {short:,.0f} more {word} from {a} to {b}, "
                       f"or let {_short(unit.label, 60)} move after wave {k}")
