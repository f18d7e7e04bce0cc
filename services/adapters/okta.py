"""The one place that talks to Okta, through the official ``okta`` SDK (async).

:class:`OktaAdapter` returns plain wire-format dicts (the SDK models' ``to_dict()``). It owns:

- paging: cursor ``after`` from the ``Link`` header, followed until no ``rel="next"``, with a
  guard against a repeated cursor (a server bug must not loop forever);
- retries: the SDK retries 429/503/504 (sleeping until ``X-Rate-Limit-Reset``) up to
  ``rateLimit.maxRetries``; we raise that bound;
- error classification: the SDK returns errors instead of raising; we raise
  :class:`AuthenticationError` for a rejected token and :class:`UnavailableError` otherwise;
- the https check: the SDK refuses http URLs; for a loopback org (the sandbox) only, we set
  ``OKTA_TESTING_TESTINGDISABLEHTTPSCHECK`` while the client is constructed.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from services.core.errors import (
    AccessReviewError,
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from services.core.settings import Settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PAGE_LIMIT = 200
OKTA_WINDOW_S = 60
_ENV_LOCK = threading.Lock()
HTTPS_CHECK_ENV = "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"


@dataclass(frozen=True)
class OktaTarget:
    """An Okta org and how to sign in: an OAuth service app with a private key (the SDK's
    ``PrivateKey`` mode: a signed client assertion for an access token) or an API token (SSWS)."""

    org_url: str
    token: str = field(default="", repr=False)
    timeout_s: float = 30.0
    max_retries: int = 6
    page_limit: int = PAGE_LIMIT
    client_id: str = ""
    private_key: str = field(default="", repr=False)
    key_id: str = ""
    scopes: tuple[str, ...] = ("okta.users.read", "okta.groups.read", "okta.apps.read")
    databricks_app_id: str = ""  # the Databricks SCIM app: which groups Okta pushes

    @classmethod
    def from_settings(cls, settings: Settings) -> OktaTarget:
        if not settings.okta_org_url:
            raise ConfigError("Okta collection needs AR_OKTA_ORG_URL")
        org_url = settings.okta_org_url.rstrip("/")
        if settings.okta_client_id or settings.okta_private_key:
            if not (settings.okta_client_id and settings.okta_private_key):
                raise ConfigError("an Okta service app needs both AR_OKTA_CLIENT_ID and AR_OKTA_PRIVATE_KEY")
            return cls(
                org_url,
                timeout_s=settings.http_timeout_s,
                client_id=settings.okta_client_id,
                private_key=settings.okta_private_key.get_secret_value(),
                key_id=settings.okta_key_id or "",
                scopes=tuple(settings.okta_scopes.split()),
                databricks_app_id=settings.okta_databricks_app_id or "",
            )
        if not settings.okta_token:
            raise ConfigError("Okta collection needs AR_OKTA_CLIENT_ID and AR_OKTA_PRIVATE_KEY, or AR_OKTA_TOKEN")
        return cls(
            org_url,
            settings.okta_token.get_secret_value(),
            settings.http_timeout_s,
            databricks_app_id=settings.okta_databricks_app_id or "",
        )

    def client_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "orgUrl": self.org_url,
            # the SDK counts every 429 back-off of a call against requestTimeout (its one knob, also the
            # HTTP timeout); Okta's reset is the end of a one-minute window, so the bound must cover
            # a wait per retry or the SDK gives up on a plain rate limit
            "requestTimeout": int(max(self.timeout_s, OKTA_WINDOW_S + 15) * (self.max_retries + 1)),
            "rateLimit": {"maxRetries": self.max_retries},
            "logging": {"enabled": False},
        }
        if self.client_id:
            config.update(authorizationMode="PrivateKey", clientId=self.client_id, scopes=list(self.scopes))
            config["privateKey"] = self.private_key
            if self.key_id:
                config["kid"] = self.key_id
        else:
            config["token"] = self.token
        return config


def is_loopback(url: str) -> bool:
    return (urlparse(url).hostname or "") in LOOPBACK


def next_cursor(headers: Any) -> str | None:
    from okta.pagination import PaginationHelper

    return PaginationHelper.extract_next_cursor(dict(headers or {}))


class OktaAdapter:
    def __init__(self, target: OktaTarget) -> None:
        self.target = target
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            from okta.client import Client

            config = self.target.client_config()
            if urlparse(self.target.org_url).scheme == "http" and not is_loopback(self.target.org_url):
                raise ConfigError(f"AR_OKTA_ORG_URL {self.target.org_url}: plain http is only allowed for a loopback sandbox")
            with _ENV_LOCK:
                previous = os.environ.get(HTTPS_CHECK_ENV)
                if is_loopback(self.target.org_url):
                    os.environ[HTTPS_CHECK_ENV] = "true"
                try:
                    self._client = Client(config)
                except (ValueError, TypeError) as exc:
                    raise ConfigError(f"Okta client: {exc}") from None
                finally:
                    if previous is None:
                        os.environ.pop(HTTPS_CHECK_ENV, None)
                    else:
                        os.environ[HTTPS_CHECK_ENV] = previous
        return self._client

    def _raise(self, what: str, err: Any) -> None:
        status = getattr(err, "status", None)
        text = getattr(err, "message", None) or str(err) or type(err).__name__
        if status == 401 or "invalid_client" in str(text):
            what_was = "the service app's credentials were" if self.target.client_id else "the API token was"
            raise AuthenticationError(f"okta {self.target.org_url}: {what_was} rejected ({text.strip()})")
        if status == 403:  # E0000006: the token or the service app's scopes do not allow it
            raise PermissionDeniedError(f"okta {self.target.org_url}: {what}: not allowed ({str(text).strip()[:300]})")
        if status == 404:
            raise NotFoundError(f"okta {self.target.org_url}: {what}: not found ({str(text).strip()[:300]})")
        raise UnavailableError(f"okta {self.target.org_url}: {what} failed ({str(text).strip()[:300]})")

    async def _call(self, what: str, fn: Callable[[], Awaitable[Any]]) -> tuple[Any, Any]:
        try:
            bound = max(self.target.timeout_s, OKTA_WINDOW_S + 15) * (self.target.max_retries + 1) + 5
            result = await asyncio.wait_for(fn(), timeout=bound)
        except AccessReviewError:
            raise
        except (TimeoutError, OSError, ValueError) as exc:
            raise UnavailableError(f"okta {self.target.org_url}: {what} failed ({type(exc).__name__}: {exc})") from None
        except AttributeError as exc:  # some okta SDK calls crash on an error without a response
            raise UnavailableError(f"okta {self.target.org_url}: {what} failed (the okta SDK gave no response: {exc})") from None
        data, resp, err = result if len(result) == 3 else (None, result[0], result[1])
        if err is not None:
            self._raise(what, err)
        return data, resp

    async def _all_pages(self, what: str, call: Callable[[str | None], Awaitable[Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            data, resp = await self._call(what, lambda c=cursor: call(c))  # type: ignore[misc]
            items.extend(_to_dict(d) for d in data or [])
            cursor = next_cursor(getattr(resp, "headers", None))
            if not cursor or not data:
                return items
            if cursor in seen:
                raise UnavailableError(f"okta {self.target.org_url}: {what}: the server repeated cursor {cursor!r}")
            seen.add(cursor)

    async def list_users(self) -> list[dict[str, Any]]:
        """Every user, every status (the plain listing omits DEPROVISIONED ones)."""
        client, limit = self.client(), self.target.page_limit
        active = await self._all_pages("list users", lambda after: client.list_users(after=after, limit=limit))
        gone = await self._all_pages(
            "list deprovisioned users",
            lambda after: client.list_users(after=after, limit=limit, filter='status eq "DEPROVISIONED"'),
        )
        return active + gone

    async def list_groups(self) -> list[dict[str, Any]]:
        client, limit = self.client(), self.target.page_limit
        return await self._all_pages("list groups", lambda after: client.list_groups(after=after, limit=limit))

    async def list_group_users(self, group_id: str) -> list[dict[str, Any]]:
        client, limit = self.client(), self.target.page_limit
        return await self._all_pages(
            f"list members of group {group_id}",
            lambda after: client.list_group_users(group_id, after=after, limit=limit),
        )

    async def list_group_owners(self, group_id: str) -> list[dict[str, Any]]:
        """Owners are users or groups (``type``), paged like every list (GroupOwnerApi.list_group_owners)."""
        client, limit = self.client(), self.target.page_limit
        return await self._all_pages(
            f"list owners of group {group_id}",
            lambda after: client.list_group_owners(group_id, after=after, limit=limit),
        )

    async def list_group_push_mappings(self, app_id: str) -> list[dict[str, Any]]:
        """The app's group push mappings, every status (GroupPushMappingApi.list_group_push_mappings)."""
        client, limit = self.client(), min(self.target.page_limit, 1000)
        return await self._all_pages(
            f"list group push mappings of app {app_id}",
            lambda after: client.list_group_push_mappings(app_id, after=after, limit=limit),
        )

    async def unassign_user_from_group(self, group_id: str, user_id: str) -> None:
        await self._call(
            f"remove user {user_id} from group {group_id}",
            lambda: self.client().unassign_user_from_group(group_id, user_id),
        )

    async def assign_user_to_group(self, group_id: str, user_id: str) -> None:
        await self._call(
            f"add user {user_id} to group {group_id}",
            lambda: self.client().assign_user_to_group(group_id, user_id),
        )

    async def close(self) -> None:
        client, self._client = self._client, None
        session = getattr(getattr(client, "_request_executor", None), "_http_client", None)
        closer = getattr(getattr(session, "_session", None), "close", None)
        if closer is not None:
            await closer()


def _to_dict(model: Any) -> dict[str, Any]:
    """The wire form of an SDK model: ``to_dict()`` drops read-only fields such as ``id``, so dump
    every field by alias, unwrap anyOf wrappers and lift custom profile attributes."""
    raw = model if isinstance(model, dict) else model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _flatten(raw)  # type: ignore[no-any-return]


def _flatten(value: Any) -> Any:
    if isinstance(value, list):
        return [_flatten(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "actual_instance" in value:
        return _flatten(value["actual_instance"] or {})
    out = {k: _flatten(v) for k, v in value.items() if k not in ("additional_properties", "any_of_schemas")}
    for key, extra in (value.get("additional_properties") or {}).items():
        out.setdefault(key, extra)
    return out
