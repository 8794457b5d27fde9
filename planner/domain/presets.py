"""Dated residency presets: the countries a data-protection law allows, as of a date, with its sources.

A policy names one with `preset: gdpr` (or `uk-gdpr`, `lgpd`). The shipped presets
(``planner/data/residency_presets.yaml``) are derived by ``tools/derive_presets.py``. A country
whose adequacy covers only certified recipients (the US under the Data Privacy Framework) is
`conditional`: allowed only on a site whose `certifications` name that certification.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Optional

import yaml

from planner.domain.model import Policy

PRESETS_ORIGIN = "planner/data/residency_presets.yaml"
STALE_AFTER_DAYS = 365  # a preset older than this may no longer be the law: `planner validate` says so


@dataclass(frozen=True)
class Conditional:
    """A country allowed only on sites that declare `certification`."""

    country: str
    certification: str
    scope: str


@dataclass(frozen=True)
class ResidencyPreset:
    """One law's allowed countries as of a date."""

    name: str
    title: str
    legal_basis: str
    as_of: dt.date
    sources: tuple[str, ...]
    countries: frozenset[str]
    conditional: tuple[Conditional, ...]
    scopes: tuple[tuple[str, str], ...]  # (country, the limit of its adequacy) where it is not full

    def is_stale(self, today: dt.date) -> bool:
        """Whether the preset is more than a year older than `today`."""
        return (today - self.as_of).days > STALE_AFTER_DAYS

    @property
    def label(self) -> str:
        """`gdpr (as of 2026-01-27)`: how messages and reports name it."""
        return f"{self.name} (as of {self.as_of.isoformat()})"


def _parse(text: str) -> dict[str, ResidencyPreset]:
    doc = yaml.safe_load(text)
    out: dict[str, ResidencyPreset] = {}
    for name, p in doc["presets"].items():
        out[name] = ResidencyPreset(
            name=name, title=p["title"], legal_basis=p["legal_basis"], as_of=dt.date.fromisoformat(str(p["as_of"])),
            sources=tuple(p["sources"]), countries=frozenset(p["allowed_countries"]),
            conditional=tuple(Conditional(c["country"], c["certification"], c["scope"]) for c in p.get("conditional") or ()),
            scopes=tuple(sorted((p.get("scopes") or {}).items())))
    return out


@lru_cache(maxsize=1)
def residency_presets() -> dict[str, ResidencyPreset]:
    """The shipped presets by name."""
    return _parse(resources.files("planner").joinpath("data/residency_presets.yaml").read_text(encoding="utf-8"))


def preset_names() -> tuple[str, ...]:
    """The names a policy's `preset` may take, sorted."""
    return tuple(sorted(residency_presets()))


@dataclass(frozen=True)
class Residency:
    """What one policy allows, resolved once: countries outright, and countries only on certified sites."""

    countries: frozenset[str]
    conditional: tuple[Conditional, ...]
    preset: Optional[ResidencyPreset]
    written: tuple[str, ...]  # `allowed_countries` as written (codes and group names); empty when not given

    @property
    def text(self) -> str:
        """Where the policy keeps data, as messages and reports say it."""
        if self.preset is None:
            return ", ".join(self.written)
        cond = "".join(f"; {c.country} only on sites certified {c.certification}" for c in self.conditional)
        label = f"{self.preset.name} preset (as of {self.preset.as_of.isoformat()}{cond})"
        return f"{', '.join(self.written)} within the {label}" if self.written else f"the {label}"


def resolve(preset: Optional[str], written: Optional[list[str]], expand: Callable[[list[str]], frozenset[str]]) -> Residency:
    """A policy's residency: the preset's countries, narrowed to `written` (expanded by `expand`) when both are given."""
    p = residency_presets()[preset] if preset is not None else None
    allowed = expand(written) if written is not None else None
    if p is None:
        return Residency(allowed or frozenset(), (), None, tuple(written or ()))
    countries = p.countries if allowed is None else p.countries & allowed
    conditional = tuple(c for c in p.conditional if allowed is None or c.country in allowed)
    return Residency(countries, conditional, p, tuple(written or ()))


def stale_preset_warnings(policies: Iterable[Policy], today: dt.date) -> list[str]:
    """One sentence per preset in use that is more than a year older than `today`, naming the policies that use it."""
    users: dict[str, list[str]] = {}
    for pol in policies:
        if pol.preset in residency_presets():
            users.setdefault(pol.preset, []).append(pol.id)
    out = []
    for name in sorted(users):
        p = residency_presets()[name]
        if p.is_stale(today):
            out.append(f"the residency preset {p.name} is as of {p.as_of.isoformat()}, more than a year before {today.isoformat()} "
                       f"(used by policies {', '.join(sorted(users[name]))}): the law may have changed since; check its sources "
                       f"({', '.join(p.sources)}) and use a newer planner or write the countries in allowed_countries")
    return out
