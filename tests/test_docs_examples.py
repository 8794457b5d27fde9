"""Every command shown in the documentation site runs, and the output shown under it is what it prints.

The convention (also stated on docs/index.md):

* a ```` ```console ```` block holds commands, each on a line starting with `$ planner `, and
  below each the output it shows; every shown line must appear in what the command prints
  (on one line, whitespace runs compared as one space; `...` stands for text left out, so
  the pieces between them must appear in that order; a line that is only `...` skips). A
  comment `# exit N` after a command says it exits with N instead of 0;
* a fenced block with a `title="PATH"` (a file the page shows, such as a waivers file or a
  scenario) is written to PATH before the commands that follow it on the page;
* commands that cannot run here go in ```` ```sh ```` or ```` ```bash ```` blocks, and each
  `planner` command among them (or any `$ planner` line outside a console block) must be listed
  in NOT_RUN below with the reason.

Each page runs in its own copy of a folder holding the sample inventory, its plan (`reports/`, one
`planner plan` shared by every page) and the example exports named in EXAMPLE_FILES, in the order
of the site's navigation. docs/tutorial.md is left out: its own test runs it.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
FIXTURES = Path(__file__).parent / "fixtures" / "import"

# Pages whose examples another test runs, or that hold no command a reader types.
SKIP_PAGES = {
    "tutorial.md": "its author's own test runs its commands",
    "reference/cli.md": "generated --help output, checked by tests/test_docs.py",
}

# The export files the pages import, standing in for the reader's own (names as the pages use them).
EXAMPLE_FILES = {
    "RVTools_export.xlsx": FIXTURES / "rvtools_export.xlsx",
    "AzureMigrate_Discovery_Report.xlsx": FIXTURES / "azure_migrate_discovery.xlsx",
    "AzureMigrate_Assessment.xlsx": FIXTURES / "azure_migrate_assessment.xlsx",
    "servers.csv": FIXTURES / "azure_migrate_servers.csv",
    "servers-with-errors.csv": FIXTURES / "broken_am_cells.csv",
    "azure_vm_catalog.json": ROOT / "planner" / "data" / "azure_vm_catalog.json",  # a refreshed catalogue
}

# `planner` commands shown in sh/bash blocks, not run here: (page, the command's start) -> why.
NOT_RUN = {
    ("how-to/importing.md", "planner import azure --subscription"): "needs Azure credentials and a subscription",
    ("how-to/catalogue.md", "planner catalog refresh --subscription"): "calls Azure and the Retail Prices API",
    ("how-to/catalogue.md", "planner catalog refresh --region"): "calls Azure and the Retail Prices API",
    ("how-to/what-if.md", "planner compare inventory/ --scenarios what-if/ --scheduler"): "needs a Dask cluster "
    "(tests/test_compare_cluster.py runs one on 127.0.0.1)",
    ("explanation/rules.md", "planner synth --workloads 100000"): "a 100,000-workload estate takes minutes to plan",
    ("explanation/rules.md", "planner plan est --out out"): "plans that 100,000-workload estate",
}


@dataclass
class Command:
    line: str
    argv: list[str]
    exit_code: int
    shown: list[str] = field(default_factory=list)


@dataclass
class Step:
    """A file to write (path, text) or a command to run, in page order."""

    path: str = ""
    text: str = ""
    command: Command | None = None


FENCE = re.compile(r"^(\s*)(`{3,})\s*([\w+-]*)([^\n]*)$")


def blocks(text: str):
    """(language, attributes, body lines) of every fenced block of a page, in order."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, ticks, lang, attrs = m.groups()
        body, i = [], i + 1
        while i < len(lines) and not lines[i].strip().startswith(ticks):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        yield lang, attrs, body
        i += 1


def steps(page: str, docs: Path = DOCS) -> list[Step]:
    """What a page asks to write and run."""
    out = []
    for lang, attrs, body in blocks((docs / page).read_text(encoding="utf-8")):
        title = re.search(r'title="([^"]+)"', attrs)
        if title:
            out.append(Step(path=title.group(1), text="\n".join(body) + "\n"))
        if lang != "console":
            continue
        for line in body:
            if line.startswith("$ "):
                command = line[2:].strip()
                assert command.startswith("planner "), f"{page}: a console block runs planner commands only: {line}"
                wanted = re.search(r"#\s*exit\s+(\d+)\b", command)  # `# exit 1`, or `# exit 1: why`
                argv = shlex.split(command, comments=True)[1:]
                out.append(Step(command=Command(command, argv, int(wanted.group(1)) if wanted else 0)))
            elif out and out[-1].command is not None and line.strip():
                out[-1].command.shown.append(line.strip())
    return out


def nav_pages() -> list[str]:
    """The site's pages in navigation order."""
    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                yield from walk(value)
            else:
                yield value

    return list(walk(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]))


def pages_with_examples() -> list[str]:
    return [p for p in nav_pages() if p not in SKIP_PAGES and (DOCS / p).is_file() and any(s.command for s in steps(p))]


def squash(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def printed_as_shown(printed: str, shown: str) -> bool:
    """Whether one shown line is in the output: its pieces between `...` in order, on one line."""
    pieces = [squash(p.strip()) for p in shown.split("...") if p.strip()]
    for line in printed.splitlines():
        at = 0
        for piece in pieces:
            at = line.find(piece, at)
            if at < 0:
                break
            at += len(piece)
        else:
            return True
    return not pieces


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    """The sample inventory, its plan in reports/ and the example exports: what every page starts from."""
    base = tmp_path_factory.mktemp("docs-base")
    shutil.copytree(ROOT / "inventory", base / "inventory")
    for name, source in EXAMPLE_FILES.items():
        shutil.copyfile(source, base / name)
    result = run_in(base, ["plan", "--quiet"])
    assert result.exit_code == 0, result.output
    return base


def run_in(folder: Path, argv: list[str]):
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, argv, prog_name="planner", catch_exceptions=False)
    finally:
        os.chdir(here)


@pytest.mark.slow
@pytest.mark.parametrize("page", pages_with_examples())
def test_every_command_on_the_page_runs_and_prints_what_it_shows(page, planned, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(planned, work)
    for step in steps(page):
        if step.command is None:
            target = work / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
            continue
        command = step.command
        result = run_in(work, command.argv)
        said = f"{page}: $ {command.line}\n{result.output}"
        assert result.exit_code == command.exit_code, said
        printed = squash(result.output)
        for shown in command.shown:
            assert printed_as_shown(printed, shown), f"{page}: not printed: {shown!r}\n{said}"


def test_every_command_a_page_does_not_run_is_listed_with_its_reason():
    listed = set()
    for page in nav_pages():
        if page in SKIP_PAGES or not (DOCS / page).is_file():
            continue
        for lang, _attrs, body in blocks((DOCS / page).read_text(encoding="utf-8")):
            if lang == "console":
                continue
            for line in body:
                # a prompt shows a command in any block; a shell block's lines are commands without one
                prompted = line.strip().startswith("$ planner ")
                text = line.strip().removeprefix("$ ")
                if not (prompted or (lang in ("sh", "bash", "shell") and text.startswith("planner "))):
                    continue
                key = next((k for k in NOT_RUN if k[0] == page and text.startswith(k[1])), None)
                assert key is not None, f"{page}: `{text}` is not run: write it in a console block, or list it in NOT_RUN with why"
                listed.add(key)
    assert listed == set(NOT_RUN), f"NOT_RUN lists commands no page shows any more: {sorted(set(NOT_RUN) - listed)}"


def test_a_console_block_is_read_as_commands_outputs_and_exit_codes(tmp_path):
    (tmp_path / "page.md").write_text(
        '```yaml title="ci/w.yaml"\nwaivers: []\n```\n\n```console\n$ planner check inventory/ --baseline x.json  '
        '# exit 1\nFAIL: ...\n\n$ planner validate inventory/\nok\n```\n', encoding="utf-8")
    got = steps("page.md", tmp_path)
    assert [s.path for s in got] == ["ci/w.yaml", "", ""] and got[0].text == "waivers: []\n"
    assert got[1].command.argv == ["check", "inventory/", "--baseline", "x.json"] and got[1].command.exit_code == 1
    assert got[1].command.shown == ["FAIL: ..."] and got[2].command.shown == ["ok"] and got[2].command.exit_code == 0


def test_shown_output_matches_pieces_in_order_on_one_line():
    printed = squash("3 workloads move, horizon cost +1,234.19 (+0.0%)\n  horizon_cost:  9,520,186.17 -> 9,521,420.36  +1,234.19\n")
    assert printed_as_shown(printed, "...horizon cost +1,234.19 (+0.0%)")
    assert printed_as_shown(printed, "horizon_cost: ... +1,234.19") and printed_as_shown(printed, "...")
    assert not printed_as_shown(printed, "horizon_cost: ... +9.99")
    assert not printed_as_shown(printed, "+1,234.19 ... horizon_cost:")  # order matters
    assert not printed_as_shown(printed, "3 workloads ... 9,520,186.17")  # on one line
