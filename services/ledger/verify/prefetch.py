"""Read-ahead for the verifier: the next segments are fetched, hashed, decompressed and their
leaves recomputed while the main thread checks the current one.

With one worker this runs in a helper thread (file reads, large-buffer SHA-256 and zstd release
the GIL). With more, on a file store of many segments, it runs in worker processes, one segment
each, so the per-entry hashing uses every core. Either way the reader recomputes every leaf,
compares it with the stored one, hashes the segment's chain link and folds its leaves into the
aligned perfect subtrees they form (:func:`merkle.aligned_subtrees`); only those O(log n)
hashes come back, and the main thread appends them to the tree in order. At most
``workers + 1`` segments are in flight.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from services.core.errors import DecodeError, NotFoundError
from services.ledger import layout
from services.ledger.hashing import leaf_hashes
from services.ledger.manifest import ManifestError, SignedManifest, parse_manifest
from services.ledger.merkle import aligned_subtrees
from services.ledger.segment import SegmentHeader, SegmentReader
from services.ledger.stores import Store
from services.ledger.stores.file import FileStore

MAX_LEAF_FINDINGS = 5
PROCESSES_FROM_SEGMENTS = 16  # below this, starting worker processes costs more than it saves


@dataclass
class Fetched:
    """Everything read for segment number n; errors are kept to be reported in order."""

    n: int
    manifest: SignedManifest | None = None
    manifest_error: ManifestError | None = None
    manifest_unreadable: bool = False
    present: bool = False
    size: int = 0
    sha256: str = ""
    header: SegmentHeader | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)  # (first_seq, entries) per batch
    batches_ok: bool = True  # entry sizes add up and every batch stores one leaf per entry
    leaf_mismatches: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # (seq, stored, recomputed), first few
    subtrees: list[tuple[int, bytes]] = field(default_factory=list)  # the recomputed leaves as aligned subtrees
    chain_head: bytes = b""  # SHA-256(manifest's chain_prev ‖ recomputed leaves)
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
    _read_segment(store, got)
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


def _read_segment(store: Store, got: Fetched) -> None:
    assert got.manifest is not None
    try:
        data = store.get(got.manifest["segment_key"])
    except NotFoundError:
        return
    got.present, got.size, got.sha256 = True, len(data), hashlib.sha256(data).hexdigest()
    try:
        reader = SegmentReader(data)
        got.header = reader.header
        computed = [_check_batch(got, first, packed, sizes, blob) for first, packed, sizes, blob in reader.raw_batches()]
    except DecodeError as exc:
        got.decode_error = exc
        return
    leaves = b"".join(computed)
    try:
        got.chain_head = hashlib.sha256(bytes.fromhex(got.manifest["chain_prev"]) + leaves).digest()
    except ValueError:
        got.chain_head = hashlib.sha256(leaves).digest()  # a malformed chain_prev is reported by the link check
    got.subtrees = aligned_subtrees(got.manifest["first_seq"], leaves)


def _check_batch(got: Fetched, first: int, packed: bytes, sizes: bytes, blob: bytes) -> bytes:
    computed = leaf_hashes(sizes, blob)
    if computed is None or len(computed) != len(packed) or len(packed) % 32:
        got.batches_ok = False
        return computed or b""
    got.spans.append((first, len(computed) // 32))
    if computed != packed:
        for i in range(0, len(computed), 32):
            if computed[i : i + 32] != packed[i : i + 32] and len(got.leaf_mismatches) < MAX_LEAF_FINDINGS:
                got.leaf_mismatches.append((first + i // 32, packed[i : i + 32], computed[i : i + 32]))
    return computed


def _fetch_from_file_store(url: str, n: int, checkpoint_listed: bool) -> Fetched:
    """In a worker process: the store is opened again by its URL."""
    return fetch(FileStore(url), n, checkpoint_listed)


class Prefetcher:
    def __init__(
        self, store: Store, numbers: list[int], checkpoints: set[int], witness: Store | None = None, workers: int = 1
    ) -> None:
        self.store = store
        self.witness = witness
        self.numbers = numbers
        self.checkpoints = checkpoints
        self.processes = (
            workers > 1 and isinstance(store, FileStore) and witness is None and len(numbers) >= PROCESSES_FROM_SEGMENTS
        )
        self.workers = max(1, workers)

    def __iter__(self) -> Iterator[Fetched]:
        pool = self._pool()
        pending: deque[Future[Fetched]] = deque()
        upcoming = iter(self.numbers)
        try:
            for n in upcoming:
                pending.append(self._submit(pool, n))
                if len(pending) > self.workers:
                    break
            while pending:
                current = pending.popleft().result()
                following = next(upcoming, None)
                if following is not None:
                    pending.append(self._submit(pool, following))
                yield current
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def _pool(self) -> Executor:
        if self.processes:
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-verify-read")

    def _submit(self, pool: Executor, n: int) -> Future[Fetched]:
        if self.processes:
            return pool.submit(_fetch_from_file_store, self.store.url, n, n in self.checkpoints)
        return pool.submit(fetch, self.store, n, n in self.checkpoints, self.witness)
