"""Every event type through the real broker; DLQ; commits; idempotency; unreachable broker."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import TopicPartition

from services.core.errors import UnavailableError
from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import Event, EventFactory
from services.events.samples import sample_events
from services.kafka import dlq
from services.kafka.consumer import ConsumerRunner, MessageMeta, committed_offsets, make_consumer
from services.kafka.producer import EventProducer
from services.kafka.topics import TOPICS, topic_for_event

pytestmark = pytest.mark.integration


def _runner(settings: Settings, codec: EventCodec, producer: EventProducer, topics: list[str], handler, group: str | None = None):  # type: ignore[no-untyped-def]
    return ConsumerRunner(
        settings, settings.kafka_bootstrap, group or f"g-{new_ulid()}", topics, handler, codec, producer, retry_backoff_s=0.01
    )


def _read_dlq(settings: Settings, expected: int, timeout_s: float = 20.0) -> list:  # type: ignore[type-arg]
    consumer = make_consumer(settings, settings.kafka_bootstrap, f"dlq-reader-{new_ulid()}")
    topic = settings.topic("dlq.v1")
    consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])
    found = []
    deadline = time.monotonic() + timeout_s
    while len(found) < expected and time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is not None and msg.error() is None:
            found.append(msg)
    consumer.close()
    return found


def test_every_event_type_through_the_broker(kafka_settings: Settings, codec: EventCodec, factory: EventFactory) -> None:
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    events = sample_events(factory, 1) + sample_events(factory, 2)
    producer.publish_all(events)
    received: dict[str, tuple[Event, MessageMeta]] = {}

    def handle(event: Event, meta: MessageMeta) -> None:
        received[event.event_id] = (event, meta)

    topics = [kafka_settings.topic(t.base) for t in TOPICS if t.event_types]
    stats = _runner(kafka_settings, codec, producer, topics, handle).run(until=lambda s: s.handled >= len(events), max_idle_s=30)
    assert stats.handled == len(events) and stats.dead_lettered == 0
    for event in events:
        got, meta = received[event.event_id]
        assert got.envelope == event.envelope
        assert meta.topic == kafka_settings.topic(topic_for_event(event.event_type).base)
        assert dict(meta.headers)["ar-event-type"] == event.event_type.encode()


def test_poison_messages_go_to_the_dlq_and_the_consumer_keeps_going(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory
) -> None:
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    topic = kafka_settings.topic("collection.v1")
    good = sample_events(factory)[:2]  # collection.started, collection.completed
    other_schema_body = codec.encode(sample_events(factory)[3])[10:]
    poison = {
        b"garbage": "unknown framing",
        b"\xc3\x01" + b"\x01" * 8 + b"xx": "unknown schema fingerprint",
        codec.encode(good[0])[:10] + other_schema_body: "undecodable",
    }
    for value in poison:
        producer.produce_raw(topic, b"same-key", value)
    producer.publish_all(good)  # same partition? keys differ; the runner must reach them anyway
    handled: list[str] = []
    runner = _runner(kafka_settings, codec, producer, [topic], lambda e, m: handled.append(e.event_id))
    stats = runner.run(until=lambda s: s.handled + s.dead_lettered >= 5, max_idle_s=30)
    assert sorted(handled) == sorted(e.event_id for e in good)
    assert stats.dead_lettered == 3
    letters = _read_dlq(kafka_settings, 3)
    assert sorted(m.value() for m in letters) == sorted(poison)
    for msg in letters:
        reason = dlq.header(msg, dlq.REASON) or ""
        assert poison[msg.value()] in reason
        assert dlq.header(msg, dlq.SOURCE_TOPIC) == topic
        assert dlq.header(msg, dlq.SOURCE_OFFSET) is not None
    committed = committed_offsets(
        kafka_settings, kafka_settings.kafka_bootstrap, runner.group_id, [TopicPartition(topic, p) for p in range(3)]
    )
    assert sum(max(tp.offset, 0) for tp in committed) == 5


def test_a_handler_rejection_is_dead_lettered_with_its_reason(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory
) -> None:
    from services.core.errors import UsageError

    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    event = sample_events(factory)[0]
    producer.publish_all([event])

    def reject(e: Event, m: MessageMeta) -> None:
        raise UsageError("run id unknown to this consumer")

    stats = _runner(kafka_settings, codec, producer, [kafka_settings.topic("collection.v1")], reject).run(
        until=lambda s: s.dead_lettered >= 1, max_idle_s=30
    )
    assert stats.dead_lettered == 1
    (letter,) = _read_dlq(kafka_settings, 1)
    assert "run id unknown" in (dlq.header(letter, dlq.REASON) or "")
    assert codec.decode(letter.value()).event_id == event.event_id


def test_transient_failure_commits_nothing_and_the_event_comes_back(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory
) -> None:
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    events = sample_events(factory)[:2]
    producer.publish_all(events)
    topic = kafka_settings.topic("collection.v1")
    group = f"g-{new_ulid()}"

    def database_down(e: Event, m: MessageMeta) -> None:
        raise UnavailableError("database unreachable")

    runner = _runner(kafka_settings, codec, producer, [topic], database_down, group)
    runner.handler_attempts = 1
    with pytest.raises(UnavailableError):
        runner.run(max_idle_s=30)
    assert runner.stats.dead_lettered == 0
    seen: list[str] = []
    again = _runner(kafka_settings, codec, producer, [topic], lambda e, m: seen.append(e.event_id), group)
    again.run(until=lambda s: s.handled >= 2, max_idle_s=30)
    assert sorted(seen) == sorted(e.event_id for e in events)


def test_redelivered_events_are_handled_once(kafka_settings: Settings, codec: EventCodec, factory: EventFactory) -> None:
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    event = sample_events(factory)[0]
    producer.publish_all([event, event, event])  # a producer retry storm: same event id thrice
    seen: list[str] = []
    stats = _runner(
        kafka_settings, codec, producer, [kafka_settings.topic("collection.v1")], lambda e, m: seen.append(e.event_id)
    ).run(until=lambda s: s.handled + s.duplicates >= 3, max_idle_s=30)
    assert seen == [event.event_id]
    assert stats.duplicates == 2


def test_unreachable_broker_fails_fast_with_a_clear_error(tmp_path, codec: EventCodec) -> None:  # type: ignore[no-untyped-def]
    from services.kafka.broker import free_port

    settings = Settings(env="test", data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}", kafka_connect_timeout_s=3)
    producer = EventProducer(settings, settings.kafka_bootstrap, codec)
    runner = ConsumerRunner(settings, settings.kafka_bootstrap, "g", ["x"], lambda e, m: None, codec, producer)
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="did not answer"):
        runner.run(max_idle_s=1)
    assert time.monotonic() - started < 10


def test_batch_mode_hands_over_whole_batches_and_dead_letters_only_what_is_refused(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory
) -> None:
    """One call per poll batch; garbage goes to the DLQ; when the handler refuses a batch for good,
    each event is retried alone, so only the one it refuses is dead-lettered; a tick runs between."""
    from services.core.errors import UsageError

    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    topic = kafka_settings.topic("collection.v1")
    good = [e for e in sample_events(factory) + sample_events(factory, 2) if e.event_type.startswith("collection.")]
    bad = good[1].event_id
    producer.produce_raw(topic, b"k", b"garbage")
    producer.publish_all(good)
    calls: list[int] = []
    handled: list[str] = []
    ticks: list[float] = []

    def project(batch: list) -> None:  # type: ignore[type-arg]
        calls.append(len(batch))
        if any(event.event_id == bad for event, _ in batch):
            raise UsageError("this event cannot be projected")
        handled.extend(event.event_id for event, _ in batch)

    runner = ConsumerRunner(
        kafka_settings,
        kafka_settings.kafka_bootstrap,
        f"g-{new_ulid()}",
        [topic],
        None,
        codec,
        producer,
        retry_backoff_s=0.01,
        batch_handler=project,
        tick=lambda: ticks.append(time.monotonic()),
        tick_every_s=0.2,
    )
    stats = runner.run(until=lambda s: s.handled + s.dead_lettered >= len(good) + 1, max_idle_s=30)
    assert sorted(handled) == sorted(e.event_id for e in good if e.event_id != bad)
    assert (stats.handled, stats.dead_lettered) == (len(good) - 1, 2)
    assert max(calls) > 1, "events were not handed over as a batch"
    assert ticks, "the tick never ran"
    reasons = {dlq.header(m, dlq.REASON) for m in _read_dlq(kafka_settings, 2)}
    assert any(r and r.startswith("undecodable") for r in reasons)
    assert any(r and "this event cannot be projected" in r for r in reasons)
