"""Read-ahead for the verifier: a helper thread fetches the next manifest, segment and checkpoint,
hashes the segment file and decompresses its batches while the main thread recomputes leaves
and roots of the current one (file reads, large-buffer SHA-256 and zstd release the GIL).
At most two segments are in memory at any time."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from services.core.errors import DecodeError, NotFoundError
from services.ledger import layout
from services.ledger.manifest import ManifestError, SignedManifest, parse_manifest
from services.ledger.segment import SegmentHeader, SegmentReader
from services.ledger.stores import Store


@dataclass
class Fetched:
    """Everything read for segment number n; errors are kept to be reported in order."""

    n: int
    manifest: SignedManifest | None = None
    manifest_error: ManifestError | None = None
    manifest_unreadable: bool = False
    data: bytes | None = None
    sha256: str = ""
    header: SegmentHeader | None = None
    batches: list[tuple[int, bytes, bytes, bytes]] = field(default_factory=list)
    decode_error: DecodeError | None = None
    checkpoint: bytes | None = None
    witness_note: bytes | None = None


def fetch(store: Store, n: int, checkpoint_listed: bool, witness: Store | None = None) -> Fetched:
    got = Fetched(n)
    try:
        got.manifest = parse_manifest(store.get(layout.manifest_key(n)))
    except NotFoundError:
        got.manifest_unreadable = True
        return got
    except ManifestError as exc:
        got.manifest_error = exc
        return got
    try:
        got.data = store.get(got.manifest["segment_key"])
    except NotFoundError:
        got.data = None
    if got.data is not None:
        got.sha256 = hashlib.sha256(got.data).hexdigest()
        try:
            reader = SegmentReader(got.data)
            got.header = reader.header
            got.batches = list(reader.raw_batches())
        except DecodeError as exc:
            got.decode_error = exc
    if witness is not None:
        try:
            got.witness_note = witness.get(layout.checkpoint_key(n))
        except NotFoundError:
            got.witness_note = None
    if checkpoint_listed:
        try:
            got.checkpoint = store.get(layout.checkpoint_key(n))
        except NotFoundError:
            got.checkpoint = None
    return got


class Prefetcher:
    def __init__(self, store: Store, numbers: list[int], checkpoints: set[int], witness: Store | None = None) -> None:
        self.store = store
        self.witness = witness
        self.numbers = numbers
        self.checkpoints = checkpoints
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-verify-read")

    def __iter__(self):  # type: ignore[no-untyped-def]
        pending: Future[Fetched] | None = None
        try:
            for i, n in enumerate(self.numbers):
                current = pending.result() if pending is not None else self._fetch(n)
                pending = self._pool.submit(self._fetch, self.numbers[i + 1]) if i + 1 < len(self.numbers) else None
                yield current
        finally:
            if pending is not None:
                pending.cancel()
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _fetch(self, n: int) -> Fetched:
        return fetch(self.store, n, n in self.checkpoints, self.witness)
