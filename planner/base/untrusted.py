"""Untrusted text (inventory fields, plan and waiver files, paths) made inert in every output: one helper per format.

Any line of a log that a GitHub Actions runner reads can be a workflow command: the runner
trims leading whitespace and takes a line starting with `::` as one (`::error::`,
`::add-mask::`, `::stop-commands::`), and it also takes the older `##[command]` form anywhere
in a line. It splits lines at CR as well as LF. So for each format:

- terminal text (:func:`one_line` for a value, :func:`terminal` for a whole output): control,
  format (bidi, zero-width) and line-separator characters are shown as escapes (`\\n`,
  `\\x1b`, `\\u202e`), so no ANSI sequence or hidden line reaches a terminal; `##[` becomes
  `##\\[`; a line whose first non-blank characters are `::` gets a backslash before them;
- workflow commands (:func:`workflow_data`, :func:`workflow_property`): GitHub's own escapes;
- Markdown (:func:`markdown`, :func:`markdown_finalize`): HTML entities, backslashes before
  Markdown syntax, and a zero-width space (`&#8203;`) after every `@`, after `#` before a
  digit, after `GH` before `-` and a digit, between a scheme and `://` and after `www`, so no mention, issue reference, bare URL
  or e-mail address becomes live in a pull-request comment;
- HTML (:func:`html_finalize`), JSON (:func:`json_text`) and XML (:func:`xml_text`): their own
  escaping plus the same line rules, written with the format's own character references;
- SARIF messages (:func:`sarif_text`): as terminal text, and no `[text](link)` embedded link;
- CSS strings (:func:`css_string`, e.g. a page footer in an `@page` rule): every character but
  letters, digits and spaces as a CSS escape, so nothing can end the string or the `<style>`.

Every function is pure, so outputs stay byte-for-byte deterministic; :func:`terminal` is idempotent.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from typing import Any, Callable

from markupsafe import Markup, escape

# Unicode categories that print nothing a reader can see: controls (C0, DEL, C1, so every ANSI
# escape), format characters (bidi overrides, zero-width spaces and joiners, soft hyphen),
# line and paragraph separators, lone surrogates.
_INVISIBLE = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs"))
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
V1_PREFIX = "##["  # the runner's older command syntax, recognised anywhere in a line
COMMAND_KEY = "::"  # a line whose first non-blank characters are these is a workflow command
ZWSP = "&#8203;"  # zero-width space as a character reference: invisible when rendered, visible in the source


@lru_cache(maxsize=None)
def _candidates(keep: str) -> "re.Pattern[str]":
    """Characters worth a closer look: everything but printable ASCII and `keep`."""
    return re.compile(f"[^\\x20-\\x7e{re.escape(keep)}]")


def _replace_invisible(text: str, keep: str, replace: Callable[[str], str]) -> str:
    def sub(m: "re.Match[str]") -> str:
        c = m.group()
        return replace(c) if unicodedata.category(c) in _INVISIBLE else c

    return _candidates(keep).sub(sub, text)


def _escape(c: str) -> str:
    """`\\n`, `\\x1b`, `\\u202e`: Python's notation for a character that prints nothing."""
    if c in _NAMED:
        return _NAMED[c]
    o = ord(c)
    return f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}"


def _guard_lines(text: str, guard: str) -> str:
    """Put `guard` before `::` that would begin a line (after the blanks the runner trims)."""
    if COMMAND_KEY not in text:
        return text
    out = []
    for line in text.split("\n"):
        rest = line.lstrip()
        out.append(line[: len(line) - len(rest)] + guard + rest if rest.startswith(COMMAND_KEY) else line)
    return "\n".join(out)


# ---------------------------------------------------------------- terminal text

def one_line(value: Any) -> str:
    """An untrusted value inside one line of text: invisible characters (line breaks too) as escapes, `##[` broken."""
    return _replace_invisible(str(value), "", _escape).replace(V1_PREFIX, "##\\[")


def terminal(text: str) -> str:
    """A whole text output for a terminal or a CI log: as :func:`one_line` but keeping LF, and no line starts `::`."""
    safe = _replace_invisible(str(text), "\n", _escape).replace(V1_PREFIX, "##\\[")
    return _guard_lines(safe, "\\")


# ---------------------------------------------------------------- GitHub workflow commands

def workflow_data(text: Any) -> str:
    """A workflow command's message: invisible characters as escapes, then GitHub's `%` `CR` `LF` escapes."""
    s = _replace_invisible(str(text), "\r\n", _escape)
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: Any) -> str:
    """A workflow command's property value (file, title): as :func:`workflow_data`, and `:` `,` escaped."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


# ---------------------------------------------------------------- Markdown

_MD_SYNTAX = re.compile(r"([\\`*_\[\]|~$])")
# What would open a block (heading, list item, thematic break, setext underline) if the value began a line.
_MD_BLOCK = re.compile(r"#{1,6}(?=\s|$)|[-+](?=\s)|\d{1,9}(?=[.)](?:\s|$))|-{3,}|=+(?=\s*$)")
# What GitHub turns into a notification, a cross-reference or a link in plain text: @mentions (and
# e-mail autolinks), #123 and GH-123 issue references, scheme://... and www. autolinks.
_MD_LIVE = re.compile(r"@|#(?=\d)|(?<=[A-Za-z])(?=://)|\b(?i:www)(?=\.)|\b(?i:gh)(?=-\d)")


def markdown(value: Any, limit: int = 0) -> str:
    """Untrusted text made inert in Markdown (a table cell, a heading, a list item): one line, no markup, nothing live.

    `limit` > 0 truncates the text (before escaping) to that many characters, ending in `…`.
    """
    s = str(value)
    if limit and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    s = _replace_invisible(_LINE_BREAKS.sub(" ", s), "", _escape).strip()
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = _MD_SYNTAX.sub(r"\\\1", s)
    block = _MD_BLOCK.match(s)
    if block:  # a backslash keeps it text wherever the template puts the value
        at = block.end() if block.group()[0].isdigit() else 0  # `1\. x`, `\# x`, `\- x`
        s = s[:at] + "\\" + s[at:]
    s = _MD_LIVE.sub(lambda m: m.group() + ZWSP, s)
    return _guard_lines(s, "\\")


def markdown_finalize(value: Any) -> Any:
    """Jinja `finalize` for Markdown templates: every `{{ value }}` through :func:`markdown` (Markup passes through)."""
    if isinstance(value, Markup):
        return str(value)
    return markdown(value)


# ---------------------------------------------------------------- HTML

def html_finalize(value: Any) -> Markup:
    """Jinja `finalize` for HTML templates: autoescaping, one line, invisible characters shown, no line starting `::`."""
    if isinstance(value, Markup):
        return value
    s = _replace_invisible(_LINE_BREAKS.sub(" ", str(value)), "", _escape)
    s = str(escape(s)).replace(V1_PREFIX, "##&#91;")
    stripped = s.lstrip()
    if stripped.startswith(COMMAND_KEY):
        s = s[: len(s) - len(stripped)] + "&#58;" + stripped[1:]
    return Markup(s)


# ---------------------------------------------------------------- CSS

_CSS_PLAIN = re.compile(r"[^A-Za-z0-9 ]")


def css_string(value: Any) -> Markup:
    """Untrusted text as a quoted CSS string: one line, invisible characters dropped, anything but `[A-Za-z0-9 ]` as `\\HEX `.

    Safe inside a `<style>` element (no `<`, quote or backslash survives) and marked safe for HTML
    autoescaping, which would otherwise write entities that CSS does not decode.
    """
    s = _replace_invisible(_LINE_BREAKS.sub(" ", str(value)), "", lambda c: "")
    return Markup('"' + _CSS_PLAIN.sub(lambda m: f"\\{ord(m.group()):x} ", s) + '"')


# ---------------------------------------------------------------- SARIF messages

def sarif_text(value: Any) -> str:
    """Untrusted text in a SARIF plain-text message: as :func:`one_line`, and `](` broken so no embedded link forms.

    SARIF viewers (GitHub code scanning among them) turn `[text](destination)` in a plain-text message into a link,
    whatever the brackets hold; a space after `]` leaves the text readable and the link grammar unmatched.
    """
    return one_line(value).replace("](", "] (")


# ---------------------------------------------------------------- JSON and XML documents

def _json_escape(c: str) -> str:
    o = ord(c)
    if o <= 0xFFFF:
        return f"\\u{o:04x}"
    o -= 0x10000
    return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"


def json_text(doc: Any, **kwargs: Any) -> str:
    """`json.dumps(doc, ensure_ascii=False, **kwargs)` with invisible characters and `##[` written as `\\u` escapes.

    A JSON reader gets exactly the same values; a terminal or a CI log shows nothing hidden and no command.
    """
    text = json.dumps(doc, ensure_ascii=False, **kwargs)
    return _replace_invisible(text, "\n", _json_escape).replace(V1_PREFIX, "##\\u005b")


def _xml_ref(c: str) -> str:
    """A character reference, or U+FFFD for a character XML 1.0 forbids even as a reference."""
    o = ord(c)
    return f"&#{o};" if c in "\t\r" or (o >= 0x7F and not 0xD800 <= o <= 0xDFFF) else "\ufffd"


def xml_text(text: str) -> str:
    """A serialised XML document with invisible characters (but LF), `##[` and a line-leading `:` as character references."""
    safe = _replace_invisible(text, "\n", _xml_ref).replace(V1_PREFIX, "##&#91;")
    if COMMAND_KEY not in safe:
        return safe
    return "\n".join(_xml_line(line) for line in safe.split("\n"))


def _xml_line(line: str) -> str:
    rest = line.lstrip()
    return line[: len(line) - len(rest)] + "&#58;" + rest[1:] if rest.startswith(COMMAND_KEY) else line


__all__ = ["css_string", "html_finalize", "json_text", "markdown", "markdown_finalize", "one_line", "sarif_text", "terminal",
           "workflow_data", "workflow_property", "xml_text"]
