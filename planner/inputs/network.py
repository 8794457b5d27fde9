"""Measured networks: Azure regions and the round-trip latency between them, as Microsoft publishes it.

The tables ship in `planner/data/` (derived by `tools/derive_network.py`; each opens with its source
and date). A pair's figure is the larger of its two directions, so a budget met at it is met both
ways. :func:`azure_network` turns a set of regions into an inventory's `zones` and `latency_ms`.
"""

from __future__ import annotations

import csv
import difflib
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

from planner.base.errors import PlannerError

PERCENTILES = ("p50", "p95")


class UnknownRegion(PlannerError):
    """A region name the shipped table does not have (exit 2)."""


@dataclass(frozen=True)
class Region:
    """An Azure region: its name (`westeurope`), display name, ISO country code, geography and coordinates."""

    region: str
    name: str
    country: str
    geography: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Network:
    """Zones (one per region, its id the region's name) and their measured latency, ready for an inventory."""

    zones: tuple[Region, ...]
    latency_ms: tuple[tuple[str, str, float], ...]
    percentile: str
    source: str
    unmeasured: tuple[tuple[str, str], ...]  # pairs the table has no figure for: no latency budget can hold across them

    def to_yaml(self) -> str:
        """The `zones` and `latency_ms` sections, with the figures' source as a comment."""
        lines = [f"# Azure regions and their round-trip latency ({self.percentile.upper()}, ms), from {self.source}"]
        lines += [f"# not measured (no latency budget can hold across them): {a} - {b}" for a, b in self.unmeasured]
        lines.append("zones:")
        lines += [f"  - {{id: {z.region}, country: {z.country}, name: {json.dumps(z.name)}}}" for z in self.zones]
        lines.append("latency_ms:" if self.latency_ms else "latency_ms: []")
        lines += [f"  - [{a}, {b}, {ms:g}]" for a, b, ms in self.latency_ms]
        return "\n".join(lines) + "\n"


def _lines(name: str) -> tuple[list[str], list[dict[str, str]]]:
    text = resources.files("planner").joinpath("data", name).read_text(encoding="utf-8").splitlines()
    notes = [line[1:].strip() for line in text if line.startswith("#")]
    return notes, list(csv.DictReader(line for line in text if not line.startswith("#")))


@functools.lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    """Every physical Azure region in the shipped table, by name."""
    _, rows = _lines("azure_regions.csv")
    return {r["region"]: Region(r["region"], r["name"], r["country"], r["geography"], float(r["latitude"]), float(r["longitude"]))
            for r in rows}


@functools.lru_cache(maxsize=2)
def latency(percentile: str = "p50") -> tuple[str, dict[tuple[str, str], float]]:
    """(the table's source and date, round-trip ms per region pair in name order) at `percentile` (p50 or p95)."""
    if percentile not in PERCENTILES:
        raise ValueError(f"percentile is one of {', '.join(PERCENTILES)}, not {percentile!r}")
    notes, rows = _lines("azure_latency.csv")
    source = notes[0].removeprefix("source:").strip() if notes else "the shipped table"
    return source, {(r["a"], r["b"]): float(r[f"{percentile}_ms"]) for r in rows}


def azure_network(names: Sequence[str], percentile: str = "p50") -> Network:
    """The zones and latency of these Azure regions (each named once, in any order)."""
    known = regions()
    unknown = [n for n in names if n not in known]
    if unknown:
        hints = []
        for n in unknown:
            close = difflib.get_close_matches(n.lower().replace(" ", ""), list(known), n=3)
            hints.append(f"'{n}'" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise UnknownRegion(f"unknown Azure region {', '.join(hints)}; `planner network --list` shows the {len(known)} known")
    chosen = sorted(set(names))
    source, table = latency(percentile)
    pairs, unmeasured = [], []
    for i, a in enumerate(chosen):
        for b in chosen[i + 1:]:
            ms = table.get((a, b))
            if ms is None:
                unmeasured.append((a, b))
            else:
                pairs.append((a, b, ms))
    return Network(tuple(known[n] for n in chosen), tuple(pairs), percentile, source, tuple(unmeasured))


__all__ = ["Network", "PERCENTILES", "Region", "UnknownRegion", "azure_network", "latency", "regions"]
