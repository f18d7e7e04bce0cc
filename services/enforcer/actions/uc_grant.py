"""Unity Catalog privileges: ``grants.update`` with ``remove`` at the securable the privilege was
granted on (the collector records direct grants, so that is the entitlement's own securable).
Removing an absent privilege is a silent no-op in Unity Catalog, so the re-read is the proof."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State, kind_of

if TYPE_CHECKING:
    from services.enforcer.apis import Apis


class UcGrantAction:
    name = "uc-grant"
    system = "databricks"

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        resource = ent["resource"]
        metastore_id, _, full_name = str(resource["id"]).partition("/")
        full_name = full_name or metastore_id  # the metastore's own grants: its id is its name
        securable = kind_of(ent).securable_type
        ws = apis.metastore_workspace(metastore_id)
        principal = ent["principal"]["name"]
        privileges = sorted(
            str(p)
            for item in apis.databricks.list_grants(ws, securable, full_name)
            if item.get("principal") == principal
            for p in item.get("privileges") or []
        )
        return {"ws": ws, "securable_type": securable, "full_name": full_name, "principal": principal, "privileges": privileges}

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return ent["privilege"] in state["privileges"]

    def without(self, state: State, ent: dict[str, Any]) -> State:
        return {**state, "privileges": [p for p in state["privileges"] if p != ent["privilege"]]}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        gone = sorted(set(source["privileges"]) - set(target["privileges"]))
        added = sorted(set(target["privileges"]) - set(source["privileges"]))
        base = {k: target[k] for k in ("ws", "securable_type", "full_name", "principal")}
        out: list[Call] = []
        if gone:
            out.append({"method": "update_grants", "args": {**base, "op": "remove", "privileges": gone}})
        if added:
            out.append({"method": "update_grants", "args": {**base, "op": "add", "privileges": added}})
        return out

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        return None  # adding a privilege back leaves every other grant as it is

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        privileges = set(current["privileges"]) | ({ent["privilege"]} if ent["privilege"] in before["privileges"] else set())
        return {**current, "privileges": sorted(privileges)}
