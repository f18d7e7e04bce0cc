"""``accessreview service enforcer``: consume revocation requests and what the collector sees;
plan, guard, apply and verify on a tick.

The consumer stores requests (deduplicated by ``revocation_id``) and keeps the facts; the tick
(leader only: one replica works at a time) works on every due revocation with
``AR_ENFORCER_WORKERS`` threads, then publishes the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from services.core.errors import ConfigError
from services.db.leader import LeaderLock
from services.enforcer.confirm_by_collection import confirm_by_collection
from services.enforcer.receive_request import receive_request
from services.enforcer.store import due, flush_outbox
from services.enforcer.wiring import EnforcerDeps, build_deps
from services.enforcer.work_revocation import work_revocation
from services.events.envelope import Event
from services.kafka.consumer import ConsumerRunner, MessageMeta
from services.kafka.topics import subscriptions
from services.runtime.context import ServiceContext

ENTITLEMENT_EVENTS = frozenset({"entitlement.observed", "entitlement.granted", "entitlement.removed"})


def make_batch_handler(deps: EnforcerDeps) -> Callable[[list[tuple[Event, MessageMeta]]], None]:
    def handle(items: list[tuple[Event, MessageMeta]]) -> None:
        collected = [event for event, _ in items if event.event_type in ENTITLEMENT_EVENTS]
        if collected:
            confirm_by_collection(collected, deps)
        for event, _ in items:
            if event.event_type == "revocation.requested":
                receive_request(event, deps)

    return handle


def work_due(deps: EnforcerDeps, pool: ThreadPoolExecutor | None = None) -> dict[str, int]:
    """One pass: every due revocation worked on once; the outbox published. Returns status counts."""
    flush_outbox(deps)
    with deps.sessions() as session:
        ids = due(session, deps.now_us(), int(deps.settings.enforcer_settle_s * 1e6))
    counts: dict[str, int] = {}
    if ids:
        run = (lambda fn, items: list(pool.map(fn, items))) if pool is not None else (lambda fn, items: [fn(i) for i in items])
        for status in run(lambda rid: work_revocation(deps, rid), ids):
            counts[status] = counts.get(status, 0) + 1
        flush_outbox(deps)
    return counts


def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    producer = ctx.producer  # no broker configured is the service's usual start error
    try:
        deps = build_deps(settings, ctx.events, ctx.codec, producer)
    except ConfigError as exc:
        # without Databricks credentials nothing can be read or applied: consume nothing, so every
        # request stays on the topic until the enforcer is configured, and say so once
        ctx.log.error("enforcer not configured: revocation requests wait on the topic", error=exc.message)
        ctx.stop_event.wait()
        return
    leader = LeaderLock(deps.sessions.kw["bind"], "enforcer")
    pool = ThreadPoolExecutor(settings.enforcer_workers, thread_name_prefix="enforcer")

    def tick() -> None:
        if not leader.is_leader():
            return
        counts: dict[str, Any] = work_due(deps, pool)
        if counts:
            ctx.log.info("enforcer tick", **counts)

    runner = ConsumerRunner(
        settings,
        ctx.bootstrap,
        f"{settings.kafka_topic_prefix}enforcer",
        [settings.topic(t.base) for t in subscriptions("enforcer")],
        None,
        ctx.codec,
        ctx.producer,
        retry_backoff_s=2.0,
        stop_event=ctx.stop_event,
        batch_handler=make_batch_handler(deps),
        tick=tick,
        tick_every_s=settings.enforcer_tick_s,
    )
    try:
        runner.run()
    finally:
        pool.shutdown(wait=True)
        leader.release()
