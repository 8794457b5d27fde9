"""PDF output: print a report's HTML with headless Chromium (Debian's `chromium` package).

The browser is found at `$PLANNER_CHROMIUM`, else `/usr/bin/chromium`, else `chromium` or
`chromium-browser` on PATH. It runs with a throw-away profile, no network chatter
(`--disable-background-networking` and friends) and without Chromium's own header and footer:
the page size, margins, page numbers and footer line come from the report's `@page` rules
(A4; see `templates/_page.html`). Chromium stamps the clock into the PDF's CreationDate and
ModDate; both are set to the plan's date (same length, so every offset in the file holds), and
the same report gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from planner.base.atomic_write import write_atomic
from planner.outputs.report.context import ReportError

TIMEOUT_S = 120.0
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio",
         "--hide-scrollbars")


class ChromiumMissing(ReportError):
    """PDF output was asked for and no Chromium was found."""


def find_chromium(explicit: Optional[str] = None) -> str:
    """The Chromium executable to use, or :class:`ChromiumMissing` saying how to get one."""
    for given, origin in ((explicit, "the Chromium path given"), (os.environ.get("PLANNER_CHROMIUM"), "PLANNER_CHROMIUM")):
        if given:
            if Path(given).is_file() and os.access(given, os.X_OK):
                return str(given)
            raise ChromiumMissing(f"{origin} ({given}) is not an executable file; PDF output needs Chromium")
    if Path("/usr/bin/chromium").is_file() and os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing("PDF output needs Chromium, and none was found: install it (Debian: apt-get install chromium) "
                          "or point PLANNER_CHROMIUM at the executable; HTML and Markdown need nothing")


def run_chromium(chromium: str, args: Sequence[str], timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run headless Chromium with a fresh profile and `args`; returns the finished process (stdout and stderr as text)."""
    with tempfile.TemporaryDirectory(prefix="planner-chromium-") as profile:
        cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                                  env={**os.environ, "HOME": profile})
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"Chromium did not finish within {timeout:g} s") from exc
        except OSError as exc:
            raise ReportError(f"cannot run {chromium}: {exc.strerror}") from exc


_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate) \(D:)(\d{14})")


def fix_pdf_dates(pdf: bytes, day: dt.date) -> bytes:
    """The PDF with its creation and modification dates set to `day` (midnight), digit for digit: no clock in the file."""
    stamp = day.strftime("%Y%m%d").encode("ascii") + b"000000"
    return _PDF_DATE.sub(lambda m: m.group(1) + stamp, pdf)


def html_pdf_bytes(html: str, chromium: Optional[str] = None, name: str = "report.pdf", day: Optional[dt.date] = None) -> bytes:
    """Print `html` with headless Chromium and return the PDF's bytes, dated `day` (`name` only labels errors)."""
    exe = find_chromium(chromium)
    with tempfile.TemporaryDirectory(prefix="planner-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        proc = run_chromium(exe, [f"--print-to-pdf={out}", "--no-pdf-header-footer", "--print-to-pdf-no-header",
                                  page.as_uri()])
        if proc.returncode != 0 or not out.is_file() or out.read_bytes()[:5] != b"%PDF-":
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise ReportError(f"Chromium could not print {name} (exit {proc.returncode}): {' / '.join(tail) or 'no output'}")
        data = out.read_bytes()
        return fix_pdf_dates(data, day) if day is not None else data


def html_to_pdf(html: str, target: Path, chromium: Optional[str] = None) -> Path:
    """Print `html` to the PDF file `target` (written whole or not at all)."""
    target = Path(target)
    write_atomic(target, html_pdf_bytes(html, chromium, target.name))
    return target


@dataclass(frozen=True)
class BrowserCheck:
    """What a real browser made of a report: its exit code, console messages, and whether a PDF came out."""

    returncode: int
    console: tuple[str, ...]  # console output and CSP violations; a self-contained report has none
    pdf_ok: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.console and self.pdf_ok


def browser_check(html_file: Path, pdf_file: Path, chromium: Optional[str] = None) -> BrowserCheck:
    """Open `html_file` in headless Chromium with console logging on and print it to `pdf_file`.

    Any console line (a script error, a blocked resource: the reports' Content-Security-Policy
    forbids every network load) counts as an error.
    """
    exe = find_chromium(chromium)
    proc = run_chromium(exe, ["--enable-logging=stderr", "--v=0", f"--print-to-pdf={pdf_file}", "--no-pdf-header-footer",
                              Path(html_file).resolve().as_uri()])
    console = tuple(line for line in (proc.stderr or "").splitlines() if ":CONSOLE" in line or "Uncaught" in line)
    pdf_ok = Path(pdf_file).is_file() and Path(pdf_file).read_bytes()[:5] == b"%PDF-"
    return BrowserCheck(proc.returncode, console, pdf_ok)


__all__ = ["BrowserCheck", "ChromiumMissing", "browser_check", "find_chromium", "fix_pdf_dates", "html_pdf_bytes", "html_to_pdf",
           "run_chromium"]
