"""Regression tests of the loader against hostile or careless inventories: one test per defect found.

Each runs `planner validate` (and, where a plan was wrongly made, `plan` or `verify`) through
click's CliRunner with catch_exceptions=False, so a traceback fails the test, and checks exit 2
with the file, line and field named.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import yaml
from click.testing import CliRunner
from helpers import BASE, workload
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import load_inventory
from planner.base.errors import InventoryError
from planner.cli import main
from planner.inputs.load.countries import ISO_3166_ALPHA2
from planner.inputs.yamlio import YamlProblem, load_yaml


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(tmp_path: Path, mutate: Optional[Callable[[dict], None]] = None, raw: Optional[dict[str, str]] = None,
          name: str = "inv.yaml") -> Path:
    """BASE with two workloads, `mutate`d; each string value `@KEY@` becomes the YAML text `raw[KEY]`, unquoted."""
    doc: dict[str, Any] = copy.deepcopy(BASE)
    doc["workloads"] = [workload("web-01", data=["personal-eu"]), workload("db-01", app="app2")]
    if mutate:
        mutate(doc)
    text = yaml.safe_dump(doc, sort_keys=False, width=10_000)
    for key, token in (raw or {}).items():
        assert f"@{key}@" in text, key
        text = text.replace(f"'@{key}@'", token).replace(f"@{key}@", token)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def rejected(path: Path) -> list[str]:
    """validate's error lines for `path`, which must exit 2 without a traceback."""
    result = run("validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return [line.removeprefix("error: ") for line in result.stderr.splitlines() if line.startswith("error: ")]


def loaded(path: Path):
    return load_inventory(path)


# --- 1. countries -------------------------------------------------------------------------------

def test_a_country_group_may_not_take_the_name_of_a_country(tmp_path):
    # {FR: [BR]} would make "FR" mean Brazil wherever a policy names FR: EU personal data planned into Brazil.
    path = write(tmp_path, lambda d: d["countries"].update({"FR": ["BR"]}))
    (issue,) = rejected(path)
    assert issue.startswith(f"{path}:{line_of(path, 'FR:')}: countries.FR: 'FR' is the ISO 3166-1 code of a country")
    assert run("plan", path, "--out", tmp_path / "out", "--no-reports").exit_code == 2
    assert not (tmp_path / "out" / "plan.json").exists()
    # verify and check, which passed such a plan, now refuse the inventory.
    base = write(tmp_path, name="base.yaml")
    assert run("plan", base, "--out", tmp_path / "base", "--no-reports", "--quiet").exit_code == 0
    assert run("verify", path, tmp_path / "base" / "plan.json").exit_code == 2
    checked = run("check", path, "--baseline", tmp_path / "base" / "plan.json", "--quiet")
    assert checked.exit_code == 2 and "countries.FR" in checked.stdout


@pytest.mark.parametrize("where", ["zone", "group", "policy"])
@pytest.mark.parametrize("code", ["ON", "XX", "QQ", "ZZ"])
def test_country_codes_must_be_iso_3166_alpha_2(tmp_path, where, code):
    setters = {"zone": lambda d: d["zones"][0].update(country=code),
               "group": lambda d: d["countries"]["EU"].append(code),
               "policy": lambda d: d["policies"][1].update(allowed_countries=["BR", code])}
    path = write(tmp_path, setters[where])
    (issue,) = rejected(path)
    assert f"'{code}' is not an ISO 3166-1 alpha-2 country code" in issue
    field = {"zone": "zones[madrid].country", "group": "countries.EU", "policy": "policies[lgpd].allowed_countries"}[where]
    assert f": {field}: " in issue


def test_uk_is_pointed_to_gb_and_group_names_like_eu_are_fine(tmp_path):
    (issue,) = rejected(write(tmp_path, lambda d: d["zones"][0].update(country="UK")))
    assert "that country's code is GB" in issue
    groups = {"EU": ["ES", "DE", "FR", "PT"], "EEA": ["EU", "NO", "IS", "LI"], "EU_ADEQUACY": ["GB", "CH"], "OPERATING": ["EEA", "BR"]}
    inv = loaded(write(tmp_path, lambda d: d.update(countries=groups), name="groups.yaml"))
    assert inv.countries["EEA"] == ("EU", "NO", "IS", "LI")


def test_the_code_list_is_iso_3166_1():
    assert len(ISO_3166_ALPHA2) == 249
    assert {"ES", "GB", "BR", "NO", "SS", "CW", "AX"} <= ISO_3166_ALPHA2
    assert not {"EU", "UK", "XK", "XX", "ON", "AN", "YU"} & ISO_3166_ALPHA2  # reserved, user-assigned or withdrawn


# --- 2. tracebacks and exit 1 instead of 2 --------------------------------------------------------

def test_impossible_unquoted_dates_are_field_errors(tmp_path):
    path = write(tmp_path, lambda d: (d["scenario"].update(start="@START@"), d["sites"][0].update(closes="@CLOSES@")),
                 raw={"START": "2027-02-30", "CLOSES": "2027-13-01"})
    issues = rejected(path)
    assert f"{path}:{line_of(path, 'start:')}: scenario.start: there is no such day (day is out of range for month) (got '2027-02-30')" in issues
    assert any(i.startswith(f"{path}:{line_of(path, 'closes:')}: sites[mad-dc1].closes: there is no such day") for i in issues)


def test_a_start_that_would_overflow_the_calendar_is_refused(tmp_path):
    issues = rejected(write(tmp_path, lambda d: d["scenario"].update(start="@S@"), raw={"S": "9999-12-31"}))
    assert any("scenario.start: a day from 1970-01-01 to 2199-12-31 is expected" in i for i in issues)
    # The last day allowed, with the longest horizon, still plans.
    path = write(tmp_path, lambda d: d["scenario"].update(start="@S@", horizon_months=600), raw={"S": "2199-12-31"}, name="late.yaml")
    assert loaded(path).scenario.horizon_end.year == 2249


def test_dates_are_written_as_days(tmp_path):
    for token in ("20270101", "2027-01-01T10:00:00", "1700000000", "2027-1-1"):
        issues = rejected(write(tmp_path, lambda d: d["scenario"].update(start="@S@"), raw={"S": token}))
        assert any("scenario.start: expected a date like 2027-03-31" in i for i in issues), (token, issues)


def test_an_impossible_waiver_expiry_exits_2(tmp_path):
    inv = write(tmp_path, lambda d: d.update(workloads=[workload("web-01")]))
    assert run("plan", inv, "--out", tmp_path / "base", "--no-reports", "--quiet").exit_code == 0
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: capacity\n    workload: web-01\n    reason: accepted\n    expires: 2027-02-30\n", encoding="utf-8")
    result = run("check", inv, "--baseline", tmp_path / "base" / "plan.json", "--waivers", waivers, "--quiet")
    assert result.exit_code == 2, result.output
    assert f"{waivers}:5: waivers[0].expires: there is no such day (day is out of range for month), got '2027-02-30'" in result.stdout


def test_integers_of_thousands_of_digits_are_refused_at_their_line(tmp_path):
    path = write(tmp_path, lambda d: (d["workloads"][0].update(vcpu="@BIG@")), raw={"BIG": "9" * 5000})
    (issue,) = rejected(path)
    assert issue == (f"{path}:{line_of(path, '99999')}: `vcpu`: a number of 5000 digits; no value in an inventory is that large "
                     "(a float holds below 1.8e308)")
    hexa = write(tmp_path, lambda d: d["scenario"].update(horizon_months="@H@"), raw={"H": "0x" + "f" * 400}, name="hex.yaml")
    assert "`horizon_months`: a number of 1600 bits" in rejected(hexa)[0]


def test_values_an_explicit_tag_cannot_hold_are_refused_at_their_line(tmp_path):
    for token in ("!!int twelve", "!!timestamp 2027-02-30", "!!float x"):
        path = write(tmp_path, lambda d: d["scenario"].update(horizon_months="@H@"), raw={"H": token})
        (issue,) = rejected(path)
        assert issue.startswith(f"{path}:{line_of(path, 'horizon_months')}: `horizon_months`: "), issue


# --- 3. numbers --------------------------------------------------------------------------------

def test_yaml_numbers_are_yaml_1_2():
    doc = load_yaml("a: 010\nb: 1:30\nc: 0x1F\nd: 0o17\ne: 1e3\nf: 1_000\ng: .5\nh: NO\ni: 2027-01-01\nj: =\n")
    assert doc == {"a": 10, "b": "1:30", "c": 31, "d": 15, "e": 1000.0, "f": "1_000", "g": 0.5, "h": "NO", "i": "2027-01-01", "j": "="}
    assert type(doc["a"]) is int and type(doc["e"]) is float


@settings(max_examples=200)
@given(st.integers(-(10**30), 10**30), st.integers(0, 3))
def test_any_decimal_integer_reads_as_itself_even_with_leading_zeros(n, zeros):
    text = ("-" if n < 0 else "") + "0" * zeros + str(abs(n))
    assert load_yaml(f"v: {text}") == {"v": n}


@settings(max_examples=200)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_reads_as_itself(x):
    assert load_yaml(f"v: {x!r}") == {"v": x}


def test_octal_looking_and_sexagesimal_values(tmp_path):
    inv = loaded(write(tmp_path, lambda d: d["workloads"][0].update(vcpu="@V@"), raw={"V": "010"}))
    assert inv.workloads.vcpu[list(inv.workloads.ids).index("web-01")] == 10
    (issue,) = [i for i in rejected(write(tmp_path, lambda d: d["workloads"][0].update(vcpu="@V@"), raw={"V": "1:30"})) if "web-01" in i]
    assert issue.endswith("workloads[web-01].vcpu: must be a number greater than 0 and at most 100000; got '1:30'")


@pytest.mark.parametrize("token", [".inf", "-.inf", ".nan", ".NaN", "1e999"])
@pytest.mark.parametrize("field", ["workload vcpu", "dependency max_latency_ms", "user max_latency_ms", "capacity", "price", "latency",
                                   "intra_zone_ms"])
def test_numbers_must_be_finite_where_numbers_are_read(tmp_path, token, field):
    path = write(tmp_path, _set_number(field), raw={"N": token})
    assert rejected(path), field


@pytest.mark.parametrize("field", ["workload vcpu", "dependency max_latency_ms", "user max_latency_ms", "capacity", "price", "latency",
                                   "intra_zone_ms", "horizon_months", "max_workloads", "hybrid_benefit_number"])
@pytest.mark.parametrize("token", ["true", "'12'"])
def test_booleans_and_text_are_not_numbers(tmp_path, field, token):
    if field == "hybrid_benefit_number":  # and a number is not a boolean
        path = write(tmp_path, lambda d: d["scenario"].update(pricing={"azure": "payg", "hybrid_benefit": "@N@"}), raw={"N": "1"})
    else:
        path = write(tmp_path, _set_number(field), raw={"N": token})
    assert rejected(path), field


@pytest.mark.parametrize("field, token", [("capacity", "1.0e+300"), ("price", "1.0e+308"), ("latency", "1e7"), ("intra_zone_ms", "2e6"),
                                          ("workload memory_gb", "1.0e+300"), ("max_workloads", "100000000"),
                                          ("time_limit_s", "1.0e+300"), ("max_effort_hours", "1e300")])
def test_sizes_and_prices_have_upper_bounds(tmp_path, field, token):
    issues = rejected(write(tmp_path, _set_number(field), raw={"N": token}))
    assert any("less than or equal to" in i or "at most" in i or "from 0 to" in i for i in issues), issues


def _set_number(field: str) -> Callable[[dict], None]:
    def mutate(d: dict) -> None:
        w = d["workloads"][0]
        {
            "workload vcpu": lambda: w.update(vcpu="@N@"),
            "workload memory_gb": lambda: w.update(memory_gb="@N@"),
            "dependency max_latency_ms": lambda: w.update(depends_on=[{"workload": "db-01", "max_latency_ms": "@N@"}]),
            "user max_latency_ms": lambda: w.update(users=[{"zone": "madrid", "max_latency_ms": "@N@"}]),
            "capacity": lambda: d["sites"][0].update(capacity={"vcpu": "@N@"}),
            "price": lambda: d["sites"][0]["cost"].update(vcpu_month="@N@"),
            "latency": lambda: d["latency_ms"][0].__setitem__(2, "@N@"),
            "intra_zone_ms": lambda: d["scenario"].update(intra_zone_ms="@N@"),
            "horizon_months": lambda: d["scenario"].update(horizon_months="@N@"),
            "max_workloads": lambda: d["scenario"].update(waves={"max_workloads": "@N@"}),
            "max_effort_hours": lambda: d["scenario"].update(waves={"max_effort_hours": "@N@"}),
            "time_limit_s": lambda: d["scenario"].update(solver={"time_limit_s": "@N@"}),
        }[field]()
    return mutate


def test_the_largest_prices_cannot_overflow_a_plan(tmp_path):
    # At every upper bound at once the totals stay finite numbers: plan.json is JSON (no Infinity).
    def mutate(d: dict) -> None:
        d["sites"][0]["cost"] = {"vcpu_month": 1e7, "memory_gb_month": 1e7, "storage_gb_month": 1e7, "egress_gb": 1e7,
                                 "windows_vcpu_month": 1e7}
        d["scenario"].update(horizon_months=600, default_migration_cost=1e9)
        big = {"vcpu": 100_000, "memory_gb": 1_000_000, "storage_gb": 1e8, "os": "windows", "migration_cost": 1e9}
        d["workloads"] = [workload("big-01", pin="mad-dc1", depends_on=[{"workload": "big-02", "traffic_gb_month": 1e9}], **big),
                          workload("big-02", current_site="az-fra", pin="az-fra", **big)]
    path = write(tmp_path, mutate)
    result = run("plan", path, "--out", tmp_path / "out", "--no-reports", "--quiet", "--time-limit", "30")
    assert result.exit_code == 0, result.output
    assert rejected(write(tmp_path, lambda d: (mutate(d), d["sites"][0]["cost"].update(egress_gb=1.1e7)), name="over.yaml"))
    text = (tmp_path / "out" / "plan.json").read_text(encoding="utf-8")
    assert "Infinity" not in text and "NaN" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in plan.json"))


# --- 8. limits ---------------------------------------------------------------------------------

def test_free_text_is_bounded(tmp_path):
    ok = write(tmp_path, lambda d: d["sites"][0].update(name="n" * 1000, certifications=["c" * 1000]), name="ok.yaml")
    assert loaded(ok)
    for mutate, field in ((lambda d: d["sites"][0].update(name="n" * 1001), "sites[mad-dc1].name"),
                          (lambda d: d["zones"][0].update(name="n" * 200_000), "zones[madrid].name"),
                          (lambda d: d["policies"][0].update(description="d" * 1001), "policies[gdpr].description"),
                          (lambda d: d["sites"][1].update(certifications=["c" * 1001]), "sites[az-fra].certifications[0]")):
        issues = rejected(write(tmp_path, mutate))
        assert any(f": {field}: String should have at most 1000 characters" in i for i in issues), issues


def test_a_huge_name_costs_little(tmp_path):
    # A 20 MB zone name referred to from latency_ms: one error, no did-you-mean over 20 MB of text.
    path = write(tmp_path, lambda d: d["latency_ms"].append(["@Z@", "madrid", 3]), raw={"Z": "z" * 20_000_000})
    (issue,) = rejected(path)
    assert "unknown zone 'zzzz" in issue and "did you mean" not in issue and len(issue) < 400


def test_a_yaml_file_larger_than_the_bound_is_one_clear_error(tmp_path, monkeypatch):
    import planner.inputs.yamlio

    path = write(tmp_path)
    monkeypatch.setattr(planner.inputs.yamlio, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(InventoryError) as exc:
        load_inventory(path)
    (issue,) = exc.value.issues
    assert issue.file == str(path) and "larger than" in issue.message and "tables" in issue.message
    with pytest.raises(YamlProblem):
        planner.inputs.yamlio.read_yaml_text(path)


# --- 9. one typo, one error --------------------------------------------------------------------

def _many(d: dict, n: int = 30) -> None:
    d["workloads"] = [workload(f"w{i:02d}", users=[{"zone": "madrid", "max_latency_ms": 50}]) for i in range(n)]


def test_a_typo_in_a_site_is_one_error_and_its_references_point_at_it(tmp_path):
    def mutate(d: dict) -> None:
        _many(d)
        d["sites"][0]["kind"] = "onprme"  # mad-dc1, which every workload runs on
    path = write(tmp_path, mutate)
    first, refs = sorted(rejected(path), key=lambda i: "kind" not in i)
    site_line = line_of(path, "onprme")
    assert first.startswith(f"{path}:{site_line}: sites[mad-dc1].kind: Input should be 'onprem', 'azure' or 'edge'")
    assert f"site 'mad-dc1' is defined with errors (see the first error at {path}:{site_line}); fix it there" in refs
    assert "referred to 30 times" in refs and "did you mean" not in refs


def test_a_misspelt_zone_is_told_once_per_stage_with_the_right_suggestion(tmp_path):
    def mutate(d: dict) -> None:
        _many(d)
        d["zones"][0]["id"] = "madird"
    issues = rejected(write(tmp_path, mutate))
    assert len(issues) == 2, issues  # the topology's references (latency, a site) and the workloads' users
    assert all("unknown zone 'madrid'; did you mean 'madird'?" in i for i in issues)
    assert any("referred to 30 times" in i for i in issues) and any("referred to 3 times" in i for i in issues)


def test_a_zone_with_errors_is_not_suggested_against(tmp_path):
    def mutate(d: dict) -> None:
        _many(d, 3)
        d["zones"][0]["colour"] = "red"
    path = write(tmp_path, mutate)
    issues = rejected(path)
    root = f"{path}:{line_of(path, 'colour')}"
    assert f"{root}: zones[madrid].colour: unknown field (allowed: id, country, name)" in issues  # no did-you-mean 'country'
    refs = [i for i in issues if f"zone 'madrid' is defined with errors (see the first error at {root})" in i]
    assert len(refs) == 2 and len(issues) == 3 and not any("did you mean" in i for i in issues)


def test_unknown_references_in_different_files_name_the_files(tmp_path):
    inv = tmp_path / "inv"
    inv.mkdir()
    doc = copy.deepcopy(BASE)
    doc.pop("workloads")
    (inv / "base.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    for k in range(4):
        (inv / f"apps{k}.yaml").write_text(yaml.safe_dump({"workloads": [workload(f"w{k}", current_site="mad-dc2")]}), encoding="utf-8")
    (issue,) = rejected(inv)
    assert "unknown site 'mad-dc2'; did you mean 'mad-dc1'? (referred to 4 times in" in issue
    assert "apps0.yaml" in issue and ", ...; shown once)" in issue
