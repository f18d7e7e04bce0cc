"""Event codec and broker round trip.

Prints: codec encode and decode events/s (Avro single-object encoding, a collection-like mix
of event types). ``round_trip`` (produce→consume events/s) is used by broker_bench on each broker.
Targets on a 2-core machine: codec ≥ 100k events/s each way; round trip ≥ 50k events/s.
"""

from __future__ import annotations

import time

from confluent_kafka import TopicPartition

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import Event, EventFactory, Producer
from services.events.samples import sample_payloads
from services.events.schemas import SchemaCatalog
from services.kafka.admin import ensure_topics
from services.kafka.consumer import make_consumer
from services.kafka.producer import EventProducer

# What a collection run publishes: mostly entitlement observations, some identities.
MIX = {"entitlement.observed": 80, "identity.observed": 15, "entitlement.granted": 3, "decision.recorded": 2}


def make_events(factory: EventFactory, n: int) -> list[Event]:
    payloads = sample_payloads()
    kinds = [k for k, weight in MIX.items() for _ in range(weight)]
    return [
        factory.new(kinds[i % len(kinds)], payloads[kinds[i % len(kinds)]], correlation_id="bench", subject_key=f"k{i}")
        for i in range(n)
    ]


def bench_codec(codec: EventCodec, events: list[Event], rounds: int = 3) -> tuple[float, float, int]:
    best_enc = best_dec = 0.0
    encoded: list[bytes] = []
    for _ in range(rounds):
        started = time.perf_counter()
        encoded = [codec.encode(e) for e in events]
        best_enc = max(best_enc, len(events) / (time.perf_counter() - started))
        started = time.perf_counter()
        for data in encoded:
            codec.decode(data)
        best_dec = max(best_dec, len(events) / (time.perf_counter() - started))
    return best_enc, best_dec, sum(map(len, encoded)) // len(encoded)


def round_trip(settings: Settings, codec: EventCodec, events: list[Event], bootstrap: str) -> float:
    """Produce every event (idempotent, acks=all) and consume it back; events/s over the whole trip."""
    ensure_topics(settings, bootstrap)
    topic = settings.topic("entitlement.v1")
    consumer = make_consumer(settings, bootstrap, "bench-rt", **{"fetch.wait.max.ms": 10})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(12)])
    payload = [codec.encode(e) for e in events]
    producer = EventProducer(settings, bootstrap, codec)
    started = time.perf_counter()
    for i, data in enumerate(payload):
        producer.produce_raw(topic, f"k{i}".encode(), data)
    producer.flush()
    received = 0
    deadline = time.monotonic() + 120
    while received < len(payload) and time.monotonic() < deadline:
        batch = consumer.consume(num_messages=10000, timeout=0.5)
        received += sum(1 for m in batch if m.error() is None)
    elapsed = time.perf_counter() - started
    consumer.close()
    if received < len(payload):
        raise SystemExit(f"round trip lost messages: {received}/{len(payload)}")
    return len(payload) / elapsed


def main() -> None:
    settings = Settings(env="test", kafka_topic_prefix="bench.")
    catalog = SchemaCatalog(settings.schema_dir)
    codec = EventCodec(catalog)
    factory = EventFactory(catalog, Producer("bench", "0", "bench"))
    events = make_events(factory, 100_000)
    enc, dec, size = bench_codec(codec, events)
    print(f"codec encode: {enc:,.0f} events/s  (mean event {size} bytes; target >= 100,000)")
    print(f"codec decode: {dec:,.0f} events/s  (target >= 100,000)")


if __name__ == "__main__":
    main()
