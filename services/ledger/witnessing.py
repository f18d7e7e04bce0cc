"""Getting each checkpoint cosigned by a witness (c2sp.org/tlog-witness), from the writer's side.

After every seal the writer submits the new checkpoint with a consistency proof from the size
the witness last cosigned. The proof is built from the frontier at that size and the leaves
appended since (:func:`merkle.consistency_proof_from_frontier`), so the writer never rereads
the log while the witness keeps up. The cosigned note is stored, write-once, at
``witnessed/<n>.txt``. A witness that is down or refuses never stops sealing: the backlog of
leaves grows and the next seal retries with a longer proof; a 409 names the size the witness
holds, and the frontier and leaves from there are read back from the store.
"""

from __future__ import annotations

import base64
from datetime import datetime

import httpx

from services.core.logging import get_logger
from services.ledger import layout, merkle
from services.ledger.checkpoint import CheckpointError, open_note
from services.ledger.keys import KeyRing, PublicKey
from services.ledger.manifest import parse_manifest
from services.ledger.segment import SegmentReader
from services.ledger.stores import Store

log = get_logger(__name__)
MAX_BACKLOG_LEAVES = 4_000_000  # 128 MB of hashes; beyond it the backlog is read back from the store


class WitnessClient:
    def __init__(
        self, url: str, store: Store, log_key: PublicKey, witness_keys: KeyRing | None = None, timeout_s: float = 5.0
    ) -> None:
        self.url = url.rstrip("/")
        self.store = store
        self.log_key = log_key
        self.witness_keys = witness_keys  # when given, a cosignature is checked before it is stored
        self.timeout_s = timeout_s
        self.base: merkle.Frontier | None = None  # the tree the witness last cosigned
        self.backlog: list[bytes] = []  # leaves appended since ``base``
        self.cosigned = 0
        self.failures = 0

    def resume(self, newest_segment: int | None) -> None:
        """After a restart: the newest cosigned note in the store, else ask the witness (old size 0)."""
        numbers = [n for n in map(layout.number_of, self.store.list(layout.WITNESSED)) if n is not None]
        if numbers:
            size = _note_size(self.store.get(layout.witnessed_key(max(numbers))))
            self._rebuild(size, newest_segment)

    def submit(self, n: int, before: merkle.Frontier, leaves: list[bytes], note: bytes, retain_until: datetime) -> bool:
        """Submit checkpoint n (the tree ``before`` + ``leaves``); True once it is cosigned and stored."""
        if self.base is None and before.size == 0:
            self.base = merkle.Frontier()
        if self.base is not None:
            self.backlog.extend(leaves)
            if len(self.backlog) > MAX_BACKLOG_LEAVES:
                self.base, self.backlog = None, []
        for _attempt in range(2):
            old = self.base if self.base is not None else merkle.Frontier()
            proof = merkle.consistency_proof_from_frontier(old, self.backlog) if self.base is not None else []
            status, text = self._post(old.size, proof, note)
            if status == 200:
                after = before.copy()
                after.extend(leaves)
                return self._store(n, note, text, retain_until, after)
            if status == 409 and text.strip().isdigit():
                self._rebuild(int(text), n)
                continue
            self.failures += 1
            log.warning("witness_refused", status=status, reason=text.strip()[:200], segment=n, old_size=old.size)
            return False
        return False

    def _post(self, old_size: int, proof: list[bytes], note: bytes) -> tuple[int, str]:
        body = f"old {old_size}\n".encode() + b"".join(base64.b64encode(p) + b"\n" for p in proof) + b"\n" + note
        try:
            response = httpx.post(f"{self.url}/add-checkpoint", content=body, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return 0, f"witness unreachable: {exc}"
        return response.status_code, response.text

    def _store(self, n: int, note: bytes, lines: str, retain_until: datetime, after: merkle.Frontier) -> bool:
        cosigned = note + lines.encode()
        if self.witness_keys:
            try:
                if not open_note(cosigned, KeyRing([self.log_key]), self.witness_keys).cosignatures:
                    raise CheckpointError("cosignature-missing", "no cosignature by a configured witness key")
            except CheckpointError as exc:
                self.failures += 1
                log.error("witness_answer_rejected", segment=n, reason=str(exc))
                return False
        self.store.put(layout.witnessed_key(n), cosigned, retain_until)
        self.base, self.backlog = after, []
        self.cosigned += 1
        log.info("witness_cosigned", segment=n, tree_size=after.size)
        return True

    def _rebuild(self, size: int, newest_segment: int | None) -> None:
        """Frontier at ``size`` (a segment boundary) and every leaf after it, read back from the store."""
        manifests = sorted(n for n in map(layout.number_of, self.store.list(layout.MANIFESTS)) if n is not None)
        if newest_segment is not None:
            manifests = [n for n in manifests if n <= newest_segment]
        base = merkle.Frontier() if size == 0 else None
        backlog: list[bytes] = []
        for n in manifests:
            manifest = parse_manifest(self.store.get(layout.manifest_key(n)))
            if base is None:
                if manifest["tree_size"] == size:
                    base = merkle.Frontier(size, [bytes.fromhex(h) for h in manifest["frontier"]])
                continue
            for _first, packed, _entries in SegmentReader(self.store.get(layout.segment_key(n))).batches():
                backlog.extend(packed[i : i + 32] for i in range(0, len(packed), 32))
        if base is None:
            log.error("witness_ahead_of_store", witness_size=size, segments=len(manifests))
            self.base, self.backlog = None, []
            return
        self.base, self.backlog = base, backlog


def _note_size(note: bytes) -> int:
    return int(note.split(b"\n", 2)[1])
