"""SMTP adapter: the only code that talks SMTP. Retries transient failures, classifies the rest."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from tenacity import RetryError, retry, retry_if_exception, stop_after_attempt, wait_exponential

from services.core.errors import AccessReviewError, UnavailableError


class MailRejected(AccessReviewError):
    """The relay refused the message for good (5xx): retrying will not help."""

    code = "mail-rejected"


def _is_transient(exc: BaseException) -> bool:
    """4xx answers, dropped connections and network errors may pass; 5xx and protocol errors will not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):  # SMTPException derives from OSError
        return False
    return isinstance(exc, (OSError, socket.timeout))


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 15.0
    attempts: int = 4


class SmtpMailer:
    def __init__(self, config: MailConfig) -> None:
        self.config = config

    def send(self, message: EmailMessage) -> tuple[str, int]:
        """Deliver ``message``; return (Message-ID, attempts). Raises MailRejected or UnavailableError."""
        if "Message-ID" not in message:
            message["Message-ID"] = make_msgid(domain=self.config.sender.rsplit("@", 1)[-1])
        if "From" not in message:
            message["From"] = self.config.sender
        attempts = 0

        @retry(
            retry=retry_if_exception(_is_transient),
            stop=stop_after_attempt(self.config.attempts),
            wait=wait_exponential(multiplier=0.2, max=5),
            reraise=False,
        )
        def _attempt() -> None:
            nonlocal attempts
            attempts += 1
            self._deliver(message)

        try:
            _attempt()
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise UnavailableError(
                f"SMTP {self.config.host}:{self.config.port} unavailable: {cause}", attempts=attempts
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in exc.recipients.items())
            raise MailRejected(f"recipient refused: {refused}", attempts=attempts) from None
        except smtplib.SMTPResponseException as exc:
            raise MailRejected(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", attempts=attempts) from None
        return str(message["Message-ID"]), attempts

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout_s) as client:
            if self.config.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.config.username:
                client.login(self.config.username, self.config.password or "")
            client.send_message(message)
