"""What the ledger's crash and failover trials share: a producer load on every topic, the writer
as a child process, and what the cluster and the ledger hold, by (topic, partition, offset)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from services.core.errors import DeliveryError, UnavailableError
from services.core.settings import Settings
from services.kafka.producer import EventProducer
from services.kafka.topics import TOPICS
from services.ledger.keys import KeyRing, signer_from_settings
from services.ledger.reading import iter_entries
from services.ledger.stores import open_store
from services.ledger.verify.verifier import verify_store
from tests.integration.ledger.writer_proc import run_writer
from tests.unit.ledger.helpers import CODEC, sample_values

FORK = multiprocessing.get_context("forkserver")
FORK.set_forkserver_preload(["services.ledger.service", "tests.integration.ledger.writer_proc"])


class Load:
    """A producer thread writing real events to every event topic (and the DLQ) until stopped."""

    def __init__(self, settings: Settings, rate: float = 400.0) -> None:
        self.settings = settings
        self.producer = EventProducer(settings, settings.kafka_bootstrap, CODEC)
        self.pool = [(t, v) for t, v, _ in sample_values(200)]
        self.rate = rate
        self.stop = threading.Event()
        self.stalls = 0
        self.undelivered = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        prefix = self.settings.kafka_topic_prefix
        i = 0
        while not self.stop.is_set():
            topic, value = self.pool[i % len(self.pool)]
            name = prefix + topic.removeprefix("ar.")
            if i % 97 == 0:
                name = prefix + "dlq.v1"
                value = b"\x00rejected " + str(i).encode()
            self.producer.produce_raw(name, str(i).encode(), value)
            i += 1
            if i % 20 == 0:
                self._flush(10)
                time.sleep(20 / self.rate)
        self._flush(60)

    def _flush(self, timeout_s: float) -> None:
        """Wait for acknowledgements; while brokers are down, keep waiting (librdkafka keeps retrying)."""
        try:
            self.producer.flush(timeout_s)
        except UnavailableError:
            self.stalls += 1
        except DeliveryError as exc:  # timed out in librdkafka's queue: the cluster (the reference) never got it
            self.undelivered += len(exc.details.get("failures", ()))

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)


def produced_positions(settings: Settings) -> set[tuple[str, int, int]]:
    """Every (topic, partition, offset) the broker holds, read back, except the ledger's own topic."""
    from confluent_kafka import OFFSET_BEGINNING

    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": "crash-check",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        consumer.assign(
            [
                TopicPartition(settings.topic(spec.base), p, OFFSET_BEGINNING)
                for spec in TOPICS
                if spec.base != "ledger.v1"
                for p in range(spec.partitions)
            ]
        )
        out: set[tuple[str, int, int]] = set()
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < 1.5:
            for msg in consumer.consume(1000, timeout=0.2):
                if msg.error() is None:
                    out.add((msg.topic(), msg.partition(), msg.offset()))
                    idle_since = time.monotonic()
        return out
    finally:
        consumer.close()


def start_writer(overrides: dict[str, Any]) -> Any:
    proc = FORK.Process(target=run_writer, args=(overrides,), daemon=True)
    proc.start()
    return proc


def ledger_positions(settings: Settings) -> Counter:
    store = open_store(settings.effective_ledger_store)
    return Counter((e.meta["topic"], e.meta["partition"], e.meta["offset"]) for e in iter_entries(store, decode=False))


def wait_for_ledger(settings: Settings, expected: set[tuple[str, int, int]], timeout_s: float) -> float:
    """Seconds until the ledger holds every expected position (or the timeout, whichever first)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s and not expected <= set(ledger_positions(settings)):
        time.sleep(0.3)
    return time.monotonic() - started


def assert_ledger_matches_cluster(settings: Settings, expected: set[tuple[str, int, int]]) -> None:
    """Exactly what the cluster holds, once each, in a ledger that verifies."""
    positions = ledger_positions(settings)
    duplicates = [pos for pos, count in positions.items() if count > 1]
    assert not duplicates, f"duplicated in the ledger: {duplicates[:5]}"
    lost = expected - set(positions)
    assert not lost, f"lost: {sorted(lost)[:5]}"
    own = settings.topic("ledger.v1")
    unexpected = {pos for pos in positions if pos not in expected and pos[0] != own}
    assert not unexpected, f"in the ledger but never produced: {sorted(unexpected)[:5]}"
    ring = KeyRing([signer_from_settings(settings).public])
    report = verify_store(open_store(settings.effective_ledger_store), ring, open_store(settings.ledger_witness or ""), 2555)
    assert report.status == "valid", [f.line() for f in report.findings]
    assert report.events_verified == sum(positions.values())
