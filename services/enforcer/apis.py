"""The systems the enforcer reads and changes: the Databricks adapter, the Okta adapter, and the
lookups between an entitlement's ids and the API that serves them (workspace id to deployment,
metastore to an attached workspace). Calls recorded in a plan run through :meth:`Apis.run`, which
accepts only the write methods listed here."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from services.adapters.databricks import DatabricksAdapter
from services.adapters.okta import OktaAdapter, OktaTarget
from services.core.errors import ConfigError, NotFoundError

DATABRICKS_WRITES = frozenset(
    {
        "patch_group_member",
        "set_permissions",
        "patch_entitlement",
        "update_grants",
        "set_assignment",
        "put_secret_acl",
        "delete_secret_acl",
        "set_rule_set_role",
    }
)
OKTA_WRITES = {"okta_unassign": "unassign_user_from_group", "okta_assign": "assign_user_to_group"}


class Apis:
    def __init__(self, databricks: DatabricksAdapter, okta: OktaTarget | None) -> None:
        self.databricks = databricks
        self.okta_target = okta
        self._lock = threading.Lock()
        self._deployments: dict[str, str] | None = None
        self._metastores: dict[str, str] = {}

    # -- lookups ---------------------------------------------------------------------------
    def workspaces(self) -> dict[str, str]:
        """Workspace id to deployment name, read once from the account."""
        with self._lock:
            if self._deployments is None:
                self._deployments = {str(w["workspace_id"]): str(w["deployment_name"]) for w in self.databricks.list_workspaces()}
            return self._deployments

    def deployment(self, workspace_id: str | None) -> str:
        found = self.workspaces().get(str(workspace_id))
        if found is None:
            raise NotFoundError(f"workspace {workspace_id} is not in the account")
        return found

    def metastore_workspace(self, metastore_id: str) -> str:
        """A workspace attached to the metastore, to make Unity Catalog calls through."""
        with self._lock:
            if metastore_id in self._metastores:
                return self._metastores[metastore_id]
        for deployment in sorted(self.workspaces().values()):
            with self._lock:
                if deployment in self._metastores.values():
                    continue
            mid = str(self.databricks.current_metastore(deployment).get("metastore_id"))
            with self._lock:
                self._metastores.setdefault(mid, deployment)
                if mid == metastore_id:
                    return deployment
        raise NotFoundError(f"no workspace of the account is attached to metastore {metastore_id}")

    def workspace_name(self, workspace_id: str) -> str:
        return self.deployment(workspace_id)

    # -- Okta ------------------------------------------------------------------------------
    def _okta(self, call: str, *args: Any) -> Any:
        if self.okta_target is None:
            raise ConfigError("Okta is not configured (AR_OKTA_ORG_URL): an Okta-pushed membership cannot be changed")
        target = self.okta_target

        async def run() -> Any:
            adapter = OktaAdapter(target)
            try:
                return await getattr(adapter, call)(*args)
            finally:
                await adapter.close()

        return asyncio.run(run())

    def okta_member(self, group_id: str, user_id: str) -> bool:
        return any(str(u.get("id")) == user_id for u in self._okta("list_group_users", group_id))

    # -- recorded calls ------------------------------------------------------------------------
    def run(self, call: dict[str, Any]) -> Any:
        method, args = call["method"], dict(call["args"])
        if method in OKTA_WRITES:
            return self._okta(OKTA_WRITES[method], args["group_id"], args["user_id"])
        if method not in DATABRICKS_WRITES:
            raise ConfigError(f"a plan names {method!r}, which is not a write the enforcer makes")
        return getattr(self.databricks, method)(**args)
