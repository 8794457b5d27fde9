"""Hostile inventory text, and checkers that read an output the way a GitHub Actions runner and GitHub's Markdown do.

The runner (actions/runner, ActionCommandManager/ActionCommand) reads a step's stdout and
stderr line by line, splitting at LF, CR and CRLF; a line whose first non-blank characters are
`::` is a workflow command, and so is any line containing the older `##[command]` form.
GitHub's Markdown turns `@name` into a mention, `#123` into an issue reference, and
`scheme://...`, `www.` and e-mail addresses into links, besides Markdown's own links and HTML.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

# Everything an inventory's free text can carry into an output: workflow commands (on their own lines
# after LF, CR, NEL and U+2028, and in the older ##[ form), a secret-mask and a stop-commands, ANSI
# colours, a bidi override, a mention, bare and Markdown links, an image, HTML and an issue reference.
HOSTILE = ("x\n::error file=inventory.yaml,line=1::pwned\r::add-mask::secret\n  ::stop-commands::tok ##[warning]v1 "
           "@octocat https://evil.example/x www.evil.example mail@evil.example [link](https://evil.example) "
           "![img](https://evil.example/i.png) <script>alert(1)</script> <a href='https://evil.example'>a</a> "
           "\x1b[31mred\x1b[0m \u202eabc \u2028::notice::ls \x85::error::nel #123 `code` *em* | cell")
MARKER = "pwned"  # proves the hostile text reached an output (so the checks below can fail)


def _bench_hostile():  # noqa: ANN202 - bench/hostile.py, loaded by path: this module shares its name
    spec = importlib.util.spec_from_file_location("bench_hostile", Path(__file__).resolve().parents[2] / "bench" / "hostile.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_hostile"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_BENCH = _bench_hostile()
NotDask = _BENCH.NotDask  # the services that are not Dask, as bench/hostile.py runs them
inline_row = _BENCH.inline_row  # a sheet row of an xlsx, as bench/hostile.py builds its workbooks

_RUNNER_LINES = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]")
# What GitHub makes live in the text of rendered Markdown (outside code): mentions, issue references, autolinks.
_LIVE_TEXT = [re.compile(p) for p in (r"(?<![\w`])@[A-Za-z0-9]", r"(?<![\w&])#\d", r"[A-Za-z]://", r"(?i)\bwww\.",
                                      r"[\w.+-]@[A-Za-z0-9]")]
_ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li",
                 "strong", "em", "code", "hr", "details", "summary", "sub", "br", "blockquote"}


def live_commands(text: str) -> list[str]:
    """The lines of `text` a runner would take as workflow commands, and any control character in it."""
    found = []
    for line in _RUNNER_LINES.split(text):
        if line.lstrip().startswith("::") or "##[" in line:
            found.append(line)
    found += [f"control character {c!r}" for c in sorted(set(_CONTROL.findall(text)))]
    return found


def assert_no_live_commands(text: str, what: str) -> None:
    bad = live_commands(text)
    assert not bad, f"{what}: live workflow commands or control characters: {bad[:5]}"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self._code = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append(tag)
        self._code += tag == "code"

    def handle_endtag(self, tag):  # noqa: ANN001
        self._code -= tag == "code"

    def handle_data(self, data):  # noqa: ANN001
        if not self._code:
            self.text.append(data)


def markdown_problems(md: str, own_tags: tuple[str, ...] = ()) -> list[str]:
    """What in `md` GitHub would render live: tags beyond Markdown's own, links, mentions, bare URLs; and CI-log commands."""
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(md)
    parser = _Tags()
    parser.feed(rendered)
    problems = [f"<{t}>" for t in parser.tags if t not in _ALLOWED_TAGS and t not in own_tags]
    text = html.unescape("".join(parser.text))
    problems += [m.group() for p in _LIVE_TEXT for m in p.finditer(text)]
    return problems + live_commands(md)


def assert_markdown_inert(md: str, what: str) -> None:
    bad = markdown_problems(md)
    assert not bad, f"{what}: live Markdown: {bad[:8]}"
