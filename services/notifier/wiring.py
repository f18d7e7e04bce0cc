"""Builds the notifier's dependencies from settings (used by the service, its CLI and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from services.adapters.smtp import MailConfig, SmtpMailer
from services.core.settings import Settings
from services.events.envelope import EventFactory
from services.notifier.render import Renderer


class LinkMinter(Protocol):
    def url(self, base_url: str, reviewer: str, campaign_id: str | None, token_id: str | None = None) -> str: ...


class SlackSender(Protocol):
    def send(self, email: str, text: str, blocks: list[dict[str, Any]]) -> str: ...


@dataclass
class NotifierDeps:
    events: EventFactory
    renderer: Renderer
    links: LinkMinter
    link_ttl_s: int
    base_url: str
    mailer: SmtpMailer
    sender: str
    slack: SlackSender | None = None


def mailer_from_settings(settings: Settings) -> SmtpMailer:
    return SmtpMailer(
        MailConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )
    )


def public_base_url(settings: Settings) -> str:
    return settings.public_base_url or f"http://{settings.web_host}:{settings.web_port or 8080}"


def build_deps(settings: Settings, events: EventFactory) -> NotifierDeps:
    from services.web.links import link_signer

    slack = None
    if settings.slack_token is not None:
        from services.adapters.slack import SlackConfig, SlackMessenger

        slack = SlackMessenger(SlackConfig(settings.slack_token.get_secret_value(), settings.slack_api_url))
    return NotifierDeps(
        events=events,
        renderer=Renderer(),
        links=link_signer(settings),
        link_ttl_s=settings.link_ttl_s,
        base_url=public_base_url(settings),
        mailer=mailer_from_settings(settings),
        sender=settings.smtp_sender,
        slack=slack,
    )
