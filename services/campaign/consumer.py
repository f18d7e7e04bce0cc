"""The campaign's projection loop: collector facts and campaign events in, read models out.

Batches of messages are decoded and projected in one transaction, then their offsets are
committed (at-least-once; projection is idempotent, so a re-read changes nothing). Bytes that
are not an event go to the DLQ. Events this very process already projected when it published
them are skipped. Written as its own loop rather than on ``ConsumerRunner`` because projecting
a 50k-event collection one transaction per event is two orders of magnitude slower.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Message
from sqlalchemy.orm import Session, sessionmaker

from services.campaign.projector import project_events
from services.core.errors import DecodeError, UnavailableError
from services.core.logging import get_logger
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import Event, Producer
from services.kafka.consumer import make_consumer
from services.kafka.dlq import DeadLetters
from services.kafka.topics import subscriptions

log = get_logger("campaign.consumer")
GROUP_ID = "campaign-projector"


def campaign_topics(settings: Settings) -> list[str]:
    """The topics the catalogue names the campaign a consumer of (tested to be those it projects)."""
    return sorted(settings.topic(t.base) for t in subscriptions("campaign"))


@dataclass
class LoopStats:
    projected: int = 0
    skipped_own: int = 0
    dead_lettered: int = 0
    batches: int = 0


class ProjectionLoop:
    def __init__(
        self,
        settings: Settings,
        bootstrap: str,
        codec: EventCodec,
        producer: object,
        sessions: sessionmaker[Session],
        me: Producer,
        group_id: str = GROUP_ID,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.codec = codec
        self.sessions = sessions
        self.me = me
        self.group_id = group_id
        self.dead_letters = DeadLetters(settings, producer, group_id)  # type: ignore[arg-type]
        self.stats = LoopStats()

    def _is_own(self, event: Event) -> bool:
        producer = event.envelope.producer
        return producer.service == self.me.service and producer.instance == self.me.instance

    def _decode(self, messages: list[Message]) -> list[Event]:
        events = []
        for msg in messages:
            err = msg.error()
            if err is not None:
                if err.code() != KafkaError._PARTITION_EOF:
                    if err.fatal():
                        raise UnavailableError(f"fatal consumer error: {err.str()}")
                    log.warning("consumer_error", error=err.str())
                continue
            try:
                event = self.codec.decode(msg.value() or b"")
            except DecodeError as exc:
                self.dead_letters.send(msg, f"undecodable: {exc}")
                self.stats.dead_lettered += 1
                continue
            if self._is_own(event):
                self.stats.skipped_own += 1
                continue
            events.append(event)
        return events

    def run(
        self, stop: threading.Event, tick: Callable[[], None] | None = None, tick_every_s: float = 60.0
    ) -> LoopStats:
        consumer = make_consumer(self.settings, self.bootstrap, self.group_id)
        consumer.subscribe(campaign_topics(self.settings))
        next_tick = time.monotonic()
        try:
            while not stop.is_set():
                messages = consumer.consume(num_messages=2000, timeout=0.5)
                if messages:
                    events = self._decode(messages)
                    if events:
                        with self.sessions.begin() as session:
                            self.stats.projected += project_events(events, session)
                    for msg in messages:
                        if msg.error() is None:
                            consumer.store_offsets(message=msg)
                    try:
                        consumer.commit(asynchronous=False)
                    except KafkaException as exc:
                        if exc.args[0].code() != KafkaError._NO_OFFSET:
                            raise
                    self.stats.batches += 1
                if tick is not None and time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + tick_every_s
                    try:
                        tick()
                    except Exception as exc:  # noqa: BLE001 - a failed tick is retried next time, never fatal
                        log.warning("tick_failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            consumer.close()
        return self.stats
