"""What the witness remembers: per log origin, the latest checkpoint it cosigned.

The state lives in the witness's own directory, never in the ledger's store. Checking the old
size and persisting the new checkpoint happen under one exclusive lock (a ``flock`` held across
processes), so two racing submissions can never roll the log back (c2sp.org/tlog-witness,
"add-checkpoint"). Every cosigned note is also kept, write-once, as the witness's history.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.core.errors import ConfigError


@dataclass(frozen=True)
class Latest:
    origin: str
    size: int
    root_b64: str
    note: str  # the checkpoint with the log's signature and the witness's cosignature
    timestamp: int


def origin_slug(origin: str) -> str:
    """A file name for an origin: readable prefix plus a hash, so no origin can escape the directory."""
    readable = "".join(c if c.isalnum() or c in "-." else "_" for c in origin)[:48]
    return f"{readable}-{hashlib.sha256(origin.encode()).hexdigest()[:16]}"


class WitnessState:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            (directory / "logs").mkdir(parents=True, exist_ok=True)
            (directory / "history").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"witness state directory {directory} is not writable: {exc}") from None
        self._lock_path = directory / "state.lock"

    @contextmanager
    def locked(self) -> Iterator[None]:
        with open(self._lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def latest(self, origin: str) -> Latest | None:
        path = self.directory / "logs" / f"{origin_slug(origin)}.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return Latest(data["origin"], data["size"], data["root"], data["note"], data["timestamp"])

    def record(self, latest: Latest) -> None:
        """Persist (call under :meth:`locked`): history first, then the atomic replace of the state."""
        slug = origin_slug(latest.origin)
        history = self.directory / "history" / slug
        history.mkdir(exist_ok=True)
        entry = history / f"{latest.size:020d}-{latest.timestamp}.txt"
        entry.write_text(latest.note)
        path = self.directory / "logs" / f"{slug}.json"
        tmp = path.with_name(f".tmp-{path.name}")
        doc = {
            "origin": latest.origin,
            "size": latest.size,
            "root": latest.root_b64,
            "note": latest.note,
            "timestamp": latest.timestamp,
        }
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def origins(self) -> list[Latest]:
        out = []
        for path in sorted((self.directory / "logs").glob("*.json")):
            data = json.loads(path.read_text())
            out.append(Latest(data["origin"], data["size"], data["root"], data["note"], data["timestamp"]))
        return out
