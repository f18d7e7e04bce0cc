"""Object keys inside a store. Keys are relative, so an exported bundle keeps them, and they are
inside the signed manifests (location binding)."""

from __future__ import annotations

import re

SEGMENTS = "segments/"
MANIFESTS = "manifests/"
CHECKPOINTS = "checkpoints/"
KEYS = "keys/"
_NUMBERED = re.compile(r"^(segments|manifests|checkpoints)/(\d{10})\.(avro|json|txt)$")


def segment_key(n: int) -> str:
    return f"{SEGMENTS}{n:010d}.avro"


def manifest_key(n: int) -> str:
    return f"{MANIFESTS}{n:010d}.json"


def checkpoint_key(n: int) -> str:
    return f"{CHECKPOINTS}{n:010d}.txt"


def number_of(key: str) -> int | None:
    match = _NUMBERED.match(key)
    return int(match.group(2)) if match else None
