"""Canonical JSON for signed documents: the bytes that are hashed and signed.

The subset of RFC 8785 (JCS) our manifests need: objects with string keys sorted by UTF-16 code unit,
no insignificant whitespace, UTF-8, integers only (no floats), strings escaped as ``json``
does with ``ensure_ascii=False``. Floats are refused so that no number can have two spellings.
"""

from __future__ import annotations

import json
from typing import Any

from services.core.errors import EncodeError


def _check(value: Any, where: str = "$") -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return
    if isinstance(value, float):
        raise EncodeError(f"canonical JSON refuses floats ({where})")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodeError(f"canonical JSON needs string keys ({where})")
            _check(item, f"{where}.{key}")
        return
    raise EncodeError(f"canonical JSON cannot hold {type(value).__name__} ({where})")


def _ordered(value: Any) -> Any:
    """Objects with their keys in RFC 8785 order: by UTF-16 code units (not code points, which differ
    for keys beyond U+FFFF against U+E000-U+FFFF; ASCII keys sort the same either way)."""
    if isinstance(value, dict):
        return {key: _ordered(value[key]) for key in sorted(value, key=lambda k: k.encode("utf-16-be"))}
    if isinstance(value, list | tuple):
        return [_ordered(item) for item in value]
    return value


def canonical_json(value: Any) -> bytes:
    _check(value)
    return json.dumps(_ordered(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
