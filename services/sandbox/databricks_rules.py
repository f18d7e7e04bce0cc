"""Sandbox account access-control rule sets: who manages a group, who may use or manage a service principal.

``GET /api/2.0/preview/accounts/{aid}/access-control/rule-sets?name=...&etag=...`` (SDK
``AccountAccessControlAPI.get_rule_set``): ``name`` is
``accounts/<aid>/groups/<group id>/ruleSets/default`` or
``accounts/<aid>/servicePrincipals/<application id>/ruleSets/default``; the answer lists
``grant_rules`` of ``role`` (``roles/group.manager``, ``roles/servicePrincipal.manager``,
``roles/servicePrincipal.user``) and ``principals`` named ``users/<userName>``,
``groups/<displayName>`` or ``servicePrincipals/<applicationId>``. A workspace serves the same
through its proxy of the account API (``AccountAccessControlProxyAPI``, no account id in the path).

``PUT`` the same path (``update_rule_set(name, RuleSetUpdateRequest(name, etag, grant_rules))``)
**replaces** every rule of the set, and only with the etag of the version it replaces: a stale
etag is 409 RESOURCE_CONFLICT, which terraform-provider-databricks
``permissions/resource_access_control_rule_set.go`` answers by reading the latest etag and
trying again. A role that does not apply to the resource, or an unknown principal, is 400.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request

from services.sandbox.databricks_api import DatabricksApi
from services.sandbox.wire import ApiError, bad_request, json_body, not_found, route

PREFIX = {"user": "users", "group": "groups", "service_principal": "servicePrincipals"}
ROLES = {
    "groups": ("roles/group.manager",),
    "servicePrincipals": ("roles/servicePrincipal.manager", "roles/servicePrincipal.user"),
}


class RuleSetsApi:
    def __init__(self, api: DatabricksApi) -> None:
        self.api = api
        self.state = api.rt.state

    def _resource_key(self, name: str) -> str:
        parts = name.split("/")
        if len(parts) != 6 or parts[0] != "accounts" or parts[4:] != ["ruleSets", "default"]:
            raise bad_request(f"Invalid rule set name {name!r}")
        if parts[1] != self.state.account_id:
            raise not_found(f"Account {parts[1]}")
        kind, rid = parts[2], parts[3]
        if kind == "groups" and rid in self.state.groups:
            return f"groups/{rid}"
        if kind == "servicePrincipals" and any(sp.application_id == rid for sp in self.state.service_principals.values()):
            return f"servicePrincipals/{rid}"
        raise not_found(f"Resource {kind}/{rid} does not exist")

    def _where(self, request: Request) -> None:
        """The account API, or a workspace's proxy of it (SDK ``AccountAccessControlProxyAPI``:
        ``/api/2.0/preview/accounts/access-control/rule-sets`` on the workspace host)."""
        if "aid" in request.path_params:
            self.api._account(request)
        else:
            self.api.ws(request)

    async def get_rule_set(self, request: Request) -> dict[str, Any]:
        self._where(request)
        name = request.query_params.get("name")
        if not name:
            raise bad_request("Missing required field: name")
        if "etag" not in request.query_params:  # the SDK always sends it; empty means "no freshness"
            raise bad_request("Missing required field: etag")
        return self._render(name, self._resource_key(name))

    async def update_rule_set(self, request: Request) -> dict[str, Any]:
        self._where(request)
        body = await json_body(request)
        name, rule_set = str(body.get("name") or ""), body.get("rule_set") or {}
        if not name or rule_set.get("name") != name:
            raise bad_request("rule_set.name must be the rule set's name")
        key = self._resource_key(name)
        current = self._render(name, key)
        if rule_set.get("etag") != current["etag"]:
            raise ApiError(409, "RESOURCE_CONFLICT", "Conflict with another update: read the rule set again and retry.")
        rules: dict[str, list[str]] = {}
        for rule in rule_set.get("grant_rules") or []:
            role = str(rule.get("role") or "")
            if role not in ROLES[key.split("/")[0]]:
                raise bad_request(f"Role {role!r} is not assignable on {key.split('/')[0]}")
            holders = rules.setdefault(role, [])
            holders.extend(pid for pid in map(self._principal_id, rule.get("principals") or []) if pid not in holders)
        self.state.rule_sets[key] = {role: pids for role, pids in rules.items() if pids}
        self.api.rt.changed()
        return self._render(name, key)

    def _principal_id(self, named: str) -> str:
        kind, _, api_name = str(named).partition("/")
        rt = self.api.rt
        found = {
            "users": rt.by_user_name.get(api_name.lower()),
            "groups": rt.by_group_name.get(api_name),
            "servicePrincipals": rt.by_app_id.get(api_name),
        }.get(kind)
        if found is None:
            raise bad_request(f"Principal {named!r} does not exist")
        return found

    def _render(self, name: str, key: str) -> dict[str, Any]:
        rules = self.state.rule_sets.get(key, {})
        grant_rules = []
        for role, holders in sorted(rules.items()):
            named = []
            for pid in holders:
                kind, api_name = self.state.principal_name(pid)
                named.append(f"{PREFIX[kind]}/{api_name}")
            grant_rules.append({"role": role, "principals": named})
        etag = hashlib.sha256(repr(grant_rules).encode()).hexdigest()[:24]
        return {"name": name, "etag": etag, "grant_rules": grant_rules}


def rule_set_routes(api: DatabricksApi) -> list[Any]:
    rules = RuleSetsApi(api)
    path = "/api/2.0/preview/accounts/{aid}/access-control/rule-sets"
    proxy = "/ws/{deployment}/api/2.0/preview/accounts/access-control/rule-sets"
    return [
        route(path, rules.get_rule_set),
        route(path, rules.update_rule_set, methods=["PUT"]),
        route(proxy, rules.get_rule_set),
        route(proxy, rules.update_rule_set, methods=["PUT"]),
    ]
