"""Site templates: ``--site 'az-{region}'`` or ``--site '{datacenter}-{cluster}'``.

A template is a site id with placeholders, each replaced per VM by a value from the source
(its Azure region; its vSphere datacenter, cluster or host). A value becomes part of a valid
site id: accents dropped, lower-cased, every run of characters other than letters, digits,
``.`` and ``_`` turned into one ``-``, and ``-``, ``.`` and ``_`` trimmed from both ends
(``DC Madrid / Prod`` -> ``dc-madrid-prod``), so a part starts and ends with a letter or digit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping, Sequence

from planner.base.errors import PlannerError

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$")
_BAD = re.compile(r"[^a-z0-9_.]+")
MAX_ID = 200


class TemplateError(PlannerError, ValueError):
    """A template that cannot make site ids: unknown placeholder, stray brace, invalid characters."""


@dataclass(frozen=True)
class SiteTemplate:
    """A parsed ``--site`` value and the placeholders it uses, in order of first use."""

    text: str
    placeholders: tuple[str, ...]

    def render(self, values: Mapping[str, str]) -> str:
        """The site id for one VM; `values` holds each placeholder's raw value (made id-safe here)."""
        return _PLACEHOLDER.sub(lambda m: site_part(values[m.group(1)]), self.text)


def site_part(value: str) -> str:
    """A source value (datacenter, cluster, host, region) as part of a site id."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _BAD.sub("-", ascii_value.lower()).strip("-._")


def parse_template(text: str, allowed: Sequence[str]) -> SiteTemplate:
    """Check `text` against the placeholders `allowed` (none: a plain site id)."""
    used: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in allowed:
            known = ", ".join("{" + a + "}" for a in allowed) if allowed else "none here"
            raise TemplateError(f"unknown placeholder {{{name}}} in {text!r} (known: {known})")
        if name not in used:
            used.append(name)
    probe = _PLACEHOLDER.sub("x", text)
    if "{" in probe or "}" in probe:
        raise TemplateError(f"{text!r} has an unmatched brace")
    if not _SITE_ID.match(probe) or len(probe) > MAX_ID:
        raise TemplateError(f"{text!r} is not a site id (letters, digits and _.:/@+- , starting with a letter "
                            "or digit)")
    return SiteTemplate(text, tuple(used))
