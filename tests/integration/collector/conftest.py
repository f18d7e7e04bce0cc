"""Fixtures: a small sandbox per module, and reading back what the collector published."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import Event
from services.kafka.consumer import make_consumer
from services.kafka.topics import TOPICS
from tests.integration.sandbox.harness import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def small_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="small", seed=11) as sandbox:
        yield sandbox


def read_events(settings: Settings, codec: EventCodec, *bases: str, idle_s: float = 2.0, timeout_s: float = 60.0) -> list[Event]:
    """Every event on the given topics, from the beginning, until nothing new arrives for idle_s."""
    consumer = make_consumer(settings, settings.kafka_bootstrap, f"reader-{time.time_ns()}", **{"enable.auto.commit": False})
    partitions = [
        TopicPartition(settings.topic(spec.base), p, OFFSET_BEGINNING)
        for spec in TOPICS
        if spec.base in bases
        for p in range(spec.partitions)
    ]
    consumer.assign(partitions)
    events: list[Event] = []
    deadline = time.monotonic() + timeout_s
    last_new = time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - last_new < idle_s:
            batch = consumer.consume(500, timeout=0.5)
            for msg in batch:
                if msg.error() is None and msg.value():
                    events.append(codec.decode(msg.value()))
            if batch:
                last_new = time.monotonic()
    finally:
        consumer.close()
    return events


def by_type(events: list[Event], event_type: str, run_id: str | None = None) -> list[dict[str, Any]]:
    return [e.payload for e in events if e.event_type == event_type and (run_id is None or e.payload.get("run_id") == run_id)]
