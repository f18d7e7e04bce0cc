"""kill -9 of the writer at random moments under load through the real broker: afterwards the
ledger holds every produced message exactly once, in a gap-free, verifiable log.

Each trial is one kill at a random moment of a writer that is consuming and sealing while a
producer keeps writing. ``-m soak`` runs many more trials.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from services.core.settings import Settings
from services.kafka.producer import EventProducer
from services.kafka.topics import TOPICS
from services.ledger.keys import KeyRing, signer_from_settings
from services.ledger.reading import iter_entries
from services.ledger.stores import open_store
from services.ledger.verify.verifier import verify_store
from tests.integration.ledger.writer_proc import run_writer
from tests.unit.ledger.helpers import CODEC, sample_values

pytestmark = pytest.mark.integration
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
                self.producer.flush(10)
                time.sleep(20 / self.rate)
        self.producer.flush(30)

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
    return Counter(
        (e.meta["topic"], e.meta["partition"], e.meta["offset"]) for e in iter_entries(store, decode=False)
    )


def run_trials(overrides: dict[str, Any], trials: int, seed: int) -> None:
    rng = random.Random(seed)
    settings = Settings(**overrides)
    grew = 0
    with Load(settings):
        for _ in range(trials):
            before = (
                sum(ledger_positions(settings).values())
                if Path(settings.effective_ledger_store[7:]).exists()
                else 0
            )
            proc = start_writer(overrides)
            time.sleep(rng.uniform(0.15, 1.2))
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(10)
            assert proc.exitcode == -signal.SIGKILL  # it was alive (not failed) when killed
            grew += sum(ledger_positions(settings).values()) > before
    assert grew >= trials // 2, f"the writer made progress in only {grew} of {trials} trials"
    expected = produced_positions(settings)
    assert len(expected) > 100
    proc = start_writer(overrides)  # drain and stop cleanly
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not expected <= set(ledger_positions(settings)):
            time.sleep(0.3)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.join(30)
    positions = ledger_positions(settings)
    duplicates = [pos for pos, count in positions.items() if count > 1]
    assert not duplicates, f"duplicated in the ledger: {duplicates[:5]}"
    lost = expected - set(positions)
    assert not lost, f"lost: {sorted(lost)[:5]}"
    own = settings.topic("ledger.v1")
    unexpected = {pos for pos in positions if pos not in expected and pos[0] != own}
    assert not unexpected, f"in the ledger but never produced: {sorted(unexpected)[:5]}"
    ring = KeyRing([signer_from_settings(settings).public])
    report = verify_store(
        open_store(settings.effective_ledger_store), ring, open_store(settings.ledger_witness or ""), 2555
    )
    assert report.status == "valid", [f.line() for f in report.findings]
    assert report.events_verified == sum(positions.values())


def test_kill_minus_nine_loses_nothing_duplicates_nothing(overrides: dict[str, Any]) -> None:
    run_trials(overrides, trials=20, seed=int(os.environ.get("AR_CRASH_SEED", "7")))


@pytest.mark.soak
def test_kill_minus_nine_soak(overrides: dict[str, Any]) -> None:
    run_trials(overrides, trials=int(os.environ.get("AR_CRASH_TRIALS", "150")), seed=int(time.time()))
