"""Subscriptions and publications come from the topic catalogue, and the catalogue tells the truth:
each service consumes exactly the topics naming it, and publishes only where it is a producer."""

from __future__ import annotations

import pytest

from services.campaign.projector import PROJECTOR
from services.core.errors import ConfigError
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.samples import sample_payloads
from services.events.schemas import SchemaCatalog
from services.kafka.producer import EventProducer
from services.kafka.topics import SERVICES, TOPICS, check_producer, subscriptions, topic_for_event


def test_the_campaign_consumes_exactly_the_topics_of_the_events_it_projects() -> None:
    projected = {t.base for t in TOPICS if any(PROJECTOR.handles(e) for e in t.event_types)}
    assert {t.base for t in subscriptions("campaign")} == projected


def test_the_notifier_consumes_only_the_topic_of_notification_requests() -> None:
    assert [t.base for t in subscriptions("notifier")] == [topic_for_event("notification.requested").base]


def test_the_ledger_consumes_every_topic() -> None:
    assert subscriptions("ledger") == TOPICS


def test_every_event_type_has_a_producer_and_a_consumer_besides_the_ledger() -> None:
    for spec in TOPICS:
        if spec.event_types:
            assert set(spec.producers) <= SERVICES, spec.base
            assert set(spec.consumers) - {"ledger"}, f"{spec.base}: only the ledger reads it"


def test_publishing_where_the_catalogue_does_not_list_the_service_is_refused(catalog: SchemaCatalog) -> None:
    check_producer("campaign", "decision.recorded")
    check_producer("tests", "decision.recorded")  # not a service of ours: tools and tests may publish anything
    with pytest.raises(ConfigError, match="notifier publishes decision.recorded to decision.v1"):
        check_producer("notifier", "decision.recorded")
    event = EventFactory(catalog, Producer("notifier", "0", "i")).new(
        "decision.recorded", sample_payloads()["decision.recorded"], correlation_id="c", subject_key="k"
    )
    producer = EventProducer(Settings(env="test", kafka_bootstrap="127.0.0.1:9"), "127.0.0.1:9", EventCodec(catalog))
    with pytest.raises(ConfigError):
        producer.publish(event)
