"""Secret scope ACLs: ``secrets.delete_acl`` for the principal; a rollback puts the level back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State, split_workspace_id

if TYPE_CHECKING:
    from services.enforcer.apis import Apis


class SecretAclAction:
    name = "secret-acl"
    system = "databricks"

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        wid, scope = split_workspace_id(str(ent["resource"]["id"]))
        ws = apis.deployment(wid)
        principal = ent["principal"]["name"]
        levels = [
            str(a.get("permission")) for a in apis.databricks.list_secret_acls(ws, scope) if a.get("principal") == principal
        ]
        return {"ws": ws, "scope": scope, "principal": principal, "permission": levels[0] if levels else None}

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return state["permission"] == ent["privilege"]

    def without(self, state: State, ent: dict[str, Any]) -> State:
        return {**state, "permission": None}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        if source["permission"] == target["permission"]:
            return []
        base = {k: target[k] for k in ("ws", "scope", "principal")}
        if target["permission"] is None:
            return [{"method": "delete_secret_acl", "args": base}]
        return [{"method": "put_secret_acl", "args": {**base, "permission": target["permission"]}}]

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        if current["permission"] not in (None, before["permission"]):
            return f"{current['principal']} holds {current['permission']} on scope {current['scope']} now"
        return None

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        return {**current, "permission": before["permission"]}
