"""Object keys inside a store. Keys are relative, so an exported bundle keeps them, and they are
inside the signed manifests (location binding)."""

from __future__ import annotations

import re

SEGMENTS = "segments/"
MANIFESTS = "manifests/"
CHECKPOINTS = "checkpoints/"
KEYS = "keys/"
WITNESSED = "witnessed/"  # checkpoints with a witness's cosignature (c2sp.org/tlog-cosignature)
EXTENSIONS = {SEGMENTS: ".avro", MANIFESTS: ".json", CHECKPOINTS: ".txt", WITNESSED: ".txt"}
_NUMBERED = re.compile(r"^(segments/|manifests/|checkpoints/|witnessed/)(\d{10})(\.avro|\.json|\.txt)$")


def segment_key(n: int) -> str:
    return f"{SEGMENTS}{n:010d}.avro"


def manifest_key(n: int) -> str:
    return f"{MANIFESTS}{n:010d}.json"


def checkpoint_key(n: int) -> str:
    return f"{CHECKPOINTS}{n:010d}.txt"


def witnessed_key(n: int) -> str:
    return f"{WITNESSED}{n:010d}.txt"


def number_of(key: str) -> int | None:
    """The number in a ledger object's key, only when prefix, ten digits and extension all match."""
    match = _NUMBERED.match(key)
    if not match or EXTENSIONS[match.group(1)] != match.group(3):
        return None
    return int(match.group(2))
