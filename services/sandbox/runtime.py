"""The running sandbox: state plus the lookups its APIs need, and the knobs tests turn.

One instance is shared by the Databricks and Okta apps in the same event loop, so handlers
need no locks. Every mutation calls :meth:`SandboxRuntime.changed`, which persists the state
when ``--state FILE`` was given.
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.sandbox.databricks_auth import OAuthClient
from services.sandbox.model import (
    ACCOUNT_USERS,
    ACCOUNT_USERS_ID,
    ADMINS,
    USERS,
    Job,
    SandboxState,
    Securable,
    Workspace,
    local_group_id,
    save_state,
)
from services.sandbox.okta_auth import OktaServiceApp
from services.sandbox.okta_push import GroupPush


@dataclass
class Faults:
    latency_ms: float = 0.0
    rate_limit: float = 0.0  # requests/s per (API, workspace, token); 0 = unlimited
    okta_rate_limit: float = 0.0
    error_rate: float = 0.0
    down: set[str] = field(default_factory=set)  # deployment names answering 503
    revoked: set[str] = field(default_factory=set)  # deployment names refusing every token (403)
    corrupt: set[str] = field(default_factory=set)  # deployment names whose job list lacks a job_id
    # deployment names where the OAuth service principal is not a workspace admin: lists show only
    # what it may see (nothing: it holds no grants) and object permissions answer 403
    non_admin: set[str] = field(default_factory=set)
    # SQL statements stay PENDING for this many status reads past wait_timeout (a cold warehouse)
    pending_polls: int = 0
    cloud: str = "aws"  # "azure": the account API does not list workspaces
    okta_minute_limit: int = 0  # Okta requests per endpoint per one-minute window; 0 = unlimited
    okta_push_delay_s: float = 2.0  # an Okta membership change reaches Databricks this much later
    endpoint_limits: bool = True  # Databricks' documented per-endpoint budgets (endpoint_limits.py)
    okta_concurrency: int = 0  # Okta requests in flight per org; 0 = unlimited


class SandboxRuntime:
    def __init__(
        self,
        state: SandboxState,
        databricks_token: str,
        okta_token: str,
        faults: Faults | None = None,
        state_file: Path | None = None,
        oauth: OAuthClient | None = None,
    ) -> None:
        self.state = state
        self.databricks_token = databricks_token  # a PAT: workspaces only
        self.oauth = oauth or OAuthClient(str(uuid.uuid4()), "dose" + secrets.token_hex(16))
        self.okta_app = OktaServiceApp()
        self.okta_token = okta_token
        self.faults = faults or Faults()
        self.state_file = state_file
        self.statements: dict[str, list[list[str]]] = {}
        self.pending: dict[str, int] = {}  # statement id -> status reads still PENDING (-1: canceled)
        self.requests: dict[str, int] = defaultdict(int)  # served, per workspace / account / okta
        self.refused: dict[str, int] = defaultdict(int)  # answered by the faults layer, per status
        self.refused_by_area: dict[str, int] = defaultdict(int)
        self.refused_by_limit: dict[str, int] = defaultdict(int)  # per documented endpoint budget
        self.group_push = GroupPush(state)
        self.reindex()

    def reindex(self) -> None:
        s = self.state
        self.by_user_name = {u.user_name.lower(): u.id for u in s.users.values() if u.in_databricks}
        self.by_group_name = {g.display_name: g.id for g in s.groups.values()}
        self.by_group_name[ACCOUNT_USERS] = ACCOUNT_USERS_ID
        self.by_app_id = {sp.application_id: sp.id for sp in s.service_principals.values()}
        self.children: dict[tuple[str, str, str], list[Securable]] = defaultdict(list)
        for sec in s.securables.values():
            if sec.kind != "metastore":
                parent = sec.full_name.rsplit(".", 1)[0] if "." in sec.full_name else ""
                self.children[(sec.metastore_id, sec.kind, parent)].append(sec)
        self.jobs: dict[tuple[int, int], Job] = {(ws.workspace_id, j.job_id): j for ws in s.workspaces.values() for j in ws.jobs}

    def principal_id(self, entry: dict[str, Any], ws: Workspace | None = None) -> str | None:
        """Resolve ``user_name`` / ``group_name`` / ``service_principal_name``; in a workspace,
        ``admins`` and ``users`` are that workspace's built-in groups."""
        if entry.get("user_name"):
            return self.by_user_name.get(str(entry["user_name"]).lower())
        if entry.get("group_name"):
            if ws is not None and entry["group_name"] in (ADMINS, USERS):
                return local_group_id(ws.workspace_id, entry["group_name"])
            return self.by_group_name.get(entry["group_name"])
        if entry.get("service_principal_name"):
            return self.by_app_id.get(entry["service_principal_name"])
        return None

    def uc_principal_id(self, name: str) -> str | None:
        return self.by_user_name.get(name.lower()) or self.by_group_name.get(name) or self.by_app_id.get(name)

    def caller_is_admin(self, request: Any, deployment: str) -> bool:
        """Whether this request's caller administers the workspace (a PAT is an admin's token)."""
        caller = request.scope.get("state", {}).get("caller")
        return not (caller == "oauth" and deployment in self.faults.non_admin)

    def workspace(self, deployment: str) -> Workspace | None:
        return self.state.workspace_by_deployment(deployment)

    def run_due_pushes(self) -> None:
        if self.group_push.run_due():
            self.changed()

    def changed(self) -> None:
        if self.state_file is not None:
            save_state(self.state, self.state_file)
