"""``accessreview ledger bench``: append synthetic events of the real schemas through the real
writer, seal, verify, and measure the floor (a plain SHA-256 chain over the same bytes) in the
same run. The ledger is left in the store for inspection."""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from typing import Any

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.samples import sample_payloads
from services.events.schemas import SchemaCatalog
from services.kafka.topics import topic_for_event
from services.ledger.keys import Ed25519Signer, KeyRing, load_signer
from services.ledger.stores import open_store
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store
from services.ledger.witnessing import WitnessClient
from services.ledger.writer import LedgerWriter, WriterConfig

DISTINCT = 4000  # distinct synthetic events, cycled to reach N


@dataclass
class BenchResult:
    store: str
    events: int
    segments: int
    avg_event_bytes: float
    append_events_per_s: float
    verify_events_per_s: float
    verify_workers: int
    verify_parallel_events_per_s: float
    floor_events_per_s: float
    verify_vs_floor: float
    verify_parallel_vs_floor: float
    cosigned_checkpoints: int
    anchored_to: str
    seal_latency_p99_s: float
    seal_events: int
    seal_seconds: float
    verify_status: str


def synthetic_events(settings: Settings, count: int) -> list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]:
    """(topic, bytes, key, headers) of real events of every type, as EventProducer publishes them;
    entitlement and identity observations weighted as in a collection."""
    catalog = SchemaCatalog(settings.schema_dir)
    codec = EventCodec(catalog)
    factory = EventFactory(catalog, Producer("bench", "0", "bench"))
    out: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = []
    i = 0
    while len(out) < count:
        for event_type, payload in sample_payloads(i).items():
            weight = 8 if event_type.startswith(("entitlement.", "identity.")) else 1
            for _ in range(weight):
                event = factory.new(event_type, payload, correlation_id=f"bench-{i % 97}", subject_key=f"k{i}")
                headers = [("ar-event-type", event_type.encode()), ("ar-event-id", event.event_id.encode())]
                topic = settings.topic(topic_for_event(event_type).base)
                out.append((topic, codec.encode(event), event.key.encode(), headers))
        i += 1
    return out[:count]


def run_bench(
    settings: Settings,
    events: int,
    store_url: str,
    signing_key: str | None = None,
    seal_events: int | None = None,
    seal_seconds: float | None = None,
    rate: float | None = None,
    witness_url: str | None = None,
    witness_keys: KeyRing | None = None,
    workers: int = 2,
) -> BenchResult:
    """Append, seal (and have a witness cosign each checkpoint when ``witness_url`` is given),
    verify on one core and with ``workers`` processes, measure the floor. ``rate`` paces
    arrivals (events/s) to measure event-to-sealed latency under a steady load."""
    signer = load_signer(signing_key) if signing_key else Ed25519Signer.generate("accessreview-ledger-bench")
    store = open_store(store_url, settings)
    store.prepare_for_writing(settings.ledger_dev_store)
    catalog = SchemaCatalog(settings.schema_dir)
    config = WriterConfig(
        settings.effective_ledger_origin,
        settings.ledger_retention_days,
        {"service": "ledger-bench", "version": "0"},
        lambda fp: catalog.by_fingerprint(fp).schema,
    )
    from services.ledger.wiring import publish_public_key

    publish_public_key(store, signer.public.to_json(), settings)
    writer = LedgerWriter(store, signer, config)
    writer.recover()
    if witness_url:
        writer.witnessing = WitnessClient(witness_url, store, signer.public, witness_keys)
    seal_n = seal_events or settings.ledger_seal_events
    seal_t = seal_seconds if seal_seconds is not None else settings.ledger_seal_seconds
    pool = synthetic_events(settings, min(events, DISTINCT))
    append_s, latencies, sealed = _append(writer, pool, events, seal_n, seal_t, rate)
    anchors = Anchors(KeyRing([signer.public]), witness_keys or KeyRing(), allow_unanchored=witness_url is None)
    days = settings.ledger_retention_days - 2
    report = verify_store(store, anchors, min_retention_days=days, storage_layer=False, workers=1)
    parallel = verify_store(store, anchors, min_retention_days=days, storage_layer=False, workers=workers)
    floor = sorted(_floor(pool, report.events_verified) for _ in range(3))[1]  # median of three: it is short
    verify_rate = report.events_verified / report.duration_s if report.duration_s else 0.0
    parallel_rate = parallel.events_verified / parallel.duration_s if parallel.duration_s else 0.0
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return BenchResult(
        store.url,
        events,
        sealed,
        sum(len(item[1]) for item in pool) / len(pool),
        events / append_s,
        verify_rate,
        workers,
        parallel_rate,
        floor,
        verify_rate / floor if floor else 0.0,
        parallel_rate / floor if floor else 0.0,
        writer.witnessing.cosigned if writer.witnessing else 0,
        report.anchored_to,
        p99,
        seal_n,
        seal_t,
        report.status if report.status == parallel.status else f"{report.status}/{parallel.status}",
    )


def _append(
    writer: LedgerWriter,
    pool: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]],
    events: int,
    seal_n: int,
    seal_t: float,
    rate: float | None = None,
) -> tuple[float, list[float], int]:
    """Append in chunks as a consumer would; latency per chunk = time from its arrival to its seal."""
    chunk = 1000 if rate is None else max(1, int(rate / 50))
    first_offset = writer.state.next_seq  # a re-run on the same store continues, never re-appends
    latencies: list[float] = []
    waiting: list[tuple[float, int]] = []
    sealed = 0
    started = time.perf_counter()
    size = len(pool)
    for base in range(0, events, chunk):
        if rate is not None:
            time.sleep(max(0.0, started + base / rate - time.perf_counter()))
        arrived = time.perf_counter()
        now_us = time.time_ns() // 1000
        n = min(chunk, events - base)
        batch = []
        for j in range(base, base + n):
            topic, value, key, headers = pool[j % size]
            batch.append((value, topic, j % 12, first_offset + j, key, headers, False))
        writer.append_batch(batch, now_us)
        waiting.append((arrived, n))
        if writer.due(seal_n, seal_t) or base + n >= events:  # the service's rule, checked per poll
            writer.seal()
            done = time.perf_counter()
            sealed += 1
            latencies += [done - at for at, count in waiting for _ in range(max(1, count // 100))]
            waiting = []
    return time.perf_counter() - started, latencies, sealed


def _floor(pool: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]], count: int) -> float:
    """A plain SHA-256 chain over the same event bytes: the cost any verifier must pay."""
    sha = hashlib.sha256
    values = [item[1] for item in pool]
    size = len(values)
    h = b"\x00" * 32
    started = time.perf_counter()
    for i in range(count):
        h = sha(h + values[i % size]).digest()
    elapsed = time.perf_counter() - started
    return count / elapsed if elapsed else 0.0


def result_dict(result: BenchResult) -> dict[str, Any]:
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(result).items()}
