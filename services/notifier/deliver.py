"""Use case: deliver one ``notification.requested`` by email (and Slack when configured).

Returns the events that record what happened: one ``notification.sent`` or
``notification.failed`` per channel. A relay that is down raises after recording the failed
attempt, so the request is retried later rather than lost; a refusal is final.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from services.adapters.smtp import MailRejected
from services.core.errors import AccessReviewError, NotFoundError, UnavailableError
from services.events.envelope import Event
from services.notifier.render import MessageContext, email_message, micros_to_datetime

if TYPE_CHECKING:
    from services.notifier.wiring import NotifierDeps


def deliver_notification(request: Event, deps: NotifierDeps) -> list[Event]:
    p = request.payload
    context = MessageContext(
        recipient=p["recipient"],
        link=deps.links.url(deps.base_url, p["recipient"], p.get("campaign_id"), p.get("link_token_id")),
        link_expires=datetime.now(UTC) + timedelta(seconds=deps.link_ttl_s),
        campaign_id=p.get("campaign_id"),
        campaign_name=p.get("campaign_name"),
        due_at=micros_to_datetime(p.get("due_at")),
        item_count=int(p.get("item_count") or len(p.get("task_ids") or [])),
        reason=p.get("reason"),
    )
    rendered = deps.renderer.render(p["template"], context)
    outcomes = [_send_email(request, deps, email_message(rendered, deps.sender, p["recipient"], p["notification_id"]))]
    if deps.slack is not None:
        outcomes.append(_send_slack(request, deps, rendered.slack_text))
    return outcomes


def _send_email(request: Event, deps: NotifierDeps, message: Any) -> Event:
    try:
        message_id, attempts = deps.mailer.send(message)
    except MailRejected as exc:
        return _failed(request, deps, "email", str(exc), exc.details.get("attempts", 1), final=True)
    except UnavailableError as exc:
        failed = _failed(request, deps, "email", str(exc), exc.details.get("attempts", 1), final=False)
        raise DeliveryPostponed(str(exc), recorded=[failed]) from None
    return _sent(request, deps, "email", message_id, attempts)


def _send_slack(request: Event, deps: NotifierDeps, text: str) -> Event:
    assert deps.slack is not None
    p = request.payload
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    try:
        ts = deps.slack.send(p["recipient"], text, blocks)
    except NotFoundError as exc:
        return _failed(request, deps, "slack", str(exc), 1, final=True)
    except AccessReviewError as exc:
        return _failed(request, deps, "slack", str(exc), 1, final=not exc.transient)
    return _sent(request, deps, "slack", ts, 1)


class DeliveryPostponed(UnavailableError):
    """The channel is down; ``recorded`` holds the failure events to publish before retrying."""

    def __init__(self, message: str, recorded: list[Event]) -> None:
        super().__init__(message)
        self.recorded = recorded


def _sent(request: Event, deps: NotifierDeps, channel: str, provider_id: str, attempts: int) -> Event:
    p = request.payload
    return deps.events.new(
        "notification.sent",
        {
            "notification_id": p["notification_id"],
            "channel": channel,
            "recipient": p["recipient"],
            "provider_message_id": provider_id,
            "attempts": attempts,
        },
        correlation_id=request.envelope.correlation_id,
        subject_key=p["recipient"],
        causation_id=request.event_id,
    )


def _failed(request: Event, deps: NotifierDeps, channel: str, error: str, attempts: int, final: bool) -> Event:
    p = request.payload
    return deps.events.new(
        "notification.failed",
        {
            "notification_id": p["notification_id"],
            "channel": channel,
            "recipient": p["recipient"],
            "error": error[:1000],
            "attempts": attempts,
            "final": final,
        },
        correlation_id=request.envelope.correlation_id,
        subject_key=p["recipient"],
        causation_id=request.event_id,
    )
