"""Why no plan exists, in inventory terms: the shape every stage reports problems in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """The rule(s), the workloads, the sites and a sentence a person can act on."""

    rule: str
    workloads: tuple[str, ...]
    sites: tuple[str, ...]
    message: str
    groups: tuple[str, ...] = ()  # the move groups concerned, when there are too many to name in the sentence

    def to_json(self) -> dict:
        return {"rule": self.rule, "workloads": list(self.workloads), "sites": list(self.sites), "message": self.message,
                **({"groups": list(self.groups)} if self.groups else {})}
