"""Sandbox account access-control rule sets: who manages a group, who may use or manage a service principal.

``GET /api/2.0/preview/accounts/{aid}/access-control/rule-sets?name=...&etag=...`` (SDK
``AccountAccessControlAPI.get_rule_set``): ``name`` is
``accounts/<aid>/groups/<group id>/ruleSets/default`` or
``accounts/<aid>/servicePrincipals/<application id>/ruleSets/default``; the answer lists
``grant_rules`` of ``role`` (``roles/group.manager``, ``roles/servicePrincipal.manager``,
``roles/servicePrincipal.user``) and ``principals`` named ``users/<userName>``,
``groups/<displayName>`` or ``servicePrincipals/<applicationId>``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request

from services.sandbox.databricks_api import DatabricksApi
from services.sandbox.wire import bad_request, not_found, route

PREFIX = {"user": "users", "group": "groups", "service_principal": "servicePrincipals"}


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

    async def get_rule_set(self, request: Request) -> dict[str, Any]:
        self.api._account(request)
        name = request.query_params.get("name")
        if not name:
            raise bad_request("Missing required field: name")
        if "etag" not in request.query_params:  # the SDK always sends it; empty means "no freshness"
            raise bad_request("Missing required field: etag")
        rules = self.state.rule_sets.get(self._resource_key(name), {})
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
    return [route("/api/2.0/preview/accounts/{aid}/access-control/rule-sets", rules.get_rule_set)]
