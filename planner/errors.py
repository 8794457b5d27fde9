"""Errors the planner reports to people: bad input with its location."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in an input file: where it is, which field, what is wrong and what would be right."""

    file: str
    line: int
    field: str
    message: str
    row: int = 0  # a Parquet table's row (the first data row is 1), where a line means nothing

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (f"{self.file}: row {self.row}" if self.row else self.file)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InventoryError(Exception):
    """An inventory that cannot be planned; `issues` lists every problem found, sorted."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))


class PlanFileError(Exception):
    """A plan.json that cannot be read."""
