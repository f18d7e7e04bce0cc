"""Account rule-set roles: a group's managers, a service principal's users and managers.

The rule set is replaced whole by ``update_rule_set`` and only with the etag just read (a stale
one is 409 RESOURCE_CONFLICT), so the write re-reads it, swaps the one role's holders and puts
every other rule back as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.enforcer.actions import Call, State

if TYPE_CHECKING:
    from services.enforcer.apis import Apis

ROLES = {
    ("group_role", "MANAGER"): "roles/group.manager",
    ("service_principal_role", "USER"): "roles/servicePrincipal.user",
    ("service_principal_role", "MANAGER"): "roles/servicePrincipal.manager",
}
PREFIX = {"user": "users", "group": "groups", "service_principal": "servicePrincipals"}


def named(principal: dict[str, Any]) -> str:
    return f"{PREFIX[principal['type']]}/{principal['name']}"


class AccountRoleAction:
    name = "account-role"
    system = "databricks"

    def read(self, apis: Apis, ent: dict[str, Any]) -> State:
        r = ent["resource"]
        if r["type"] == "group_role":
            resource = f"groups/{r['id']}"
        else:
            resource = f"servicePrincipals/{apis.databricks.service_principal_app_id(str(r['id']))}"
        role = ROLES[(r["type"], ent["privilege"])]
        rules = apis.databricks.get_rule_set(resource).get("grant_rules") or []
        holders = sorted({p for rule in rules if rule.get("role") == role for p in rule.get("principals") or []})
        return {"resource": resource, "role": role, "holders": holders}

    def present(self, state: State, ent: dict[str, Any]) -> bool:
        return named(ent["principal"]) in state["holders"]

    def without(self, state: State, ent: dict[str, Any]) -> State:
        return {**state, "holders": [h for h in state["holders"] if h != named(ent["principal"])]}

    def calls(self, source: State, target: State, ent: dict[str, Any]) -> list[Call]:
        if source["holders"] == target["holders"]:
            return []
        args = {"resource": target["resource"], "role": target["role"], "principals": target["holders"]}
        return [{"method": "set_rule_set_role", "args": args}]

    def restore_conflict(self, current: State, after: State, before: State, ent: dict[str, Any]) -> str | None:
        return None  # adding one holder back keeps everyone else's

    def restored(self, current: State, before: State, ent: dict[str, Any]) -> State:
        holders = set(current["holders"]) | ({named(ent["principal"])} if self.present(before, ent) else set())
        return {**current, "holders": sorted(holders)}
