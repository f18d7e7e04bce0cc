"""``accessreview notifier``: preview the messages reviewers get, and check the mail relay.

``preview`` renders a template with sample values (subject, text, HTML or Slack), so an
operator can see a wording change before a campaign sends it. ``send-test`` sends one sample
message through the configured relay (``AR_SMTP_*``) and prints what the relay answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import typer
from rich.console import Console

from services.notifier.render import TEMPLATES, MessageContext, Renderer, email_message

app = typer.Typer(help="Notification templates and the mail relay.", no_args_is_help=True)
console = Console()


class Part(StrEnum):
    subject = "subject"
    txt = "txt"
    html = "html"
    slack = "slack"


def _sample(recipient: str) -> MessageContext:
    now = datetime.now(UTC)
    return MessageContext(
        recipient=recipient,
        link="https://accessreview.example.com/r/SAMPLE-LINK",
        link_expires=now + timedelta(days=7),
        campaign_id="01SAMPLECAMPAIGN0000000000",
        campaign_name="Quarterly access review (sample)",
        due_at=now + timedelta(days=14),
        item_count=12,
        reason="sample: not sent by a campaign",
    )


def _template(name: str) -> str:
    if name not in TEMPLATES:
        raise typer.BadParameter(f"unknown template {name!r}; known: {', '.join(TEMPLATES)}")
    return name


@app.command("templates")
def templates_command() -> None:
    """List the notification templates."""
    for name in TEMPLATES:
        console.print(name, highlight=False)


@app.command("preview")
def preview_command(
    template: str = typer.Argument(..., help="review-invite, review-reminder or escalation"),
    part: Part = typer.Option(Part.txt, "--part", help="which rendering to print"),
    to: str = typer.Option("reviewer@example.com", "--to", help="the sample recipient"),
) -> None:
    """Render a template with sample values."""
    rendered = Renderer().render(_template(template), _sample(to))
    text = {"subject": rendered.subject, "txt": rendered.text, "html": rendered.html, "slack": rendered.slack_text}
    typer.echo(text[part.value])


@app.command("send-test")
def send_test_command(
    to: str = typer.Option(..., "--to", help="where to send the sample message"),
    template: str = typer.Option("review-invite", "--template", help="which template to send"),
) -> None:
    """Send one sample message through the configured relay and print its answer."""
    from services.core.ids import new_ulid
    from services.core.startup import load_settings
    from services.notifier.wiring import mailer_from_settings

    settings = load_settings("notifier", log_format="console")
    rendered = Renderer().render(_template(template), _sample(to))
    message = email_message(rendered, settings.smtp_sender, to, f"test-{new_ulid()}")
    message_id, attempts = mailer_from_settings(settings).send(message)
    console.print(
        f"sent to {to} through {settings.smtp_host}:{settings.smtp_port} in {attempts} attempt(s); message id {message_id}",
        highlight=False,
    )
