"""Idempotent producer: acks=all, delivery reports surfaced as errors, flush on close."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from services.core.errors import DeliveryError, MessageTooLargeError, UnavailableError
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import Event
from services.kafka.config import producer_config
from services.kafka.topics import check_producer, topic_for_event

Headers = list[tuple[str, str | bytes | None]]
RECORD_OVERHEAD_BYTES = 70  # Kafka's per-record framing within a batch, rounded up


def message_size(key: bytes | None, value: bytes, headers: Headers | None) -> int:
    """What a message counts against ``message.max.bytes``: key, value, headers and record framing."""
    header_bytes = sum(len(name) + len(v or b"") + 8 for name, v in headers or [])
    return len(key or b"") + len(value) + header_bytes + RECORD_OVERHEAD_BYTES


class EventProducer:
    """Publishes events to the topic their type belongs to, keyed by subject key.

    ``publish`` queues; ``flush`` waits and raises :class:`DeliveryError` naming every message
    the broker did not acknowledge since the previous flush. ``publish_all`` does both.
    """

    def __init__(self, settings: Settings, bootstrap: str, codec: EventCodec) -> None:
        self.settings = settings
        self.codec = codec
        self._producer = Producer(producer_config(settings, bootstrap))
        self._failures: list[str] = []
        self._lock = threading.Lock()
        self.delivered = 0

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.delivered += 1
            return
        with self._lock:
            self._failures.append(f"{msg.topic()}[{msg.key()!r}]: {err.str()}")

    def produce_raw(self, topic: str, key: bytes | None, value: bytes, headers: Headers | None = None) -> None:
        """Queue one message; :class:`MessageTooLargeError` (nothing queued) when it is over the size limit."""
        size = message_size(key, value, headers)
        limit = self.settings.kafka_max_message_bytes
        if size > limit:
            raise MessageTooLargeError(
                f"message for {topic} is {size:,} bytes, over the {limit:,}-byte limit (AR_KAFKA_MAX_MESSAGE_BYTES)",
                topic=topic,
                size=size,
                limit=limit,
            )
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=self._on_delivery)
                break
            except BufferError:
                self._producer.poll(0.05)
            except KafkaException as exc:
                if exc.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE:
                    raise MessageTooLargeError(
                        f"message for {topic} ({size:,} bytes) refused as too large: {exc.args[0].str()}",
                        topic=topic,
                        size=size,
                        limit=limit,
                    ) from None
                raise
        self._producer.poll(0)

    def publish(self, event: Event, headers: Headers | None = None) -> None:
        check_producer(event.envelope.producer.service, event.event_type)
        topic = self.settings.topic(topic_for_event(event.event_type).base)
        base_headers: Headers = [("ar-event-type", event.event_type.encode()), ("ar-event-id", event.event_id.encode())]
        self.produce_raw(topic, event.key.encode(), self.codec.encode(event), base_headers + (headers or []))

    def publish_all(self, events: Iterable[Event], timeout_s: float = 60.0) -> int:
        count = 0
        for event in events:
            self.publish(event)
            count += 1
        self.flush(timeout_s)
        return count

    def flush(self, timeout_s: float = 60.0) -> None:
        remaining = self._producer.flush(timeout_s)
        with self._lock:
            failures, self._failures = self._failures, []
        if failures:
            shown = "; ".join(failures[:5])
            raise DeliveryError(f"{len(failures)} message(s) not acknowledged: {shown}", failures=failures)
        if remaining:
            raise UnavailableError(f"{remaining} message(s) still unacknowledged after {timeout_s:.0f} s")

    def close(self, timeout_s: float = 30.0) -> None:
        self.flush(timeout_s)

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
