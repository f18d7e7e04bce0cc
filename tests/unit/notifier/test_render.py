from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.core.errors import UsageError
from services.notifier.render import TEMPLATES, MessageContext, Renderer, email_message


def _context(**overrides) -> MessageContext:  # type: ignore[no-untyped-def]
    values = dict(
        recipient="owner@example.com",
        link="http://review.local/r/TOKEN",
        link_expires=datetime(2026, 12, 5, tzinfo=UTC),
        campaign_id="c-1",
        campaign_name="2026-Q4 production access",
        due_at=datetime(2026, 12, 15, tzinfo=UTC),
        item_count=3,
        reason="overdue",
    )
    values.update(overrides)
    return MessageContext(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_link_count_and_due_date(template: str) -> None:
    rendered = Renderer().render(template, _context())
    for part in (rendered.text, rendered.html, rendered.slack_text):
        assert "http://review.local/r/TOKEN" in part
        assert "3" in part
    assert "2026-Q4 production access" in rendered.subject
    assert "Tuesday 15 December 2026" in rendered.text
    assert "\n" not in rendered.subject


def test_singular_item_reads_naturally() -> None:
    rendered = Renderer().render("review-invite", _context(item_count=1, due_at=None))
    assert "1 access item to review" in rendered.subject
    assert " by " not in rendered.subject


def test_html_escapes_names_but_text_keeps_them() -> None:
    rendered = Renderer().render("review-invite", _context(campaign_name="<script>x</script>"))
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>x</script>" in rendered.text


def test_unknown_template_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown notification template"):
        Renderer().render("phishing", _context())


def test_email_has_text_and_html_alternatives() -> None:
    rendered = Renderer().render("review-reminder", _context())
    message = email_message(rendered, "ar@example.com", "owner@example.com", "n-1")
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["X-AccessReview-Notification"] == "n-1"


def test_a_reminder_without_a_count_does_not_say_zero() -> None:
    rendered = Renderer().render("review-reminder", _context(item_count=0))
    assert "Some access items" in rendered.text and " 0 " not in rendered.text
