"""Tansu against Apache Kafka in one run: produce→consume round trip on each, side by side, as a
ratio; and the ledger service's append rate when it ingests from Apache Kafka.

    python -m bench.broker_bench [--events 100000] [--ledger-events 100000]

Apache Kafka is a single KRaft broker from Maven Central on this machine's Java (resolved once
into var/cache/apache-kafka/); without java and mvn that half is reported as not run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bench.bus_bench import make_events, round_trip
from services.core.logging import configure_logging
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.schemas import SchemaCatalog
from services.kafka.admin import ensure_topics
from services.kafka.apache import ApacheKafka
from services.kafka.broker import EmbeddedBroker
from services.kafka.producer import EventProducer
from services.ledger import metrics
from services.ledger.service import run as run_ledger
from services.runtime.context import ServiceContext


def ledger_ingest_rate(bootstrap: str, codec: EventCodec, events: list, timeout_s: float = 600) -> tuple[float, int]:
    """Events/s from the ledger service's start until it has sealed every pre-produced event."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test",
            data_dir=Path(tmp),
            kafka_bootstrap=bootstrap,
            kafka_topic_prefix="bench-ledger.",
            database_url="",
            ledger_store=f"file://{tmp}/ledger",
            ledger_seal_events=20_000,
            ledger_seal_seconds=1.0,
            ledger_verify_interval_s=3600.0,
        )
        ensure_topics(settings, bootstrap)
        producer = EventProducer(settings, bootstrap, codec)
        topic = settings.topic("entitlement.v1")
        for i, event in enumerate(events):
            producer.produce_raw(topic, f"k{i}".encode(), codec.encode(event))
        producer.flush(120)
        ctx = ServiceContext("ledger", settings)
        thread = threading.Thread(target=run_ledger, args=(ctx,), daemon=True)
        sealed_before = metrics.TREE_SIZE._value.get()
        started = time.perf_counter()
        thread.start()
        deadline = time.monotonic() + timeout_s
        while metrics.TREE_SIZE._value.get() - sealed_before < len(events) and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        sealed = int(metrics.TREE_SIZE._value.get() - sealed_before)
        ctx.stop_event.set()
        thread.join(30)
        return sealed / elapsed, sealed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--ledger-events", type=int, default=100_000)
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    settings = Settings(env="test", kafka_topic_prefix="bench.")
    catalog = SchemaCatalog(settings.schema_dir)
    codec = EventCodec(catalog)
    events = make_events(EventFactory(catalog, Producer("bench", "0", "bench")), max(args.events, args.ledger_events))

    with EmbeddedBroker() as tansu:
        tansu_rate = round_trip(settings, codec, events[: args.events], tansu.bootstrap)
    print(f"round trip on Tansu:        {tansu_rate:,.0f} events/s  ({args.events:,} events)")
    if not (shutil.which("java") and shutil.which("mvn")):
        print("round trip on Apache Kafka: not run (needs java and mvn)")
        return
    started = time.perf_counter()
    with ApacheKafka(1, heap_mb=1024) as kafka:
        print(f"Apache Kafka 1 broker:      started in {time.perf_counter() - started:.1f} s, {kafka.rss_mb():.0f} MB resident")
        apache_rate = round_trip(settings, codec, events[: args.events], kafka.bootstrap)
        print(f"round trip on Apache Kafka: {apache_rate:,.0f} events/s  ({args.events:,} events)")
        print(f"Apache Kafka / Tansu:       {apache_rate / tansu_rate:.2f}x")
        rate, sealed = ledger_ingest_rate(kafka.bootstrap, codec, events[: args.ledger_events])
        print(
            f"ledger append from Apache Kafka: {rate:,.0f} events/s  ({sealed:,} of {args.ledger_events:,} events "
            "consumed, appended, sealed and signed; target >= 50,000)"
        )


if __name__ == "__main__":
    main()
