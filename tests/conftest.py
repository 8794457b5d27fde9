import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_azure_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody's Azure login leaks into a test run."""
    for key in list(os.environ):
        if key.startswith("AZURE_"):
            monkeypatch.delenv(key, raising=False)


# The suite is deterministic: the same examples on every run, so CI fails only on a change, never on luck.
# HYPOTHESIS_PROFILE=explore draws fresh examples on every run, to hunt for new failures locally.
from hypothesis import settings  # noqa: E402

settings.register_profile("default", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
