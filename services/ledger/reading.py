"""Reading a ledger back: entries in order, decoded with the schemas embedded in each segment.

Nothing outside the store is needed: every segment carries the writer schema of every event in
it, so these readers work on a bundle years later without the product's schema directory.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastavro import parse_schema, schemaless_reader

from services.core.errors import DecodeError, UsageError
from services.core.settings import Settings
from services.events.envelope import Envelope, Event
from services.events.jsonview import event_to_json
from services.events.schemas import SchemaCatalog, without_logical_types
from services.ledger import layout
from services.ledger.manifest import SignedManifest, parse_manifest
from services.ledger.segment import KIND_DEAD_LETTER, SegmentReader, decode_entry
from services.ledger.stores import Store


@dataclass
class Entry:
    seq: int
    segment: int
    entry: bytes  # meta ‖ value, the leaf input
    meta: dict[str, Any]
    value: bytes
    event: Event | None
    error: str | None = None

    @property
    def dead_letter(self) -> bool:
        return self.meta["kind"] == KIND_DEAD_LETTER

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "segment": self.segment,
            "topic": self.meta["topic"],
            "partition": self.meta["partition"],
            "offset": self.meta["offset"],
            "received_at": _iso(self.meta["received_at"]),
            "kind": "dead_letter" if self.dead_letter else "event",
        }
        if self.meta["headers"]:
            out["headers"] = {h["name"]: h["value"].decode("utf-8", "replace") for h in self.meta["headers"]}
        if self.event is not None:
            out["event"] = event_to_json(self.event)
        else:
            out["value_b64"] = base64.b64encode(self.value).decode()
            if self.error:
                out["undecodable"] = self.error
        return out


def _iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / 1_000_000, UTC).isoformat().replace("+00:00", "Z")


def parse_bound(text: str | None) -> int | datetime | None:
    """A --from/--to/--until value: a sequence number or an ISO-8601 time."""
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{text!r} is neither a sequence number nor an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class EventDecoder:
    """Decodes single-object-encoded values with a segment's embedded schemas.

    With a catalogue, an event type it knows is resolved into today's schema (fields added
    since get their defaults), so read models and re-derivations see one shape; without one, or
    for a type no longer known, the embedded writer schema alone decodes it. Timestamps are int
    microseconds either way, as the codec gives them.
    """

    def __init__(self, catalog: SchemaCatalog | None = None) -> None:
        self.catalog = catalog
        self._parsed: dict[str, tuple[Any, Any]] = {}

    def _schemas_for(self, fp: str, schemas: dict[str, Any]) -> tuple[Any, Any]:
        cached = self._parsed.get(fp)
        if cached is not None:
            return cached
        if fp not in schemas:
            raise DecodeError(f"segment embeds no schema for fingerprint {fp}")
        writer = parse_schema(without_logical_types(schemas[fp]))
        reader = None
        event_type = self.catalog.event_type_of(schemas[fp]) if self.catalog is not None else None
        if self.catalog is not None and event_type is not None:
            current = self.catalog.current(event_type)
            if current.fingerprint.hex() != fp:
                reader = current.parsed_plain
        self._parsed[fp] = (writer, reader)
        return writer, reader

    def decode(self, value: bytes, schemas: dict[str, Any]) -> Event:
        if len(value) < 10 or value[:2] != b"\xc3\x01":
            raise DecodeError("not an Avro single-object encoded event")
        writer, reader = self._schemas_for(value[2:10].hex(), schemas)
        try:
            record = schemaless_reader(io.BytesIO(value[10:]), writer, reader, return_record_name_override=True)
        except Exception as exc:  # noqa: BLE001 - fastavro raises many types on bad bytes
            raise DecodeError(f"event body does not decode: {exc}") from None
        if not isinstance(record, dict) or not isinstance(record.get("envelope"), dict):
            raise DecodeError("event body is not a record with an envelope")
        envelope = Envelope.from_record(record.pop("envelope"))
        return Event(envelope, record)


def manifests(store: Store) -> Iterator[SignedManifest]:
    numbers = sorted(n for n in map(layout.number_of, store.list(layout.MANIFESTS)) if n is not None)
    for n in numbers:
        yield parse_manifest(store.get(layout.manifest_key(n)))


def iter_entries(
    store: Store,
    start: int | datetime | None = None,
    end: int | datetime | None = None,
    decode: bool = True,
    contains: bytes | None = None,
    catalog: SchemaCatalog | None = None,
) -> Iterator[Entry]:
    """Entries in sequence order within [start, end] (sequence numbers or receive times)."""
    decoder = EventDecoder(catalog)
    for manifest in manifests(store):
        if isinstance(end, int) and manifest["first_seq"] > end:
            return
        if isinstance(start, int) and manifest["last_seq"] < start:
            continue
        reader = SegmentReader(store.get(manifest["segment_key"]))
        schemas = reader.header.event_schemas
        for first_seq, _packed, entries in reader.batches():
            for i, raw in enumerate(entries):
                seq = first_seq + i
                if isinstance(start, int) and seq < start:
                    continue
                if isinstance(end, int) and seq > end:
                    return
                if contains is not None and contains not in raw:
                    continue
                meta, value = decode_entry(raw)
                received = datetime.fromtimestamp(meta["received_at"] / 1_000_000, UTC)
                if isinstance(start, datetime) and received < start:
                    continue
                if isinstance(end, datetime) and received > end:
                    return
                yield _entry(seq, manifest["segment"], raw, meta, value, decode, decoder, schemas)


def _entry(
    seq: int,
    segment: int,
    raw: bytes,
    meta: dict[str, Any],
    value: bytes,
    decode: bool,
    decoder: EventDecoder,
    schemas: dict[str, Any],
) -> Entry:
    if not decode or meta["kind"] == KIND_DEAD_LETTER:
        return Entry(seq, segment, raw, meta, value, None)
    try:
        return Entry(seq, segment, raw, meta, value, decoder.decode(value, schemas))
    except DecodeError as exc:
        return Entry(seq, segment, raw, meta, value, None, str(exc))


def entry_json_line(entry: Entry) -> str:
    return json.dumps(entry.to_json(), sort_keys=True, default=str)


def leaf_stream(store: Store, size: int) -> Iterator[bytes]:
    """The first ``size`` leaf hashes of the log, as stored (checked by verify), one at a time."""
    produced = 0
    for manifest in manifests(store):
        reader = SegmentReader(store.get(manifest["segment_key"]))
        for _first, packed, _sizes, _blob in reader.raw_batches():
            for i in range(0, len(packed), 32):
                if produced >= size:
                    return
                yield packed[i : i + 32]
                produced += 1


def iter_events(store_url: str, settings: Settings) -> Iterator[Event]:
    """Decoded events in ledger order (dead letters and undecodable entries skipped): the read API
    other services' re-derivations use (e.g. ``campaign population --from-ledger``)."""
    from services.ledger.stores import open_store

    catalog = SchemaCatalog(settings.schema_dir)
    for entry in iter_entries(open_store(store_url, settings), catalog=catalog):
        if entry.event is not None:
            yield entry.event
