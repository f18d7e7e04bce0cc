"""ASGI middleware in front of both sandbox APIs: auth, latency, rate limits, injected errors, outages.

- Databricks: ``Authorization: Bearer <token>``, checked as ``databricks_auth`` describes (OAuth
  M2M tokens, workspace-only PATs, 403 "Invalid access token."); 429 carries an integer ``Retry-After``; injected
  errors are 503 TEMPORARILY_UNAVAILABLE and 500 INTERNAL_ERROR ("Unexpected error"); a workspace
  marked down answers 503 to everything.
- Okta: ``Authorization: SSWS <token>`` (the SDK omits the space; both accepted); 429 and 503
  carry ``Date`` and ``X-Rate-Limit-Reset`` (without them the SDK crashes).
Rate limits are per (workspace, token), or per (account API family, token): a token bucket of
``rate`` requests per second;
besides, with ``endpoint_limits`` on (the default), Databricks' documented per-endpoint budgets
(:mod:`endpoint_limits`), and Okta's concurrency limit (``okta_concurrency``: requests in flight
per org, developer.okta.com rl2-concurrency: 75 on Workforce orgs, 35 on Integrator Free).
"""

from __future__ import annotations

import asyncio
import random
import time
from email.utils import formatdate
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from services.sandbox.databricks_auth import check_bearer, invalid_token
from services.sandbox.endpoint_limits import budget_key, endpoint_limit
from services.sandbox.okta_auth import scope_needed
from services.sandbox.runtime import SandboxRuntime
from services.sandbox.tickets import TICKET_PREFIX
from services.sandbox.wire import databricks_error, okta_error


def _is_oidc(path: str) -> bool:
    return path.startswith("/oidc/") or (path.startswith("/ws/") and path.split("/")[3:4] == ["oidc"])


class TokenBucket:
    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, rate: float) -> bool:
        now = time.monotonic()
        tokens, last = self.buckets.get(key, (rate, now))
        tokens = min(rate, tokens + (now - last) * rate)
        if tokens < 1.0:
            self.buckets[key] = (tokens, now)
            return False
        self.buckets[key] = (tokens - 1.0, now)
        return True


class FaultsMiddleware:
    def __init__(self, app: ASGIApp, rt: SandboxRuntime, okta: bool, seed: int = 0) -> None:
        self.app, self.rt, self.okta = app, rt, okta
        self.bucket = TokenBucket()
        self.rng = random.Random(seed)
        self.injected = 0
        self._caller = "pat"
        self.windows: dict[tuple[str, int], int] = {}
        self.in_flight = 0  # Okta requests being served (the concurrency limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.endswith("/.well-known/databricks-config") or _is_oidc(path) or (self.okta and path == "/oauth2/v1/token"):
            await self.app(scope, receive, send)  # discovery and the token endpoint authenticate themselves
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.rt.run_due_pushes()  # Okta's asynchronous group push, due by now
        self.in_flight += 1
        try:
            await self._serve(scope, receive, send, path, headers)
        finally:
            self.in_flight -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send, path: str, headers: dict[str, str]) -> None:
        faults = self.rt.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        response = self._refuse(path, headers.get("authorization", ""), str(scope.get("method", "GET")))
        if response is not None:
            self.rt.refused[str(response.status_code)] += 1
            self.rt.refused_by_area[self._area(path)] += 1
            await response(scope, receive, send)
            return
        self.rt.requests[self._area(path)] += 1
        if not self.okta:
            scope.setdefault("state", {})["caller"] = self._caller
        await self.app(scope, receive, send)

    @staticmethod
    def _area(path: str) -> str:
        if path.startswith("/ws/"):
            return path.split("/")[2]
        return "okta" if path.startswith("/api/v1/") else "account"

    @staticmethod
    def _family(area: str, path: str) -> str:
        """The account API's limits are per endpoint (docs.databricks.com resources/limits), so the
        general limit there is per API family (``scim``, ``workspaces``, ``access-control``); a
        workspace's is one budget."""
        if area != "account":
            return ""
        parts = path.split("/")  # /api/2.0/accounts/<aid>/<family>/... or /api/2.0/preview/accounts/<aid>/<family>
        start = parts.index("accounts") + 2 if "accounts" in parts else len(parts)
        return parts[start] if start < len(parts) else ""

    def _refuse(self, path: str, auth: str, method: str) -> Any:
        faults, area = self.rt.faults, self._area(path)
        if self.okta:
            refused, token = self._okta_auth(path, auth, method)
            if refused is not None:
                return refused
        elif path.startswith(TICKET_PREFIX):  # the ticket desk has its own authentication
            return None
        elif path.startswith("/_sandbox/"):
            return None if auth == f"Bearer {self.rt.databricks_token}" else invalid_token()
        else:
            token = auth.removeprefix("Bearer ").strip()
            refused = check_bearer(self.rt.oauth, self.rt.databricks_token, area, auth, area in faults.revoked)
            if refused is not None:
                return refused
            self._caller = "pat" if token == self.rt.databricks_token else "oauth"
        if area in faults.down:
            return databricks_error(503, "TEMPORARILY_UNAVAILABLE", f"Workspace {area} is unavailable.", {"Retry-After": "1"})
        rate = faults.okta_rate_limit if self.okta else faults.rate_limit
        if rate and not self.bucket.allow(f"{area}|{self._family(area, path)}|{token}", rate):
            return self._too_many()
        if self.okta and faults.okta_concurrency and self.in_flight > faults.okta_concurrency:
            self.rt.refused_by_limit["okta concurrency"] += 1
            return self._concurrency_violation(faults.okta_concurrency)
        limit = endpoint_limit(method, path) if (faults.endpoint_limits and not self.okta) else None
        if limit is not None and not self.bucket.allow(budget_key(limit, area), limit.per_second):
            self.rt.refused_by_limit[limit.name] += 1
            return self._too_many()
        if self.okta and faults.okta_minute_limit and not self._okta_window_allows(path, faults.okta_minute_limit):
            return self._too_many(faults.okta_minute_limit)
        if faults.error_rate and self.rng.random() < faults.error_rate:
            self.injected += 1
            return self._server_error()
        return None

    def _okta_auth(self, path: str, auth: str, method: str = "GET") -> tuple[Any, str]:
        """(refusal or None, the token) for an Okta call: an API token, or an OAuth service app's
        access token carrying the scope the path needs (see ``okta_auth``)."""
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ").strip()
            scopes = self.rt.okta_app.scopes_of(token)
            if scopes is None:
                return okta_error(401, "E0000011", "Invalid token provided"), token
            needed = scope_needed(path, method)
            if needed is not None and needed not in scopes:
                return okta_error(403, "E0000006", "You do not have permission to perform the requested action"), token
            return None, token
        token = auth.removeprefix("SSWS").strip()
        if not auth.startswith("SSWS") or token != self.rt.okta_token:
            return okta_error(401, "E0000011", "Invalid token provided"), token
        return None, token

    def _okta_window_allows(self, path: str, limit: int) -> bool:
        """Okta's limits are per org, per endpoint, per minute (developer.okta.com rl-global-mgmt:
        e.g. /api/v1/users and /api/v1/groups each have their own budget)."""
        family = "/".join(path.split("/")[:4])
        window = int(time.time()) // 60
        key = (family, window)
        used = self.windows.get(key, 0)
        if used >= limit:
            return False
        self.windows = {k: v for k, v in self.windows.items() if k[1] == window}
        self.windows[key] = used + 1
        return True

    def _okta_limit_headers(self, limit: int = 600) -> dict[str, str]:
        """X-Rate-Limit-Reset is the end of the current one-minute window, in epoch seconds, not
        "now" (developer.okta.com rl-best-practices); the okta SDK waits until then."""
        now = time.time()
        return {
            "Date": formatdate(now, usegmt=True),
            "X-Rate-Limit-Reset": str((int(now) // 60 + 1) * 60),
            "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": "0",
        }

    def _concurrency_violation(self, limit: int) -> Any:
        """Past the concurrency limit the rate-limit headers report the concurrent values: the limit,
        0 remaining, and a reset that "is only an estimate" of when enough requests finish
        (developer.okta.com rl-best-practices); here the next second."""
        now = time.time()
        headers = {
            "Date": formatdate(now, usegmt=True),
            "X-Rate-Limit-Reset": str(int(now) + 1),
            "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": "0",
        }
        return okta_error(429, "E0000047", "API call exceeded rate limit due to too many requests.", headers)

    def _too_many(self, limit: int = 600) -> Any:
        if self.okta:
            return okta_error(
                429,
                "E0000047",
                "API call exceeded rate limit due to too many requests.",
                self._okta_limit_headers(limit),
            )
        return databricks_error(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests. Please retry later.", {"Retry-After": "1"})

    def _server_error(self) -> Any:
        if self.okta:
            return okta_error(503, "E0000010", "Service is temporarily unavailable.", self._okta_limit_headers())
        if self.injected % 2:
            return databricks_error(
                503,
                "TEMPORARILY_UNAVAILABLE",
                "The service is temporarily unavailable.",
                {"Retry-After": "1"},
            )
        return databricks_error(500, "INTERNAL_ERROR", "Unexpected error while serving the request.")
