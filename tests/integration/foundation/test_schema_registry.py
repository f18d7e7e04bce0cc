"""Confluent Schema Registry framing against a real registry (Apicurio Registry, ccompat API).

Our codec, with ``schema_registry_url`` set, registers each event type's schema (record-name
subjects) and frames messages as ``00`` + 4-byte schema id + Avro body. Here a registry other
than our own code reads them: Confluent's ``AvroDeserializer`` decodes what went through the
broker, our codec decodes via ids it must look up, and the registry's listing shows what we
registered. See tests/support/registry.py for how the registry is built and started.
"""

from __future__ import annotations

import json
import re
import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka import Message, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, ServerConfig
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.common.schema_registry_client import ConfigCompatibilityLevel
from confluent_kafka.serialization import MessageField, SerializationContext

from services.core.errors import ConflictError, DecodeError, UnavailableError
from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.codec import CONFLUENT_MAGIC, EventCodec
from services.events.envelope import Event, EventFactory
from services.events.registry import ConfluentRegistry
from services.events.samples import sample_events
from services.events.schemas import EventSchema, SchemaCatalog
from services.kafka.broker import free_port
from services.kafka.consumer import make_consumer
from services.kafka.producer import EventProducer
from services.kafka.topics import topic_for_event
from tests.support.registry import apicurio_registry

pytestmark = pytest.mark.integration

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@pytest.fixture(scope="module")
def registry_url() -> Iterator[str]:
    with apicurio_registry() as url:
        yield url


def _settings(url: str, base: Settings | None = None) -> Settings:
    if base is not None:
        return base.model_copy(update={"schema_registry_url": url})
    return Settings(env="test", kafka_bootstrap="", database_url="", ledger_store="", schema_registry_url=url)


def _registry_codec(catalog: SchemaCatalog, url: str) -> EventCodec:
    """A codec with a registry client of its own: nothing cached from other codecs."""
    return EventCodec(catalog, ConfluentRegistry(_settings(url)))


def _schema_id(data: bytes) -> int:
    assert data[0] == CONFLUENT_MAGIC, f"not Confluent-framed: {bytes(data[:5]).hex()}"
    (schema_id,) = struct.unpack(">I", data[1:5])
    return int(schema_id)


def _as_micros(value: Any) -> Any:
    """fastavro (in AvroDeserializer) reads timestamp-micros as datetimes; we carry int micros."""
    if isinstance(value, datetime):
        return (value - EPOCH) // MICROSECOND
    if isinstance(value, dict):
        return {k: _as_micros(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_micros(v) for v in value]
    return value


def _expected_record(event: Event, schema: EventSchema) -> dict[str, Any]:
    """The event's fields as a reader sees them: top-level fields the sample leaves out read as their defaults."""
    record = event.as_record()
    return {f["name"]: record[f["name"]] if f["name"] in record else f["default"] for f in schema.schema["fields"]}


def _consume(settings: Settings, topics: set[str], expected: int, timeout_s: float = 30.0) -> list[Message]:
    consumer = make_consumer(settings, settings.kafka_bootstrap, f"registry-reader-{time.monotonic_ns()}")
    try:
        metadata = consumer.list_topics(timeout=10)
        consumer.assign([TopicPartition(topic, p, 0) for topic in sorted(topics) for p in metadata.topics[topic].partitions])
        found: list[Message] = []
        deadline = time.monotonic() + timeout_s
        while len(found) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                found.append(msg)
        return found
    finally:
        consumer.close()


def test_registry_framed_events_through_the_broker_decode_with_confluents_deserializer(
    registry_url: str, kafka_settings: Settings, catalog: SchemaCatalog, factory: EventFactory
) -> None:
    settings = _settings(registry_url, kafka_settings)
    codec = EventCodec(catalog, ConfluentRegistry(settings))
    events = {e.event_id: e for e in sample_events(factory, 1)}
    with EventProducer(settings, settings.kafka_bootstrap, codec) as producer:
        producer.publish_all(events.values())
    topics = {settings.topic(topic_for_event(e.event_type).base) for e in events.values()}
    messages = _consume(settings, topics, len(events))
    assert len(messages) == len(events)

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    seen_ids: dict[str, int] = {}
    for msg in messages:
        value, topic, event_id = msg.value(), msg.topic(), dict(msg.headers() or [])["ar-event-id"]
        assert isinstance(value, bytes) and isinstance(event_id, bytes) and topic is not None
        event = events[event_id.decode()]
        assert topic == settings.topic(topic_for_event(event.event_type).base)
        seen_ids[event.event_type] = _schema_id(value)
        decoded = deserializer(value, SerializationContext(topic, MessageField.VALUE))
        assert isinstance(decoded, dict), event.event_type
        assert _as_micros(decoded) == _expected_record(event, catalog.current(event.event_type)), event.event_type
    assert sorted(seen_ids) == sorted(catalog.event_types())
    assert len(set(seen_ids.values())) == len(seen_ids), f"two event types share a schema id: {seen_ids}"


def test_our_codec_decodes_what_it_wrote_via_the_registry(
    registry_url: str, catalog: SchemaCatalog, factory: EventFactory
) -> None:
    writer = _registry_codec(catalog, registry_url)
    events = sample_events(factory, 2)
    frames = [writer.encode(e) for e in events]
    reader = _registry_codec(catalog, registry_url)  # knows no ids: must fetch each from the registry
    for event, data in zip(events, frames, strict=True):
        schema, offset = reader.writer_schema(data)
        assert offset == 5
        current = catalog.current(event.event_type)
        assert schema.fingerprint == current.fingerprint, f"{event.event_type}: the registry gave back a different schema"
        decoded = reader.decode(data)
        assert decoded.envelope == event.envelope
        expected = _expected_record(event, current)
        del expected["envelope"]
        assert decoded.payload == expected, event.event_type
    with pytest.raises(DecodeError, match="AR_SCHEMA_REGISTRY_URL"):
        EventCodec(catalog).decode(frames[0])  # without a registry, a registry-framed event is undecodable


def test_the_registry_lists_the_subjects_and_versions_we_registered(
    registry_url: str, catalog: SchemaCatalog, factory: EventFactory
) -> None:
    events = sample_events(factory, 3)
    ids = {e.event_type: _schema_id(_registry_codec(catalog, registry_url).encode(e)) for e in events}
    again = _registry_codec(catalog, registry_url)
    assert {e.event_type: _schema_id(again.encode(e)) for e in events} == ids, "re-registering changed an id"

    client = SchemaRegistryClient({"url": registry_url})
    subjects = set(client.get_subjects())
    for event_type, schema_id in ids.items():
        schema = catalog.current(event_type)
        assert schema.full_name in subjects
        assert client.get_versions(schema.full_name) == [1], f"{schema.full_name}: identical schema made a new version"
        latest = client.get_latest_version(schema.full_name)
        assert latest.schema_id == schema_id
        stored = EventSchema(event_type, None, json.loads(latest.schema.schema_str or "{}"))
        assert stored.fingerprint == schema.fingerprint


def test_an_unreachable_registry_is_an_unavailable_error(catalog: SchemaCatalog, factory: EventFactory) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    codec = _registry_codec(catalog, url)
    event = sample_events(factory)[0]
    schema = catalog.current(event.event_type)
    refusal = f"schema registry at {re.escape(url)} refused {re.escape(schema.full_name)}: .+"
    with pytest.raises(UnavailableError, match=refusal) as refused:
        codec.encode(event)
    assert refused.value.transient
    framed = struct.pack(">bI", CONFLUENT_MAGIC, 1) + b"\x00"
    with pytest.raises(UnavailableError, match="did not give schema 1: .+"):
        codec.decode(framed)


def test_an_id_the_registry_never_issued_is_a_decode_error(registry_url: str, catalog: SchemaCatalog) -> None:
    """Not transient: a consumer dead-letters such a message instead of stopping on it forever."""
    framed = struct.pack(">bI", CONFLUENT_MAGIC, 987654) + b"\x00"
    with pytest.raises(DecodeError, match="has no schema 987654"):
        _registry_codec(catalog, registry_url).decode(framed)


def test_an_incompatible_schema_is_a_conflict_not_a_retry(registry_url: str, catalog: SchemaCatalog) -> None:
    """The subject's compatibility rule refuses the schema (HTTP 409): retrying cannot help."""
    current = catalog.current("collection.started")
    probe = EventSchema("collection.started", None, {**current.schema, "name": f"Probe{new_ulid()}"})
    client = SchemaRegistryClient({"url": registry_url})
    client.set_config(probe.full_name, ServerConfig(compatibility=ConfigCompatibilityLevel.FULL))
    narrowed = {
        "type": "record",
        "name": probe.schema["name"],
        "namespace": probe.schema.get("namespace"),
        "fields": [{"name": "only", "type": "int"}],
    }
    client.register_schema(probe.full_name, Schema(json.dumps(narrowed), "AVRO"))
    with pytest.raises(ConflictError, match="refuses .* as incompatible") as refused:
        ConfluentRegistry(_settings(registry_url)).id_for(probe)
    assert not refused.value.transient
