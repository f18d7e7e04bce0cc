"""Workspace assignment: delete it, or downgrade ADMIN to USER when only admin was revoked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State

if TYPE_CHECKING:
    from services.enforcer.apis import Apis


class AssignmentAction:
    name = "assignment"
    system = "databricks"

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        wid, pid = str(ent["resource"]["id"]), str(ent["principal"]["id"])
        return {"workspace_id": wid, "principal_id": pid, "permissions": apis.databricks.assignment_of(int(wid), pid)}

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return ent["privilege"] in state["permissions"]

    def without(self, state: State, ent: dict[str, Any]) -> State:
        if ent["privilege"] == "ADMIN":
            return {**state, "permissions": ["USER"]}
        return {**state, "permissions": []}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        if source["permissions"] == target["permissions"]:
            return []
        args = {"workspace_id": int(target["workspace_id"]), "principal_id": target["principal_id"]}
        return [{"method": "set_assignment", "args": {**args, "permissions": target["permissions"]}}]

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        if current["permissions"] not in (after["permissions"], before["permissions"]):
            return f"the assignment changed since: now {current['permissions'] or 'none'}"
        return None

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        return {**current, "permissions": before["permissions"]}
