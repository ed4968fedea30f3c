"""Safe YAML loading that remembers the line of every key, so mapping errors can point at them.

``yaml.safe_load`` forgets where things were. This loader is a ``SafeLoader`` (no arbitrary objects) whose
mappings are :class:`LineDict` — plain dicts that also know the 1-based line of each key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml


class LineDict(dict[Any, Any]):
    """A dict from YAML that knows where it and each of its keys start (1-based lines)."""

    line: int = 0
    key_lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        explicit = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)
        merged = len(node.value) - explicit  # ``<<: *anchor`` entries come first; explicit keys override them
        seen: set[Any] = set()
        out = LineDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                ) from None
            if index >= merged and key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            if index >= merged:
                seen.add(key)
            if index >= merged:
                seen.add(key)
            out[key] = self.construct_object(value_node, deep=deep)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)


def load_yaml(text: str) -> Any:
    """Parse ``text`` safely; mappings come back as :class:`LineDict`. Raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass: no arbitrary objects


def line_of(document: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest key along ``loc`` (a pydantic error location) that exists in ``document``."""
    node, line = document, getattr(document, "line", None)
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line
