"""``accessreview service ledger``: consume every topic, seal segments, verify on a schedule.

Seal every ``AR_LEDGER_SEAL_EVENTS`` events or ``AR_LEDGER_SEAL_SECONDS`` after the oldest
pending event arrived. The ledger also consumes its own topic (its seal and verification events
are evidence too), but those alone never trigger a timed seal, so an idle ledger stays idle.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from services.kafka.admin import cluster_identity
from services.ledger import metrics
from services.ledger.ingest import KafkaIngest
from services.ledger.keys import load_public_keys, signer_from_settings, trusted_ring_from_settings
from services.ledger.manifest import SignedManifest
from services.ledger.stores import Store, open_store
from services.ledger.verify.anchors import Anchors
from services.ledger.verify.verifier import verify_store
from services.ledger.wiring import build_writer
from services.ledger.writer import LedgerWriter
from services.runtime.context import ServiceContext


def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    writer = build_writer(
        settings,
        lambda fp: ctx.catalog.by_fingerprint(fp).schema,
        ctx.identity.instance,
        kafka_cluster=cluster_identity(settings, ctx.bootstrap),
    )
    ingest = KafkaIngest(settings, ctx.bootstrap, writer)
    partitions = ingest.assign()
    ctx.log.info("ledger_started", store=writer.store.url, partitions=partitions, next_seq=writer.state.next_seq)
    verifier = threading.Thread(target=_verify_on_schedule, args=(ctx, writer.store), daemon=True, name="ledger-verify")
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
    anchors = Anchors(
        trusted_ring_from_settings(settings, signer_from_settings(settings)),  # never the store's own keys
        load_public_keys([Path(p) for p in settings.ledger_witness_keys]),
        witness_store=witness,
        witness_url=settings.ledger_witness_url,
    )
    report = verify_store(store, anchors, min_retention_days=settings.ledger_retention_days - 2)
    record_verification_metrics(report)
    event = verification_event(ctx.events, store.url, report)
    ctx.producer.publish(event)
    ctx.producer.flush(10.0)
    log_fn = ctx.log.info if report.status == "valid" else ctx.log.error
    log_fn(
        "ledger_verified",
        status=report.status,
        events=report.events_verified,
        findings=len(report.errors),
        anchored_to=report.anchored_to,
    )
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
