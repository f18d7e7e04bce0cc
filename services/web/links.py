"""Signed magic links: bound to one reviewer and one campaign, expiring, single use.

A link is ``<base>/r/<token>``; the token is an itsdangerous signature over reviewer, campaign
and a link token id. The campaign service names the link token id in ``notification.requested``;
the notifier, holding the same ``AR_SESSION_SECRET``, mints the URL for it — so no usable link is
ever written to the event log. Single use is enforced at exchange against accepted
``review_link.opened`` events.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.core.errors import AuthenticationError, ConfigError
from services.core.ids import new_ulid
from services.core.settings import Settings

LINK_SALT = "accessreview.review-link.v1"


@dataclass(frozen=True)
class LinkClaims:
    reviewer: str
    campaign_id: str | None
    token_id: str


class LinkRejected(AuthenticationError):
    def __init__(self, message: str, outcome: str, claims: LinkClaims | None = None) -> None:
        super().__init__(message, outcome=outcome)
        self.outcome = outcome  # expired | forged | replayed
        self.claims = claims


class LinkSigner:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=LINK_SALT)
        self.ttl_s = ttl_s

    def mint(self, reviewer: str, campaign_id: str | None, token_id: str | None = None) -> tuple[str, str]:
        """(token, token id)."""
        token_id = token_id or f"lt-{new_ulid()}"
        token = self._serializer.dumps({"r": reviewer.lower(), "c": campaign_id, "t": token_id})
        return token, token_id

    def url(self, base_url: str, reviewer: str, campaign_id: str | None, token_id: str | None = None) -> str:
        token, _ = self.mint(reviewer, campaign_id, token_id)
        return f"{base_url.rstrip('/')}/r/{token}"

    def verify(self, token: str) -> LinkClaims:
        try:
            data = self._serializer.loads(token, max_age=self.ttl_s)
        except SignatureExpired as exc:
            claims = None
            if isinstance(exc.payload, dict):
                claims = LinkClaims(str(exc.payload.get("r")), exc.payload.get("c"), str(exc.payload.get("t")))
            raise LinkRejected("this review link has expired", "expired", claims) from None
        except BadSignature:
            raise LinkRejected("this review link is not valid", "forged") from None
        if not isinstance(data, dict) or not {"r", "c", "t"} <= set(data):
            raise LinkRejected("this review link is not valid", "forged")
        return LinkClaims(str(data["r"]), data["c"], str(data["t"]))


def session_secret(settings: Settings) -> str:
    """AR_SESSION_SECRET, or in dev/test a secret kept in the data dir (shared by CLI and services)."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if settings.env == "prod":
        raise ConfigError("AR_SESSION_SECRET is required in prod")
    path = settings.data_dir / "session-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def link_signer(settings: Settings) -> LinkSigner:
    return LinkSigner(session_secret(settings), settings.link_ttl_s)
