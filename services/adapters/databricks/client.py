"""The Databricks clients, pacing and error classification every API family shares."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import (
    DatabricksError,
    DeadlineExceeded,
    InternalError,
    NotFound,
    PermissionDenied,
    TemporarilyUnavailable,
    TooManyRequests,
    Unauthenticated,
)
from requests.exceptions import RequestException
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from services.adapters.databricks.target import DatabricksTarget
from services.core.errors import (
    AccessReviewError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)

T = TypeVar("T")
# Environment variables requests consults on every call when ``trust_env`` is on.
PROXY_ENV = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
RETRYABLE = (InternalError, DeadlineExceeded)
CONNECTIONS_PER_HOST = 32  # the collector's threads share one client per host: keep their connections
# A bad, revoked or expired token is a 403 with one of these messages (databricks-sdk-go#873, #1061)
BAD_TOKEN_MESSAGES = ("Invalid access token", "JWT has expired", "Invalid Token")
# Databricks' documented per-endpoint limits (docs.databricks.com resources/limits, "API rate
# limits"), kept to up front at 90 % rather than discovered through 429s: account-wide for the
# account SCIM API, per workspace for the permissions API
DOCUMENTED_BUDGETS = {
    "account SCIM GET": 20.0,
    "account SCIM write": 2.0,  # PATCH, account-wide
    "permissions GET": 100.0,
    "permissions write": 30.0,
}
BUDGET_HEADROOM = 0.9


def _skip_environment_lookups(client: Any) -> Any:
    """requests re-reads proxy and CA settings from the environment on every call (about a
    millisecond of CPU each, which caps a threaded collector). When no proxy variable is set we
    apply the CA bundle variable once, as requests would, and switch the per-call lookup off."""
    if any(name.lower() in PROXY_ENV for name in os.environ):
        return client
    session = getattr(getattr(getattr(client, "api_client", None), "_api_client", None), "_session", None)
    if session is not None:
        bundle = next((os.environ[n] for n in CA_BUNDLE_ENV if os.environ.get(n)), None)
        if bundle and session.verify is True:
            session.verify = bundle
        session.trust_env = False
    return client


def _as_dicts(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [item.as_dict() for item in items]


class Pacer:
    """Spaces calls per key (a workspace, or the account) to at most ``rate`` per second, so a
    known rate limit is respected up front instead of discovered through 429s. Calls that page
    make several requests per call: the pace is per call."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def delay(self, key: str) -> float:
        with self._lock:
            return max(0.0, self._next.get(key, 0.0) - time.monotonic())

    def acquire(self, key: str) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(key, now))
            self._next[key] = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class Budgets:
    """One :class:`Pacer` per documented endpoint budget, keyed by where the budget applies."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.pacers = {name: Pacer(rate * BUDGET_HEADROOM) for name, rate in rates.items()}

    def acquire(self, budget: str, key: str) -> None:
        self.pacers[budget].acquire(key)


class DatabricksClients:
    """The account client and one workspace client per deployment, shared by every API family."""

    def __init__(self, target: DatabricksTarget) -> None:
        self.target = target
        self.pacer = Pacer(target.workspace_rps)
        self.budgets = Budgets(DOCUMENTED_BUDGETS)
        self._account: AccountClient | None = None
        self._workspaces: dict[str, WorkspaceClient] = {}
        self._lock = threading.Lock()

    def _config(self, host: str, **extra: Any) -> Config:
        return Config(
            host=host,
            client_id=self.target.client_id,
            client_secret=self.target.client_secret,
            auth_type="oauth-m2m",
            max_connections_per_pool=CONNECTIONS_PER_HOST,
            retry_timeout_seconds=int(self.target.retry_timeout_s),
            http_timeout_seconds=int(self.target.http_timeout_s),
            **extra,
        )

    def call(self, where: str, fn: Callable[[], T], api: str | None = None, budget: str | None = None) -> T:
        """Run one SDK call for ``where`` (a workspace or "account"), classifying every failure.
        ``api`` is the API the call really goes to, for pacing (default: ``where``); ``budget``
        a documented endpoint limit the call counts against (``DOCUMENTED_BUDGETS``)."""
        self.pacer.acquire(api or where)
        if budget is not None:
            self.budgets.acquire(budget, api or where)
        try:
            return _with_retries(fn)
        except AccessReviewError:
            raise
        except Unauthenticated as exc:
            raise AuthenticationError(f"{where}: Databricks rejected the credentials ({exc})", where=where) from None
        except PermissionDenied as exc:
            if _is_bad_token(str(exc)):  # Databricks answers a bad or expired token with 403
                raise AuthenticationError(f"{where}: Databricks rejected the credentials ({exc})", where=where) from None
            raise PermissionDeniedError(f"{where}: permission denied ({exc})", where=where) from None
        except NotFound as exc:
            raise NotFoundError(f"{where}: not found ({exc})", where=where) from None
        except (TooManyRequests, TemporarilyUnavailable, InternalError, DeadlineExceeded) as exc:
            raise UnavailableError(f"{where}: Databricks kept failing ({type(exc).__name__}: {exc})", where=where) from None
        except TimeoutError as exc:
            cause = exc.__cause__ or exc
            raise UnavailableError(
                f"{where}: gave up after {self.target.retry_timeout_s:.0f} s of retries "
                f"({type(cause).__name__}: {str(cause)[:200]})",
                where=where,
            ) from None
        except ValueError as exc:
            if "invalid_client" in str(exc):  # the OAuth token endpoint refused the client id/secret
                raise AuthenticationError(
                    f"{where}: Databricks OAuth refused the client credentials ({str(exc)[:200]})", where=where
                ) from None
            raise UnavailableError(f"{where}: {type(exc).__name__}: {str(exc)[:300]}", where=where) from None
        except (DatabricksError, RequestException) as exc:
            raise UnavailableError(f"{where}: {type(exc).__name__}: {str(exc)[:300]}", where=where) from None

    # -- clients ------------------------------------------------------------------------------
    def account(self) -> AccountClient:
        with self._lock:
            if self._account is None:
                cfg = self._config(self.target.account_host, account_id=self.target.account_id)
                self._account = _skip_environment_lookups(self.call("account", lambda: AccountClient(config=cfg)))
            return self._account

    def workspace(self, deployment_name: str) -> WorkspaceClient:
        with self._lock:
            client = self._workspaces.get(deployment_name)
        if client is None:
            host = self.target.workspace_url_template.format(deployment_name=deployment_name)
            client = _skip_environment_lookups(
                self.call(f"workspace {deployment_name}", lambda: WorkspaceClient(config=self._config(host)))
            )
            with self._lock:
                client = self._workspaces.setdefault(deployment_name, client)
        return client


def _is_bad_token(message: str) -> bool:
    return any(text.lower() in message.lower() for text in BAD_TOKEN_MESSAGES)


@retry(
    retry=retry_if_exception_type(RETRYABLE),
    stop=stop_after_attempt(4),
    wait=wait_random_exponential(multiplier=0.3, max=4),
    reraise=True,
)
def _with_retries(fn: Callable[[], T]) -> T:
    return fn()
