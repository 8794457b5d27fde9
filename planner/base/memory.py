"""The memory a plan may use, and a clear stop before a stage would run out of it.

Each large stage estimates what it is about to allocate from the sizes it already knows (workloads,
sites, admissible placements) and stops with :class:`~planner.base.errors.EstateTooLarge` when that,
on top of what the process already holds, exceeds the budget: `scenario.solver.memory_gb`, or
else what the machine has available when the plan starts. The estimates are per unit figures
measured on the synthetic estates (see the docs' *Memory* section), rounded up.
"""

from __future__ import annotations

import os
import resource
import sys
from dataclasses import dataclass
from typing import Optional

from planner.base.errors import EstateTooLarge

# Bytes per unit, measured at a million workloads and rounded up.
CANDIDATE_PAIR = 40  # a (workload, site) pair while the candidates are built and pruned (2.8 GB for 72M pairs at 1M)
MODEL_ENTRY = 520  # a modelled placement in the core model, its egress and latency rows, pool buffers and plans
PLAN_WORKLOAD = 1_200  # a workload in the plan: its assignment, the waves, the verifier's columns and the JSON text


def resident_bytes() -> int:
    """The memory this process holds now (its resident set)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def available_bytes() -> int:
    """What the machine can still give this process: MemAvailable, else its physical memory."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return 1 << 62


@dataclass(frozen=True)
class Budget:
    """A ceiling on this process's memory, in bytes, and where it came from."""

    limit: int
    source: str  # "scenario.solver.memory_gb" or "available on this machine"

    @classmethod
    def of(cls, memory_gb: Optional[float]) -> "Budget":
        """The budget a plan runs under: the setting when given, else what is available now plus what is held."""
        if memory_gb is not None:
            return cls(int(memory_gb * 1e9), "scenario.solver.memory_gb")
        return cls(resident_bytes() + available_bytes(), "available on this machine")

    def ensure(self, stage: str, size: str, need: int) -> None:
        """Stop with EstateTooLarge when `need` more bytes would take the process past the budget."""
        held = resident_bytes()
        if held + need > self.limit:
            raise EstateTooLarge(stage, size, held + need, self.limit, self.source)
