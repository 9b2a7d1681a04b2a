"""Google field masks (``fields=sheets.properties,namedRanges``, ``userEnteredFormat(textFormat)``).

A mask is parsed into a tree: ``{"sheets": {"properties": {}}}``; an empty
subtree means "the whole value".  ``*`` at a level selects everything.
"""

from __future__ import annotations

import copy
from typing import Any

Mask = dict[str, "Mask"]


class MaskError(ValueError):
    """The mask text does not parse."""


def parse_mask(text: str) -> Mask:
    """Parse ``a.b,c(d,e/f)`` into a tree."""
    tree: Mask = {}
    pos = 0
    text = text.replace(" ", "")

    def parse_list(end: str | None) -> Mask:
        nonlocal pos
        out: Mask = {}
        while pos < len(text):
            path: list[str] = []
            name = ""
            while pos < len(text) and text[pos] not in ",()":
                ch = text[pos]
                if ch in "./":
                    if not name:
                        raise MaskError(text)
                    path.append(name)
                    name = ""
                else:
                    name += ch
                pos += 1
            if name:
                path.append(name)
            sub: Mask = {}
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = parse_list(")")
                if pos >= len(text) or text[pos] != ")":
                    raise MaskError(text)
                pos += 1
            if not path:
                raise MaskError(text)
            node = out
            for part in path[:-1]:
                node = node.setdefault(part, {})
            merge_into(node, path[-1], sub)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if end is not None and pos < len(text) and text[pos] == end:
                return out
            if pos < len(text):
                raise MaskError(text)
        if end is not None:
            raise MaskError(text)
        return out

    tree = parse_list(None)
    return tree


def merge_into(node: Mask, key: str, sub: Mask) -> None:
    """Add ``key`` (with subtree) to ``node``, widening to the whole value if either is whole."""
    if key in node:
        if not node[key] or not sub:
            node[key] = {}
        else:
            for k, v in sub.items():
                merge_into(node[key], k, v)
    else:
        node[key] = sub


def select(value: Any, mask: Mask) -> Any:
    """Keep only the masked parts of a response value (lists are masked element-wise)."""
    if not mask or "*" in mask and len(mask) == 1 and not mask["*"]:
        return value
    if isinstance(value, list):
        return [select(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, sub in mask.items():
        if key == "*":
            for k, v in value.items():
                out.setdefault(k, v if not sub else select(v, sub))
            continue
        if key in value:
            out[key] = select(value[key], sub)
    return out


def paths(mask: Mask, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Leaf paths of a mask: ``{"a": {"b": {}}, "c": {}}`` -> [("a", "b"), ("c",)]."""
    out: list[tuple[str, ...]] = []
    for key, sub in mask.items():
        if sub:
            out.extend(paths(sub, prefix + (key,)))
        else:
            out.append(prefix + (key,))
    return out


def apply_update(target: dict[str, Any], source: dict[str, Any], mask: Mask) -> dict[str, Any]:
    """A copy of ``target`` with every masked path taken from ``source`` (absent there = cleared).

    This is how Google applies ``fields`` in update requests: a named field
    that the request leaves out is reset, not kept.
    """
    result = copy.deepcopy(target)
    if "*" in mask and not mask["*"]:
        return copy.deepcopy(source)
    for path in paths(mask):
        if path == ("*",):
            return copy.deepcopy(source)
        src: Any = source
        for part in path:
            src = src.get(part) if isinstance(src, dict) else None
            if src is None:
                break
        node = result
        for part in path[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                node[part] = nxt
            node = nxt
        if src is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = copy.deepcopy(src)
    return result
