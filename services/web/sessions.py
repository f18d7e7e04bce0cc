"""Reviewer sessions: a server-side record named by a signed, expiring HttpOnly cookie.

The record (``web_sessions``) holds who (email), how they authenticated, the link token id, the
campaign a link-session is bound to, a random CSRF token, when it expires and when it ended.
Sign-out, expiry and an administrator's revocation end it on the server: a copied cookie stops
working at once. Every state-changing request must echo the CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``). Roles come from settings on every request, so
removing someone from ``AR_ADMIN_EMAILS`` takes effect at once.

Review links are single use through ``web_link_claims``: the exchange inserts the link's token id
before any cookie is issued, and the primary key lets exactly one of concurrent exchanges win.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.core.actor import Actor
from services.core.errors import AuthenticationError, PermissionDeniedError
from services.db.models import LinkClaim, WebSession

COOKIE = "ar_session"
SESSION_SALT = "accessreview.session.v2"


@dataclass(frozen=True)
class SessionConfig:
    secret: str
    ttl_s: int
    secure: bool
    admin_emails: frozenset[str]
    auditor_emails: frozenset[str]


def _now_us() -> int:
    return time.time_ns() // 1000


class SessionManager:
    def __init__(self, config: SessionConfig, db: sessionmaker[Session]) -> None:
        self.config = config
        self.db = db
        self._serializer = URLSafeTimedSerializer(config.secret, salt=SESSION_SALT)

    # -- single-use links --------------------------------------------------------------------
    def claim_link(self, token_id: str, reviewer: str) -> bool:
        """True for the one exchange that claims ``token_id``; False for every other (a replay)."""
        with self.db() as session:
            session.add(LinkClaim(link_token_id=token_id, reviewer=reviewer.lower(), claimed_at=_now_us()))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True

    # -- sessions ----------------------------------------------------------------------------
    def start(self, response: Response, email: str, method: str, campaign_id: str | None, token_id: str | None) -> str:
        session_id, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), _now_us()
        with self.db.begin() as session:
            session.add(
                WebSession(
                    session_id=session_id,
                    email=email.lower(),
                    method=method,
                    campaign_id=campaign_id,
                    link_token_id=token_id,
                    csrf=csrf,
                    started_at=now,
                    expires_at=now + self.config.ttl_s * 1_000_000,
                )
            )
        response.set_cookie(
            COOKIE,
            self._serializer.dumps({"s": session_id}),
            max_age=self.config.ttl_s,
            httponly=True,
            secure=self.config.secure,
            samesite="lax",
            path="/",
        )
        return csrf

    def end(self, request: Request, response: Response, reason: str = "sign-out") -> None:
        """End the request's session on the server (if it has one) and clear the cookie."""
        session_id = self._session_id(request, required=False)
        if session_id:
            self._end_where(WebSession.session_id == session_id, reason)
        response.delete_cookie(COOKIE, path="/", httponly=True, secure=self.config.secure, samesite="lax")

    def revoke(self, email: str, by: str) -> int:
        """End every live session of ``email`` (an administrator's revocation); returns how many."""
        return self._end_where(WebSession.email == email.lower(), f"revoked by {by}"[:64])

    def _end_where(self, condition, reason: str) -> int:  # type: ignore[no-untyped-def]
        with self.db.begin() as session:
            result = session.execute(
                update(WebSession).where(condition, WebSession.ended_at.is_(None)).values(ended_at=_now_us(), ended_by=reason)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _session_id(self, request: Request, required: bool = True) -> str | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            if required:
                raise AuthenticationError("not signed in")
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.config.ttl_s)
        except BadSignature:
            if required:
                raise AuthenticationError("your session has expired or is invalid") from None
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            if required:
                raise AuthenticationError("your session is invalid")
            return None
        return str(data["s"])

    def _record(self, request: Request) -> WebSession:
        cached = getattr(request.state, "web_session", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        session_id = self._session_id(request)
        with self.db() as session:
            record = session.scalar(select(WebSession).where(WebSession.session_id == session_id))
        if record is None:
            raise AuthenticationError("your session is invalid")
        if record.ended_at is not None:
            raise AuthenticationError("you signed out" if record.ended_by == "sign-out" else "your session was ended")
        if record.expires_at <= _now_us():
            raise AuthenticationError("your session has expired")
        request.state.web_session = record
        return record

    def actor(self, request: Request) -> Actor:
        record = self._record(request)
        roles = set()
        if record.email in self.config.admin_emails:
            roles.add("admin")
        if record.email in self.config.auditor_emails:
            roles.add("auditor")
        client = request.client.host if request.client else None
        return Actor(
            email=record.email,
            auth_method=record.method,
            link_token_id=record.link_token_id,
            ip=client,
            user_agent=request.headers.get("user-agent"),
            campaign_id=record.campaign_id,
            roles=frozenset(roles),
        )

    def csrf_token(self, request: Request) -> str:
        return self._record(request).csrf

    def check_csrf(self, request: Request, submitted: str | None) -> None:
        expected = self.csrf_token(request)
        submitted = submitted or request.headers.get("x-csrf-token") or ""
        if not submitted or not hmac.compare_digest(expected.encode(), submitted.encode()):
            raise PermissionDeniedError("missing or wrong CSRF token: reload the page and try again")
