"""Group membership: a SCIM PATCH that removes (or, to roll back, adds) one member.

Account groups go through the account SCIM API; a workspace's local groups (``admins``,
``users`` and the groups of a workspace without identity federation) through the workspace's.
When Okta pushes the group, the membership is changed in Okta instead (:mod:`.okta`): a
Databricks-side removal would be re-added by the next push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State

if TYPE_CHECKING:
    from services.enforcer.apis import Apis


class MembershipAction:
    name = "membership"
    system = "databricks"

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        resource = ent["resource"]
        ws = apis.deployment(resource["workspace_id"]) if resource["type"] == "workspace_group" else None
        members = apis.databricks.group_member_ids(resource["id"], ws)
        return {
            "group_id": resource["id"],
            "ws": ws,
            "member_id": ent["principal"]["id"],
            "member": ent["principal"]["id"] in members,
        }

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return bool(state["member"])

    def without(self, state: State, ent: dict[str, Any]) -> State:
        return {**state, "member": False}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        if source["member"] == target["member"]:
            return []
        op = "add" if target["member"] else "remove"
        args = {"group_id": target["group_id"], "member_id": target["member_id"], "op": op, "ws": target["ws"]}
        return [{"method": "patch_group_member", "args": args}]

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        return None  # adding one member back never undoes anyone else's change

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        return {**current, "member": before["member"]}
