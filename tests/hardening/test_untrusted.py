"""planner.base.untrusted, the one escaping helper: properties for any text, read the way a runner and a Markdown renderer do."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from hostile import HOSTILE, live_commands, markdown_problems
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from planner.base.untrusted import (
    html_finalize,
    json_text,
    markdown,
    one_line,
    terminal,
    workflow_data,
    workflow_property,
    xml_text,
)

# Text made of what matters here, mixed with anything Unicode has.
PIECES = ["::", "##[", "\n", "\r", "\r\n", " ", "\t", "\x1b[31m", "\u2028", "\x85", "\u202e", "\u200b", "@", "a", "https://",
          "www.", "#1", "[", "]", "(", ")", "<", ">", "&", "*", "_", "`", "|", "~", "$", "\\", "# ", "1. ", "- ", "---", "=",
          "error", "add-mask", "stop-commands", "&amp;", "&#64;"]
tricky = st.sampled_from(PIECES)
texts = st.lists(tricky | st.characters(), max_size=30).map("".join)
# Text a person can see: no control, format or separator characters (those are shown as escapes instead).
printable = st.lists(st.sampled_from([p for p in PIECES if p.isprintable() and p != "\u200b"]) |
                     st.characters(categories=["L", "N", "P", "S"]), max_size=30).map("".join)


@given(texts)
def test_terminal_text_never_carries_a_command_or_a_control_character(s):
    out = terminal(s)
    assert live_commands(out) == []
    assert terminal(out) == out  # idempotent
    assert out.count("\n") == s.count("\n")  # our line breaks stay, no new ones appear


@given(texts)
def test_one_line_is_one_line(s):
    """A value inside a line our renderer starts: it cannot end that line nor hide anything in it."""
    out = one_line(s)
    assert live_commands(f"note: {out}") == [] and "\n" not in out and "\r" not in out


@pytest.mark.slow
@settings(max_examples=300)
@given(printable)
def test_markdown_keeps_the_text_and_nothing_is_live(s):
    md = markdown(s)
    assert markdown_problems(md) == [], md
    if s.strip() in ("-", "+"):  # an empty list item at a line start, plain text in a table cell: left as is
        return
    rendered = MarkdownIt("commonmark", {"html": True}).enable("strikethrough").render(md)
    text = html.unescape(rendered.removeprefix("<p>").removesuffix("</p>\n")).replace("\u200b", "")
    assert text == s.strip(), (md, rendered)


@given(texts)
def test_markdown_of_any_text_is_one_inert_line(s):
    md = markdown(s)
    assert "\n" not in md and markdown_problems(md) == [], md


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append(tag)

    def handle_data(self, data):  # noqa: ANN001
        self.text += data


def _html_text(out: str) -> tuple[list[str], str]:
    parser = _Text()
    parser.feed(out)
    parser.close()
    return parser.tags, parser.text


@given(texts)
def test_html_values_are_text_on_one_line(s):
    out = str(html_finalize(s))
    tags, _ = _html_text(out)
    assert tags == [] and live_commands(out) == [] and "\n" not in out


@given(printable)
def test_html_values_keep_their_text(s):
    assert _html_text(str(html_finalize(s))) == ([], s)


@given(st.recursive(st.none() | st.booleans() | st.integers() | texts, lambda v: st.lists(v, max_size=3) |
                    st.dictionaries(texts, v, max_size=3), max_leaves=8))
def test_json_reads_back_the_same_and_shows_nothing_live(value):
    out = json_text(value, indent=2, sort_keys=True)
    assert json.loads(out) == value
    assert live_commands(out) == []


_XML_OK = st.characters(blacklist_categories=["Cs"], blacklist_characters="\ufffe\uffff") \
    .filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20)


@given(st.lists(tricky.filter(lambda t: all(c in "\t\n\r" or ord(c) >= 0x20 for c in t)) | _XML_OK, max_size=30).map("".join))
def test_xml_reads_back_the_same_and_shows_nothing_live(s):
    el = ET.Element("failure", {"message": s})
    el.text = s
    out = xml_text(ET.tostring(el, encoding="unicode"))
    back = ET.fromstring(out)
    assert (back.text or "") == s and back.get("message") == s
    assert live_commands(out) == []


def _runner_unescape(data: str) -> str:
    return data.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


@given(texts)
def test_workflow_command_values_stay_on_their_line_and_read_back(s):
    for escape in (workflow_data, workflow_property):
        out = escape(s)
        assert "\n" not in out and "\r" not in out
        assert _runner_unescape(out) == _runner_unescape(workflow_data(s))
    assert _runner_unescape(workflow_data(s)).count("\n") == s.count("\n")  # GitHub shows the message's own lines
    assert "," not in workflow_property(s) and ":" not in workflow_property(s)


def test_the_hostile_sample_by_hand():
    assert terminal("a\n::error::x\n  ::add-mask::y ##[warning]z") == "a\n\\::error::x\n  \\::add-mask::y ##\\[warning]z"
    assert one_line("x\n::error::y\x1b[31m\u202e") == "x\\n::error::y\\x1b[31m\\u202e"
    assert markdown("@octocat see https://x.example and www.x.example, #12") == \
        "@&#8203;octocat see https&#8203;://x.example and www&#8203;.x.example, #&#8203;12"
    assert markdown("[l](u) <b>|*") == "\\[l\\](u) &lt;b&gt;\\|\\*"
    assert markdown("# heading") == "\\# heading" and markdown("1. item") == "1\\. item"
    assert markdown("x" * 10, limit=5) == "xxxx…"
    assert str(html_finalize("::error::x\n<b>")) == "&#58;:error::x &lt;b&gt;"
    assert live_commands(json_text({"m": HOSTILE})) == []
