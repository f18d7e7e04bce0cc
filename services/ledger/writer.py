"""The ledger writer: append received messages, seal them into a segment, manifest and checkpoint.

Sealing order is segment → signed manifest → signed checkpoint (store, then witness); the
caller commits Kafka offsets only after :meth:`LedgerWriter.seal` returns. Every object is
created only if absent, so a second writer extending the same chain fails on its first seal.
:meth:`LedgerWriter.recover` resumes from the newest manifest: it finishes a seal that a crash
interrupted (adopting a segment written without its manifest, writing a missing checkpoint)
and reports the Kafka offsets already sealed so they are skipped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.errors import ConflictError, DecodeError, IntegrityError
from services.core.logging import get_logger
from services.ledger import layout
from services.ledger.checkpoint import Checkpoint
from services.ledger.keys import Signer, utc_text
from services.ledger.manifest import MANIFEST_FORMAT, SignedManifest, parse_manifest, sign_manifest
from services.ledger.merkle import Frontier
from services.ledger.segment import (
    CODEC,
    GENESIS_CHAIN,
    KIND_DEAD_LETTER,
    SegmentReader,
    _avro_bytes,
    _long,
    build_segment,
    decode_entry,
    encode_meta_prefix,
    encode_meta_rest,
    extend_chain,
)
from services.ledger.stores import Store
from services.ledger.witnessing import WitnessClient

log = get_logger(__name__)
_sha256 = hashlib.sha256
_NO_KEY_NO_HEADERS = b"\x00\x00"  # key null, headers empty array
Message = tuple[bytes, str, int, int, "bytes | None", "list[tuple[str, bytes]] | None", bool]


@dataclass
class WriterConfig:
    origin: str
    retention_days: int
    writer: dict[str, str]
    schema_for: Any = None  # callable(fingerprint bytes) -> schema dict, or None to skip embedding
    own_topic: str | None = None  # messages here never start a timed seal on their own
    kafka_cluster: str | None = None  # identity of the broker whose offsets ``high_water`` counts


@dataclass
class LedgerState:
    next_segment: int = 0
    next_seq: int = 0
    chain_head: bytes = GENESIS_CHAIN
    frontier: Frontier = field(default_factory=Frontier)
    prev_manifest_sha256: str | None = None
    high_water: dict[str, dict[str, int]] = field(default_factory=dict)
    kafka_cluster: str | None = None


@dataclass
class Pending:
    leaves: list[bytes] = field(default_factory=list)
    entries: list[bytes] = field(default_factory=list)
    offsets: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    fingerprints: set[bytes] = field(default_factory=set)
    foreign_partitions: int = 0  # partitions with pending entries outside the ledger's own topic
    first_at: float | None = None  # monotonic time the oldest pending entry arrived
    dead_letters: int = 0


class LedgerWriter:
    def __init__(self, store: Store, signer: Signer, config: WriterConfig, witness: Store | None = None) -> None:
        self.store = store
        self.signer = signer
        self.config = config
        self.witness = witness
        self.witnessing: WitnessClient | None = None  # a witness that cosigns each checkpoint
        self.state = LedgerState()
        self.pending = Pending()
        self._prefixes: dict[tuple[str, int, bool], bytes] = {}

    # -- appending -----------------------------------------------------------------------
    def already_sealed(self, topic: str, partition: int, offset: int) -> bool:
        return offset < self.state.high_water.get(topic, {}).get(str(partition), 0)

    def append(
        self,
        value: bytes,
        topic: str,
        partition: int,
        offset: int,
        received_at_us: int,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
        dead_letter: bool = False,
    ) -> bool:
        """Add one message (False if it is sealed already or a duplicate within this batch)."""
        return self.append_batch([(value, topic, partition, offset, key, headers, dead_letter)], received_at_us) == 1

    def append_batch(self, messages: Iterable[Message], received_at_us: int) -> int:
        """Add a poll's worth of messages (value, topic, partition, offset, key, headers, dead letter),
        all received at the same moment; returns how many were new. One tight loop, no per-message
        objects beyond the entry bytes and its leaf hash."""
        pending = self.pending
        spans = pending.offsets
        prefixes = self._prefixes
        leaves, entries, fingerprints = pending.leaves, pending.entries, pending.fingerprints
        received = _long(received_at_us)
        sha = _sha256
        added = 0
        for value, topic, partition, offset, key, headers, dead_letter in messages:
            span = spans.get((topic, partition))
            if span is None:
                if self.already_sealed(topic, partition, offset):
                    continue
                spans[(topic, partition)] = span = [offset, offset, 0]
                if topic != self.config.own_topic:
                    pending.foreign_partitions += 1
            elif offset <= span[1]:
                continue
            span[1] = offset
            span[2] += 1
            prefix = prefixes.get((topic, partition, dead_letter))
            if prefix is None:
                kind = KIND_DEAD_LETTER if dead_letter else 0
                prefix = prefixes[(topic, partition, dead_letter)] = encode_meta_prefix(
                    kind, _avro_bytes(topic.encode()), partition
                )
            if key is None and not headers:
                entry = prefix + _long(offset) + received + _NO_KEY_NO_HEADERS + value
            else:
                entry = prefix + encode_meta_rest(offset, received, key, headers) + value
            leaves.append(sha(b"\x00" + entry).digest())
            entries.append(entry)
            if value[:2] == b"\xc3\x01":
                fingerprints.add(value[2:10])
            if dead_letter:
                pending.dead_letters += 1
            added += 1
        if added and pending.first_at is None:
            pending.first_at = time.monotonic()
        return added

    @property
    def pending_count(self) -> int:
        return len(self.pending.leaves)

    def due(self, max_events: int, max_seconds: float, now: float | None = None) -> bool:
        """Seal when full, or when the oldest entry waited long enough and not only our own events wait."""
        p = self.pending
        if len(p.leaves) >= max_events:
            return True
        if p.first_at is None or p.foreign_partitions == 0:
            return False
        return (now if now is not None else time.monotonic()) - p.first_at >= max_seconds

    # -- sealing -------------------------------------------------------------------------
    def seal(self, now: datetime | None = None) -> SignedManifest | None:
        p = self.pending
        if not p.leaves:
            return None
        state = self.state
        schemas = self._schemas(p.fingerprints)
        data = build_segment(state.next_segment, state.next_seq, state.chain_head, p.leaves, p.entries, schemas)
        retain_until = self._retain_until(now)
        self.store.put(layout.segment_key(state.next_segment), data, retain_until)
        manifest = self._finish(data, p.leaves, p.offsets, sorted(schemas), p.dead_letters, now)
        self.pending = Pending()
        return manifest

    def _finish(
        self,
        data: bytes,
        leaves: list[bytes],
        offsets: dict[tuple[str, int], list[int]],
        schemas: list[str],
        dead_letters: int,
        now: datetime | None,
    ) -> SignedManifest:
        """Manifest, then checkpoint, then witness; state advances only when all are stored."""
        state = self.state
        created = (now or datetime.now(UTC)).replace(microsecond=0)
        n = state.next_segment
        frontier = state.frontier.copy()
        frontier.extend(leaves)
        chain_head = extend_chain(state.chain_head, [b"".join(leaves)])
        high_water = {t: dict(p) for t, p in state.high_water.items()}
        for (topic, partition), (_first, last, _count) in offsets.items():
            high_water.setdefault(topic, {})[str(partition)] = last + 1
        body = {
            "format": MANIFEST_FORMAT,
            "origin": self.config.origin,
            "segment": n,
            "first_seq": state.next_seq,
            "last_seq": state.next_seq + len(leaves) - 1,
            "count": len(leaves),
            "prev_manifest_sha256": state.prev_manifest_sha256,
            "chain_prev": state.chain_head.hex(),
            "chain_head": chain_head.hex(),
            "merkle_root": frontier.root().hex(),
            "tree_size": frontier.size,
            "frontier": [node.hex() for node in frontier.nodes],
            "segment_key": layout.segment_key(n),
            "segment_sha256": _sha256(data).hexdigest(),
            "segment_bytes": len(data),
            "codec": CODEC,
            "manifest_key": layout.manifest_key(n),
            "checkpoint_key": layout.checkpoint_key(n),
            "offsets": [
                {"topic": t, "partition": p, "first": s[0], "last": s[1], "count": s[2]} for (t, p), s in sorted(offsets.items())
            ],
            "high_water": high_water,
            "kafka_cluster": self.config.kafka_cluster,
            "event_schemas": schemas,
            "dead_letters": dead_letters,
            "writer": self.config.writer,
            "created_at": utc_text(created),
            "retain_until": utc_text(self._retain_until(created)),
        }
        manifest = sign_manifest(body, self.signer)
        self.store.put(layout.manifest_key(n), manifest.to_bytes(), self._retain_until(created))
        note = self._publish_checkpoint(n, frontier, created)
        if self.witnessing is not None:
            self.witnessing.submit(n, state.frontier, leaves, note, self._retain_until(created))
        state.next_segment = n + 1
        state.next_seq = frontier.size
        state.chain_head = chain_head
        state.frontier = frontier
        state.prev_manifest_sha256 = manifest.sha256
        state.high_water = high_water
        state.kafka_cluster = self.config.kafka_cluster
        return manifest

    def _publish_checkpoint(self, n: int, frontier: Frontier, created: datetime, if_missing: bool = False) -> bytes:
        """Store and witness get the signed checkpoint after segment n. On resume (``if_missing``)
        one that exists is left alone: it may be signed by a key that has since rotated."""
        note = Checkpoint(self.config.origin, frontier.size, frontier.root()).sign(self.signer)
        key = layout.checkpoint_key(n)
        for store in [self.store, self.witness]:
            if store is None or (if_missing and store.exists(key)):
                continue
            try:
                store.put(key, note, self._retain_until(created))
            except ConflictError:
                if store.get(key) != note:
                    raise ConflictError(f"{store.url}: checkpoint {n} was written by another writer") from None
        return note

    def _retain_until(self, now: datetime | None) -> datetime:
        return (now or datetime.now(UTC)) + timedelta(days=self.config.retention_days)

    def _schemas(self, fingerprints: set[bytes]) -> dict[str, Any]:
        if self.config.schema_for is None:
            return {}
        out: dict[str, Any] = {}
        for fp in fingerprints:
            try:
                out[fp.hex()] = self.config.schema_for(fp)
            except DecodeError:
                continue  # unknown fingerprint: the bytes are kept; the DLQ copy says why
        return out

    # -- recovery ------------------------------------------------------------------------
    def recover(self) -> LedgerState:
        """Resume from the newest manifest; finish an interrupted seal; return the state."""
        numbers = [n for n in map(layout.number_of, self.store.list(layout.MANIFESTS)) if n is not None]
        if numbers:
            newest = parse_manifest(self.store.get(layout.manifest_key(max(numbers))))
            self.state = state_from_manifest(newest)
            created = datetime.now(UTC)
            self._publish_checkpoint(newest["segment"], self.state.frontier, created, if_missing=True)
        current_cluster = self.config.kafka_cluster
        if self.store.exists(layout.segment_key(self.state.next_segment)):
            self.config.kafka_cluster = self.state.kafka_cluster  # the orphan's offsets are of its broker
            try:
                self._adopt_orphan()
            finally:
                self.config.kafka_cluster = current_cluster
        self._forget_offsets_of_another_broker(current_cluster)
        log.info("ledger_resumed", next_segment=self.state.next_segment, next_seq=self.state.next_seq)
        return self.state

    def _forget_offsets_of_another_broker(self, current: str | None) -> None:
        """Sealed offsets only mean something on the broker that assigned them: a new cluster
        (the embedded broker keeps topics in memory, so each start is one) starts from its
        beginning, while the chain, sequence and tree continue."""
        previous = self.state.kafka_cluster
        if current is None or previous is None or previous == current:
            return
        log.warning(
            "kafka_cluster_changed",
            previous=previous,
            current=current,
            forgotten_partitions=sum(len(p) for p in self.state.high_water.values()),
        )
        self.state.high_water = {}
        self.state.kafka_cluster = current

    def _adopt_orphan(self) -> None:
        """A segment stored without its manifest (a crash between the two): check it continues
        the chain, then manifest and checkpoint it as if the seal had finished."""
        n = self.state.next_segment
        data = self.store.get(layout.segment_key(n))
        reader = SegmentReader(data)
        header = reader.header
        if header.segment != n or header.first_seq != self.state.next_seq or header.chain_prev != self.state.chain_head:
            raise IntegrityError(f"segment {n} exists without a manifest and does not continue the chain")
        leaves: list[bytes] = []
        offsets: dict[tuple[str, int], list[int]] = {}
        dead = 0
        for _first, packed, entries in reader.batches():
            for i, entry in enumerate(entries):
                leaf = _sha256(b"\x00" + entry).digest()
                if leaf != packed[32 * i : 32 * i + 32]:
                    raise IntegrityError(f"segment {n} exists without a manifest and its leaves do not match")
                leaves.append(leaf)
                m, _value = decode_entry(entry)
                dead += m["kind"] == KIND_DEAD_LETTER
                span = offsets.setdefault((m["topic"], m["partition"]), [m["offset"], m["offset"], 0])
                span[1] = m["offset"]
                span[2] += 1
        log.warning("ledger_adopting_orphan_segment", segment=n, entries=len(leaves))
        self._finish(data, leaves, offsets, sorted(header.event_schemas), dead, None)


def state_from_manifest(manifest: SignedManifest) -> LedgerState:
    body = manifest.body
    return LedgerState(
        next_segment=body["segment"] + 1,
        next_seq=body["last_seq"] + 1,
        chain_head=bytes.fromhex(body["chain_head"]),
        frontier=Frontier(body["tree_size"], [bytes.fromhex(h) for h in body["frontier"]]),
        prev_manifest_sha256=manifest.sha256,
        high_water={t: dict(p) for t, p in body["high_water"].items()},
        kafka_cluster=body.get("kafka_cluster"),
    )
