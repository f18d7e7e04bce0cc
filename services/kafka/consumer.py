"""The consumer runner: at-least-once, idempotent handlers, poison messages to the DLQ.

For each message: decode → skip if its event id was already handled → call the handler →
remember the id → store the offset. Offsets are committed after each batch, and only up to
messages that were handled or dead-lettered; a message that is neither stops the runner
before its offset is stored, so it is read again after a restart.

What a failure does:

* bytes that are not an event (garbage, unknown fingerprint, schema mismatch) → DLQ;
* the handler raises a non-transient :class:`AccessReviewError` → DLQ with its message;
* the handler raises a transient error → retried with backoff, then the runner stops
  uncommitted (a dependency is down: dead-lettering would lose good events);
* the handler raises anything else → retried, then DLQ with the exception text.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from services.core.errors import AccessReviewError, DecodeError, UnavailableError
from services.core.logging import get_logger
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import Event
from services.kafka.admin import check_reachable, make_admin
from services.kafka.config import consumer_config
from services.kafka.dlq import DeadLetters, raw_headers
from services.kafka.idempotency import InMemoryProcessedEvents, ProcessedEvents
from services.kafka.producer import EventProducer

log = get_logger(__name__)
RETRIABLE_COORDINATOR = {
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError._TIMED_OUT,
    KafkaError._TRANSPORT,
    KafkaError._WAIT_COORD,
}


@dataclass(frozen=True)
class MessageMeta:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()


Handler = Callable[[Event, MessageMeta], None]
BatchHandler = Callable[[list[tuple[Event, MessageMeta]]], None]


class _Rejected(Exception):
    """A handler refused its input for good (the reason is the message): dead-letter it."""


@dataclass
class RunnerStats:
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    commits: int = 0
    last_error: str | None = None
    errors: list[str] = field(default_factory=list)


def is_error(msg: Message) -> bool:
    """True for a consumer error in place of a message (logged, or raised when fatal)."""
    err = msg.error()
    if err is None:
        return False
    if err.fatal():
        raise UnavailableError(f"fatal consumer error: {err.str()}")
    if err.code() != KafkaError._PARTITION_EOF:
        log.warning("consumer_error", error=err.str())
    return True


def make_consumer(settings: Settings, bootstrap: str, group_id: str, **overrides: Any) -> Consumer:
    """A raw consumer with the product's settings (manual commits, read_committed...)."""
    cfg = consumer_config(settings, bootstrap, group_id)
    cfg.update(overrides)
    return Consumer(cfg)


def message_meta(msg: Message) -> MessageMeta:
    _, ts = msg.timestamp()
    headers = tuple((k, v if isinstance(v, bytes) else (v or "").encode()) for k, v in raw_headers(msg))
    return MessageMeta(msg.topic() or "", msg.partition() or 0, msg.offset() or 0, ts, headers)


class ConsumerRunner:
    def __init__(
        self,
        settings: Settings,
        bootstrap: str,
        group_id: str,
        topics: Iterable[str],
        handler: Handler | None,
        codec: EventCodec,
        producer: EventProducer,
        processed: ProcessedEvents | None = None,
        batch_size: int = 500,
        handler_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        stop_event: threading.Event | None = None,
        batch_handler: BatchHandler | None = None,
        tick: Callable[[], None] | None = None,
        tick_every_s: float = 60.0,
    ) -> None:
        """``handler`` takes one event at a time; ``batch_handler`` a whole poll batch at once (one
        transaction for a projection). Exactly one of them. ``tick`` runs every ``tick_every_s``
        between batches (timers); a failed tick is logged and tried again next time."""
        if (handler is None) == (batch_handler is None):
            raise ValueError("ConsumerRunner takes exactly one of handler and batch_handler")
        self.settings = settings
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.topics = list(topics)
        self.handler = handler
        self.batch_handler = batch_handler
        self.tick = tick
        self.tick_every_s = tick_every_s
        self.codec = codec
        self.producer = producer
        self.processed = processed or InMemoryProcessedEvents()
        self.batch_size = batch_size
        self.handler_attempts = handler_attempts
        self.retry_backoff_s = retry_backoff_s
        self.dead_letters = DeadLetters(settings, producer, group_id)
        self.stats = RunnerStats()
        self._stop = stop_event or threading.Event()
        self._consumer: Consumer | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def stop(self, *_: Any) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, max_idle_s: float | None = None, until: Callable[[RunnerStats], bool] | None = None) -> RunnerStats:
        """Consume until stopped, ``until(stats)`` is true, or ``max_idle_s`` passes with nothing to read."""
        check_reachable(make_admin(self.settings, self.bootstrap), self.bootstrap, self.settings.kafka_connect_timeout_s)
        consumer = make_consumer(self.settings, self.bootstrap, self.group_id)
        self._consumer = consumer
        consumer.subscribe(self.topics)
        idle_since = next_tick = time.monotonic()
        try:
            while not self._stop.is_set():
                messages = consumer.consume(num_messages=self.batch_size, timeout=0.25)
                if messages:
                    idle_since = time.monotonic()
                    if self.batch_handler is None:
                        self._handle_batch(consumer, messages)
                    else:
                        self._handle_as_batch(consumer, messages)
                if self.tick is not None and time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + self.tick_every_s
                    self._run_tick()
                if until is not None and until(self.stats):
                    break
                if max_idle_s is not None and time.monotonic() - idle_since > max_idle_s:
                    break
        finally:
            self._close(consumer)
        return self.stats

    def _close(self, consumer: Consumer) -> None:
        try:
            self._commit(consumer)
        finally:
            consumer.close()
            self.producer.flush(10.0)
            self._consumer = None

    # -- one batch -----------------------------------------------------------------------
    def _handle_batch(self, consumer: Consumer, messages: list[Message]) -> None:
        stored = False
        try:
            for msg in messages:
                if self._stop.is_set() and stored:
                    break
                if is_error(msg):
                    continue
                self._handle_message(msg)
                consumer.store_offsets(message=msg)
                stored = True
        finally:
            if stored:
                self._commit(consumer)

    def _handle_message(self, msg: Message) -> None:
        try:
            event = self.codec.decode(msg.value() or b"")
        except DecodeError as exc:
            self._dead_letter(msg, f"undecodable: {exc}")
            return
        if self.processed.seen(event.event_id):
            self.stats.duplicates += 1
            return
        meta = message_meta(msg)
        assert self.handler is not None
        handler = self.handler
        try:
            self._with_retries(lambda: handler(event, meta))
        except _Rejected as exc:
            self._dead_letter(msg, str(exc))
            return
        self.processed.mark(event.event_id)
        self.stats.handled += 1

    def _with_retries(self, call: Callable[[], None]) -> None:
        """Transient errors: retried with backoff, then raised (the runner stops uncommitted: a
        dependency is down). A refusal: :class:`_Rejected` at once. A bug: retried, then _Rejected."""
        attempt = 0
        while True:
            attempt += 1
            try:
                call()
                return
            except AccessReviewError as exc:
                if not exc.transient:
                    raise _Rejected(f"rejected by handler: {exc.code}: {exc}") from exc
                if attempt >= self.handler_attempts * 3 or self._stop.is_set():
                    raise
            except Exception as exc:  # a handler bug must not stall the partition forever
                if attempt >= self.handler_attempts:
                    raise _Rejected(f"handler failed {attempt} times: {type(exc).__name__}: {exc}") from exc
            time.sleep(self.retry_backoff_s * attempt)

    # -- batch mode ----------------------------------------------------------------------
    def _handle_as_batch(self, consumer: Consumer, messages: list[Message]) -> None:
        """Decode the poll batch, dead-letter what is not an event, hand the rest over at once, then
        store every offset and commit."""
        fresh: list[tuple[Message, Event]] = []
        for msg in messages:
            if is_error(msg):
                continue
            try:
                event = self.codec.decode(msg.value() or b"")
            except DecodeError as exc:
                self._dead_letter(msg, f"undecodable: {exc}")
                continue
            if self.processed.seen(event.event_id):
                self.stats.duplicates += 1
                continue
            fresh.append((msg, event))
        if fresh:
            self._apply(fresh)
        for msg in messages:
            if msg.error() is None:
                consumer.store_offsets(message=msg)
        self._commit(consumer)

    def _apply(self, items: list[tuple[Message, Event]]) -> None:
        """The whole batch; if it is refused, each event on its own, so only the bad one is dead-lettered."""
        assert self.batch_handler is not None
        batch_handler = self.batch_handler
        try:
            self._with_retries(lambda: batch_handler([(event, message_meta(msg)) for msg, event in items]))
        except _Rejected as exc:
            if len(items) == 1:
                self._dead_letter(items[0][0], str(exc))
                return
            for item in items:
                self._apply([item])
            return
        for _, event in items:
            self.processed.mark(event.event_id)
        self.stats.handled += len(items)

    def _run_tick(self) -> None:
        assert self.tick is not None
        try:
            self.tick()
        except Exception as exc:  # noqa: BLE001 - a failed tick is retried next time, never fatal
            log.warning("tick_failed", error=f"{type(exc).__name__}: {exc}")

    def _dead_letter(self, msg: Message, reason: str) -> None:
        log.warning("dead_letter", topic=msg.topic(), partition=msg.partition(), offset=msg.offset(), reason=reason)
        self.dead_letters.send(msg, reason)
        self.stats.dead_lettered += 1

    def _commit(self, consumer: Consumer) -> None:
        try:
            consumer.commit(asynchronous=False)
            self.stats.commits += 1
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:
                raise


def fetch_committed(consumer: Consumer, partitions: list[TopicPartition], timeout_s: float) -> list[TopicPartition]:
    """A group's committed offsets, retrying what the broker calls retriable (on Apache Kafka the group
    coordinator answers NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS while `__consumer_offsets` is
    being created or moves after a broker failure); a clear error once ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return list(consumer.committed(partitions, timeout=max(1.0, min(10.0, deadline - time.monotonic()))))
        except KafkaException as exc:
            err = exc.args[0]
            if not (err.retriable() or err.code() in RETRIABLE_COORDINATOR) or time.monotonic() >= deadline:
                raise UnavailableError(f"could not read committed offsets within {timeout_s:.0f} s: {err.str()}") from None
            time.sleep(0.5)


def committed_offsets(
    settings: Settings, bootstrap: str, group_id: str, partitions: list[TopicPartition]
) -> list[TopicPartition]:
    """What a group has committed (for tests and operators)."""
    consumer = make_consumer(settings, bootstrap, group_id)
    try:
        return fetch_committed(consumer, partitions, settings.kafka_connect_timeout_s)
    finally:
        consumer.close()
