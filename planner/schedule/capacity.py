"""Capacity between waves: each site's load after every wave, and who frees room for whom."""

from __future__ import annotations

from typing import Mapping

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


def over_capacity(load: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Where `load` exceeds `cap`, with room for the rounding of sums of sizes."""
    return load > cap * (1 + 1e-9) + 1e-6


def interim_breaches(load: np.ndarray, adds: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per wave (row k >= 1 of `load`: after wave k; row 0: today), site and resource: whether capacity between waves
    is broken: over capacity after the wave, unless already over before it and the wave brought nothing there."""
    over = over_capacity(load, cap)
    return over[1:] & (~over[:-1] | (adds[1:] > 0))


class _Room:
    """What every capacity-limited site holds after each wave (row 0: today) and how many workloads each wave brings,
    as units are placed and removed; whether a unit fits a wave without breaking capacity between waves."""

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
        self.reset()
        site_index, index = estate.site_index, estate.workload_index
        self.touch: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per unit: columns, net change, workloads arriving
        for u in units:
            rows = np.array([index[w.id] for w in u.members], dtype=np.int64)
            src = here[rows]
            dst = column[np.array([site_index.get(site_of.get(w.id, ""), -1) for w in u.members], dtype=np.int64)]
            dst = np.where(np.array([w.id in site_of for w in u.members]), dst, -1)
            cols = np.unique(np.concatenate([src[src >= 0], dst[dst >= 0]]))
            delta = np.zeros((len(cols), len(RESOURCES)))
            arrive = np.zeros((len(cols), len(RESOURCES)), dtype=np.int64)
            s, d = np.searchsorted(cols, src), np.searchsorted(cols, dst)
            np.subtract.at(delta, s[src >= 0], sizes[rows[src >= 0]])
            np.add.at(delta, d[dst >= 0], sizes[rows[dst >= 0]])
            np.add.at(arrive, d[dst >= 0], (sizes[rows[dst >= 0]] > 0).astype(np.int64))
            self.touch.append((cols, delta, arrive))

    def reset(self) -> None:
        """Nothing placed: every wave holds what the sites hold today."""
        self.load = np.repeat(self.today[None], self.last + 1, axis=0)
        self.adds = np.zeros(self.load.shape, dtype=np.int64)

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
        cols, delta, arrive = self.touch[i]
        if len(cols):
            self.load[k:, cols] += sign * delta
            self.adds[k, cols] += sign * arrive

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

    def fits(self, i: int, k: int) -> bool:
        cols = self.touch[i][0]
        return not len(cols) or not self.breaches(i, k).any()

    def clean(self) -> bool:
        """Whether no wave breaks capacity between waves."""
        return not interim_breaches(self.load, self.adds, self.cap).any()

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
