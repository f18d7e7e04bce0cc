"""``accessreview service notifier``: consume notification requests, deliver, record outcomes."""

from __future__ import annotations

from services.adapters.smtp import MailConfig, SmtpMailer
from services.db.engine import session_factory
from services.db.idempotency import SqlProcessedEvents
from services.events.envelope import Event
from services.kafka.consumer import ConsumerRunner, MessageMeta
from services.kafka.topics import subscriptions
from services.notifier.deliver import DeliveryPostponed, NotifierDeps, deliver_notification
from services.notifier.render import Renderer
from services.runtime.context import ServiceContext


def build_deps(ctx: ServiceContext) -> NotifierDeps:
    from services.web.links import link_signer

    settings = ctx.settings
    slack = None
    if settings.slack_token is not None:
        from services.adapters.slack import SlackConfig, SlackMessenger

        slack = SlackMessenger(SlackConfig(settings.slack_token.get_secret_value(), settings.slack_api_url))
    mailer = SmtpMailer(
        MailConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )
    )
    base_url = settings.public_base_url or f"http://{settings.web_host}:{settings.web_port or 8080}"
    return NotifierDeps(
        events=ctx.events,
        renderer=Renderer(),
        links=link_signer(settings),
        link_ttl_s=settings.link_ttl_s,
        base_url=base_url,
        mailer=mailer,
        sender=settings.smtp_sender,
        slack=slack,
    )


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
    deps = build_deps(ctx)
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
