"""What a strict broker refuses: topic configs the catalogue does not declare, messages over the size
limit, dead letters that would not fit. Runs on Tansu and (``AR_TEST_KAFKA=apache``) on Apache Kafka."""

from __future__ import annotations

import hashlib
import time

import pytest
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource
from typer.testing import CliRunner

from services.cli.main import app
from services.core.errors import MessageTooLargeError
from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory
from services.events.samples import sample_events
from services.kafka import dlq
from services.kafka.admin import make_admin, topic_drift
from services.kafka.consumer import ConsumerRunner, make_consumer
from services.kafka.producer import EventProducer
from services.kafka.topics import TOPICS

pytestmark = pytest.mark.integration


def test_topics_are_created_with_exactly_the_catalogue_configs(kafka_settings: Settings) -> None:
    admin = make_admin(kafka_settings, kafka_settings.kafka_bootstrap)
    spec = next(t for t in TOPICS if t.base == "decision.v1")
    name = kafka_settings.topic(spec.base)
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    entries = admin.describe_configs([resource])[resource].result(timeout=20)
    for key, wanted in spec.config(kafka_settings.kafka_max_message_bytes).items():
        assert entries[key].value == wanted, key
    assert topic_drift(kafka_settings, kafka_settings.kafka_bootstrap) == []


def test_drift_between_catalogue_and_cluster_is_reported(kafka_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_admin(kafka_settings, kafka_settings.kafka_bootstrap)
    name = kafka_settings.topic("notification.v1")
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        name,
        incremental_configs=[ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET)],
    )
    admin.incremental_alter_configs([resource])[resource].result(timeout=20)
    deadline = time.monotonic() + 15
    drift = topic_drift(kafka_settings, kafka_settings.kafka_bootstrap)
    while not drift and time.monotonic() < deadline:  # config changes reach every broker asynchronously
        time.sleep(0.3)
        drift = topic_drift(kafka_settings, kafka_settings.kafka_bootstrap)
    assert [(d.name, d.setting, d.cluster) for d in drift] == [(name, "retention.ms", "3600000")]

    monkeypatch.setenv("AR_KAFKA_BOOTSTRAP", kafka_settings.kafka_bootstrap)
    monkeypatch.setenv("AR_KAFKA_TOPIC_PREFIX", kafka_settings.kafka_topic_prefix)
    monkeypatch.setenv("AR_DATA_DIR", str(kafka_settings.data_dir))
    result = CliRunner().invoke(app, ["topics", "ensure", "--strict"])
    assert result.exit_code == 1, result.output
    assert f"drift    {name}: retention.ms is 3600000 on the cluster" in result.output
    assert "1 difference(s) between the catalogue and the cluster" in result.output


def test_an_event_over_the_size_limit_is_a_clear_error_and_nothing_is_sent(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory
) -> None:
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    topic = kafka_settings.topic("decision.v1")
    with pytest.raises(MessageTooLargeError) as caught:
        producer.produce_raw(topic, b"k", b"x" * (kafka_settings.kafka_max_message_bytes + 1))
    assert "over the 1,000,000-byte limit" in str(caught.value)
    producer.flush(10)
    assert producer.delivered == 0


def test_a_dead_letter_too_large_for_the_broker_keeps_a_bounded_record(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory
) -> None:
    """A poison message just under the limit: with the DLQ headers it would be over, so the DLQ keeps
    the reason, the original size, a SHA-256 of the bytes and the first bytes, and the runner goes on."""
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    topic = kafka_settings.topic("collection.v1")
    poison = b"not an event " + b"\xab" * (kafka_settings.kafka_max_message_bytes - 400)
    producer.produce_raw(topic, b"big", poison)
    good = sample_events(factory)[0]
    producer.publish_all([good])
    handled: list[str] = []
    runner = ConsumerRunner(
        kafka_settings,
        kafka_settings.kafka_bootstrap,
        f"g-{new_ulid()}",
        [topic],
        lambda event, meta: handled.append(event.event_id),
        codec,
        producer,
        retry_backoff_s=0.01,
    )
    stats = runner.run(until=lambda s: s.handled + s.dead_lettered >= 2, max_idle_s=30)
    assert (stats.handled, stats.dead_lettered) == (1, 1)
    assert handled == [good.event_id]

    consumer = make_consumer(kafka_settings, kafka_settings.kafka_bootstrap, f"dlq-{new_ulid()}")
    consumer.subscribe([kafka_settings.topic("dlq.v1")])
    deadline = time.monotonic() + 30
    letter = None
    while letter is None and time.monotonic() < deadline:
        msg = consumer.poll(0.3)
        if msg is not None and msg.error() is None:
            letter = msg
    consumer.close()
    assert letter is not None, "no dead letter arrived"
    assert letter.value() == poison[: dlq.KEPT_BYTES]
    assert dlq.header(letter, dlq.TRUNCATED) == "true"
    assert dlq.header(letter, dlq.ORIGINAL_SIZE) == str(len(poison))
    assert dlq.header(letter, dlq.ORIGINAL_SHA256) == hashlib.sha256(poison).hexdigest()
    assert "framing" in (dlq.header(letter, dlq.REASON) or "")
    assert dlq.header(letter, dlq.SOURCE_TOPIC) == topic
