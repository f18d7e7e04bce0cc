"""The collector service: a collection run every ``AR_COLLECT_INTERVAL_S``, published as events.

The first run starts at once. A run that cannot read the account (bad token, unreachable host)
is logged and retried at the next interval; the service keeps going. ``ctx.stop_event`` stops
it promptly: between runs at once, during a run before the next task starts.
"""

from __future__ import annotations

from services.collector.run import run_collection
from services.collector.wiring import CollectorDeps, build_deps
from services.core.errors import AccessReviewError
from services.runtime.context import ServiceContext


def run(ctx: ServiceContext) -> None:
    deps = build_deps(ctx.settings, ctx.producer, ctx.events)
    try:
        while not ctx.stop_event.is_set():
            run_once(ctx, deps)
            ctx.stop_event.wait(ctx.settings.collect_interval_s)
    finally:
        deps.close()
        ctx.producer.flush(30.0)


def run_once(ctx: ServiceContext, deps: CollectorDeps) -> None:
    try:
        report = run_collection(deps.settings, deps.options, deps.outputs, stop_event=ctx.stop_event)
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
