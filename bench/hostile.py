"""Hostile files and endpoints: generate each one in a temporary folder, run the real CLI on it, print one table.

Usage: python bench/hostile.py [--only SUBSTRING] [--million] [--keep]

Each row: the input, the command, its exit code, wall seconds, peak RSS (MB, from `/usr/bin/time -v` when
present, else getrusage of the children), and whether any output line (stdout or stderr, split as a GitHub
runner splits them: LF, CR, CRLF) starts a workflow command (`::`), holds `##[`, an escape character (C0
other than tab and LF, DEL, C1, bidi controls), or a Python traceback; for some inputs the files the command
wrote are scanned the same way (and for a `javascript:` link). `--million` also builds a genuine-shaped
1,048,575-row RVTools export (vInfo with 60 columns, shared strings, vDisk and vPartition sheets) and imports it:
the benchmark figure. It is not a test: rerun it; numbers from a busy machine are not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny.yaml"
TIME = Path("/usr/bin/time")
LIMIT_S = 90  # a case still running after this is killed and reported as such
_LINES = re.compile(r"\r\n|\r|\n")
_ESCAPES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass
class Case:
    name: str
    argv: list[str]
    expect: tuple[int, ...] = (2,)
    env: dict[str, str] = field(default_factory=dict)
    stdin: Optional[bytes] = None
    limit_s: float = LIMIT_S
    files: tuple[str, ...] = ()  # written files (relative to the work folder) scanned too: escapes, `javascript:` links


def _bad_lines(text: str) -> str:
    marks = set()
    for line in _LINES.split(text):
        if line.lstrip().startswith("::") or "##[" in line:
            marks.add("command")
    if _ESCAPES.search(text):
        marks.add("escape")
    if "Traceback (most recent call last)" in text:
        marks.add("traceback")
    return ",".join(sorted(marks)) or "clean"


def run(case: Case, work: Path) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **case.env)
    argv = [sys.executable, "-m", "planner", *case.argv]
    report = work / "time.txt"
    if TIME.exists():
        argv = [str(TIME), "-v", "-o", str(report), *argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(argv, cwd=work, env=env, input=case.stdin, capture_output=True, timeout=case.limit_s)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = "killed", exc.stdout or b"", exc.stderr or b""
    seconds = time.perf_counter() - t0
    rss = 0.0
    if TIME.exists() and report.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read_text())
        rss = int(m.group(1)) / 1024 if m else 0.0
    else:
        rss = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    text = (out + err).decode("utf-8", errors="replace")
    for name in case.files:
        for path in sorted((work / name).glob("*")) if (work / name).is_dir() else [work / name]:
            if path.is_file():
                body = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")  # CSV's own line ends
                text += "\n" + body
                if re.search(r"href=[\"']?\s*javascript:", body, re.I):
                    text += "\n::javascript-link"
    first_error = next((ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()), "")
    command = " ".join(case.argv[:2]) if case.argv[0] == "import" else case.argv[0]
    return {"input": case.name, "command": command, "exit": code, "seconds": round(seconds, 1),
            "rss_mb": round(rss), "output": _bad_lines(text), "ok": code in case.expect,
            "message": first_error[:150]}


# ------------------------------------------------------------------------------------- generators

HOSTILE_TEXT = "x\n::add-mask::secret\r::error file=a,line=1::pwned ##[error]v1 \x1b[31mred\x1b]0;title\x07 \x9b31m"


def _xlsx(path: Path, sheets: dict[str, str], strings: Optional[Callable[[zipfile.ZipFile], None]] = None,
          level: int = 6) -> None:
    """A minimal workbook: each sheet's XML given whole, shared strings written by `strings` (streamed)."""
    rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   f'worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    rels += ('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
             'Target="sharedStrings.xml"/>' if strings else "")
    book = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheets, 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>' + book + '</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships">' + rels + '</Relationships>')
        for i, xml in enumerate(sheets.values(), 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        if strings:
            strings(z)


def _sheet(rows: str, dimension: str = "A1") -> str:
    return ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>')


def xlsx_column(i: int) -> str:
    """The spreadsheet column of 0-based column `i`: A, ..., Z, AA, ..."""
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def inline_row(r: int, values: list) -> str:
    """Sheet row `r` of `values`: text as inline strings (escaped), numbers as values. The hardening tests use it too."""
    cells = []
    for c, v in enumerate(values):
        ref = f"{xlsx_column(c)}{r}"
        if isinstance(v, str):
            text = v.replace("&", "&amp;").replace("<", "&lt;")
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"><v>{v}</v></c>')
    return f'<row r="{r}">' + "".join(cells) + "</row>"


def _bomb_strings(total: int, one: str) -> Callable[[zipfile.ZipFile], None]:
    def write(z: zipfile.ZipFile) -> None:
        item = f"<si><t>{one}</t></si>".encode()
        n = total // len(item)
        block = item * max(1, (1 << 22) // len(item))
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" '
                    f'uniqueCount="{n}">'.encode())
            written = 0
            while written < n:
                k = min(n - written, len(block) // len(item))
                f.write(block[: k * len(item)])
                written += k
            f.write(b"</sst>")
    return write


VINFO_HEAD = ["VM", "Powerstate", "Template", "CPUs", "Memory", "Provisioned MiB", "In Use MiB",
              "OS according to the configuration file", "Datacenter", "Cluster", "Host"]


def _vinfo_row(r: int, name: str, cpus: object = 2, memory: object = 4096) -> list:
    return [name, "poweredOn", "False", cpus, memory, 40960, 20480, "Ubuntu Linux (64-bit)", "DC1", "CL1", "esx01"]


def _tiny_plan(work: Path) -> dict:
    out = work / "tinyplan"
    if not (out / "plan.json").exists():
        subprocess.run([sys.executable, "-m", "planner", "plan", str(TINY), "--out", str(out), "--quiet"], check=True,
                       capture_output=True)
    return json.loads((out / "plan.json").read_text())


def _plan_variant(work: Path, name: str, edit: Callable[[dict], None], raw: Optional[str] = None) -> str:
    doc = _tiny_plan(work)
    edit(doc)
    folder = work / f"plan-{name}"
    folder.mkdir(exist_ok=True)
    (folder / "plan.json").write_text(raw if raw is not None else json.dumps(doc, indent=1))
    return str(folder / "plan.json")


class NotDask:
    """A local TCP service that is not Dask: `http` answers a request with a web page, `silent` accepts and never
    answers, `garbage` greets like another protocol (with a workflow command in it). The hardening tests use it too."""

    def __init__(self, kind: str):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.kind = kind
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            if self.kind == "http":
                threading.Thread(target=self._http, args=(conn,), daemon=True).start()
            elif self.kind == "garbage":
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n::error::x\r\n")

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()

    def _http(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(60)
            if conn.recv(65536):
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hello</html>")
        except OSError:
            pass


def cases(work: Path) -> list[Case]:
    out: list[Case] = []
    imp = work / "imports"
    imp.mkdir()
    # 1. import messages: formulas with newlines, ANSI and OSC, a hostile file name
    am = imp / "am.csv"
    am.write_text('Server name,Cores,Memory (In MB),OS name\n"=HYPERLINK(1)\n::add-mask::s3cret\n::error ::pwned",2,4096,"'
                  + HOSTILE_TEXT.replace('"', "") + '"\nweb\x1b]0;t\x07,2,4096,linux\n', encoding="utf-8")
    out.append(Case("azure-migrate CSV: formula + newline + ::error, ANSI, OSC", ["import", "azure-migrate", str(am), "--site", "dc1"]))
    rv = imp / "rv-vInfo.csv"
    rv.write_text(",".join(VINFO_HEAD) + "\n" + ",".join(f'"{v}"' for v in _vinfo_row(2, "vm1\n::error::pwned\x1b[2J")) + "\n",
                  encoding="utf-8")
    out.append(Case("RVTools vInfo CSV: VM name with newline + ::error + ESC", ["import", "rvtools", str(rv), "--site", "dc1"], (0,)))
    named = imp / "x\n::error::pwned\x1b[31m-vInfo.csv"
    named.write_text(",".join(VINFO_HEAD) + "\n" + ",".join(map(str, _vinfo_row(2, "vm1"))) + "\n", encoding="utf-8")
    out.append(Case("vInfo CSV whose file name holds ::error and ESC (summary)", ["import", "rvtools", str(named), "--site", "dc1",
                                                                                  "--out", str(work / "named.yaml")], (0,)))
    out.append(Case("export: a plan path with ##[error] and ::error", ["export", str(work / "##[error]x\n::error::y.json"),
                                                                       "--inventory", str(TINY)]))
    c1 = imp / "c1-vInfo.csv"
    c1.write_text(",".join(VINFO_HEAD) + "\n" + ",".join(map(str, _vinfo_row(2, "vm\u009b31m-one"))) + "\n", encoding="utf-8")
    out.append(Case("RVTools: C1 control (U+009B) in a VM name", ["import", "rvtools", str(c1), "--site", "dc1",
                                                                  "--out", str(work / "c1.yaml")], (0,), files=("c1.yaml",)))
    # 2. workbooks that claim more than they hold
    corner = _sheet('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "A1:XFD1048576")
    _xlsx(imp / "corner.xlsx", {"vInfo": corner})
    out.append(Case("2 KB workbook: dimension A1:XFD1048576, one cell in the far corner", ["import", "rvtools", str(imp / "corner.xlsx"),
                                                                                           "--site", "dc1"]))
    out.append(Case("the same workbook, azure-migrate", ["import", "azure-migrate", str(imp / "corner.xlsx"), "--site", "dc1"]))
    claim = _sheet(inline_row(1, VINFO_HEAD) + inline_row(2, _vinfo_row(2, "vm1")), "A1:K20000")
    _xlsx(imp / "claim.xlsx", {"vInfo": claim})
    out.append(Case("workbook claiming 20,000 rows, holding 2", ["import", "rvtools", str(imp / "claim.xlsx"), "--site", "dc1"], (0,)))
    wide = _sheet("".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(1, 200_001)), "A1:XFD200000")
    _xlsx(imp / "wide.xlsx", {"vInfo": wide}, level=9)
    out.append(Case("workbook: 200,000 rows each with one cell in column XFD", ["import", "rvtools", str(imp / "wide.xlsx"), "--site", "dc1"]))
    # 3. zip bombs
    head = _sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    _xlsx(imp / "bomb1g.xlsx", {"vInfo": head}, _bomb_strings(1 << 30, "a" * 1000), level=9)
    out.append(Case(f"zip bomb: {(imp / 'bomb1g.xlsx').stat().st_size >> 10} KB workbook, 1 GiB of shared strings",
                    ["import", "rvtools", str(imp / "bomb1g.xlsx"), "--site", "dc1"]))
    _xlsx(imp / "bomb30m.xlsx", {"Servers": head}, _bomb_strings(30_000_000 * 17, "a"), level=9)
    out.append(Case(f"zip bomb: {(imp / 'bomb30m.xlsx').stat().st_size >> 10} KB workbook, 30 million strings",
                    ["import", "azure-migrate", str(imp / "bomb30m.xlsx"), "--site", "dc1"]))
    sheet_bomb = '<?xml version="1.0"?><worksheet><sheetData>' + " " * (600 << 20) + "</sheetData></worksheet>"
    _xlsx(imp / "sheetbomb.xlsx", {"vInfo": sheet_bomb}, level=9)
    del sheet_bomb
    out.append(Case("zip bomb: 600 MB of blanks in the sheet XML", ["import", "rvtools", str(imp / "sheetbomb.xlsx"), "--site", "dc1"]))
    # garbage and misleading CSVs
    garbage = imp / "garbage.csv"
    with open(garbage, "wb") as f:
        chunk = os.urandom(1 << 20).replace(b"\x00", b"x")
        for _ in range(212):
            f.write(chunk)
    out.append(Case("212 MB garbage CSV", ["import", "azure-migrate", str(garbage), "--site", "dc1"]))
    u16 = imp / "u16.csv"
    u16.write_bytes("Server name\tCores\tMemory (In MB)\tOS name\r\nweb01\t2\t4096\tUbuntu\r\n".encode("utf-16"))
    out.append(Case("UTF-16 CSV (Excel's Unicode text)", ["import", "azure-migrate", str(u16), "--site", "dc1"], (0,)))
    quote = imp / "quote.csv"
    quote.write_text('Server name,Cores,Memory (In MB)\nweb01,2,4096\n"web02,2,4096\nweb03,2,4096\n', encoding="utf-8")
    out.append(Case("CSV with an unterminated quote", ["import", "azure-migrate", str(quote), "--site", "dc1"]))
    wide_csv = imp / "widehead.csv"
    wide_csv.write_text(",".join(f"column{i}" for i in range(1_000_000)) + "\n", encoding="utf-8")
    out.append(Case("CSV with a 1,000,000-column header", ["import", "azure-migrate", str(wide_csv), "--site", "dc1"]))
    vcpu = imp / "vcpu-vInfo.csv"
    vcpu.write_text(",".join(VINFO_HEAD) + "\n" + ",".join(map(str, _vinfo_row(2, "vm1", cpus=10_000_000))) + "\n", encoding="utf-8")
    out.append(Case("RVTools: 10,000,000 vCPUs (blame CPUs, not VM)", ["import", "rvtools", str(vcpu), "--site", "dc1"]))
    # 4. compare --scenarios DIR
    secret = work / "secret.txt"
    secret.write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG\n")
    for name, make in (("zero", lambda d: (d / "zero.yaml").symlink_to("/dev/zero")),
                       ("fifo", lambda d: os.mkfifo(d / "pipe.yaml")),
                       ("root", lambda d: (d / "rootlink").symlink_to("/")),
                       ("secret", lambda d: (d / "secret.yaml").symlink_to(secret))):
        d = work / f"scen-{name}"
        d.mkdir()
        make(d)
        out.append(Case(f"--scenarios DIR with {'a link to /dev/zero' if name == 'zero' else 'a named pipe' if name == 'fifo' else 'a link to /' if name == 'root' else 'a link to a secret file'}",
                        ["compare", str(TINY), "--scenarios", str(d), "--out", str(work / f"cmp-{name}"), "--workers", "1"]))
    notyaml = work / "scen-notyaml"
    notyaml.mkdir()
    (notyaml / "key.yaml").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA: [\n")
    out.append(Case("--scenarios DIR with a private key named key.yaml", ["compare", str(TINY), "--scenarios", str(notyaml),
                                                                           "--out", str(work / "cmp-notyaml"), "--workers", "1"]))
    js = work / "scen-js"
    js.mkdir()
    (js / "javascript:alert.yaml").write_text("name: js\n")
    out.append(Case("scenario file javascript:alert.yaml (href in comparison.html)",
                    ["compare", str(TINY), "--scenarios", str(js), "--out", str(work / "cmp-js"), "--workers", "1"], (0,),
                    files=("cmp-js",)))
    # 5. --scheduler on services that are not Dask
    for kind in ("http", "silent"):
        server = NotDask(kind)
        out.append(Case(f"--scheduler on a {'plain HTTP server' if kind == 'http' else 'listener that never answers'}",
                        ["compare", str(TINY), "--scenario", str(js / "javascript:alert.yaml"), "--out", str(work / f"cmp-{kind}"),
                         "--scheduler", server.address]))
    # 6. plan files read back
    big = "x" * (100 << 20)
    out.append(Case("plan.json with one 100 MB string (backend)", ["report", _plan_variant(work, "bigstr", lambda d: d["solver"].update(backend=big)),
                                                                    "--inventory", str(TINY)]))
    out.append(Case("plan.json with a 100 MB workload id", ["export", _plan_variant(work, "bigid", lambda d: d["assignments"][0].update(workload=big)),
                                                                      "--inventory", str(TINY)]))
    out.append(Case("plan.json with costs near 1e308 (report)", ["report", _plan_variant(work, "e308", lambda d: [a.update(monthly_cost=1.7e308) for a in d["assignments"]]),
                                                                 "--inventory", str(TINY)]))
    out.append(Case("plan.json with costs near 1e308 (export)", ["export", str(work / "plan-e308" / "plan.json"), "--inventory", str(TINY)]))
    out.append(Case("plan.json with a wave number above int64", ["export", _plan_variant(work, "bigwave", lambda d: [w.update(wave=2**70) for w in d["waves"]]),
                                                                 "--inventory", str(TINY)]))
    out.append(Case("plan.json with solver.gap 1e308", ["report", _plan_variant(work, "gap", lambda d: d["solver"].update(gap=1e308)),
                                                         "--inventory", str(TINY)]))
    out.append(Case("plan.json with a duplicate assignment (report)", ["report", _plan_variant(work, "dup", lambda d: d["assignments"].append(dict(d["assignments"][0]))),
                                                                       "--inventory", str(TINY)]))
    out.append(Case("plan.json with a wave ending 9999-12-31 (report)", ["report", _plan_variant(work, "9999", lambda d: d["waves"][0].update(end="9999-12-31")),
                                                                         "--inventory", str(TINY)]))
    dup_text = json.dumps(_tiny_plan(work), indent=1).replace('"status":', '"status": "infeasible", "status":', 1)
    out.append(Case("plan.json with a duplicate key", ["report", _plan_variant(work, "dupkey", lambda d: None, dup_text), "--inventory", str(TINY)]))
    neg = _plan_variant(work, "neg", lambda d: d["totals"].update(horizon_cost=-5e12))
    out.append(Case("baseline with horizon_cost -5e12", ["check", str(TINY), "--baseline", neg, "--fail-over", "5%"]))
    esc = _plan_variant(work, "esc", lambda d: [w.update(phase="pilot\x1b[31m\x07::error::x") for w in d["waves"]])
    out.append(Case("wave phase with ESC, BEL and ::error (roadmap)", ["report", esc, "--inventory", str(TINY)], (0,),
                    files=("plan-esc",)))
    # 7. Parquet of 10 million null rows
    import pyarrow as pa
    import pyarrow.parquet as pq

    inv = work / "nullrows"
    inv.mkdir()
    shutil.copy(TINY, inv / "topology.yaml")
    text = (inv / "topology.yaml").read_text()
    (inv / "topology.yaml").write_text(text[: text.index("workloads:")] + text[text.index("scenario:"):])
    n = 10_000_000
    table = pa.table({c: pa.nulls(n, pa.string()) for c in ("id", "app", "env", "current_site")}
                     | {c: pa.nulls(n, pa.float64()) for c in ("vcpu", "memory_gb")})
    pq.write_table(table, inv / "workloads.parquet", compression="zstd")
    out.append(Case(f"Parquet of 10 million null rows ({(inv / 'workloads.parquet').stat().st_size >> 10} KB)", ["validate", str(inv)]))
    # 8. the other doors: the catalogue, a waivers file, a report template, each a pipe, /dev/zero, a folder, too large
    plan = _plan_variant(work, "doors", lambda d: None)
    doors = {
        "--catalog FILE": ("catalog.json", 100 << 20, lambda f: ["validate", str(TINY), "--catalog", str(f)]),
        "--waivers FILE": ("waivers.yaml", 600 << 20, lambda f: ["check", str(TINY), "--baseline", plan, "--waivers", str(f)]),
        "--templates DIR": ("executive.md", 10 << 20, lambda f: ["report", plan, "--inventory", str(TINY), "--templates",
                                                                  str(f.parent), "--out", str(f.parent.parent / "out")]),
    }
    for door, (name, huge, argv) in doors.items():
        for kind, what in (("zero", "a link to /dev/zero"), ("fifo", "a named pipe"), ("dir", "a folder"),
                           ("huge", f"a sparse {huge >> 20} MB file")):
            d = work / f"door-{name}-{kind}" / "t"
            d.mkdir(parents=True)
            f = d / name
            if kind == "zero":
                f.symlink_to("/dev/zero")
            elif kind == "fifo":
                os.mkfifo(f)
            elif kind == "dir":
                f.mkdir()
            else:
                with open(f, "wb") as fh:
                    fh.truncate(huge)
            out.append(Case(f"door {door}: {what}", argv(f)))
    return out


def million(work: Path, columns: int = 60, n: int = 1_048_575) -> Case:
    """A genuine-shaped RVTools export of `n` VMs: vInfo (60 columns, shared strings), vDisk and vPartition."""
    extra = [f"Custom {i}" for i in range(columns - len(VINFO_HEAD) - 3)]
    head = VINFO_HEAD + ["Primary IP Address", "OS according to the VMware Tools", "VM UUID"] + extra
    strings: dict[str, int] = {}

    def s(v: str) -> str:
        k = strings.setdefault(v, len(strings))
        return f'<c r="{{col}}{{r}}" t="s"><v>{k}</v></c>'

    letters = [chr(65 + i) if i < 26 else chr(64 + i // 26) + chr(65 + i % 26) for i in range(len(head))]
    path = work / "rvtools-million.xlsx"

    def sheet(z: zipfile.ZipFile, name: str, header: list[str], rows: Callable[[int], list]) -> None:
        with z.open(name, "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            buf = []
            for r in range(1, n + 2):
                values = header if r == 1 else rows(r)
                cells = []
                for col, v in zip(letters, values):
                    if isinstance(v, str):
                        cells.append(f'<c r="{col}{r}" t="s"><v>{strings.setdefault(v, len(strings))}</v></c>')
                    else:
                        cells.append(f'<c r="{col}{r}"><v>{v}</v></c>')
                buf.append(f'<row r="{r}">{"".join(cells)}</row>')
                if len(buf) >= 5000:
                    f.write("".join(buf).encode())
                    buf = []
            f.write(("".join(buf) + "</sheetData></worksheet>").encode())

    def vinfo_row(r: int) -> list:
        name = f"vm-{r:07d}"
        return [name, "poweredOn" if r % 10 else "poweredOff", "False", 2 + r % 7, 4096 * (1 + r % 8), 40960 + r % 1000,
                20480, "Microsoft Windows Server 2019 (64-bit)" if r % 3 else "Ubuntu Linux (64-bit)", f"DC{r % 4}",
                f"CL{r % 40}", f"esx{r % 400:03d}.example", f"10.{r >> 16 & 255}.{r >> 8 & 255}.{r & 255}",
                "Ubuntu Linux (64-bit)", f"4210{r:08x}-0000-0000-0000-{r:012x}"] + [r % 97 for _ in extra]

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="vInfo" sheetId="1" '
                   'r:id="rId1"/><sheet name="vDisk" sheetId="2" r:id="rId2"/><sheet name="vPartition" sheetId="3" r:id="rId3"/>'
                   '</sheets></workbook>')
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   f'relationships"><Relationship Id="rId1" Type="{rel}worksheet" Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{rel}worksheet" Target="worksheets/sheet2.xml"/>'
                   f'<Relationship Id="rId3" Type="{rel}worksheet" Target="worksheets/sheet3.xml"/>'
                   f'<Relationship Id="rIdS" Type="{rel}sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        sheet(z, "xl/worksheets/sheet1.xml", head, vinfo_row)
        sheet(z, "xl/worksheets/sheet2.xml", ["VM", "Disk", "Capacity MiB"], lambda r: [f"vm-{r:07d}", "Hard disk 1", 40960 + r % 500])
        sheet(z, "xl/worksheets/sheet3.xml", ["VM", "Disk", "Consumed MiB"], lambda r: [f"vm-{r:07d}", "/", 10240 + r % 500])
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    f'uniqueCount="{len(strings)}">'.encode())
            buf = []
            for v in strings:
                buf.append(f"<si><t>{v}</t></si>")
                if len(buf) >= 20000:
                    f.write("".join(buf).encode())
                    buf = []
            f.write(("".join(buf) + "</sst>").encode())
    return Case(f"genuine-shaped RVTools export: {n:,} VMs, {len(head)} vInfo columns, {path.stat().st_size >> 20} MB xlsx",
                ["import", "rvtools", str(path), "--site", "{datacenter}-{cluster}", "--out", str(work / "million.yaml")], (0,),
                limit_s=3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only the inputs whose description holds this text")
    parser.add_argument("--million", action="store_true", help="also build and import a 1,048,575-row RVTools export")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="planner-hostile-"))
    try:
        todo = [c for c in cases(work) if args.only.lower() in c.name.lower()]
        if args.million:
            t0 = time.perf_counter()
            todo.append(million(work))
            print(f"(built the million-row export in {time.perf_counter() - t0:.0f}s)", file=sys.stderr)
        rows = []
        for case in todo:
            row = run(case, work)
            rows.append(row)
            print(f"{'ok ' if row['ok'] else 'BAD'} {row['exit']!s:>6} {row['seconds']:6.1f}s {row['rss_mb']:6} MB  {row['output']:<9} "
                  f"{case.name}", file=sys.stderr)
        print("| input | command | exit | seconds | peak RSS MB | output lines | first stderr line |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            msg = r["message"].replace("|", "\\|")
            print(f"| {r['input']} | `planner {r['command']}` | {r['exit']} | {r['seconds']} | {r['rss_mb']} | {r['output']} | {msg} |")
        bad = [r for r in rows if not r["ok"] or r["output"] != "clean" or r["exit"] == "killed"]
        print(f"\n{len(rows) - len(bad)} of {len(rows)} as expected", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
