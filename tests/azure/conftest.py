"""Fixtures for the Azure sources: a clean environment, the stand-in server, a fake credential."""

from __future__ import annotations

import os
from typing import Iterator

import pytest
from standin import FakeCredential, StandIn, running


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No one's Azure login or endpoint overrides leak into a test."""
    for key in list(os.environ):
        if key.startswith("AZURE_") or key in ("PLANNER_ARM_ENDPOINT", "PLANNER_PRICES_ENDPOINT"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A running stand-in for ARM and the prices API; its `url` is the base of both."""
    with running() as state:
        yield state


@pytest.fixture
def credential() -> FakeCredential:
    return FakeCredential()
