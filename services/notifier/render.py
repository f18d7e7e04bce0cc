"""Message rendering with Jinja2: subject, plain text, HTML and Slack text per template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape

from services.core.errors import UsageError

TEMPLATES = ("review-invite", "review-reminder", "escalation")


@dataclass(frozen=True)
class MessageContext:
    recipient: str
    link: str
    link_expires: datetime
    campaign_id: str | None
    campaign_name: str | None
    due_at: datetime | None
    item_count: int
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "link": self.link,
            "link_expires": self.link_expires.strftime("%d %b %Y %H:%M UTC"),
            "campaign_id": self.campaign_id,
            "campaign_name": self.campaign_name or "Access review",
            "due": self.due_at.strftime("%A %d %B %Y") if self.due_at else None,
            "item_count": self.item_count,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    slack_text: str


class Renderer:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("services.notifier", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, template: str, context: MessageContext) -> RenderedMessage:
        if template not in TEMPLATES:
            raise UsageError(f"unknown notification template {template!r}; known: {', '.join(TEMPLATES)}")
        values = context.as_dict()
        try:
            parts = {
                kind: self._env.get_template(f"{template}.{kind}.j2").render(values)
                for kind in ("subject", "txt", "html", "slack")
            }
        except TemplateNotFound as exc:
            raise UsageError(f"template file missing: {exc}") from None
        return RenderedMessage(parts["subject"].strip(), parts["txt"], parts["html"], parts["slack"].strip())


def email_message(rendered: RenderedMessage, sender: str, recipient: str, notification_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["X-AccessReview-Notification"] = notification_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def micros_to_datetime(micros: int | None) -> datetime | None:
    return datetime.fromtimestamp(micros / 1_000_000, UTC) if micros else None
