"""Reviewer-edited YAML forms, read with the line of every value so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import InvalidDataError

Path_ = tuple[str | int, ...]
# libyaml's parser when PyYAML was built with it: the same nodes and marks, several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicated key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


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


def read_form(path: Path) -> Form:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDataError([f"{path}:1: file: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
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
