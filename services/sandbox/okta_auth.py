"""Sandbox Okta authentication: an API token (``SSWS``) or an OAuth service app with a private key.

The okta SDK's ``authorizationMode: PrivateKey`` (okta ``oauth.py`` ``get_oauth_token``, ``jwt.py``
``create_token``) posts ``grant_type=client_credentials``, the space-separated ``scope`` and a
``client_assertion`` JWT signed RS256 by the app's private key, with ``iss`` = ``sub`` = the
client id and ``aud`` = ``<org>/oauth2/v1/token``, to ``/oauth2/v1/token``; it then calls the
API with ``Authorization: Bearer <access_token>``. As Okta does, the sandbox checks the
signature against the app's registered public key, the claims, the expiry and that a ``jti`` is
used once; it grants only the app's granted scopes (``okta.users.read``, ``okta.groups.read``,
``okta.groups.manage``, ``okta.apps.read``)
and refuses an API call whose scope the token lacks with 403 (developer.okta.com, "Implement
OAuth for Okta with a service app").
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRANTED_SCOPES = frozenset({"okta.users.read", "okta.groups.read", "okta.groups.manage", "okta.apps.read"})
TOKEN_TTL_S = 3600


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status)


@dataclass
class OktaServiceApp:
    client_id: str = field(default_factory=lambda: "0oa" + secrets.token_hex(8))
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), repr=False
    )
    tokens: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    used_jti: set[str] = field(default_factory=set)

    @property
    def private_pem(self) -> str:
        """What the org admin hands to the collector; the sandbox itself only keeps the public half."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def scopes_of(self, token: str) -> frozenset[str] | None:
        issued = self.tokens.get(token)
        if issued is None or time.time() >= issued[1]:
            return None
        return issued[0]

    async def token(self, request: Request) -> Any:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "The authorization grant type is not supported.")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return _error(401, "invalid_client", "A client_assertion is required.")
        audience = f"{request.url.scheme}://{request.url.netloc}/oauth2/v1/token"
        try:
            claims = jwt.decode(
                str(form["client_assertion"]),
                self.private_key.public_key(),
                algorithms=["RS256"],
                audience=audience,
                issuer=self.client_id,
                options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]},
            )
        except jwt.InvalidTokenError as exc:
            return _error(401, "invalid_client", f"The client_assertion is invalid: {exc}")
        if claims["sub"] != self.client_id:
            return _error(401, "invalid_client", "The client_assertion subject is not the client.")
        if claims["jti"] in self.used_jti:
            return _error(401, "invalid_client", "The client_assertion token has already been used (jti).")
        self.used_jti.add(claims["jti"])
        asked = frozenset(str(form.get("scope") or "").split())
        if not asked or not asked <= GRANTED_SCOPES:
            return _error(400, "invalid_scope", f"The requested scope is invalid: {' '.join(sorted(asked - GRANTED_SCOPES))}")
        access = secrets.token_urlsafe(32)
        self.tokens[access] = (asked, time.time() + TOKEN_TTL_S)
        return {"token_type": "Bearer", "expires_in": TOKEN_TTL_S, "access_token": access, "scope": " ".join(sorted(asked))}


def scope_needed(path: str, method: str = "GET") -> str | None:
    """The scope an API call needs: reads of users and groups their ``.read`` scope; a change of
    a group's members ``okta.groups.manage`` (developer.okta.com OAuth 2.0 scopes: "okta.groups.manage
    ... allows the app to manage existing groups in your Okta organization")."""
    if path.startswith("/api/v1/users"):
        return "okta.users.read"
    if path.startswith("/api/v1/groups"):
        return "okta.groups.read" if method in ("GET", "HEAD") else "okta.groups.manage"
    if path.startswith("/api/v1/apps"):  # the Applications API, group push mappings included
        return "okta.apps.read"
    return None
