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


CHROMIUM_HINT = ("Chromium is not installed, so the browser tests did not run: install it with "
                 "`apt-get install chromium` (Debian/Ubuntu) or point PLANNER_CHROMIUM at a Chromium binary")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """Say plainly, at the end, when the browser tests were skipped and how to run them."""
    # The reason, not the marker: xdist's workers do not send markers back with their reports.
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "Chromium is not installed" in str(r.longrepr)]
    if skipped:
        terminalreporter.write_sep("-", f"{len(skipped)} browser test(s) skipped")
        terminalreporter.write_line(CHROMIUM_HINT)


def pytest_collection_modifyitems(session, config, items) -> None:  # noqa: ANN001
    """Modules holding slow tests first, each kept whole and in order: on xdist's workers the long tests start at
    once and the short ones fill the end, instead of one worker finishing a long test while the other waits."""
    slow_modules = {item.module.__name__ for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.module.__name__ not in slow_modules)  # a stable sort: order kept within each part
