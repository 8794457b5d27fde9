"""docs/tutorial.md runs as written: every `$ planner ...` line of its ```console blocks, in order, in a fresh folder
holding the real-format exports under the names the tutorial uses, with its ```yaml title="FILE"``` blocks written
as those files where they appear. A command ends with `# exit N` when N is the exit code it must give (else 0)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main

ROOT = Path(__file__).parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
FIXTURES = ROOT / "tests" / "fixtures" / "import"
EXPORTS = {"RVTools_export.xlsx": "rvtools_export.xlsx", "AzureMigrate_Discovery.xlsx": "azure_migrate_discovery.xlsx"}
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_TITLE = re.compile(r'title="([^"]+)"')
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def steps(text: str) -> list[tuple[str, str, object]]:
    """('run', command line, expected exit) and ('write', file name, text), in the tutorial's order."""
    out: list[tuple[str, str, object]] = []
    for lang, info, body in _BLOCK.findall(text):
        if lang == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    command = line[2:]
                    m = _EXIT.search(command)
                    out.append(("run", _EXIT.sub("", command), int(m.group(1)) if m else 0))
        elif lang == "yaml" and _TITLE.search(info):
            out.append(("write", _TITLE.search(info).group(1), body))
    return out


def test_the_tutorial_is_made_of_runnable_steps():
    found = steps(TUTORIAL.read_text(encoding="utf-8"))
    commands = [s[1] for s in found if s[0] == "run"]
    assert all(c.startswith("planner ") for c in commands), "only planner commands run through CliRunner"
    for verb in ("init", "validate", "plan", "verify", "explain", "export", "compare"):
        assert any(c.split()[1] == verb for c in commands), f"the tutorial shows no `planner {verb}`"
    assert {s[1] for s in found if s[0] == "write"} == {"answers.yaml", "answers-am.yaml"}


@pytest.mark.slow
def test_the_tutorial_runs_from_export_to_reports(tmp_path, monkeypatch):
    for name, fixture in EXPORTS.items():
        shutil.copyfile(FIXTURES / fixture, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    text = TUTORIAL.read_text(encoding="utf-8")
    printed = []
    for kind, what, payload in steps(text):
        if kind == "write":
            (tmp_path / what).write_text(str(payload), encoding="utf-8")
            continue
        args = shlex.split(what)[1:]
        if args[0] == "compare":
            args += ["--workers", "1"]  # the test machine's cores are shared; the files are the same either way
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code == payload, f"$ {what}\n{result.output}"
        if args[0] == "validate" and payload == 2:
            lines = [ln for ln in result.output.splitlines() if ln.startswith("error: ")]
            assert lines and all(": placeholder: " in ln for ln in lines), result.output
            printed += result.output.splitlines()
    shown = [ln for lang, _, body in _BLOCK.findall(text) if lang == "text" for ln in body.splitlines() if ln.startswith("error: ")]
    assert shown and all(ln in printed for ln in shown), "the tutorial's sample output is not what validate prints"
    for plan_dir in ("estate/plan", "am/plan"):
        plan = json.loads((tmp_path / plan_dir / "plan.json").read_text(encoding="utf-8"))
        assert plan["status"] == "optimal", plan_dir
        for report in ("executive.html", "roadmap.html", "compliance.html", "executive.md"):
            assert (tmp_path / plan_dir / report).stat().st_size > 0
    assert (tmp_path / "estate" / "worklist.xlsx").stat().st_size > 0
    comparison = json.loads((tmp_path / "estate" / "comparison" / "comparison.json").read_text(encoding="utf-8"))
    assert "what-if-close-biggest-site" in json.dumps(comparison)


def test_the_sample_what_ifs_ship_as_the_docs_show_them():
    """The overlays beside the sample inventory (what-if/) are the files the what-if page shows (and its test plans)."""
    shipped = sorted(p.name for p in (ROOT / "what-if").glob("*.yaml"))
    assert shipped == ["close-bcn.yaml", "reserved-3y.yaml"]
    page = (ROOT / "docs" / "how-to" / "what-if.md").read_text(encoding="utf-8")
    for name in shipped:
        block = re.search(r'```yaml title="what-if/' + re.escape(name) + r'"\n(.*?)```', page, re.S)
        assert block, name
        body = (ROOT / "what-if" / name).read_text(encoding="utf-8")
        assert yaml.safe_load(block.group(1)) == yaml.safe_load(body), name
