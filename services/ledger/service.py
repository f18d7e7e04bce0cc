"""``accessreview service ledger``: consume every topic, seal segments, verify on a schedule.

Seal every ``AR_LEDGER_SEAL_EVENTS`` events or ``AR_LEDGER_SEAL_SECONDS`` after the oldest
pending event arrived. The ledger also consumes its own topic (its seal and verification events
are evidence too), but those alone never trigger a timed seal, so an idle ledger stays idle.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from services import __version__
from services.core.errors import ConflictError
from services.core.settings import Settings
from services.kafka.admin import cluster_identity
from services.ledger import layout, metrics
from services.ledger.ingest import KafkaIngest
from services.ledger.keys import signer_from_settings
from services.ledger.manifest import SignedManifest
from services.ledger.stores import Store, open_store
from services.ledger.verify.verifier import store_keys, verify_store
from services.ledger.writer import LedgerWriter, WriterConfig
from services.runtime.context import ServiceContext

OWN_TOPIC_BASE = "ledger.v1"


def build_writer(
    settings: Settings, schema_for: Any = None, instance: str | None = None, kafka_cluster: str | None = None
) -> LedgerWriter:
    """Open and check the store(s), load the signing key, publish it, resume from the newest manifest."""
    store = open_store(settings.effective_ledger_store, settings)
    store.prepare_for_writing(settings.ledger_dev_store)
    witness = open_store(settings.ledger_witness, settings) if settings.ledger_witness else None
    if witness is not None:
        witness.prepare_for_writing(settings.ledger_dev_store)
    signer = signer_from_settings(settings)
    publish_public_key(store, signer.public.to_json(), settings)
    config = WriterConfig(
        origin=settings.ledger_origin,
        retention_days=settings.ledger_retention_days,
        writer={"service": "ledger", "version": __version__, "instance": instance or settings.instance_id},
        schema_for=schema_for,
        own_topic=settings.topic(OWN_TOPIC_BASE),
        kafka_cluster=kafka_cluster,
    )
    writer = LedgerWriter(store, signer, config, witness)
    writer.recover()
    return writer


def publish_public_key(store: Store, public: dict[str, str], settings: Settings) -> None:
    key = f"{layout.KEYS}{public['key_id']}-{public['name']}.json"
    if store.exists(key):
        return
    try:
        retain = datetime.now(UTC) + timedelta(days=settings.ledger_retention_days)
        store.put(key, (json.dumps(public, indent=2, sort_keys=True) + "\n").encode(), retain)
    except ConflictError:
        pass


def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    writer = build_writer(
        settings, lambda fp: ctx.catalog.by_fingerprint(fp).schema, ctx.identity.instance,
        kafka_cluster=cluster_identity(settings, ctx.bootstrap),
    )
    ingest = KafkaIngest(settings, ctx.bootstrap, writer)
    partitions = ingest.assign()
    ctx.log.info(
        "ledger_started", store=writer.store.url, partitions=partitions, next_seq=writer.state.next_seq
    )
    verifier = threading.Thread(
        target=_verify_on_schedule, args=(ctx, writer.store), daemon=True, name="ledger-verify"
    )
    verifier.start()
    try:
        while not ctx.stop_event.is_set():
            metrics.APPENDED.inc(ingest.poll_into_writer())
            if writer.due(settings.ledger_seal_events, settings.ledger_seal_seconds):
                _seal(ctx, writer, ingest)
        if writer.pending.foreign_partitions:
            _seal(ctx, writer, ingest)
    finally:
        ingest.close()
        if "producer" in vars(ctx):  # created on the first seal; nothing to flush otherwise
            ctx.producer.flush(10.0)


def _seal(ctx: ServiceContext, writer: LedgerWriter, ingest: KafkaIngest) -> SignedManifest | None:
    waited = time.monotonic() - (writer.pending.first_at or time.monotonic())
    manifest = writer.seal()
    if manifest is None:
        return None
    ingest.commit(manifest)
    metrics.SEALED.inc()
    metrics.TREE_SIZE.set(manifest["tree_size"])
    metrics.SEAL_LATENCY.observe(waited)
    event = ctx.events.new(
        "ledger.segment_sealed",
        {
            "store": writer.store.url,
            "segment": manifest["segment"],
            "first_seq": manifest["first_seq"],
            "last_seq": manifest["last_seq"],
            "manifest_key": manifest["manifest_key"],
            "manifest_sha256": manifest.sha256,
            "merkle_root": manifest["merkle_root"],
            "tree_size": manifest["tree_size"],
        },
        correlation_id=f"ledger:{writer.store.url}",
        subject_key=writer.store.url,
    )
    ctx.producer.publish(event)
    ctx.log.info(
        "segment_sealed",
        segment=manifest["segment"],
        events=manifest["count"],
        tree_size=manifest["tree_size"],
    )
    return manifest


def _verify_on_schedule(ctx: ServiceContext, store: Store) -> None:
    """Verify the whole store every AR_LEDGER_VERIFY_INTERVAL_S; publish ledger.verified and metrics."""
    interval = ctx.settings.ledger_verify_interval_s
    while not ctx.stop_event.wait(interval):
        try:
            publish_verification(ctx, store)
        except Exception as exc:  # noqa: BLE001 - a failed check must not stop the writer
            ctx.log.error("scheduled_verification_failed", error=str(exc))


def publish_verification(ctx: ServiceContext, store: Store) -> Any:
    settings = ctx.settings
    witness = open_store(settings.ledger_witness, settings) if settings.ledger_witness else None
    ring = store_keys(store)  # earlier (rotated) keys as published, plus the key this service signs with
    ring.add(signer_from_settings(settings).public)
    report = verify_store(store, ring, witness, min_retention_days=settings.ledger_retention_days - 2)
    record_verification_metrics(report)
    event = verification_event(ctx.events, store.url, report)
    ctx.producer.publish(event)
    ctx.producer.flush(10.0)
    log_fn = ctx.log.info if report.status == "valid" else ctx.log.error
    log_fn("ledger_verified", status=report.status, events=report.events_verified, findings=len(report.errors))
    return report


def record_verification_metrics(report: Any) -> None:
    metrics.VERIFY_OK.set(1 if report.status == "valid" else 0)
    metrics.VERIFY_LAST.set(time.time())
    metrics.VERIFY_FINDINGS.set(len(report.errors))


def verification_event(events: Any, store_url: str, report: Any) -> Any:
    """The ``ledger.verified`` event security alerts on (first 50 findings, texts capped)."""
    findings = [
        {"code": f.code, "where": f.where, "expected": f.expected[:500], "found": f.found[:500], "detail": f.detail or None}
        for f in report.errors[:50]
    ]
    return events.new(
        "ledger.verified",
        {
            "store": store_url,
            "status": report.status,
            "events_verified": report.events_verified,
            "tree_size": report.tree_size,
            "duration_ms": int(report.duration_s * 1000),
            "findings": findings,
        },
        correlation_id=f"ledger:{store_url}",
        subject_key=store_url,
    )
