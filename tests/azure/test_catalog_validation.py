"""A bad catalogue file is a CatalogError naming the file, the SKU or region and what is wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.domain.catalog import CatalogError, load_catalog, parse_catalog
from planner.domain.catalog_schema import MAX_DOCUMENT_BYTES, MAX_PROBLEMS

WE = "westeurope"
GOOD: dict[str, Any] = {
    "format": "azure-vm-catalog/1", "currency": "EUR", "snapshot": False, "snapshot_date": "2026-11-02",
    "source": "test", "regions": {WE: {"disk_gb_month": 0.12, "egress_gb": 0.08}},
    "skus": [
        {"region": WE, "name": "Standard_D2s_v5", "vcpu": 2, "memory_gb": 8.0, "hourly": 0.1, "windows_hourly": 0.19,
         "reserved_1y": 0.06, "reserved_3y": 0.04, "savings_plan_1y": 0.072, "savings_plan_3y": 0.048},
        {"region": WE, "name": "Standard_E4s_v5", "vcpu": 4, "memory_gb": 32.0, "hourly": 0.25},
    ],
}
D2 = "skus[0] (westeurope Standard_D2s_v5)"


def write(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    doc = copy.deepcopy(GOOD)
    change(doc)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(doc, allow_nan=True))
    return path


def error_of(path: Path) -> CatalogError:
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    return err.value


def sku_field(name: str, value: object) -> Callable[[dict[str, Any]], object]:
    return lambda doc: doc["skus"][0].__setitem__(name, value)


def test_the_good_document_reads(tmp_path: Path):
    cat = load_catalog(write(tmp_path, lambda doc: None))
    assert len(cat.skus) == 2 and cat.origin == str(tmp_path / "catalog.json")


@pytest.mark.parametrize("field", ["hourly", "windows_hourly", "reserved_1y", "reserved_3y", "savings_plan_1y",
                                   "savings_plan_3y"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (-0.1, "is -0.1; it must be at least 0"),
        (float("nan"), "is NaN, not a finite number"),
        (float("inf"), "is Infinity, not a finite number"),
        (float("-inf"), "is -Infinity, not a finite number"),
        (1e400, "is Infinity, not a finite number"),  # json writes inf; a huge literal reads as one too
        (True, "is True, not a finite number"),
        ("0.1", "is '0.1', not a finite number"),
        ([0.1], "is [0.1], not a finite number"),
        (10_001.0, "is 10001.0, above the ceiling of 10000 per hour"),
    ],
)
def test_every_price_must_be_finite_non_negative_and_sane(tmp_path: Path, field: str, value: object, reason: str):
    err = error_of(write(tmp_path, sku_field(field, value)))
    assert str(err).startswith(f"{tmp_path / 'catalog.json'}: {D2}: {field} {reason}")


def test_a_huge_literal_is_infinity(tmp_path: Path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(GOOD).replace('"hourly": 0.25', '"hourly": 1e999'))
    assert "skus[1] (westeurope Standard_E4s_v5): hourly is inf, not a finite number" in str(error_of(path))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (sku_field("vcpu", 0), "vcpu is 0, not a whole number from 1 to 4096"),
        (sku_field("vcpu", -2), "vcpu is -2, not a whole number"),
        (sku_field("vcpu", 2.5), "vcpu is 2.5, not a whole number"),
        (sku_field("vcpu", True), "vcpu is True, not a whole number"),
        (sku_field("vcpu", "2"), "vcpu is '2', not a whole number"),
        (sku_field("vcpu", 100_000), "vcpu is 100000, not a whole number from 1 to 4096"),
        (sku_field("memory_gb", 0), "memory_gb is 0; it must be above 0"),
        (sku_field("memory_gb", float("inf")), "memory_gb is Infinity, not a finite number"),
        (sku_field("memory_gb", None), "memory_gb is None, not a finite number"),
        (sku_field("name", ""), "name is '', not a non-empty string"),
        (sku_field("windows_hourly", 0.05), "windows_hourly 0.05 is below hourly 0.1"),
        (lambda doc: doc["skus"][0].pop("hourly"), "hourly (the Linux pay-as-you-go price) is missing"),
    ],
)
def test_sizes_must_be_positive_and_named(tmp_path: Path, change: Callable[[dict[str, Any]], object], reason: str):
    err = error_of(write(tmp_path, change))
    assert "catalog.json: skus[0]" in str(err) and reason in str(err)


def test_a_sku_not_an_object_is_named_by_its_index(tmp_path: Path):
    assert "skus[1] is 'Standard_E4s_v5', not an object" in str(
        error_of(write(tmp_path, lambda doc: doc["skus"].__setitem__(1, "Standard_E4s_v5"))))


def test_a_duplicate_region_and_name_is_rejected(tmp_path: Path):
    err = error_of(write(tmp_path, lambda doc: doc["skus"].append(dict(doc["skus"][0], hourly=0.09))))
    assert "skus[2] (westeurope Standard_D2s_v5): the same region and name as skus[0]" in str(err)


def test_every_skus_region_must_be_priced(tmp_path: Path):
    err = error_of(write(tmp_path, lambda doc: doc["skus"][1].__setitem__("region", "brazilsouth")))
    assert "skus[1] (brazilsouth Standard_E4s_v5): region 'brazilsouth' is not in regions" in str(err)


@pytest.mark.parametrize(
    ("prices", "reason"),
    [
        ({"disk_gb_month": -0.01, "egress_gb": 0.08}, "disk_gb_month is -0.01; it must be at least 0"),
        ({"disk_gb_month": float("nan"), "egress_gb": 0.08}, "disk_gb_month is NaN, not a finite number"),
        ({"disk_gb_month": 101, "egress_gb": 0.08}, "disk_gb_month is 101, above the ceiling of 100 per GB-month"),
        ({"disk_gb_month": 0.12, "egress_gb": "free"}, "egress_gb is 'free', not a finite number"),
        ({"disk_gb_month": 0.12, "egress_gb": float("-inf")}, "egress_gb is -Infinity, not a finite number"),
        ({"disk_gb_month": 0.12}, "egress_gb is missing"),
        ([0.12, 0.08], "its prices are [0.12, 0.08], not an object"),
    ],
)
def test_region_prices_must_be_finite_non_negative_and_sane(tmp_path: Path, prices: object, reason: str):
    err = error_of(write(tmp_path, lambda doc: doc["regions"].__setitem__(WE, prices)))
    assert str(err).startswith(f"{tmp_path / 'catalog.json'}: region 'westeurope': {reason}")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda doc: doc.__setitem__("currency", "eur"), "currency is 'eur', not a three-letter code in capitals"),
        (lambda doc: doc.__setitem__("currency", "EURO"), "currency is 'EURO'"),
        (lambda doc: doc.__setitem__("currency", 978), "currency is 978"),
        (lambda doc: doc.__setitem__("snapshot_date", "02/11/2026"), "snapshot_date is '02/11/2026', not a date"),
        (lambda doc: doc.__setitem__("snapshot", "yes"), "snapshot is 'yes', not true or false"),
        (lambda doc: doc.__setitem__("format", "azure-vm-catalog/2"), "format is 'azure-vm-catalog/2', expected"),
        (lambda doc: doc.__setitem__("skus", {}), "skus is {}, not a list"),
        (lambda doc: doc.pop("regions"), "regions is None, not an object"),
    ],
)
def test_the_header_is_checked(tmp_path: Path, change: Callable[[dict[str, Any]], object], reason: str):
    assert reason in str(error_of(write(tmp_path, change)))


def test_currencies_worth_little_have_proportionate_ceilings(tmp_path: Path):
    def yen(doc: dict[str, Any]) -> None:
        doc["currency"] = "JPY"
        doc["skus"][0].update(hourly=16_000.0, windows_hourly=30_000.0)

    assert load_catalog(write(tmp_path, yen)).currency == "JPY"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "azure-vm-catalog/1", "format": "x"}', "the key 'format' appears twice"),
        ('{"format": ', "not valid JSON at line 1 column 12"),
        ("[]", "the document is list, not a JSON object"),
        ('{"format": "azure-vm-catalog/1", "skus": [{"vcpu": ' + "9" * 5000 + "}]}", "not a valid VM catalogue"),
    ],
)
def test_malformed_documents_are_catalog_errors(text: str, reason: str):
    with pytest.raises(CatalogError, match="^mine.json: ") as err:
        parse_catalog(text, "mine.json")
    assert reason in str(err.value)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path):
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # sparse: no disk or memory spent
        fh.truncate(MAX_DOCUMENT_BYTES + 1)
    message = str(error_of(path))
    assert "more than the" in message and "PLANNER_MAX_CATALOG_BYTES" in message


def test_an_unreadable_or_binary_file_is_a_catalog_error(tmp_path: Path):
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe{}")
    assert "not UTF-8 text" in str(error_of(tmp_path / "bin.json"))
    assert "cannot read the VM catalogue" in str(error_of(tmp_path / "missing.json"))


def test_every_problem_is_listed_and_the_message_counts_them(tmp_path: Path):
    def many(doc: dict[str, Any]) -> None:
        doc["skus"] = [dict(GOOD["skus"][1], name=f"Standard_X{i}", hourly=-1) for i in range(MAX_PROBLEMS + 5)]

    err = error_of(write(tmp_path, many))
    assert len(err.problems) == MAX_PROBLEMS
    assert all(p.startswith(f"{tmp_path / 'catalog.json'}: skus[") for p in err.problems)
    assert str(err).endswith(f"(and {MAX_PROBLEMS + 4} more problems)")


def test_planning_with_a_bad_catalogue_exits_2_naming_the_file_and_every_problem(tmp_path: Path):
    bad = write(tmp_path, lambda doc: (doc["skus"][0].update(hourly=-0.1, savings_plan_3y=float("nan")),
                                       doc["regions"][WE].update(disk_gb_month=float("nan"))))
    inventory = Path(__file__).parents[1] / "fixtures" / "tiny.yaml"
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", str(inventory), "--catalog", str(bad), "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {bad}: region 'westeurope': disk_gb_month is NaN, not a finite number",
        f"error: {bad}: {D2}: hourly is -0.1; it must be at least 0",
        f"error: {bad}: {D2}: savings_plan_3y is NaN, not a finite number",
    ]
    assert "Traceback" not in result.output and not out.exists()


@settings(max_examples=200)
@given(st.one_of(st.text(), st.sampled_from([json.dumps(GOOD)[:n] for n in range(0, len(json.dumps(GOOD)), 7)])))
def test_no_text_gives_anything_but_a_catalogue_or_a_catalog_error(text: str):
    try:
        parse_catalog(text, "g.json")
    except CatalogError as exc:
        assert str(exc).startswith("g.json: ")


@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=12))
def test_any_json_value_in_any_field_is_a_clear_error_or_valid(value: object):
    for change in (sku_field("hourly", value), sku_field("vcpu", value), sku_field("region", value),
                   lambda doc: doc.__setitem__("regions", value), lambda doc: doc.__setitem__("skus", value)):
        doc = copy.deepcopy(GOOD)
        change(doc)
        try:
            parse_catalog(json.dumps(doc), "g.json")
        except CatalogError as exc:
            assert str(exc).startswith("g.json: ")


def test_names_from_the_file_are_escaped_in_messages(tmp_path: Path):
    def hostile(doc: dict[str, Any]) -> None:
        doc["skus"][0].update(name="D2\n\x1b[31merror: all fine", hourly=-1)

    err = str(error_of(write(tmp_path, hostile)))
    assert "\n" not in err and "\x1b" not in err
    assert "skus[0] (westeurope 'D2\\n\\x1b[31merror: all fine'): hourly is -1" in err
