"""`planner init`: a new inventory folder from an export (RVTools, Azure Migrate, a workloads table) or from nothing.

The folder holds `inventory/` (the workloads as the importer writes them; `topology.yaml` with a site
and zone per data centre or cluster the workloads name, and the Azure regions asked for with their
measured latency; `policies.yaml` from the dated residency presets; `scenario.yaml`), `scenarios/`
(what-if overlays that work on it), `waivers.example.yaml` and a `README.md` saying what to fill in.
Overlays and waivers sit beside `inventory/`, never in it: every YAML file below an inventory folder is
part of the inventory. What the export cannot know is a placeholder
(:mod:`planner.inputs.load.placeholders`); an answers file fills placeholders by the field
`planner validate` names, so a scaffold is remade whole from the export and the answers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.base.errors import Issue, PlannerError
from planner.base.untrusted import markdown, one_line
from planner.domain.model import add_months
from planner.domain.presets import residency_presets
from planner.inputs.importers.common import ImportResult, text
from planner.inputs.importers.emit import render_yaml
from planner.inputs.importers.workload_table import write_workloads_table
from planner.inputs.load.placeholders import (
    find_placeholders,
    placeholder,
    placeholder_what,
)
from planner.inputs.load.schema import ID_PATTERN
from planner.inputs.network import Network, UnknownRegion, azure_network
from planner.inputs.network import regions as known_regions
from planner.inputs.table_format import LIST_SEPARATOR
from planner.inputs.yamlio import LineDict, YamlProblem, load_yaml

DEFAULT_REGIONS = ("westeurope", "northeurope", "swedencentral", "francecentral", "germanywestcentral")
SOURCES = ("rvtools", "azure-migrate", "table")
TABLE_ABOVE = 20_000  # an import larger than this is written as a Parquet workloads table rather than YAML
INVENTORY = "inventory"
SCENARIOS = "scenarios"
WAIVERS = "waivers.example.yaml"
_POLICIES = (  # (policy id, data class, preset, what the data is)
    ("gdpr", "personal-eu", "gdpr", "personal data of EU/EEA residents"),
    ("uk-gdpr", "personal-uk", "uk-gdpr", "personal data of UK residents"),
    ("lgpd", "personal-br", "lgpd", "personal data of Brazilian residents"),
)


class ScaffoldError(PlannerError):
    """A scaffold that cannot be made as asked: a folder in the way, a bad answers file, an unknown region (exit 2)."""


@dataclass(frozen=True)
class OnpremSite:
    """An on-prem site the workloads name, and what they use there today."""

    id: str
    workloads: int
    vcpu: float
    memory_gb: float
    storage_gb: float


@dataclass
class Scaffold:
    """The folder's files (relative path -> text), the import behind them, and the placeholders left."""

    files: dict[str, str]
    table: tuple[str, ImportResult] | None = None  # (relative path, result) of a workloads table to write
    copy: tuple[str, Path] | None = None  # (relative path, source) of a workloads table copied as it is
    placeholders: list[Issue] = field(default_factory=list)
    answered: int = 0


def first_of_next_month(today: dt.date) -> dt.date:
    """The programme's default start: the first day of the month after `today`."""
    return add_months(today.replace(day=1), 1)


def onprem_sites_of(result: ImportResult) -> list[OnpremSite]:
    """One entry per current site the imported workloads name, sorted by id."""
    use: dict[str, list[float]] = {}
    for w in result.workloads:
        f = w.fields
        u = use.setdefault(f["current_site"], [0, 0.0, 0.0, 0.0])
        u[0] += 1
        u[1] += float(f.get("vcpu") or 0)
        u[2] += float(f.get("memory_gb") or 0)
        u[3] += float(f.get("storage_gb") or 0)
    return [OnpremSite(s, int(u[0]), u[1], u[2], u[3]) for s, u in sorted(use.items())]


def data_classes_of(result: ImportResult) -> list[str]:
    """The data classes the imported workloads hold, sorted."""
    return sorted({c for w in result.workloads for c in w.fields.get("data") or ()})


def estate_of_table(path: Path) -> tuple[list[OnpremSite], list[str]]:
    """The current sites a workloads table (CSV or Parquet) names, with their use, and the data classes it holds.

    Read column by column, never row by row; a current_site that is not a site id is refused with its row."""
    import pyarrow as pa

    wanted = ["current_site", "vcpu", "memory_gb", "storage_gb", "data"]
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
            table = pq.read_table(path, columns=[c for c in wanted if c in names])
        else:
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
                include_columns=wanted, include_missing_columns=True,
                column_types={"current_site": pa.string(), "vcpu": pa.float64(), "memory_gb": pa.float64(),
                              "storage_gb": pa.float64(), "data": pa.string()}))
    except (OSError, pa.ArrowException) as exc:
        raise ScaffoldError(f"{path}: not a readable workloads table ({type(exc).__name__}: {exc})") from None
    if "current_site" not in table.column_names or table.num_rows == 0:
        raise ScaffoldError(f"{path}: a workloads table needs rows and a current_site column (see docs/tables.md)")
    import pyarrow.compute as pc

    numbers = [c for c in wanted[1:4] if c in table.column_names]
    sums = table.group_by("current_site").aggregate([([], "count_all")] + [(c, "sum") for c in numbers])
    use = {row["current_site"]: row for row in sums.to_pylist()}
    first = 1 if path.suffix.lower() == ".parquet" else 2  # the row a person sees: a CSV's header is row 1
    for site in sorted(use, key=lambda x: (x is None, str(x))):
        if not isinstance(site, str) or not ID_PATTERN.match(site):
            at = pc.index(table.column("current_site"), site).as_py() if site is not None else \
                pc.index(pc.is_null(table.column("current_site")), True).as_py()
            raise ScaffoldError(f"{path}: row {at + first}: column 'current_site': {json.dumps(site)} is not a site id "
                                "(letters, digits and _.:/@+-, starting with a letter or digit)")
    sites = [OnpremSite(site, int(row["count_all"]), *(float(row.get(f"{c}_sum") or 0.0) for c in wanted[1:4]))
             for site, row in sorted(use.items())]
    classes: set[str] = set()
    if "data" in table.column_names:
        data = table.column("data")
        if pa.types.is_string(data.type) or pa.types.is_large_string(data.type):
            data = pc.split_pattern(data, LIST_SEPARATOR)
        if pa.types.is_list(data.type) or pa.types.is_large_list(data.type):
            classes = {c.strip() for c in pc.unique(pc.list_flatten(data)).to_pylist() if isinstance(c, str) and c.strip()}
    return sites, sorted(classes)


def _q(value: Any) -> str:
    """A YAML scalar for untrusted text: JSON-quoted, one line, no `##[` (a workflow command in a CI log)."""
    return json.dumps(str(value), ensure_ascii=True).replace("##[", "##\\u005b")


def _comment(value: Any) -> str:
    """Untrusted text inside a YAML comment: one line, no `##[`."""
    return text(value).replace("##[", "##\\[")


def _n(x: float) -> str:
    return f"{x:,.0f}".replace(",", "")


def _topology(onprem: Sequence[OnpremSite], net: Network, country: str | None, origin: str) -> str:
    azure_zones = {z.region for z in net.zones}
    lines = [
        f"# Topology scaffolded by `planner init` from {_comment(origin)}.",
        "# On-prem: one site (and one zone) per data centre or cluster the workloads' current_site names.",
        "# Azure: the regions asked for, each a zone, with Microsoft's measured round-trip latency between them.",
        "# Every \"<fill in: ...>\" is a value no export holds: `planner validate` lists each one with its field.",
        "zones:",
    ]
    for s in onprem:
        lines.append(f"  - id: {_q(s.id)}")
        if country:
            lines.append(f"    country: {country}")
        else:
            lines.append(f"    country: {_q(placeholder(f'ISO 3166-1 alpha-2 code of the country site {s.id} is in, like ES'))}")
    lines.append("  # Azure regions: country from Azure's region list")
    lines += [f"  - {{id: {z.region}, country: {z.country}, name: {json.dumps(z.name)}}}" for z in net.zones]
    lines.append("latency_ms:  # round trip in ms; a pair not listed has no known path (no latency budget holds across it)")
    lines.append(f"  # between Azure regions: {net.percentile.upper()} from {net.source}")
    lines += [f"  - [{a}, {b}, {ms:g}]" for a, b, ms in net.latency_ms]
    lines += [f"  # not measured: {a} - {b}" for a, b in net.unmeasured]
    if onprem:
        lines.append("  # on-prem to Azure: measure it (ping from the data centre to the region), or ask the network team")
    for s in onprem:
        for r in sorted(azure_zones):
            what = f"round-trip ms from site {s.id} to Azure {r}"
            lines.append(f"  - [{_q(s.id)}, {r}, {_q(placeholder(what))}]")
    lines.append("sites:")
    for s in onprem:
        use = (f"; its {s.workloads} workloads use vcpu: {_n(s.vcpu)}, memory_gb: {_n(s.memory_gb)}, "
               f"storage_gb: {_n(s.storage_gb)} today") if s.workloads else ""
        lines += [
            f"  - id: {_q(s.id)}",
            "    kind: onprem",
            f"    zone: {_q(s.id)}",
            "    capacity: " + _q(placeholder(
                f"what site {s.id} can hold for this estate, as {{vcpu: N, memory_gb: N, storage_gb: N}} (a resource "
                f"left out is unlimited){use}")),
            "    cost: " + _q(placeholder(
                "fully loaded monthly unit cost in the scenario's currency, as {vcpu_month: N, memory_gb_month: N, "
                "storage_gb_month: N, egress_gb: N}")),
        ]
    lines.append("  # Azure: priced from the VM catalogue for the region (add `cost` to override)")
    for z in net.zones:
        lines += [f"  - id: az-{z.region}", "    kind: azure", f"    region: {z.region}", f"    zone: {z.region}"]
    return "\n".join(lines) + "\n"


def _policies(today: dt.date, classes: Sequence[str]) -> str:
    presets = residency_presets()
    lines = [
        "# Data-residency policies from the shipped, dated presets (planner/data/residency_presets.yaml; not legal advice).",
        "# A workload holding a data class (its `data` list) may only sit where every matching policy allows.",
        "# Imported workloads hold no data classes until you list them: add e.g. `data: [personal-eu]`.",
        "policies:",
    ]
    for pid, data_class, preset, what in _POLICIES:
        p = presets[preset]
        if p.is_stale(today):  # every run would warn that the law may have changed: offer it, do not impose it
            lines += [f"  # {pid}: the {preset} preset is as of {p.as_of.isoformat()}, more than a year old; check its sources",
                      "  # before relying on it, or write the countries in allowed_countries. Then uncomment:",
                      f"  # - {{id: {pid}, name: {json.dumps(p.title)}, data_class: {data_class}, preset: {preset}}}"]
            continue
        lines += [
            f"  - id: {pid}",
            f"    name: {json.dumps(p.title)}",
            f"    data_class: {data_class}  # {what}",
            f"    preset: {preset}  # as of {p.as_of.isoformat()}",
        ]
    covered = {c for _, c, preset, _ in _POLICIES if not presets[preset].is_stale(today)}
    stale = {c: presets[preset] for _, c, preset, _ in _POLICIES if presets[preset].is_stale(today)}
    uncovered = [c for c in classes if c not in covered and ID_PATTERN.match(c)]
    if uncovered:
        lines.append("  # data classes the workloads hold that no preset above covers")
    for c in uncovered:
        hint = f", or replace this line by `preset: {stale[c].name}` (as of {stale[c].as_of.isoformat()})" if c in stale else ""
        lines += [
            f"  - id: {_q(c)}",
            f"    name: {_q('Data class ' + c)}",
            f"    data_class: {_q(c)}",
            "    allowed_countries: " + _q(placeholder(
                f"the countries (ISO codes, or groups under `countries`) where data of class {c} may be stored, like "
                f"[ES, PT]{hint}")),
        ]
    return "\n".join(lines) + "\n"


def _scenario(start: dt.date) -> str:
    return f"""# The planning scenario; every value here is a sensible default to adjust.
scenario:
  start: {start.isoformat()}            # the first wave starts here
  horizon_months: 36             # costs are compared over this many months
  currency: EUR                  # of every cost in the inventory (the VM catalogue is in EUR)
  default_migration_cost: 800    # per workload moved: re-host, test, cut-over
  default_migration_effort_hours: 8
  comfort_factor: 1.3            # headroom over p95 utilisation when right-sizing to Azure
  intra_zone_ms: 1
  waves:
    length_days: 30
    max_workloads: 200           # the migration factory's steady-state throughput per wave
    max_effort_hours: 2000
    first_wave_max_workloads: 20 # ramp up from here by growth_per_wave
    growth_per_wave: 20
    pilot_waves: 2               # no high-criticality app in the first two waves
  solver:
    backend: highs
    time_limit_s: 60
    gap: 0.0001
  pricing:
    azure: payg                  # payg | reserved-1y | reserved-3y | savings-plan-1y | savings-plan-3y
    hybrid_benefit: false        # true: Windows licences are brought to Azure
"""


def _what_ifs(onprem: Sequence[OnpremSite], start: dt.date) -> dict[str, str]:
    out = {
        f"{SCENARIOS}/what-if-reserved-3y.yaml": (
            "# What if every Azure VM were bought as a 3-year reservation?\n"
            "# planner compare inventory --scenario scenarios/what-if-reserved-3y.yaml\n"
            "name: Azure on 3-year reservations\n"
            "scenario:\n"
            "  pricing: {azure: reserved-3y}\n"
        ),
    }
    if onprem:
        biggest = max(onprem, key=lambda s: (s.vcpu, s.workloads, [-ord(c) for c in s.id]))
        closes = add_months(start, 24) - dt.timedelta(days=1)
        out[f"{SCENARIOS}/what-if-close-biggest-site.yaml"] = (
            f"# What if the biggest on-prem site (by vCPUs in use) closed after two years? Everything must leave it in waves\n"
            f"# that end before the date. planner compare inventory --scenario scenarios/what-if-close-biggest-site.yaml\n"
            f"name: {_q('Close ' + biggest.id + ' by ' + closes.isoformat())}\n"
            f"sites:\n"
            f"  - {{id: {_q(biggest.id)}, closes: {closes.isoformat()}}}\n"
        )
    return out


def _waivers(start: dt.date) -> str:
    expires = add_months(start, 6) - dt.timedelta(days=1)
    return f"""# Waivers for `planner check --waivers waivers.example.yaml`: accepted findings, each with a reason and an expiry.
# A current waiver turns the findings it matches into `waived`; from the day after `expires` it fails the check itself.
# Copy this file beside the inventory (not into it) and keep only the waivers you mean.
waivers:
  - rule: cost-threshold          # a finding's rule id, as `planner check` prints it
    workload: "*"                 # a workload id, or "*" for any (and for estate-wide findings)
    reason: Azure exit cost accepted by FinOps until the reservations are bought
    expires: {expires.isoformat()}           # last day the waiver holds
"""


def _example_workloads() -> str:
    return f"""# No export was given: one example workload to replace (or delete this file and run
# `planner import ... --out inventory/workloads.yaml`, or put a workloads*.csv table here).
workloads:
  - id: example-vm-01
    app: example
    env: prod
    criticality: medium
    vcpu: {_q(placeholder("virtual CPUs of the server, like 4"))}
    memory_gb: {_q(placeholder("memory in GB, like 16"))}
    storage_gb: {_q(placeholder("storage in GB, like 200"))}
    current_site: dc1
    os: linux
"""


def _readme(s: Scaffold, origin: str) -> str:
    lines = [
        "# Migration inventory scaffolded by `planner init`",
        "",
        f"From {_md(origin)}. The inventory is `inventory/`; what-if overlays are in `scenarios/`, outside it, because",
        "every YAML file below `inventory/` is part of the inventory.",
        "",
        "```sh",
        "planner validate inventory                # lists every placeholder still to fill in",
        "planner plan inventory --out plan         # plan.json and the reports",
        "planner compare inventory --scenarios scenarios --out comparison",
        "```",
        "",
    ]
    if s.placeholders:
        lines += [
            f"## {len(s.placeholders)} placeholder(s) to fill in",
            "",
            "Edit the value in place, or list it by its field in an answers file and make the folder again with",
            "`planner init ... --answers answers.yaml --force` (a `*` in a field stands for any text).",
            "",
            "| file:line | field | what to put there |",
            "| --- | --- | --- |",
        ]
        for p in s.placeholders:
            what = p.message.removeprefix("placeholder: ")
            lines.append(f"| {_md(f'{p.file}:{p.line}')} | {_md(p.field)} | {_md(what)} |")
    else:
        lines.append("Every placeholder is filled in.")
    lines += [
        "",
        "Also review the imported workloads' defaults (`# default` in the YAML): `app` (group the servers that move",
        "together), `env`, `criticality`, `data` (the data classes the policies match) and `users`.",
    ]
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    """Untrusted text in a Markdown table cell: one line, no markup, no pipe."""
    return markdown(value).replace("|", "\\|")


def scaffold(origin: str, result: ImportResult | None = None, table: Path | None = None, *,
             regions: Sequence[str] = DEFAULT_REGIONS, country: str | None = None, today: dt.date,
             answers: Mapping[str, Any] | None = None, command: str = "planner init") -> Scaffold:
    """The files of a new inventory folder for `result` (an import), `table` (a workloads table) or neither.

    `answers` maps a placeholder's field (or a pattern with `*`) to its value, or to (value, where it was written)
    as :func:`read_answers` gives it; an answer that matches no placeholder is an error.
    """
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise ScaffoldError(f"--country {country!r}: give an ISO 3166-1 alpha-2 code in capitals, like ES")
    files: dict[str, str] = {}
    s = Scaffold(files)
    if result is not None:
        onprem, classes = onprem_sites_of(result), data_classes_of(result)
        if len(result.workloads) > TABLE_ABOVE:
            s.table = (f"{INVENTORY}/workloads.parquet", result)
        else:
            files[f"{INVENTORY}/workloads.yaml"] = render_yaml(result, command)
    elif table is not None:
        onprem, classes = estate_of_table(table)
        s.copy = (f"{INVENTORY}/workloads{table.suffix.lower()}", table)
    else:
        onprem, classes = [OnpremSite("dc1", 0, 0, 0, 0)], []
        files[f"{INVENTORY}/workloads.yaml"] = _example_workloads()
    # Workloads already in Azure (`planner import azure --site 'az-{region}'`) name an Azure site: plan with its region.
    in_azure = {o.id for o in onprem if o.id.startswith("az-") and o.id[3:] in known_regions()}
    onprem = [o for o in onprem if o.id not in in_azure]
    try:
        net = azure_network(sorted(set(regions or DEFAULT_REGIONS) | {a[3:] for a in in_azure}))
    except UnknownRegion as exc:
        raise ScaffoldError(str(exc)) from None
    clash = sorted({o.id for o in onprem} & ({z.region for z in net.zones} | {f"az-{z.region}" for z in net.zones}))
    if clash:
        raise ScaffoldError(f"site {clash[0]!r} of the workloads has the id of an Azure region's zone or site; rename it "
                            "in the export (or with --site)")
    start = first_of_next_month(today)
    files[f"{INVENTORY}/topology.yaml"] = _topology(onprem, net, country, origin)
    files[f"{INVENTORY}/policies.yaml"] = _policies(today, classes)
    files[f"{INVENTORY}/scenario.yaml"] = _scenario(start)
    files.update(_what_ifs(onprem, start))
    files[WAIVERS] = _waivers(start)
    if answers:
        s.answered = _apply_answers(files, answers)
    for name in sorted(files):
        if name.startswith(INVENTORY + "/") and name.endswith(".yaml"):
            s.placeholders += find_placeholders(load_yaml(files[name]), name)
    s.placeholders.sort()
    files["README.md"] = _readme(s, origin)
    return s


# --- answers --------------------------------------------------------------------------------


def read_answers(path: Path) -> dict[str, Any]:
    """An answers file: a YAML mapping from a placeholder's field (as `planner validate` names it; `*` for any text) to its value."""
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScaffoldError(f"{path}: cannot read the answers file ({exc.strerror or exc})") from None
    except YamlProblem as exc:
        raise ScaffoldError(f"{path}:{exc.line}: {exc.message}") from None
    if not isinstance(doc, LineDict) or not all(isinstance(k, str) for k in doc):
        raise ScaffoldError(f"{path}: an answers file is a mapping from a placeholder's field to its value, like "
                            "`zones[dc1].country: ES`")
    return {k: (v, f"{path}:{doc.lines[k]}") for k, v in doc.items()}


def _pattern(key: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in key.split("*")) + "$", re.DOTALL)


def _plain(value: Any) -> Any:
    """The YAML reader's line-aware mappings and lists as plain ones."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _flow(value: Any) -> str:
    """A value as one line of flow YAML."""
    text = yaml.safe_dump([_plain(value)], default_flow_style=True, width=1 << 30, allow_unicode=False, sort_keys=False).strip()
    return text[1:-1].strip()


def _apply_answers(files: dict[str, str], answers: Mapping[str, Any]) -> int:
    """Put each answer in place of the placeholders its key matches (an exact field first, then patterns in order)."""
    keys = [(k, _pattern(k)) for k in answers]
    used: set[str] = set()
    done = 0
    for name in sorted(files):
        if not (name.startswith(INVENTORY + "/") and name.endswith(".yaml")):
            continue
        found = find_placeholders(load_yaml(files[name]), name)
        if not found:
            continue
        lines = files[name].split("\n")
        for p in found:
            key = p.field if p.field in answers else next((k for k, rx in keys if "*" in k and rx.match(p.field)), None)
            if key is None:
                continue
            value, where = answers[key] if isinstance(answers[key], tuple) else (answers[key], key)
            if placeholder_what(value) is not None:
                continue
            quoted = _q(placeholder(p.message.removeprefix("placeholder: ")))
            line = lines[p.line - 1]
            if quoted not in line:
                raise ScaffoldError(f"{where}: cannot place the answer for {p.field}")  # our own text: a bug if reached
            lines[p.line - 1] = line.replace(quoted, _flow(value), 1)
            used.add(key)
            done += 1
        files[name] = "\n".join(lines)
    unused = [k for k in answers if k not in used]
    if unused:
        k = unused[0]
        where = answers[k][1] if isinstance(answers[k], tuple) else "answers"
        more = f" (and {len(unused) - 1} more)" if len(unused) > 1 else ""
        raise ScaffoldError(f"{where}: {one_line(k)}: matches no placeholder{more}; use a field `planner validate` names")
    return done


# --- writing --------------------------------------------------------------------------------


def write_scaffold(s: Scaffold, out: Path, force: bool = False) -> list[str]:
    """Write the folder: whole or not at all when `out` is new or empty; with `force`, each file replaced whole.

    Returns the relative paths written. Refuses a non-empty `out` without `force`, and an `out` that is a file.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScaffoldError(f"{out}: is a file; give a folder to create")
    occupied = out.is_dir() and any(out.iterdir())
    if occupied and not force:
        raise ScaffoldError(f"{out}: the folder is not empty; give an empty or new folder, or --force to replace the files "
                            "`planner init` writes there (other files are left alone)")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.init-", dir=out.parent))
    try:
        for rel, text in s.files.items():
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        if s.table is not None:
            (stage / s.table[0]).parent.mkdir(parents=True, exist_ok=True)
            write_workloads_table(s.table[1], stage / s.table[0])
        if s.copy is not None:
            (stage / s.copy[0]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(s.copy[1], stage / s.copy[0])
        written = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
        if not occupied:
            if out.is_dir():
                out.rmdir()
            os.replace(stage, out)
            return written
        for rel in written:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, out / rel)
        return written
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


__all__ = ["DEFAULT_REGIONS", "SOURCES", "Scaffold", "ScaffoldError", "first_of_next_month", "read_answers", "scaffold",
           "write_scaffold"]
