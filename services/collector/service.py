"""The collector service: a collection run every ``AR_COLLECT_INTERVAL_S``, published as events.

The first run starts at once. A run that cannot read the account (bad token, unreachable host)
is logged and retried at the next interval; the service keeps going. ``ctx.stop_event`` stops
it promptly: between runs at once, during a run before the next task starts.
"""

from __future__ import annotations

from services.collector.collect import CollectionOptions
from services.collector.run import CollectionOutputs, baseline_store, run_collection
from services.core.errors import AccessReviewError
from services.runtime.context import ServiceContext


def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    sink = CollectionOutputs(ctx.producer, ctx.events, baseline_store(settings))
    options = CollectionOptions(workers=settings.collect_workers, audit_days=settings.collect_audit_days)
    try:
        while not ctx.stop_event.is_set():
            run_once(ctx, sink, options)
            ctx.stop_event.wait(settings.collect_interval_s)
    finally:
        sink.baselines.close()
        ctx.producer.flush(30.0)


def run_once(ctx: ServiceContext, sink: CollectionOutputs, options: CollectionOptions) -> None:
    try:
        report = run_collection(ctx.settings, options, sink, stop_event=ctx.stop_event)
    except AccessReviewError as exc:
        ctx.log.error("collection failed", error=exc.message)
        return
    counts = report.result.counts()
    ctx.log.info(
        "collection done",
        run_id=report.result.run_id,
        duration_ms=report.result.duration_ms,
        entitlements=counts.get("entitlements", 0),
        partial=counts.get("scopes_partial", 0),
        failed=counts.get("scopes_failed", 0),
        granted=report.published.granted if report.published else 0,
        removed=report.published.removed if report.published else 0,
    )
