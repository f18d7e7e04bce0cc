"""The segment file: an Avro object container holding a run of ledger entries.

Each container record is a *batch* of consecutive entries (``first_seq``, the concatenated
32-byte leaf hashes, the entry sizes, the concatenated entries), which keeps writing and
verifying free of per-event object decoding. An entry is::

    entry = meta ‖ value        leaf = SHA-256(0x00 ‖ entry)   (RFC 9162 §2.1.1)

where ``value`` is the Kafka message value exactly as received (never re-encoded) and
``meta`` is the Avro binary encoding of :data:`ENTRY_META_SCHEMA` (kind, topic, partition,
offset, receive time, Kafka key and headers). Avro binary is self-delimiting, so
``meta ‖ value`` splits one way only. An entry's sequence number is its leaf index in the
log's Merkle tree: ``first_seq`` of its batch plus its position.

The container metadata embeds the entry schema and the writer schema of every event in the
segment (by fingerprint), so a segment can be decoded with nothing else in seven years.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from fastavro import parse_schema, reader, schemaless_reader, writer

from services.core.errors import DecodeError

FORMAT = "accessreview-ledger/1"
try:  # zstandard when installed (faster both ways), deflate otherwise; readers accept both
    import backports.zstd  # noqa: F401  (what fastavro uses for the zstandard codec)

    CODEC = "zstandard"
except ImportError:  # pragma: no cover - depends on the environment
    CODEC = "deflate"
BATCH_ENTRIES = 4096
KIND_DEAD_LETTER = 1
GENESIS_CHAIN = b"\x00" * 32

ENTRY_META_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "EntryMeta",
    "namespace": "accessreview.ledger",
    "doc": "Where and when the ledger received an entry; prefixed to the value bytes in the leaf.",
    "fields": [
        {"name": "kind", "type": "int", "doc": "0 event, 1 dead letter (raw bytes of a rejected message)"},
        {"name": "topic", "type": "string"},
        {"name": "partition", "type": "int"},
        {"name": "offset", "type": "long"},
        {"name": "received_at", "type": "long", "doc": "microseconds since the epoch, UTC"},
        {"name": "key", "type": ["null", "bytes"]},
        {
            "name": "headers",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Header",
                    "fields": [{"name": "name", "type": "string"}, {"name": "value", "type": "bytes"}],
                },
            },
        },
    ],
}
BATCH_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "EntryBatch",
    "namespace": "accessreview.ledger",
    "doc": "Consecutive ledger entries; entry i has sequence number (leaf index) first_seq + i.",
    "fields": [
        {"name": "first_seq", "type": "long"},
        {"name": "leaves", "type": "bytes", "doc": "32-byte RFC 9162 leaf hashes, concatenated"},
        {"name": "sizes", "type": "bytes", "doc": "byte length of each entry, uint32 little-endian"},
        {
            "name": "entries",
            "type": "bytes",
            "doc": "entries concatenated; entry = Avro EntryMeta ‖ value as received",
        },
    ],
}
_PARSED_BATCH = parse_schema(BATCH_SCHEMA)
_PARSED_META = parse_schema(ENTRY_META_SCHEMA)
_sha256 = hashlib.sha256
_pack_byte = struct.Struct("B").pack


def _varint(n: int) -> bytes:
    """Avro long: zig-zag then base-128 varint."""
    n = (n << 1) ^ (n >> 63)
    if n < 0x80:
        return _pack_byte(n)
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [_varint(i) for i in range(4096)]  # zig-zag varints of small non-negative ints, precomputed


def _long(n: int) -> bytes:
    return _SMALL[n] if 0 <= n < 4096 else _varint(n)


def _avro_bytes(data: bytes) -> bytes:
    return _long(len(data)) + data


def encode_meta(
    kind: int,
    topic: bytes,
    partition: int,
    offset: int,
    received_at: int,
    key: bytes | None,
    headers: list[tuple[str, bytes]] | None,
) -> bytes:
    """Avro binary of EntryMeta, written by hand for speed (equality with fastavro is tested)."""
    return encode_meta_prefix(kind, _avro_bytes(topic), partition) + encode_meta_rest(offset, _long(received_at), key, headers)


def encode_meta_prefix(kind: int, topic_field: bytes, partition: int) -> bytes:
    """kind, topic, partition: constant per partition, so callers cache it."""
    return _long(kind) + topic_field + _long(partition)


def encode_meta_rest(offset: int, received_field: bytes, key: bytes | None, headers: list[tuple[str, bytes]] | None) -> bytes:
    """offset, received_at (pre-encoded: the same for a whole poll), key, headers."""
    parts = [_long(offset), received_field, b"\x00" if key is None else b"\x02" + _avro_bytes(key)]
    if headers:
        parts.append(_long(len(headers)))
        for name, value in headers:
            parts.append(_avro_bytes(name.encode()))
            parts.append(_avro_bytes(value))
    parts.append(b"\x00")
    return b"".join(parts)


def decode_entry(entry: bytes) -> tuple[dict[str, Any], bytes]:
    """Split an entry into its metadata (decoded) and the value bytes exactly as received."""
    buf = io.BytesIO(entry)
    try:
        meta = schemaless_reader(buf, _PARSED_META, None)
    except (EOFError, ValueError, IndexError, UnicodeDecodeError, TypeError) as exc:
        raise DecodeError(f"entry metadata does not decode: {exc}") from None
    if not isinstance(meta, dict):
        raise DecodeError(f"entry metadata is not a record: {type(meta).__name__}")
    return meta, entry[buf.tell() :]


def extend_chain(head: bytes, packed_leaves: list[bytes]) -> bytes:
    """The segment chain: head_n = SHA-256(head_{n-1} ‖ leaf_first ‖ … ‖ leaf_last), from 32 zero bytes."""
    h = _sha256(head)
    for packed in packed_leaves:
        h.update(packed)
    return h.digest()


def split_entries(sizes: bytes, entries: bytes) -> list[bytes]:
    if len(sizes) % 4:
        raise DecodeError("entry sizes are not whole uint32s")
    lengths = struct.unpack(f"<{len(sizes) // 4}I", sizes)
    ends = list(accumulate(lengths))
    if (ends[-1] if ends else 0) != len(entries):
        raise DecodeError("entry sizes do not add up to the batch")
    return [entries[a:b] for a, b in zip([0, *ends], ends)]  # noqa: B905 - one start more than ends


@dataclass(frozen=True)
class SegmentHeader:
    segment: int
    first_seq: int
    count: int
    chain_prev: bytes
    event_schemas: dict[str, Any]


def build_segment(
    segment: int,
    first_seq: int,
    chain_prev: bytes,
    leaves: list[bytes],
    entries: list[bytes],
    event_schemas: dict[str, Any],
) -> bytes:
    """The container bytes; the sync marker is derived from the content so output is reproducible."""
    records = []
    for start in range(0, len(leaves), BATCH_ENTRIES):
        chunk = entries[start : start + BATCH_ENTRIES]
        records.append(
            {
                "first_seq": first_seq + start,
                "leaves": b"".join(leaves[start : start + BATCH_ENTRIES]),
                "sizes": struct.pack(f"<{len(chunk)}I", *map(len, chunk)),
                "entries": b"".join(chunk),
            }
        )
    metadata = {
        "accessreview.ledger.format": FORMAT,
        "accessreview.ledger.segment": str(segment),
        "accessreview.ledger.first_seq": str(first_seq),
        "accessreview.ledger.count": str(len(leaves)),
        "accessreview.ledger.chain_prev": chain_prev.hex(),
        "accessreview.ledger.entry_schema": json.dumps(ENTRY_META_SCHEMA, sort_keys=True),
        "accessreview.ledger.event_schemas": json.dumps(event_schemas, sort_keys=True),
    }
    sync = _sha256(b"sync" + segment.to_bytes(8, "big") + chain_prev).digest()[:16]
    buf = io.BytesIO()
    writer(
        buf,
        _PARSED_BATCH,
        records,
        codec=CODEC,
        metadata=metadata,
        sync_marker=sync,
        codec_compression_level=1,
    )
    return buf.getvalue()


def _batch_record(record: object) -> dict[str, Any]:
    """A container record as the batch dict it must be (fastavro types records loosely)."""
    if not isinstance(record, dict):
        raise DecodeError(f"segment batch is not a record: {type(record).__name__}")
    return record


class SegmentReader:
    """Reads a segment's header and batches; raises DecodeError on anything malformed."""

    def __init__(self, data: bytes) -> None:
        try:
            self._reader = reader(io.BytesIO(data))
            meta = self._reader.metadata
            if meta.get("accessreview.ledger.format") != FORMAT:
                raise DecodeError(f"unknown segment format {meta.get('accessreview.ledger.format')!r}")
            self.header = SegmentHeader(
                int(meta["accessreview.ledger.segment"]),
                int(meta["accessreview.ledger.first_seq"]),
                int(meta["accessreview.ledger.count"]),
                bytes.fromhex(meta["accessreview.ledger.chain_prev"]),
                json.loads(meta.get("accessreview.ledger.event_schemas", "{}")),
            )
        except DecodeError:
            raise
        except Exception as exc:  # noqa: BLE001 - fastavro raises many types on garbage
            raise DecodeError(f"not a ledger segment: {type(exc).__name__}: {exc}") from None

    def raw_batches(self) -> Iterator[tuple[int, bytes, bytes, bytes]]:
        """(first_seq, packed leaf hashes, packed uint32 sizes, concatenated entries) per batch."""
        try:
            for record in self._reader:
                batch = _batch_record(record)
                yield batch["first_seq"], batch["leaves"], batch["sizes"], batch["entries"]
        except Exception as exc:  # noqa: BLE001
            raise DecodeError(f"segment body does not decode: {type(exc).__name__}: {exc}") from None

    def batches(self) -> Iterator[tuple[int, bytes, list[bytes]]]:
        """(first_seq, packed leaf hashes, entries) per batch."""
        try:
            for record in self._reader:
                batch = _batch_record(record)
                yield batch["first_seq"], batch["leaves"], split_entries(batch["sizes"], batch["entries"])
        except DecodeError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise DecodeError(f"segment body does not decode: {type(exc).__name__}: {exc}") from None
