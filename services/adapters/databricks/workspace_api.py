"""Workspace APIs: the caller, local groups, object lists, secret ACLs, entitlements, permissions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from databricks.sdk import WorkspaceClient

from services.adapters.databricks.client import DatabricksClients, _as_dicts

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


class WorkspaceCalls(DatabricksClients):
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
        return self.call(
            f"workspace {ws}",
            lambda: self.workspace(ws).permissions.get(object_type, object_id).as_dict(),
            budget="permissions GET",
        )
