"""``accessreview service notifier``: consume notification requests, deliver, record outcomes."""

from __future__ import annotations

from services.db.engine import session_factory
from services.db.idempotency import SqlProcessedEvents
from services.events.envelope import Event
from services.kafka.consumer import ConsumerRunner, MessageMeta
from services.kafka.topics import subscriptions
from services.notifier.deliver import DeliveryPostponed, deliver_notification
from services.notifier.wiring import NotifierDeps, build_deps
from services.runtime.context import ServiceContext


def make_handler(ctx: ServiceContext, deps: NotifierDeps):  # type: ignore[no-untyped-def]
    def handle(event: Event, meta: MessageMeta) -> None:
        if event.event_type != "notification.requested":
            return
        try:
            outcomes = deliver_notification(event, deps)
        except DeliveryPostponed as exc:
            ctx.producer.publish_all(exc.recorded)
            raise
        ctx.producer.publish_all(outcomes)
        for outcome in outcomes:
            ctx.log.info(
                outcome.event_type.replace(".", "_"),
                channel=outcome.payload["channel"],
                notification_id=outcome.payload["notification_id"],
            )

    return handle


def run(ctx: ServiceContext) -> None:
    deps = build_deps(ctx.settings, ctx.events)
    processed = SqlProcessedEvents(session_factory(ctx.settings), "notifier")
    runner = ConsumerRunner(
        ctx.settings,
        ctx.bootstrap,
        f"{ctx.settings.kafka_topic_prefix}notifier",
        [ctx.settings.topic(t.base) for t in subscriptions("notifier")],
        make_handler(ctx, deps),
        ctx.codec,
        ctx.producer,
        processed=processed,
        retry_backoff_s=2.0,
        stop_event=ctx.stop_event,
    )
    runner.run()
