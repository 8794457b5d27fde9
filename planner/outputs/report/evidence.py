"""The compliance evidence file: every per-workload check of a plan, one row each, beside the reports.

`compliance-evidence.csv` while the rows fit one spreadsheet sheet (Excel's 1,048,576 rows,
header included), `compliance-evidence.parquet` above that (a million-workload estate has a few
million checks: as CSV hundreds of megabytes no spreadsheet opens; as Parquet a few tens, read
by pandas, DuckDB or Spark). Columns:

    workload, check, policy, requirement, site, site_kind, site_country, site_zone,
    other_site, measured_ms, budget_ms, budget_used, result, borderline, evidence

one row per workload and rule (per user need and per dependency for the latency rules), in the
compliance report's order: residency per policy, user latency, dependency latency,
certifications, pins, allowed site kinds, data-centre exits; within a rule by workload id.
`result` is `pass` or `fail`; `borderline` is true for a passing latency check that uses 80 %
or more of its budget; `measured_ms` is empty when no network path exists. Both are written
with pyarrow from the check arrays (string columns dictionary-encoded), so the bytes depend
on the plan alone. Text that a spreadsheet would read as a formula gets a leading apostrophe.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pyarrow as pa

from planner.base.untrusted import one_line
from planner.domain.estate import Estate
from planner.outputs import limits as output_limits
from planner.outputs.export import FORMULA_TRIGGERS, neutralise
from planner.outputs.publish import EVIDENCE_FILES
from planner.outputs.report.compliance import SENTINEL, Block

EVIDENCE_STEM = "compliance-evidence"
COLUMNS = ("workload", "check", "policy", "requirement", "site", "site_kind", "site_country", "site_zone", "other_site",
           "measured_ms", "budget_ms", "budget_used", "result", "borderline", "evidence")


def evidence_name(rows: int) -> str:
    """The evidence file's name for a plan with `rows` checks."""
    return EVIDENCE_FILES[0] if rows <= output_limits.current().evidence_csv_rows else EVIDENCE_FILES[1]


def _strings(values: Sequence[str]) -> pa.Array:
    """Untrusted text as an Arrow string array, formula triggers neutralised."""
    if any(v[:1] in FORMULA_TRIGGERS for v in values):
        values = [neutralise(v) for v in values]
    return pa.array(list(values), type=pa.string())


class _Dictionary:
    """Distinct texts as one Arrow dictionary; codes into the original list are mapped onto it.

    A dictionary must not repeat a value: pyarrow's Parquet writer sizes a dictionary page from
    the array's values, and repeated ones leave bytes of uninitialised memory in the file.
    """

    def __init__(self, values: Sequence[str], unique: bool = False):
        if unique:
            self.remap: Optional[np.ndarray] = None
            self.values = _strings(values)
        else:
            index: dict[str, int] = {}
            # made one line before the values are told apart, so two texts that read the same share one entry
            self.remap = np.fromiter((index.setdefault(one_line(v), len(index)) for v in values), dtype=np.int64,
                                     count=len(values))
            self.values = _strings(list(index))

    def array(self, codes: np.ndarray, valid: Optional[np.ndarray] = None) -> pa.DictionaryArray:
        """Codes into the original values as a dictionary array (null where not `valid`)."""
        if valid is not None:
            codes = np.where(valid, codes, 0)
        if self.remap is not None:
            codes = self.remap[codes] if len(self.remap) else codes
        mask = None if valid is None else ~valid
        return pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32(), mask=mask), self.values)


def _floats(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), mask=~np.isfinite(values))


SCHEMA = pa.schema([(c, pa.dictionary(pa.int32(), pa.string())) for c in COLUMNS[:9]]
                   + [("measured_ms", pa.float64()), ("budget_ms", pa.float64()), ("budget_used", pa.float64()),
                      ("result", pa.dictionary(pa.int32(), pa.string())), ("borderline", pa.bool_()),
                      ("evidence", pa.dictionary(pa.int32(), pa.string()))])


def evidence_batches(estate: Estate, blocks: Sequence[Block]) -> list[pa.RecordBatch]:
    """One record batch per rule (and policy), rows in report order; dictionaries are per batch."""
    t = estate.table
    ids = _Dictionary(t.ids, unique=True)  # sorted and distinct
    site_ids = _Dictionary([s.id for s in estate.sites], unique=True)
    kinds = _Dictionary([s.kind.value for s in estate.sites])
    countries = _Dictionary([estate.site_country(s) for s in estate.sites])
    zones = _Dictionary([s.zone for s in estate.sites])
    results = _Dictionary(["pass", "fail"], unique=True)
    out: list[pa.RecordBatch] = []
    for b in blocks:
        n = len(b)
        if not n:
            continue
        texts = list(b.texts)
        codes = b.evidence.copy()
        for k in np.nonzero(b.failed)[0].tolist():  # a failure's message names its own workload
            if SENTINEL in texts[int(codes[k])]:
                texts.append(texts[int(codes[k])].replace(SENTINEL, t.ids[int(b.rows[k])]))
                codes[k] = len(texts) - 1
        zero = np.zeros(n, dtype=np.int64)
        nan = np.full(n, np.nan)
        requirements = ids if b.requirements is t.ids else _Dictionary(list(b.requirements))
        other = b.other_site if b.other_site is not None else np.full(n, -1, dtype=np.int64)
        measured = b.measured if b.measured is not None else nan
        budget = b.budget if b.budget is not None else nan
        used = b.used if b.used is not None else nan
        arrays = [
            ids.array(b.rows), _Dictionary([b.rule.value]).array(zero), _Dictionary([b.policy]).array(zero),
            requirements.array(b.requirement), site_ids.array(b.site), kinds.array(b.site), countries.array(b.site),
            zones.array(b.site), site_ids.array(other, other >= 0),
            _floats(measured), _floats(budget), _floats(np.round(used, 4)),
            results.array(b.failed.astype(np.int64)), pa.array(b.borderline, type=pa.bool_()), _Dictionary(texts).array(codes),
        ]
        out.append(pa.RecordBatch.from_arrays(arrays, schema=SCHEMA))
    return out


def evidence_bytes(estate: Estate, blocks: Sequence[Block]) -> tuple[str, bytes, int]:
    """(file name, bytes, rows) of the evidence file: CSV up to `OutputLimits.evidence_csv_rows` rows, Parquet above."""
    batches = evidence_batches(estate, blocks)
    rows = sum(b.num_rows for b in batches)
    name = evidence_name(rows)
    sink = pa.BufferOutputStream()
    if name.endswith(".csv"):
        import pyarrow.csv as pacsv

        with pacsv.CSVWriter(sink, SCHEMA, write_options=pacsv.WriteOptions(eol="\r\n")) as writer:
            for batch in batches:
                writer.write_batch(batch)
    else:
        import pyarrow.parquet as pq

        # Plain, fixed settings (no statistics that vary by version, no wall clock): the same plan, the same bytes.
        with pq.ParquetWriter(sink, SCHEMA, compression="zstd", write_statistics=False) as writer:
            for batch in batches:
                writer.write_batch(batch)
    return name, sink.getvalue().to_pybytes(), rows


__all__ = ["COLUMNS", "EVIDENCE_FILES", "EVIDENCE_STEM", "evidence_batches", "evidence_bytes", "evidence_name"]
