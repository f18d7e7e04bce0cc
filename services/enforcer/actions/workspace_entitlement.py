"""Workspace entitlements (workspace-access, databricks-sql-access, allow-cluster-create,
allow-instance-pool-create): the workspace's SCIM PATCH ``remove`` of the one entitlement on the
user, service principal or group that holds it directly; a rollback adds it back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State

if TYPE_CHECKING:
    from services.enforcer.apis import Apis


class WorkspaceEntitlementAction:
    name = "workspace-entitlement"
    system = "databricks"

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        ws = apis.deployment(ent["resource"]["id"])
        p = ent["principal"]
        held = apis.databricks.workspace_entitlements(ws, p["type"], str(p["id"]))
        return {"ws": ws, "principal_type": p["type"], "principal_id": str(p["id"]), "entitlements": held}

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return ent["privilege"] in state["entitlements"]

    def without(self, state: State, ent: dict[str, Any]) -> State:
        return {**state, "entitlements": [e for e in state["entitlements"] if e != ent["privilege"]]}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        base = {k: target[k] for k in ("ws", "principal_type", "principal_id")}
        gone = sorted(set(source["entitlements"]) - set(target["entitlements"]))
        added = sorted(set(target["entitlements"]) - set(source["entitlements"]))
        return [{"method": "patch_entitlement", "args": {**base, "op": "remove", "value": v}} for v in gone] + [
            {"method": "patch_entitlement", "args": {**base, "op": "add", "value": v}} for v in added
        ]

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        return None

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        back = {ent["privilege"]} if self.present(before, ent) else set()
        return {**current, "entitlements": sorted(set(current["entitlements"]) | back)}
