"""YAML reading that remembers where every value came from.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`, which carry the
1-based line of each key or item, so an error deep in a document can name its line.
Plain scalars resolve by YAML 1.2's core schema, not PyYAML's YAML 1.1: booleans are
`true`/`false` only (in YAML 1.1 the country code `NO` would silently read as False), `010`
is ten (not octal eight), `1:30` and `1_000` are text (not 90 and 1000), `1e3` is a number,
and there are no implicit dates: `2027-01-01` is text, read as a day by the field that wants
one (so `2027-02-30` is that field's error, not a parser crash). An integer too large for a
float is refused at its line. Duplicate keys are errors, and alias expansion is bounded so a
"billion laughs" document fails fast instead of exhausting memory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from planner.base.bounded import RefusedFile, env_limit, read_bounded
from planner.base.errors import PlannerError

try:
    _Base = yaml.CSafeLoader  # the C parser is ~10x faster on large inventories
except AttributeError:  # pragma: no cover - libyaml missing
    _Base = yaml.SafeLoader  # type: ignore[misc]

MAX_ALIAS_EXPANSION = 100_000
MAX_FILE_BYTES = env_limit("PLANNER_MAX_YAML_BYTES", 512 << 20)  # read whole into memory: a YAML file of a million workloads is ~300 MB; larger estates use tables
MAX_INT_BITS = 1024  # the largest float is just under 2**1024: a larger integer cannot be any value of ours

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_DECIMAL = re.compile(r"^[-+]?[0-9]+$")
_MAX_DECIMAL_DIGITS = 309  # 2**1024 has 309 digits; checked before converting, as Python refuses to read 4300+


class LineDict(dict):
    """A dict that knows the line of itself and of each key."""

    __slots__ = ("line", "lines")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.lines: dict[Any, int] = {}


class LineList(list):
    """A list that knows the line of itself and of each item."""

    __slots__ = ("line", "lines")

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.line = 0
        self.lines: list[int] = []


class YamlProblem(PlannerError):
    """A document that is not acceptable YAML for us; `line` is 1-based (0 = unknown)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(_Base):  # type: ignore[misc,valid-type]
    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._expanded = 0
        self._sizes: dict[int, int] = {}

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            # An alias: the same object is shared, but everyone downstream walks it again.
            self._expanded += self._size(node)
            if self._expanded > MAX_ALIAS_EXPANSION:
                raise YamlProblem(node.start_mark.line + 1, f"aliases expand to more than {MAX_ALIAS_EXPANSION} nodes; write the values out instead of nesting anchors")
        if not isinstance(node, yaml.ScalarNode):
            return super().construct_object(node, deep=deep)
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:  # an explicit tag on a value it does not fit (`!!int x`)
            shown = node.value if len(node.value) <= 60 else node.value[:57] + "..."
            raise YamlProblem(node.start_mark.line + 1, f"{shown!r} cannot be read as {node.tag.rsplit(':', 1)[-1]}: {exc}") from None

    def _size(self, node: yaml.Node) -> int:
        key = id(node)
        if key not in self._sizes:
            self._sizes[key] = 0  # guards recursive structures
            if isinstance(node, yaml.MappingNode):
                size = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._size(v) for v in node.value)
            else:
                size = 1
            self._sizes[key] = size
        return self._sizes[key]

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:  # type: ignore[override]
        text = str(self.construct_scalar(node))
        if text.startswith(("0o", "0x")):
            value = int(text[2:], 8 if text[1] == "o" else 16)
        elif _DECIMAL.match(text):
            if len(text.lstrip("+-")) > _MAX_DECIMAL_DIGITS:
                raise _too_large(node, f"a number of {len(text.lstrip('+-'))} digits")
            value = int(text)
        else:
            raise ValueError("not a YAML 1.2 integer (digits, 0o octal or 0x hexadecimal)")
        if value.bit_length() > MAX_INT_BITS:
            raise _too_large(node, f"a number of {value.bit_length()} bits")
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:  # type: ignore[override]
        text = str(self.construct_scalar(node))
        if not _FLOAT.match(text):
            raise ValueError("not a YAML 1.2 number")
        if text.lstrip("+-").lower() == ".inf":
            return float("-inf") if text.startswith("-") else float("inf")
        return float("nan") if text.lower() == ".nan" else float(text)

    def construct_yaml_map(self, node: yaml.MappingNode):  # type: ignore[override]
        data = LineDict()
        data.line = node.start_mark.line + 1
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise YamlProblem(key_node.start_mark.line + 1, f"key {key!r} is not text; field names are words like 'vcpu'")
            if key in data:
                raise YamlProblem(key_node.start_mark.line + 1, f"duplicate key '{key}' (first on line {data.lines[key]}); a later value would silently replace the first")
            try:
                data[key] = self.construct_object(value_node, deep=True)
            except YamlProblem as exc:
                if value_node.start_mark.line + 1 == exc.line and not exc.message.startswith("`"):
                    exc.message = f"`{key}`: {exc.message}"  # name the field when the problem is its own value
                raise
            data.lines[key] = key_node.start_mark.line + 1

    def construct_yaml_seq(self, node: yaml.SequenceNode):  # type: ignore[override]
        data = LineList()
        data.line = node.start_mark.line + 1
        yield data
        for child in node.value:
            data.append(self.construct_object(child, deep=True))
            data.lines.append(child.start_mark.line + 1)


def _too_large(node: yaml.Node, what: str) -> YamlProblem:
    return YamlProblem(node.start_mark.line + 1, f"{what}; no value in an inventory is that large (a float holds below 1.8e308)")


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
# Null and merge keys as PyYAML resolves them; no timestamps and no `=` value key (neither is YAML 1.2).
for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"):
            _Loader.add_implicit_resolver(_tag, _regexp, [_first] if _first is not None else None)
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def read_yaml_text(path: Union[str, Path]) -> str:
    """A YAML file's text: at most MAX_FILE_BYTES, UTF-8, no NUL; raises :class:`YamlProblem` (OSError when unreadable)."""
    try:  # a pipe or a device is refused (RefusedFile, an OSError), never read
        data = read_bounded(path, MAX_FILE_BYTES, "PLANNER_MAX_YAML_BYTES")
    except RefusedFile as exc:
        if not exc.too_large:
            raise
        raise YamlProblem(0, f"the file is larger than {MAX_FILE_BYTES >> 20} MB, more than a YAML file may hold; "
                             f"put the workloads of an estate this large in tables (workloads*.parquet or .csv), "
                             f"or raise PLANNER_MAX_YAML_BYTES") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(data[: exc.start].count(b"\n") + 1, "the file is not UTF-8 text; save it as UTF-8") from None
    nul = text.find("\0")
    if nul >= 0:
        raise YamlProblem(text.count("\n", 0, nul) + 1, "the file holds a NUL character; it is not a text file")
    return text


def load_yaml(text: Union[str, bytes]) -> Any:
    """Parse one YAML document with line tracking; raises :class:`YamlProblem`."""
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise YamlProblem(line, f"not valid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(0, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem(0, "the document nests too deeply to be an inventory") from None


def line_of(doc: Any, path: tuple[Union[str, int], ...]) -> Optional[int]:
    """The line of the deepest part of `path` that exists in `doc`."""
    line = getattr(doc, "line", None)
    node = doc
    for part in path:
        if isinstance(node, LineDict) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lines[part]
            node = node[part]
        else:
            break
    return line
