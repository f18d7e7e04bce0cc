from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastavro import schemaless_writer
from fastavro.schema import fingerprint

from services.core.errors import DecodeError, EncodeError
from services.events.codec import EventCodec
from services.events.crc64 import crc64_avro
from services.events.envelope import EventFactory
from services.events.samples import sample_events
from services.events.schemas import EventSchema, SchemaCatalog


def test_crc64_avro_matches_the_spec_empty_value() -> None:
    assert crc64_avro(b"") == 0xC15D213AA4D7A795


def test_every_event_type_round_trips(codec: EventCodec, factory: EventFactory, catalog: SchemaCatalog) -> None:
    events = sample_events(factory)
    assert {e.event_type for e in events} == set(catalog.event_types())
    for event in events:
        decoded = codec.decode(codec.encode(event))
        assert decoded.envelope == event.envelope
        assert json.dumps(decoded.payload, sort_keys=True, default=str) == json.dumps(
            {k: v for k, v in decoded.payload.items()}, sort_keys=True, default=str
        )
        for key, value in event.payload.items():
            got = decoded.payload[key]
            if hasattr(got, "timestamp"):
                got = int(got.timestamp() * 1_000_000)
            assert got == value, (event.event_type, key)


def test_single_object_header_is_magic_plus_little_endian_fingerprint(codec: EventCodec, factory: EventFactory) -> None:
    event = sample_events(factory)[0]
    data = codec.encode(event)
    schema = codec.catalog.current(event.event_type)
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == crc64_avro(schema.canonical_form.encode()).to_bytes(8, "little")
    assert data[2:10].hex() == fingerprint(schema.canonical_form, "CRC-64-AVRO")
    assert event.envelope.schema_fingerprint == schema.fingerprint_hex


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "unknown framing"),
        (b"garbage that is not avro", "unknown framing"),
        (b"\xc3\x01" + b"\x00" * 8 + b"body", "unknown schema fingerprint"),
    ],
)
def test_garbage_is_a_decode_error(codec: EventCodec, data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        codec.decode(data)


def test_truncated_and_padded_bodies_are_decode_errors(codec: EventCodec, factory: EventFactory) -> None:
    data = codec.encode(sample_events(factory)[3])
    with pytest.raises(DecodeError):
        codec.decode(data[:-7])
    with pytest.raises(DecodeError, match="trailing bytes"):
        codec.decode(data + b"\x00\x00")


def test_body_of_another_schema_is_a_decode_error(codec: EventCodec, factory: EventFactory) -> None:
    events = sample_events(factory)
    wrong_body = codec.encode(events[0])[10:]
    header = codec.encode(events[5])[:10]
    with pytest.raises(DecodeError):
        codec.decode(header + wrong_body)


def test_event_not_fitting_its_schema_is_an_encode_error(codec: EventCodec, factory: EventFactory) -> None:
    event = factory.new("collection.started", {"run_id": 5}, correlation_id="c", subject_key="k")
    with pytest.raises(EncodeError):
        codec.encode(event)


def test_old_version_data_is_read_with_the_current_schema(
    catalog: SchemaCatalog, codec: EventCodec, factory: EventFactory
) -> None:
    """Data written by an older writer (fewer fields) reads with defaults filled in."""
    current = catalog.current("collection.started")
    old_schema = json.loads(json.dumps(current.schema))
    old_schema["fields"] = [f for f in old_schema["fields"] if f["name"] != "parameters"]
    old = EventSchema("collection.started", 0, old_schema)
    catalog._by_fingerprint[old.fingerprint] = old  # an archived version, as released/ would hold
    try:
        event = sample_events(factory)[0]
        record = event.as_record()
        record.pop("parameters")
        buffer = io.BytesIO()
        buffer.write(b"\xc3\x01" + old.fingerprint)
        schemaless_writer(buffer, old.parsed, record)
        decoded = codec.decode(buffer.getvalue())
        assert decoded.payload["parameters"] == {}
        assert decoded.payload["scopes"] == event.payload["scopes"]
    finally:
        del catalog._by_fingerprint[old.fingerprint]


class _MemoryRegistry:
    """The RegistryClient protocol over a dict: enough to test the Confluent framing."""

    def __init__(self) -> None:
        self.by_id: dict[int, dict[str, Any]] = {}

    def id_for(self, schema: EventSchema) -> int:
        for schema_id, stored in self.by_id.items():
            if stored == schema.schema:
                return schema_id
        self.by_id[len(self.by_id) + 1] = schema.schema
        return len(self.by_id)

    def schema_for(self, schema_id: int) -> dict[str, Any]:
        return self.by_id[schema_id]


def test_confluent_wire_format_round_trips(catalog: SchemaCatalog, factory: EventFactory) -> None:
    registry = _MemoryRegistry()
    codec = EventCodec(catalog, registry)
    event = sample_events(factory)[4]
    data = codec.encode(event)
    assert data[0] == 0 and int.from_bytes(data[1:5], "big") == 1
    assert codec.decode(data).envelope == event.envelope
    plain = EventCodec(catalog)
    with pytest.raises(DecodeError, match="AR_SCHEMA_REGISTRY_URL"):
        plain.decode(data)
    assert plain.decode(plain.encode(event)).event_id == event.event_id
