"""Sandbox Databricks authentication, as strict as the real service.

- **OAuth M2M for a service principal**, at the account and at every workspace. The SDK reads
  ``/.well-known/databricks-config`` for the ``oidc_endpoint`` (databricks-sdk-py ``config.py``
  ``_resolve_host_metadata``), then ``<oidc_endpoint>/.well-known/oauth-authorization-server``
  for the token endpoint, then POSTs ``grant_type=client_credentials`` with the client id and
  secret as HTTP Basic (``oauth.py`` ``ClientCredentials``/``retrieve_token``). Account
  endpoints live under ``/oidc/accounts/<account id>``, workspace ones under ``<host>/oidc``. A
  token from the account endpoint works at the account API and at every workspace; a token from
  a workspace endpoint works at that workspace only. Tokens expire after ``expires_in``.
- **Personal access tokens work per workspace only**: the account API refuses them (baton-
  databricks ``pkg/connector/connector.go`` requires OAuth for account calls).
- **A bad, expired or revoked token answers HTTP 403** ``{"error_code": 403, "message": "Invalid
  access token."}`` with ``X-Databricks-Reason-Phrase`` (databricks-sdk-go#873, #917 show the
  real response), not 401; an expired OAuth token answers 403 "JWT has expired"
  (databricks-sdk-go#1061). The Python SDK maps both to ``PermissionDenied``.
- A bad client secret at the token endpoint answers 401 ``invalid_client``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.wire import not_found, route

TOKEN_TTL_S = 3600
ACCOUNT = "account"


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (audience, expires at)
    ttl_s: float = TOKEN_TTL_S

    def issue(self, audience: str) -> str:
        token = "eyJsandbox." + secrets.token_urlsafe(24)
        self.tokens[token] = (audience, time.time() + self.ttl_s)
        return token


def invalid_token(reason: str = "Invalid access token.") -> Response:
    # the real body carries a numeric error_code (databricks-sdk-go#873)
    return JSONResponse({"error_code": 403, "message": reason}, 403, headers={"X-Databricks-Reason-Phrase": reason})


def check_bearer(client: OAuthClient, pat: str, area: str, authorization: str, revoked: bool) -> Response | None:
    """None when ``authorization`` may call ``area`` (``account`` or a deployment name)."""
    if not authorization.startswith("Bearer "):
        return JSONResponse({"error_code": "UNAUTHENTICATED", "message": "Authorization header is missing."}, 401)
    token = authorization.removeprefix("Bearer ").strip()
    if revoked:
        return invalid_token()
    if token == pat:
        if area == ACCOUNT:
            return JSONResponse(
                {
                    "error_code": "UNAUTHENTICATED",
                    "message": "Personal access tokens are not accepted by the account API; use OAuth.",
                },
                401,
            )
        return None
    issued = client.tokens.get(token)
    if issued is None:
        return invalid_token()
    audience, expires_at = issued
    if time.time() >= expires_at:
        return invalid_token("JWT has expired")
    if audience not in (ACCOUNT, area):
        return invalid_token()
    return None


def _basic_client(request: Request) -> tuple[str, str] | None:
    raw = request.headers.get("authorization", "")
    if not raw.startswith("Basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(raw[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


class OidcApi:
    def __init__(self, client: OAuthClient, account_id: str) -> None:
        self.client = client
        self.account_id = account_id

    @staticmethod
    def _base(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def _oidc_root(self, request: Request) -> str:
        deployment = request.path_params.get("deployment")
        if deployment:
            return f"{self._base(request)}/ws/{deployment}/oidc"
        if request.path_params.get("aid") not in (None, self.account_id):
            raise not_found(f"Account {request.path_params['aid']}")
        return f"{self._base(request)}/oidc/accounts/{self.account_id}"

    async def metadata(self, request: Request) -> dict[str, Any]:
        root = self._oidc_root(request)
        return {
            "issuer": root,
            "authorization_endpoint": f"{root}/v1/authorize",
            "token_endpoint": f"{root}/v1/token",
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    async def token(self, request: Request) -> Any:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type", "error_description": "grant_type"}, 400)
        given = _basic_client(request) or (str(form.get("client_id") or ""), str(form.get("client_secret") or ""))
        if given != (self.client.client_id, self.client.client_secret):
            return JSONResponse({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        scope = str(form.get("scope") or "all-apis")
        self._oidc_root(request)  # an unknown account is a 404, as on the metadata endpoint
        audience = request.path_params.get("deployment") or ACCOUNT
        return {
            "access_token": self.client.issue(audience),
            "token_type": "Bearer",
            "expires_in": int(self.client.ttl_s),
            "scope": scope,
        }


def oidc_routes(api: OidcApi, prefix: str) -> list[Any]:
    return [
        route(f"{prefix}/.well-known/oauth-authorization-server", api.metadata),
        route(f"{prefix}/v1/token", api.token, methods=["POST"]),
    ]
