"""Slack adapter: the only code that imports slack_sdk. Finds the user by email, sends a DM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.core.errors import AccessReviewError, NotFoundError, UnavailableError


class SlackRejected(AccessReviewError):
    code = "slack-rejected"


@dataclass(frozen=True)
class SlackConfig:
    token: str
    base_url: str = "https://slack.com/api/"
    timeout_s: float = 15.0
    max_rate_limit_retries: int = 3


class SlackMessenger:
    def __init__(self, config: SlackConfig) -> None:
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

        self._client = WebClient(
            token=config.token,
            base_url=config.base_url,
            timeout=int(config.timeout_s),
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=2),
                RateLimitErrorRetryHandler(max_retry_count=config.max_rate_limit_retries),
            ],
        )

    def send(self, email: str, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post a direct message to the Slack user with ``email``; return the message ts."""
        from slack_sdk.errors import SlackApiError

        try:
            user = self._client.users_lookupByEmail(email=email)
            channel = user["user"]["id"]
            answer = self._client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
            if error == "users_not_found":
                raise NotFoundError(f"no Slack user with email {email}") from None
            if exc.response is not None and exc.response.status_code >= 500:
                raise UnavailableError(f"Slack answered {exc.response.status_code}: {error}") from None
            raise SlackRejected(f"Slack refused the message: {error}") from None
        except OSError as exc:
            raise UnavailableError(f"Slack unreachable: {exc}") from None
        return str(answer.get("ts", ""))
