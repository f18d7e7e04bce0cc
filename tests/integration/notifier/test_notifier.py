"""The notifier on the real broker and a real SMTP server: links that work, outcomes recorded."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from services.core.errors import UnavailableError
from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import Event, EventFactory
from services.kafka.broker import free_port
from services.kafka.consumer import ConsumerRunner
from services.kafka.producer import EventProducer
from services.notifier.service import make_handler
from services.notifier.wiring import build_deps
from services.runtime.context import ServiceContext
from tests.support.infra import Mailbox

pytestmark = pytest.mark.integration


def _request(factory: EventFactory, recipient: str, template: str = "review-invite") -> Event:
    return factory.new(
        "notification.requested",
        {
            "notification_id": f"n-{new_ulid()}",
            "channel": "email",
            "recipient": recipient,
            "template": template,
            "campaign_id": "c-42",
            "task_ids": ["t-1", "t-2"],
            "link_token_id": f"lt-{new_ulid()}",
        },
        correlation_id="c-42",
        subject_key=recipient,
    )


def _ctx(settings: Settings, smtp_port: int) -> ServiceContext:
    tuned = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "public_base_url": "http://review.local",
        }
    )
    return ServiceContext("notifier", tuned)


def _outcomes(settings: Settings, codec: EventCodec, producer: EventProducer, expected: int) -> list[Event]:
    found: list[Event] = []

    def keep(event: Event, meta) -> None:  # type: ignore[no-untyped-def]
        if event.event_type in ("notification.sent", "notification.failed"):
            found.append(event)

    ConsumerRunner(
        settings, settings.kafka_bootstrap, f"check-{new_ulid()}", [settings.topic("notification.v1")], keep, codec, producer
    ).run(until=lambda s: len(found) >= expected, max_idle_s=20)
    return found


def test_a_request_becomes_an_email_with_a_working_personal_link(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory, smtp_mailbox: Mailbox
) -> None:
    smtp_mailbox.clear()
    ctx = _ctx(kafka_settings, smtp_mailbox.port)
    request = _request(factory, "Owner@Example.com")
    ctx.producer.publish_all([request])
    handler = make_handler(ctx, build_deps(ctx.settings, ctx.events))
    ConsumerRunner(
        ctx.settings, ctx.bootstrap, "notifier-test", [ctx.settings.topic("notification.v1")], handler, ctx.codec, ctx.producer
    ).run(until=lambda s: s.handled >= 1, max_idle_s=20)
    (mail,) = smtp_mailbox.messages
    assert mail["To"] == "Owner@Example.com"
    assert "2 access items to review" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"http://review\.local/r/(\S+)", text)
    assert link, text
    from services.web.links import link_signer

    claims = link_signer(ctx.settings).verify(link.group(1))
    assert (claims.reviewer, claims.campaign_id, claims.token_id) == (
        "owner@example.com",
        "c-42",
        request.payload["link_token_id"],
    )
    (sent,) = _outcomes(kafka_settings, codec, ctx.producer, 1)
    assert sent.event_type == "notification.sent"
    assert sent.envelope.causation_id == request.event_id
    assert sent.payload["provider_message_id"] == mail["Message-ID"]


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    """An SMTP server that refuses one mailbox with 550."""
    from aiosmtpd.controller import Controller

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
            if address.startswith("gone@"):
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
            return "250 OK"

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_a_refused_mailbox_is_a_final_failure_and_the_consumer_moves_on(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory, refusing_smtp: int
) -> None:
    ctx = _ctx(kafka_settings, refusing_smtp)
    ctx.producer.publish_all([_request(factory, "gone@example.com"), _request(factory, "here@example.com")])
    handler = make_handler(ctx, build_deps(ctx.settings, ctx.events))
    stats = ConsumerRunner(
        ctx.settings, ctx.bootstrap, "notifier-refused", [ctx.settings.topic("notification.v1")], handler, ctx.codec, ctx.producer
    ).run(until=lambda s: s.handled >= 2, max_idle_s=20)
    assert stats.handled == 2 and stats.dead_lettered == 0
    outcomes = {e.payload["recipient"]: e for e in _outcomes(kafka_settings, codec, ctx.producer, 2)}
    assert outcomes["gone@example.com"].event_type == "notification.failed"
    assert outcomes["gone@example.com"].payload["final"] is True
    assert "550" in outcomes["gone@example.com"].payload["error"]
    assert outcomes["here@example.com"].event_type == "notification.sent"


def test_a_relay_outage_records_the_attempt_and_keeps_the_request(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory, smtp_mailbox: Mailbox
) -> None:
    down = _ctx(kafka_settings, free_port())  # nothing listens there
    request = _request(factory, "owner@example.com")
    down.producer.publish_all([request])
    deps = build_deps(down.settings, down.events)
    deps.mailer.config = type(deps.mailer.config)(**{**deps.mailer.config.__dict__, "attempts": 2, "timeout_s": 2})
    runner = ConsumerRunner(
        down.settings,
        down.bootstrap,
        "notifier-outage",
        [down.settings.topic("notification.v1")],
        make_handler(down, deps),
        down.codec,
        down.producer,
        retry_backoff_s=0.01,
    )
    runner.handler_attempts = 1
    with pytest.raises(UnavailableError):
        runner.run(max_idle_s=20)
    failed = _outcomes(kafka_settings, codec, down.producer, 1)[0]
    assert failed.event_type == "notification.failed" and failed.payload["final"] is False
    # The relay is back: the same group picks the request up again and delivers it.
    smtp_mailbox.clear()
    up = _ctx(kafka_settings, smtp_mailbox.port)
    done = threading.Event()
    ConsumerRunner(
        up.settings,
        up.bootstrap,
        "notifier-outage",
        [up.settings.topic("notification.v1")],
        make_handler(up, build_deps(up.settings, up.events)),
        up.codec,
        up.producer,
    ).run(until=lambda s: s.handled >= 1, max_idle_s=20)
    done.set()
    assert [m["To"] for m in smtp_mailbox.messages] == ["owner@example.com"]
