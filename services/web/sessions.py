"""Reviewer sessions: a signed, expiring HttpOnly cookie, and the CSRF token it carries.

The cookie holds who (email), how they authenticated, the link token id, the campaign a
link-session is bound to, and a random CSRF token. Every state-changing request must echo that
token (form field ``csrf_token`` or header ``X-CSRF-Token``). Roles come from settings on every
request, so removing someone from ``AR_ADMIN_EMAILS`` takes effect at once.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from services.core.actor import Actor
from services.core.errors import AuthenticationError, PermissionDeniedError

COOKIE = "ar_session"
SESSION_SALT = "accessreview.session.v1"


@dataclass(frozen=True)
class SessionConfig:
    secret: str
    ttl_s: int
    secure: bool
    admin_emails: frozenset[str]
    auditor_emails: frozenset[str]


class SessionManager:
    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self._serializer = URLSafeTimedSerializer(config.secret, salt=SESSION_SALT)

    def start(self, response: Response, email: str, method: str, campaign_id: str | None, token_id: str | None) -> str:
        csrf = secrets.token_urlsafe(24)
        value = self._serializer.dumps({"e": email.lower(), "m": method, "c": campaign_id, "t": token_id, "x": csrf})
        response.set_cookie(
            COOKIE,
            value,
            max_age=self.config.ttl_s,
            httponly=True,
            secure=self.config.secure,
            samesite="lax",
            path="/",
        )
        return csrf

    def end(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, secure=self.config.secure, samesite="lax")

    def _data(self, request: Request) -> dict:
        raw = request.cookies.get(COOKIE)
        if not raw:
            raise AuthenticationError("not signed in")
        try:
            data = self._serializer.loads(raw, max_age=self.config.ttl_s)
        except BadSignature:
            raise AuthenticationError("your session has expired or is invalid") from None
        if not isinstance(data, dict) or "e" not in data or "x" not in data:
            raise AuthenticationError("your session is invalid")
        return data

    def actor(self, request: Request) -> Actor:
        data = self._data(request)
        email = data["e"]
        roles = set()
        if email in self.config.admin_emails:
            roles.add("admin")
        if email in self.config.auditor_emails:
            roles.add("auditor")
        client = request.client.host if request.client else None
        return Actor(
            email=email,
            auth_method=data["m"],
            link_token_id=data.get("t"),
            ip=client,
            user_agent=request.headers.get("user-agent"),
            campaign_id=data.get("c"),
            roles=frozenset(roles),
        )

    def csrf_token(self, request: Request) -> str:
        return str(self._data(request)["x"])

    def check_csrf(self, request: Request, submitted: str | None) -> None:
        expected = self.csrf_token(request)
        submitted = submitted or request.headers.get("x-csrf-token") or ""
        if not submitted or not hmac.compare_digest(expected.encode(), submitted.encode()):
            raise PermissionDeniedError("missing or wrong CSRF token: reload the page and try again")
