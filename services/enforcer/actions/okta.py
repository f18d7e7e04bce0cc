"""A membership Okta's group push keeps: unassign the user from the Okta group.

Databricks sees the change only when the (asynchronous) push runs, so the re-read checks Okta,
and the next collection confirms the Databricks side (``revocation.verified``, next-collection).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State

if TYPE_CHECKING:
    from services.enforcer.apis import Apis

PREFIX = "okta-push:"


class OktaMembershipAction:
    name = "okta-membership"
    system = "okta"

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        group_id = str(ent["managed_by"]).removeprefix(PREFIX)
        user_id = str(ent["principal"]["okta_id"])
        return {"okta_group_id": group_id, "okta_user_id": user_id, "member": apis.okta_member(group_id, user_id)}

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return bool(state["member"])

    def without(self, state: State, ent: dict[str, Any]) -> State:
        return {**state, "member": False}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        if source["member"] == target["member"]:
            return []
        method = "okta_assign" if target["member"] else "okta_unassign"
        return [{"method": method, "args": {"group_id": target["okta_group_id"], "user_id": target["okta_user_id"]}}]

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        return None

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        return {**current, "member": before["member"]}
