"""The wave calendar: each wave's dates, the last wave before a date or the horizon's end, phases."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import numpy as np

from planner.domain.estate import Estate
from planner.domain.model import Criticality, Workload
from planner.domain.workloads import CRITICALITIES


def wave_dates(estate: Estate, number: int) -> tuple[dt.date, dt.date]:
    """First and last day of wave `number` (1-based): consecutive waves of `length_days` from the start."""
    length = estate.scenario.waves.length_days
    start = estate.scenario.start + dt.timedelta(days=(number - 1) * length)
    return start, start + dt.timedelta(days=length - 1)


def high_criticality_apps(estate: Estate) -> set[str]:
    """Apps with any high-criticality workload: they stay out of pilot waves."""
    t = estate.table
    codes = np.unique(t.app.codes[t.criticality == CRITICALITIES.index(Criticality.HIGH)])
    return {t.app.names[c] for c in codes.tolist()}


def last_wave_before(estate: Estate, closes: dt.date) -> int:
    """The last wave number whose end is before `closes` (0 when none is)."""
    length = estate.scenario.waves.length_days
    days = (closes - estate.scenario.start).days  # wave k ends on start + k*length - 1 < closes
    return max(0, days // length)


def last_wave_in_horizon(estate: Estate) -> int:
    """The last wave that ends inside the horizon (on or before the day before `horizon_end`)."""
    return last_wave_before(estate, estate.scenario.horizon_end)


def months_after(estate: Estate, number: int) -> float:
    """Horizon months left after wave `number` ends: `horizon_months * days_left / horizon_days`.

    Savings count from the day after the wave's last day; a month is one `horizon_months`-th of
    the horizon's days, so a move on day one would realise exactly `horizon_months` months.
    """
    scn = estate.scenario
    total = (scn.horizon_end - scn.start).days
    left = (scn.horizon_end - (wave_dates(estate, number)[1] + dt.timedelta(days=1))).days
    return scn.horizon_months * max(0, left) / total


def phase_name(day: dt.date) -> str:
    """The half-year a wave starting on `day` belongs to: `2027-H1`."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def closing_deadline(estate: Estate, w: Workload) -> Optional[dt.date]:
    """The day `w`'s current site closes, if within the horizon."""
    site = estate.site_by_id[w.current_site]
    return site.closes if estate.closes_in_horizon(site) else None
