"""A faust-streaming processor built by the app factory consumes decoded events from the broker."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import pytest

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory
from services.events.samples import sample_events
from services.kafka.producer import EventProducer
from services.kafka.streams import event_topic, make_stream_app

pytestmark = pytest.mark.integration


def test_faust_agent_counts_events_in_a_table(kafka_settings: Settings, codec: EventCodec, factory: EventFactory) -> None:
    events = [e for i in range(3) for e in sample_events(factory, i) if e.event_type.startswith("entitlement.")]
    EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec).publish_all(events)
    app = make_stream_app(kafka_settings, kafka_settings.kafka_bootstrap, "faust-test", codec)
    topic = event_topic(app, kafka_settings, "entitlement.v1")
    counts = app.Table("per-type", default=int, partitions=12)
    seen: list[str] = []
    done = asyncio.Event()

    @app.agent(topic)
    async def count(stream):  # type: ignore[no-untyped-def]
        async for event in stream:
            seen.append(event.event_id)
            counts[event.event_type] += 1
            if len(seen) >= len(events):
                done.set()

    async def main() -> None:
        await app.start()
        try:
            await asyncio.wait_for(done.wait(), timeout=90)
        finally:
            await app.stop()

    # Its own thread and loop: a browser test's Playwright may hold this thread's loop.
    errors: list[BaseException] = []
    worker = threading.Thread(target=lambda: _run(main, errors))
    worker.start()
    worker.join(120)
    assert not errors, errors
    assert sorted(seen) == sorted(e.event_id for e in events)
    assert counts["entitlement.observed"] == 3


def _run(main: Callable[[], Awaitable[None]], errors: list[BaseException]) -> None:
    try:
        asyncio.run(main())  # type: ignore[arg-type]
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)
