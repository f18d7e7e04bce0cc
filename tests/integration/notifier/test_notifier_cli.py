"""`accessreview notifier`: templates preview with sample values; send-test goes through a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from tests.support.infra import Mailbox

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    from services.core.logging import configure_logging

    configure_logging("WARNING", "json")


def test_preview_renders_every_part_of_a_template() -> None:
    runner = CliRunner()
    subject = runner.invoke(app, ["notifier", "preview", "review-invite", "--part", "subject"])
    assert subject.exit_code == 0, subject.output
    assert subject.output.strip()
    html = runner.invoke(app, ["notifier", "preview", "escalation", "--part", "html", "--to", "ana@corp.example"])
    assert html.exit_code == 0 and "<html" in html.output.lower()
    assert "https://accessreview.example.com/r/SAMPLE-LINK" in html.output
    unknown = runner.invoke(app, ["notifier", "preview", "welcome"])
    assert unknown.exit_code != 0 and "unknown template 'welcome'" in unknown.output


def test_send_test_delivers_one_sample_through_the_relay(
    smtp_mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    smtp_mailbox.clear()
    monkeypatch.setenv("AR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AR_SMTP_HOST", smtp_mailbox.host)
    monkeypatch.setenv("AR_SMTP_PORT", str(smtp_mailbox.port))
    out = CliRunner().invoke(app, ["notifier", "send-test", "--to", "ops@corp.example", "--template", "review-reminder"])
    assert out.exit_code == 0, out.output
    assert f"through {smtp_mailbox.host}:{smtp_mailbox.port}" in out.output and "1 attempt(s)" in out.output
    (message,) = smtp_mailbox.messages
    assert message["To"] == "ops@corp.example"
    assert message["X-AccessReview-Notification"].startswith("test-")
    assert message["Message-ID"] in out.output.replace("\n", "")
