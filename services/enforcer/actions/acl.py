"""Object permissions (jobs, clusters, warehouses, notebooks, folders, pipelines, ...).

``permissions.set`` replaces every direct grant, so the action reads the ACL, keeps every direct
entry but the revoked one (the owner included), and writes that full list back. Inherited
entries are not written: they belong to the parent. A rollback adds the removed entry back to
what is there now, so a grant made since is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State, principal_field, split_workspace_id

if TYPE_CHECKING:
    from services.enforcer.apis import Apis

NAME_FIELDS = ("user_name", "group_name", "service_principal_name")


def direct_entries(permissions: dict[str, Any]) -> list[dict[str, str]]:
    """The ACL's direct (not inherited) entries as ``{<name field>: name, permission_level}``, sorted."""
    out = []
    for entry in permissions.get("access_control_list") or []:
        field = next((f for f in NAME_FIELDS if entry.get(f)), None)
        if field is None:
            continue
        for perm in entry.get("all_permissions") or []:
            if not perm.get("inherited") and perm.get("permission_level"):
                out.append({field: str(entry[field]), "permission_level": str(perm["permission_level"])})
    return sorted(out, key=lambda e: (next(iter(e.values())), e["permission_level"]))


class AclAction:
    name = "acl"
    system = "databricks"

    def _where(self, ent: dict[str, Any]) -> tuple[str, str]:
        kind = ent["resource"]["type"]
        from services.events.resource_kinds import resource_kind

        spec = resource_kind(kind)
        assert spec is not None and spec.request_object_type is not None
        return spec.request_object_type, split_workspace_id(ent["resource"]["id"])[1]

    def _entry(self, ent: dict[str, Any]) -> dict[str, str]:
        p = ent["principal"]
        return {principal_field(p["type"]): p["name"], "permission_level": ent["privilege"]}

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        object_type, object_id = self._where(ent)
        ws = apis.deployment(ent["resource"]["workspace_id"])
        permissions = apis.databricks.get_permissions(ws, object_type, object_id)
        return {"ws": ws, "object_type": object_type, "object_id": object_id, "acl": direct_entries(permissions)}

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return self._entry(ent) in state["acl"]

    def without(self, state: State, ent: dict[str, Any]) -> State:
        return {**state, "acl": [e for e in state["acl"] if e != self._entry(ent)]}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        args = {k: target[k] for k in ("ws", "object_type", "object_id")}
        return [{"method": "set_permissions", "args": {**args, "acl": target["acl"]}}]

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        mine = self._entry(ent)
        field = next(k for k in mine if k != "permission_level")
        theirs = [e for e in current["acl"] if e.get(field) == mine[field] and e != mine]
        was = [e for e in after["acl"] if e.get(field) == mine[field]]
        if theirs != was:
            return f"{mine[field]}'s grants on /{current['object_type']}/{current['object_id']} changed since: {theirs}"
        return None

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        mine = self._entry(ent)
        acl = (
            current["acl"]
            if mine in current["acl"]
            else sorted([*current["acl"], mine], key=lambda e: (next(iter(e.values())), e["permission_level"]))
        )
        return {**current, "acl": acl}
