"""The ledger's own Kafka loop: every partition of every topic assigned directly (no group
rebalance), starting at the offsets the newest manifest says are sealed; offsets committed only
after a seal is durable (exactly-once into the ledger)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from services.core.errors import UnavailableError
from services.core.logging import get_logger
from services.core.settings import Settings
from services.kafka.consumer import fetch_committed, is_error, make_consumer
from services.kafka.topics import DLQ_BASE, subscriptions
from services.ledger.manifest import SignedManifest
from services.ledger.writer import LedgerWriter, Message

log = get_logger(__name__)
GROUP_ID = "ledger"


class KafkaIngest:
    def __init__(self, settings: Settings, bootstrap: str, writer: LedgerWriter, batch: int = 5000) -> None:
        self.settings = settings
        self.writer = writer
        self.batch = batch
        self.dlq_topic = settings.topic(DLQ_BASE)
        self.topics = [settings.topic(t.base) for t in subscriptions("ledger")]  # every topic (tested)
        self.consumer: Consumer = make_consumer(settings, bootstrap, GROUP_ID, **{"enable.partition.eof": False})

    def assign(self) -> int:
        """Assign all partitions, each at its sealed high-water mark (or the group's commit, or the start)."""
        metadata = self.consumer.list_topics(timeout=self.settings.kafka_connect_timeout_s)
        partitions = []
        for topic in self.topics:
            info = metadata.topics.get(topic)
            if info is None or info.error is not None:
                raise UnavailableError(f"topic {topic} is missing: run `accessreview topics create`")
            partitions += [TopicPartition(topic, p) for p in sorted(info.partitions)]
        committed = {
            (tp.topic, tp.partition): tp.offset
            for tp in fetch_committed(self.consumer, partitions, self.settings.kafka_connect_timeout_s)
        }
        for tp in partitions:
            sealed = self.writer.state.high_water.get(tp.topic, {}).get(str(tp.partition))
            group = committed.get((tp.topic, tp.partition), -1)
            tp.offset = sealed if sealed is not None else (group if group >= 0 else OFFSET_BEGINNING)
        self.consumer.assign(partitions)
        return len(partitions)

    def poll_into_writer(self, timeout: float = 0.2) -> int:
        """Read one batch and append it; returns how many messages were appended."""
        messages = self.consumer.consume(num_messages=self.batch, timeout=timeout)
        if not messages:
            return 0
        received = time.time_ns() // 1000
        return self.writer.append_batch(self._items(messages), received)

    def _items(self, messages: list[Any]) -> Iterator[Message]:
        dlq = self.dlq_topic
        for msg in messages:
            if is_error(msg):
                continue
            raw_headers = msg.headers()
            headers = [(k, bytes(v or b"")) for k, v in raw_headers] if raw_headers else None
            topic = msg.topic()
            yield msg.value() or b"", topic, msg.partition(), msg.offset(), msg.key(), headers, topic == dlq

    def commit(self, manifest: SignedManifest) -> None:
        """Commit, for the partitions this segment covered, the offsets after what it sealed."""
        offsets = [TopicPartition(o["topic"], o["partition"], o["last"] + 1) for o in manifest["offsets"]]
        if not offsets:
            return
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:  # the ledger is still right: restart resumes from the manifest
            log.warning("offset_commit_failed", error=str(exc))

    def close(self) -> None:
        try:
            self.consumer.close()
        except Exception as exc:  # noqa: BLE001 - closing must not mask the real error
            log.warning("consumer_close_failed", error=str(exc))
