"""Account APIs: the directory (SCIM), workspaces, assignments and rule sets."""

from __future__ import annotations

from typing import Any

from databricks.sdk.errors import BadRequest

from services.adapters.databricks.client import DatabricksClients, _as_dicts

NO_FEDERATION = "Permission assignment APIs are not available"


class AccountCalls(DatabricksClients):
    def list_workspaces(self) -> list[dict[str, Any]]:
        return self.call("account", lambda: _as_dicts(self.account().workspaces.list()))

    def list_users(self) -> list[dict[str, Any]]:
        return self.call("account", lambda: _as_dicts(self.account().users.list()))

    def list_groups(self) -> list[dict[str, Any]]:
        """Account groups without members: the list has not carried them since 2025-08-22."""
        return self.call("account", lambda: _as_dicts(self.account().groups.list()))

    def get_group(self, group_id: str) -> dict[str, Any]:
        """One account group with its members (``GET /Groups/{id}``)."""
        return self.call("account", lambda: self.account().groups.get(group_id).as_dict(), budget="account SCIM GET")

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
