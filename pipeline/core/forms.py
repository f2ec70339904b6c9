"""Reviewer-edited YAML forms, read with the line of every value so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.errors import InvalidDataError

Path_ = tuple[str | int, ...]
# libyaml's parser when PyYAML was built with it: the same nodes and marks, several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A form is a few kilobytes; a megabyte is a wrong file, or an attack on the reader.
MAX_FORM_BYTES = 1 << 20
MAX_DEPTH = 32


@dataclass
class Form:
    """One YAML file's content; the line (1-based) of each key or item is worked out only when a problem
    needs to point at it, so reading thousands of valid forms stays fast."""

    path: Path
    data: Any
    text: str
    _lines: dict[Path_, int] | None = None

    @property
    def lines(self) -> dict[Path_, int]:
        if self._lines is None:
            loader = _Loader(self.text)
            try:
                self._lines = {}
                _construct(loader.get_single_node(), (), self._lines, loader)
            finally:
                loader.dispose()
        return self._lines

    def line(self, *keys: str | int) -> int:
        """The line of the deepest known prefix of `keys` (a missing field points at its parent)."""
        lines = self.lines
        while keys:
            if keys in lines:
                return lines[keys]
            keys = keys[:-1]
        return 1

    def where(self, *keys: str | int) -> str:
        return f"{self.path}:{self.line(*keys)}"


class _StrictLoader(_Loader):
    """PyYAML keeps the last of two equal keys silently; a reviewer's duplicated field is an error."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicated = key in seen
            except TypeError:  # a list or mapping as a key
                raise yaml.constructor.ConstructorError(None, None, "a key must be a plain name, not a list or "
                                                        "mapping", key_node.start_mark) from None
            if duplicated:
                raise yaml.constructor.ConstructorError(None, None, f"duplicated key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _check_tree(root: yaml.Node) -> None:
    """Forms have no use for anchors and aliases, and an alias bomb expands exponentially in everything that
    walks the data: refuse any node reached twice, and nesting deeper than any form needs."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise yaml.constructor.ConstructorError(None, None, "anchors and aliases (&name, *name) are not "
                                                    "allowed in forms; write each value out", node.start_mark)
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                    node.start_mark)
        if isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


def _construct(node: yaml.Node, here: Path_, lines: dict[Path_, int], loader) -> Any:
    lines.setdefault(here, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicated key '{key}'", key_node.start_mark
                )
            lines[here + (key,)] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, here + (key,), lines, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, here + (i,), lines, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node)


def _load(text: str) -> Any:
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_form(path: Path) -> Form:
    path = Path(path)
    if not path.is_file():
        raise InvalidDataError([f"{path}:1: file: not a regular file"])
    with path.open("rb") as stream:
        data = stream.read(MAX_FORM_BYTES + 1)
    if len(data) > MAX_FORM_BYTES:
        raise InvalidDataError([f"{path}:1: file: larger than {MAX_FORM_BYTES >> 10} KiB; a form is a few "
                                f"kilobytes (is this the right file?)"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDataError([f"{path}:1: file: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    try:
        data = _load(text)
    except RecursionError:
        raise InvalidDataError([f"{path}:1: file: nested too deeply to read"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidDataError([f"{path}:{line}: file: malformed YAML ({problem})"]) from None
    if not isinstance(data, dict):
        raise InvalidDataError([f"{path}:1: file: expected a mapping of fields at the top level"])
    return Form(path, data, text)


def dump_form(data: dict[str, Any]) -> str:
    """YAML as reviewers edit it: keys in the given order, unicode kept, long lines unfolded."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
