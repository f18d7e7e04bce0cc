"""The one place that talks to Databricks, through the official ``databricks-sdk``.

An :class:`DatabricksAdapter` holds the AccountClient and one WorkspaceClient per workspace
(host from ``AR_DATABRICKS_WORKSPACE_URL_TEMPLATE``). Every method returns plain wire-format
dicts (``as_dict()`` of the SDK's objects) so transforms stay pure and testable on canned
payloads. It owns:

- retries: the SDK retries 429 (honouring ``Retry-After``), 503 and connection errors itself,
  bounded by ``retry_timeout_seconds``; we add a few backed-off attempts for other 5xx;
- pagination: the SDK's iterators page for us; ``grants`` uses ``grants.list`` (pages itself);
- error classification: every failure leaves as an :class:`AccessReviewError` naming the
  workspace (or the account) — bad tokens become :class:`AuthenticationError`, exhausted
  retries and unreachable hosts :class:`UnavailableError` — never a raw SDK exception.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import (
    BadRequest,
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

from services.core.errors import (
    AccessReviewError,
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from services.core.settings import Settings

T = TypeVar("T")
# Environment variables requests consults on every call when ``trust_env`` is on.
PROXY_ENV = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
RETRYABLE = (InternalError, DeadlineExceeded)
# A bad, revoked or expired token is a 403 with one of these messages (databricks-sdk-go#873, #1061)
CONNECTIONS_PER_HOST = 32  # the collector's threads share one client per host: keep their connections
NO_FEDERATION = "Permission assignment APIs are not available"
BAD_TOKEN_MESSAGES = ("Invalid access token", "JWT has expired", "Invalid Token")
AUDIT_QUERY = """
SELECT user_identity.email AS email,
       CASE service_name WHEN 'jobs' THEN 'job' WHEN 'clusters' THEN 'cluster' END AS object_type,
       COALESCE(request_params['job_id'], request_params['cluster_id']) AS object_id,
       MAX(event_time) AS last_used
FROM system.access.audit
WHERE workspace_id = :workspace_id AND event_date >= :since AND service_name IN ('jobs', 'clusters')
GROUP BY 1, 2, 3
"""


@dataclass(frozen=True)
class DatabricksTarget:
    """Where and as whom to call Databricks. The account API accepts OAuth only: a service
    principal's client id and secret (OAuth M2M), which also serve every workspace."""

    account_host: str
    account_id: str
    workspace_url_template: str
    client_id: str
    client_secret: str = field(repr=False)
    retry_timeout_s: float = 60.0
    http_timeout_s: float = 30.0
    workspace_rps: float = 0.0
    audit_timeout_s: float = 120.0
    audit_poll_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabricksTarget:
        needed = ("databricks_account_host", "databricks_account_id", "databricks_workspace_url_template")
        missing = [n for n in needed if not getattr(settings, n)]
        if missing:
            raise ConfigError("Databricks collection needs " + ", ".join("AR_" + m.upper() for m in missing))
        if not (settings.databricks_client_id and settings.databricks_client_secret):
            raise ConfigError(
                "Databricks collection needs OAuth M2M: set AR_DATABRICKS_CLIENT_ID and "
                "AR_DATABRICKS_CLIENT_SECRET (a service principal's OAuth secret); the account API "
                "refuses personal access tokens"
            )
        template = str(settings.databricks_workspace_url_template)
        if "{deployment_name}" not in template:
            raise ConfigError("AR_DATABRICKS_WORKSPACE_URL_TEMPLATE must contain {deployment_name}")
        return cls(
            str(settings.databricks_account_host).rstrip("/"),
            str(settings.databricks_account_id),
            template,
            settings.databricks_client_id,
            settings.databricks_client_secret.get_secret_value(),
            settings.collect_retry_timeout_s,
            settings.http_timeout_s,
            settings.collect_workspace_rps,
            settings.collect_audit_timeout_s,
        )


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


# the list call of each listed kind, by its permissions path (databricks-sdk-py workspace APIs)
OBJECT_LISTS: dict[str, Callable[[WorkspaceClient], Iterable[Any]]] = {
    "jobs": lambda w: w.jobs.list(limit=100),
    "clusters": lambda w: w.clusters.list(),
    "sql/warehouses": lambda w: w.warehouses.list(),
    "pipelines": lambda w: w.pipelines.list_pipelines(max_results=100),
    "cluster-policies": lambda w: w.cluster_policies.list(),
    "instance-pools": lambda w: w.instance_pools.list(),
    "serving-endpoints": lambda w: w.serving_endpoints.list(),
    "registered-models": lambda w: w.model_registry.list_models(max_results=1000),
    "experiments": lambda w: w.experiments.list_experiments(max_results=1000),
    "repos": lambda w: w.repos.list(),
    "secret-scopes": lambda w: w.secrets.list_scopes(),
    "tokens": lambda w: w.token_management.list(),
}


# the metastore's securables outside the catalog tree (databricks-sdk-py catalog.py, sharing.py)
METASTORE_LISTS: dict[str, Callable[[WorkspaceClient], Iterable[Any]]] = {
    "storage_credential": lambda w: w.storage_credentials.list(),
    "external_location": lambda w: w.external_locations.list(),
    "connection": lambda w: w.connections.list(),
    "share": lambda w: w.shares.list_shares(),
}


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


class DatabricksAdapter:
    def __init__(self, target: DatabricksTarget) -> None:
        self.target = target
        self.pacer = Pacer(target.workspace_rps)
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

    def call(self, where: str, fn: Callable[[], T], api: str | None = None) -> T:
        """Run one SDK call for ``where`` (a workspace or "account"), classifying every failure.
        ``api`` is the API the call really goes to, for pacing (default: ``where``)."""
        self.pacer.acquire(api or where)
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

    # -- account ------------------------------------------------------------------------------
    def list_workspaces(self) -> list[dict[str, Any]]:
        return self.call("account", lambda: _as_dicts(self.account().workspaces.list()))

    def list_users(self) -> list[dict[str, Any]]:
        return self.call("account", lambda: _as_dicts(self.account().users.list()))

    def list_groups(self) -> list[dict[str, Any]]:
        """Account groups without members: the list has not carried them since 2025-08-22."""
        return self.call("account", lambda: _as_dicts(self.account().groups.list()))

    def get_group(self, group_id: str) -> dict[str, Any]:
        """One account group with its members (``GET /Groups/{id}``)."""
        return self.call("account", lambda: self.account().groups.get(group_id).as_dict())

    def get_rule_set(self, resource: str) -> dict[str, Any]:
        """The account rule set of ``groups/<id>`` or ``servicePrincipals/<application id>``: who
        manages or may use it (SDK AccountAccessControlAPI.get_rule_set; an empty etag: no freshness)."""
        name = f"accounts/{self.target.account_id}/{resource}/ruleSets/default"
        return self.call("account", lambda: self.account().access_control.get_rule_set(name, "").as_dict())

    def list_service_principals(self) -> list[dict[str, Any]]:
        return self.call("account", lambda: _as_dicts(self.account().service_principals.list()))

    def list_assignments(self, workspace_id: int, where: str) -> list[dict[str, Any]] | None:
        """The workspace's permission assignments; None for a workspace without identity federation,
        which answers 400 "Permission assignment APIs are not available for this workspace"
        (baton-databricks ``pkg/connector/workspaces.go``): its access is its local groups."""

        def read() -> list[dict[str, Any]] | None:
            try:
                return _as_dicts(self.account().workspace_assignment.list(workspace_id))
            except BadRequest as exc:
                if NO_FEDERATION in str(exc):
                    return None
                raise

        return self.call(where, read, api="account")

    def current_user(self, ws: str) -> dict[str, Any]:
        """Who the collector is in this workspace (SCIM ``Me``, with its groups)."""
        return self.call(f"workspace {ws}", lambda: self.workspace(ws).current_user.me().as_dict())

    def list_workspace_groups(self, ws: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
        """A workspace's groups of these names, with members (workspace SCIM; ``admins``, ``users``)."""
        query = " or ".join(f'displayName eq "{name}"' for name in names)
        return self.call(
            f"workspace {ws}",
            lambda: _as_dicts(self.workspace(ws).groups.list(filter=query, attributes="id,displayName,members")),
        )

    # -- workspace objects ----------------------------------------------------------------------
    def list_objects(self, ws: str, kind: str) -> list[dict[str, Any]]:
        """Every object of one listed kind (its permissions path: ``jobs``, ``pipelines``, ...)."""
        return self.call(f"workspace {ws}", lambda: _as_dicts(OBJECT_LISTS[kind](self.workspace(ws))))

    def list_warehouses(self, ws: str) -> list[dict[str, Any]]:
        return self.list_objects(ws, "sql/warehouses")

    def get_job(self, ws: str, job_id: str) -> dict[str, Any]:
        """One job with its run-as identity, which ``jobs/list`` does not give (databricks-sdk-py#967)."""
        return self.call(f"workspace {ws}", lambda: self.workspace(ws).jobs.get(int(job_id)).as_dict())

    def get_registered_model(self, ws: str, name: str) -> dict[str, Any]:
        """A workspace-registry model with its id, which the permissions API needs and the list lacks."""

        def read() -> dict[str, Any]:
            found = self.workspace(ws).model_registry.get_model(name).registered_model_databricks
            return found.as_dict() if found is not None else {}

        return self.call(f"workspace {ws}", read)

    def list_secret_acls(self, ws: str, scope: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).secrets.list_acls(scope)))

    def list_entitlement_holders(self, ws: str) -> list[dict[str, Any]]:
        """Users, groups and service principals of a workspace with their SCIM ``entitlements``."""

        def read() -> list[dict[str, Any]]:
            w = self.workspace(ws)
            return [
                *_as_dicts(w.groups.list(attributes="id,displayName,entitlements")),
                *_as_dicts(w.service_principals.list(attributes="id,applicationId,entitlements")),
                *_as_dicts(w.users.list(attributes="id,userName,entitlements")),
            ]

        return self.call(f"workspace {ws}", read)

    def list_directory(self, ws: str, path: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).workspace.list(path)))

    def get_permissions(self, ws: str, object_type: str, object_id: str) -> dict[str, Any]:
        return self.call(f"workspace {ws}", lambda: self.workspace(ws).permissions.get(object_type, object_id).as_dict())

    # -- Unity Catalog --------------------------------------------------------------------------
    def current_metastore(self, ws: str) -> dict[str, Any]:
        return self.call(f"workspace {ws}", lambda: self.workspace(ws).metastores.current().as_dict())

    def current_metastore_summary(self, ws: str) -> dict[str, Any]:
        return self.call(f"workspace {ws}", lambda: self.workspace(ws).metastores.summary().as_dict())

    def list_catalogs(self, ws: str) -> list[dict[str, Any]]:
        """Every catalog of the metastore: without ``include_unbound`` a workspace lists only the
        catalogs bound to it (SDK CatalogsAPI.list), and the ISOLATED others would go unreviewed."""
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).catalogs.list(include_unbound=True)))

    def catalog_bindings(self, ws: str, catalog: str) -> list[int]:
        """The workspace ids an ISOLATED catalog is bound to (SDK WorkspaceBindingsAPI.get_bindings)."""
        api = self.workspace(ws).workspace_bindings
        bindings = self.call(f"workspace {ws}", lambda: _as_dicts(api.get_bindings("catalog", catalog)))
        return [int(b["workspace_id"]) for b in bindings if b.get("workspace_id") is not None]

    def list_schemas(self, ws: str, catalog: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).schemas.list(catalog)))

    def list_tables(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).tables.list(catalog, schema)))

    def list_volumes(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).volumes.list(catalog, schema)))

    def list_functions(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).functions.list(catalog, schema)))

    def list_models(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(
            f"workspace {ws}",
            lambda: _as_dicts(self.workspace(ws).registered_models.list(catalog_name=catalog, schema_name=schema)),
        )

    def list_securables(self, ws: str, kind: str) -> list[dict[str, Any]]:
        """The metastore's securables of one kind that are not nested in a catalog."""
        return self.call(f"workspace {ws}", lambda: _as_dicts(METASTORE_LISTS[kind](self.workspace(ws))))

    def list_grants(self, ws: str, securable_type: str, full_name: str) -> list[dict[str, Any]]:
        """Direct grants on one securable (``securable_type`` lowercase: catalog, schema, ...)."""
        return self.call(
            f"workspace {ws}",
            lambda: _as_dicts(self.workspace(ws).grants.list(securable_type.lower(), full_name)),
        )

    def _await_statement(self, ws: str, resp: Any) -> Any:
        """Poll a statement that is still PENDING/RUNNING past ``wait_timeout`` (a cold warehouse)
        until it ends or ``audit_timeout_s`` passes; then cancel it and say so."""
        api = self.workspace(ws).statement_execution
        deadline = time.monotonic() + self.target.audit_timeout_s
        while True:
            state = resp.status.state.value if resp.status and resp.status.state else "UNKNOWN"
            if state == "SUCCEEDED":
                return resp
            if state not in ("PENDING", "RUNNING"):
                error = resp.status.error.message if resp.status and resp.status.error else state
                raise UnavailableError(f"workspace {ws}: audit query {state}: {error}")
            if time.monotonic() >= deadline:
                api.cancel_execution(resp.statement_id or "")
                raise UnavailableError(
                    f"workspace {ws}: audit query timed out: still {state} after "
                    f"{self.target.audit_timeout_s:.0f} s (the SQL warehouse did not start in time)"
                )
            time.sleep(self.target.audit_poll_s)
            resp = api.get_statement(resp.statement_id or "")

    def audit_last_used(self, ws: str, warehouse_id: str, workspace_id: str, since: str) -> list[list[str]]:
        """Rows of (email, object_type, object_id, last_used) from ``system.access.audit``."""
        from databricks.sdk.service.sql import StatementParameterListItem

        def run() -> list[list[str]]:
            api = self.workspace(ws).statement_execution
            resp = api.execute_statement(
                statement=AUDIT_QUERY,
                warehouse_id=warehouse_id,
                wait_timeout="30s",
                parameters=[
                    StatementParameterListItem(name="workspace_id", value=workspace_id),
                    StatementParameterListItem(name="since", value=since, type="DATE"),
                ],
            )
            resp = self._await_statement(ws, resp)
            rows = list(resp.result.data_array or []) if resp.result else []
            chunk = resp.result.next_chunk_index if resp.result else None
            while chunk is not None:
                part = api.get_statement_result_chunk_n(resp.statement_id or "", chunk)
                rows.extend(part.data_array or [])
                chunk = part.next_chunk_index
            return rows

        return self.call(f"workspace {ws}", run)


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
