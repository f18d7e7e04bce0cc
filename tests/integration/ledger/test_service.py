"""The ledger service against the real (Tansu) broker: every topic, DLQ included, sealed,
offsets committed after sealing, its own events ledgered without endless sealing."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from services.core.settings import Settings
from services.events.samples import sample_payloads
from services.kafka.consumer import committed_offsets
from services.kafka.producer import EventProducer
from services.ledger import layout
from services.ledger.keys import KeyRing, signer_from_settings
from services.ledger.reading import iter_entries
from services.ledger.service import publish_verification, run
from services.ledger.stores import open_store
from services.ledger.verify.verifier import verify_store
from services.runtime.context import ServiceContext
from tests.unit.ledger.helpers import CODEC, FACTORY

pytestmark = pytest.mark.integration


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def sealed_count(settings: Settings) -> int:
    store = open_store(settings.effective_ledger_store)
    try:
        return sum(1 for _ in iter_entries(store, decode=False))
    except Exception:  # noqa: BLE001 - store not created yet
        return 0


def test_service_ledgers_every_topic_and_commits_after_sealing(overrides: dict[str, Any]) -> None:
    settings = Settings(**overrides)
    producer = EventProducer(settings, settings.kafka_bootstrap, CODEC)
    events = [
        FACTORY.new(t, p, correlation_id="svc", subject_key="k")
        for t, p in sample_payloads(1).items()
        if not t.startswith("ledger.")
    ]
    producer.publish_all(events)
    producer.produce_raw(settings.topic("dlq.v1"), b"k", b"\x00 rejected bytes", [("ar-dlq-reason", b"test")])
    producer.flush()
    ctx = ServiceContext("ledger", settings)
    thread = threading.Thread(target=run, args=(ctx,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: sealed_count(settings) >= len(events) + 1)
        time.sleep(1.0)  # the seal event comes back on the ledger's own topic: it must not cause a seal on its own
        store = open_store(settings.effective_ledger_store)
        manifests_before = len(store.list(layout.MANIFESTS))
        time.sleep(1.0)
        assert len(store.list(layout.MANIFESTS)) == manifests_before
    finally:
        ctx.stop()
        thread.join(20)
    entries = list(iter_entries(store))
    ids = {e.event.event_id for e in entries if e.event is not None}
    assert {e.event_id for e in events} <= ids
    assert any(e.dead_letter and e.value == b"\x00 rejected bytes" for e in entries)
    ring = KeyRing([signer_from_settings(settings).public])
    report = verify_store(store, ring, open_store(settings.ledger_witness or ""), 2555)
    assert report.status == "valid", [f.line() for f in report.findings]
    dlq = TopicPartition(settings.topic("dlq.v1"), 0)
    offsets = committed_offsets(settings, settings.kafka_bootstrap, "ledger", [TopicPartition(dlq.topic, p) for p in range(3)])
    assert sum(max(tp.offset, 0) for tp in offsets) == 1


def test_scheduled_verification_publishes_an_event(overrides: dict[str, Any], tmp_path: Path) -> None:
    settings = Settings(**overrides)
    ctx = ServiceContext("ledger", settings)
    from services.ledger.wiring import build_writer

    writer = build_writer(settings, lambda fp: ctx.catalog.by_fingerprint(fp).schema)
    writer.append(
        CODEC.encode(
            FACTORY.new(
                "decision.recorded",
                sample_payloads(0)["decision.recorded"],
                correlation_id="c",
                subject_key="s",
            )
        ),
        "ar.decision.v1",
        0,
        0,
        1,
    )
    writer.seal()
    report = publish_verification(ctx, writer.store)
    assert report.status == "valid"
    from services.ledger import metrics

    assert metrics.VERIFY_OK._value.get() == 1
    segment = tmp_path / "ledger" / layout.segment_key(0)
    segment.chmod(0o644)
    segment.write_bytes(segment.read_bytes()[:-3] + b"xyz")
    report = publish_verification(ctx, writer.store)
    assert report.status == "invalid" and "segment-hash" in report.codes()
    assert metrics.VERIFY_OK._value.get() == 0 and metrics.VERIFY_FINDINGS._value.get() >= 1
