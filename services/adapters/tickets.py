"""Ticket systems: where change requests and escalations go. The only code that talks to them.

Three shapes, one body (documented in ``docs/revocation-contract.md``, "Tickets"):

- ``webhook``: POST the body as JSON to ``AR_TICKETS_URL`` (bearer ``AR_TICKETS_TOKEN``); the
  ticket id is the answer's ``id`` (or ``ticket_id``) when it has one;
- ``servicenow``: the Table API, ``POST <url>/api/now/table/incident`` with ``short_description``,
  ``description``, ``assignment_group`` and ``correlation_id``; the id is ``result.number``;
- ``jira``: ``POST <url>/rest/api/2/issue`` with ``fields.project.key``, ``summary``,
  ``description``, ``issuetype`` Task and labels (basic auth, ``AR_TICKETS_USER`` and the API
  token); the id is the issue ``key``.

429 and 5xx answers and connection errors are retried with backoff; other refusals are final.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from services.core.errors import AccessReviewError, ConfigError, UnavailableError
from services.core.settings import Settings


class TicketRefused(AccessReviewError):
    code = "ticket-refused"


@dataclass(frozen=True)
class TicketConfig:
    system: str
    url: str
    token: str | None = None
    user: str | None = None
    project: str = "SEC"
    timeout_s: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> TicketConfig | None:
        if settings.tickets_system == "none":
            return None
        if not settings.tickets_url:
            raise ConfigError(f"AR_TICKETS_SYSTEM={settings.tickets_system} needs AR_TICKETS_URL")
        token = settings.tickets_token.get_secret_value() if settings.tickets_token else None
        if settings.tickets_system == "jira" and not (token and settings.tickets_user):
            raise ConfigError("AR_TICKETS_SYSTEM=jira needs AR_TICKETS_USER and AR_TICKETS_TOKEN (an API token)")
        return cls(
            settings.tickets_system, settings.tickets_url.rstrip("/"), token, settings.tickets_user, settings.tickets_project
        )


def describe(body: dict[str, Any]) -> str:
    lines = [body["reason"], "", f"Assignee: {body['assignee']}", f"Change request: {body['change_request_id']}"]
    if body.get("revocation_id"):
        lines.append(f"Revocation: {body['revocation_id']} (campaign {body.get('campaign_id')})")
    ent = body.get("entitlement") or {}
    if ent:
        lines.append(f"Entitlement: {ent.get('key')}")
    return "\n".join(lines)


class _Retryable(Exception):
    pass


class TicketSink:
    def __init__(self, config: TicketConfig) -> None:
        self.config = config

    def open(self, body: dict[str, Any]) -> str:
        """Open one ticket; return its id in the ticket system."""
        try:
            return self._open(body)
        except _Retryable as exc:
            raise UnavailableError(f"{self.config.system} {self.config.url}: {exc}") from None

    def _request(self, body: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
        c = self.config
        if c.system == "servicenow":
            payload = {
                "short_description": body["title"][:160],
                "description": describe(body),
                "assignment_group": c.project,
                "correlation_id": body["change_request_id"],
                "correlation_display": "accessreview",
                "caller_id": body["assignee"],
            }
            return f"{c.url}/api/now/table/incident", payload, None
        if c.system == "jira":
            fields = {
                "project": {"key": c.project},
                "summary": body["title"][:250],
                "description": describe(body),
                "issuetype": {"name": "Task"},
                "labels": ["accessreview", body["kind"]],
            }
            return f"{c.url}/rest/api/2/issue", {"fields": fields}, (c.user or "", c.token or "")
        return c.url, body, None

    @retry(
        retry=retry_if_exception_type(_Retryable),
        stop=stop_after_attempt(4),
        wait=wait_random_exponential(multiplier=0.5, max=8),
        reraise=True,
    )
    def _open(self, body: dict[str, Any]) -> str:
        url, payload, auth = self._request(body)
        headers = {"Accept": "application/json"}
        if self.config.token and auth is None:
            headers["Authorization"] = f"Bearer {self.config.token}"
        try:
            answer = httpx.post(url, json=payload, headers=headers, auth=auth, timeout=self.config.timeout_s)
        except httpx.HTTPError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise _Retryable(f"answered {answer.status_code}")
        if answer.status_code >= 400:
            raise TicketRefused(f"{self.config.system} refused the ticket: {answer.status_code} {answer.text[:300]}")
        return self._ticket_id(answer, body)

    def _ticket_id(self, answer: httpx.Response, body: dict[str, Any]) -> str:
        try:
            data = answer.json()
        except json.JSONDecodeError:
            data = {}
        if self.config.system == "servicenow":
            result = data.get("result") or {}
            return str(result.get("number") or result.get("sys_id"))
        if self.config.system == "jira":
            return str(data["key"])
        return str(data.get("id") or data.get("ticket_id") or f"webhook:{body['change_request_id']}")
