"""YAML reading that remembers where every value came from.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`, which carry the
1-based line of each key or item, so an error deep in a document can name its line.
Booleans are YAML 1.2's (`true`/`false` only): in YAML 1.1 the country code `NO` would
silently read as False. Duplicate keys are errors, and alias expansion is bounded so a
"billion laughs" document fails fast instead of exhausting memory.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Union

import yaml

try:
    _Base = yaml.CSafeLoader  # the C parser is ~10x faster on large inventories
except AttributeError:  # pragma: no cover - libyaml missing
    _Base = yaml.SafeLoader  # type: ignore[misc]

MAX_ALIAS_EXPANSION = 100_000


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


class YamlProblem(Exception):
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
        return super().construct_object(node, deep=deep)

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
            data[key] = self.construct_object(value_node, deep=True)
            data.lines[key] = key_node.start_mark.line + 1

    def construct_yaml_seq(self, node: yaml.SequenceNode):  # type: ignore[override]
        data = LineList()
        data.line = node.start_mark.line + 1
        yield data
        for child in node.value:
            data.append(self.construct_object(child, deep=True))
            data.lines.append(child.start_mark.line + 1)


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)
for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag != "tag:yaml.org,2002:bool":
            _Loader.add_implicit_resolver(_tag, _regexp, [_first] if _first is not None else None)
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


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
