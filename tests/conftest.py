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
