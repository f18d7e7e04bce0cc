"""Sandbox Databricks SCIM: users, groups, service principals, ``Me``, remove-member.

Served at the account (``/api/2.0/accounts/{aid}/scim/v2``) and in every workspace
(``/ws/<name>/api/2.0/preview/scim/v2``), both backed by the account's identities. Paging is
``startIndex``/``count`` as the SDK expects (it stops on an empty ``Resources``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from services.events.resource_kinds import resource_kind
from services.sandbox.model import ADMINS, LOCAL_GROUPS, Workspace, local_group_id
from services.sandbox.runtime import SandboxRuntime
from services.sandbox.scim_query import scim_page
from services.sandbox.wire import ApiError, bad_request, json_body

_ENTITLEMENT_KIND = resource_kind("workspace_entitlement")
assert _ENTITLEMENT_KIND is not None
ENTITLEMENT_VALUES = frozenset(_ENTITLEMENT_KIND.levels)

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


class ScimApi:
    def __init__(self, rt: SandboxRuntime) -> None:
        self.rt = rt

    def _parents(self) -> dict[str, list[dict[str, str]]]:
        parents: dict[str, list[dict[str, str]]] = {}
        for g in self.rt.state.groups.values():
            for m in g.members:
                parents.setdefault(m, []).append({"value": g.id, "display": g.display_name, "type": "direct"})
        return parents

    def _user(self, uid: str, parents: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
        u = self.rt.state.users[uid]
        return {
            "schemas": [SCIM_USER],
            "id": u.id,
            "userName": u.user_name,
            "displayName": u.display_name,
            "active": u.active,
            "emails": [{"value": u.user_name, "primary": True, "type": "work"}],
            "name": {"givenName": u.given_name, "familyName": u.family_name},
            "groups": parents.get(uid, []),
            "entitlements": [],
        }

    def _member_refs(self, ids: list[str]) -> list[dict[str, str]]:
        s = self.rt.state
        out = []
        for m in ids:
            if m in s.users:
                kind, ref = "Users", s.users[m].display_name
            elif m in s.groups:
                kind, ref = "Groups", s.groups[m].display_name
            else:
                kind, ref = "ServicePrincipals", s.service_principals[m].display_name
            out.append({"value": m, "display": ref, "$ref": f"{kind}/{m}"})
        return out

    def _group(self, gid: str, parents: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
        g = self.rt.state.groups[gid]
        out = {
            "schemas": [SCIM_GROUP],
            "id": g.id,
            "displayName": g.display_name,
            "members": self._member_refs(g.members),
            "groups": parents.get(gid, []),
            "entitlements": [],
            "meta": {"resourceType": "Group"},
        }
        if g.okta_id:
            out["externalId"] = g.okta_id
        return out

    def _local_groups(self, request: Request) -> list[dict[str, Any]]:
        """A workspace's built-in ``admins`` and ``users``: workspace-local groups its SCIM lists."""
        ws = self.rt.workspace(request.path_params["deployment"])
        if ws is None:
            return []
        return [
            {
                "schemas": [SCIM_GROUP],
                "id": local_group_id(ws.workspace_id, name),
                "displayName": name,
                "members": self._member_refs(self.rt.state.local_members(ws, name)),
                "entitlements": self._entitlements(request, local_group_id(ws.workspace_id, name)),
                "meta": {"resourceType": "WorkspaceGroup"},
            }
            for name in LOCAL_GROUPS.values()
        ]

    def _entitlements(self, request: Request, principal_id: str) -> list[dict[str, str]]:
        """SCIM ``entitlements`` are a workspace's (workspace-access, databricks-sql-access,
        allow-cluster-create, allow-instance-pool-create; SDK iam.py ``User.entitlements``): the
        workspace's SCIM shows them, the account's does not."""
        ws = self.rt.workspace(request.path_params.get("deployment", ""))
        if ws is None:
            return []
        return [{"value": value} for value in ws.entitlements.get(principal_id, [])]

    # -- SCIM ---------------------------------------------------------------------------------
    def _roles(self, request: Request, principal_id: str) -> list[dict[str, str]]:
        """SCIM ``roles`` at the account: ``account_admin`` for account admins (baton-databricks
        models it as a role; SDK iam.py AccountUser/AccountServicePrincipal/AccountGroup.roles)."""
        if "aid" in request.path_params and principal_id in self.rt.state.account_admins:
            return [{"value": "account_admin", "type": "direct"}]
        return []

    async def scim_users(self, request: Request) -> dict[str, Any]:
        parents = self._parents()
        ws = self.rt.workspace(request.path_params.get("deployment", ""))
        members = self.rt.state.workspace_user_ids(ws) if ws is not None else None
        users = [
            {
                **self._user(u.id, parents),
                "roles": self._roles(request, u.id),
                "entitlements": self._entitlements(request, u.id),
            }
            for u in self.rt.state.users.values()
            if u.in_databricks and (members is None or u.id in members)  # a workspace lists its own users
        ]
        return scim_page(request, users)

    async def scim_groups(self, request: Request) -> dict[str, Any]:
        """The account's group list carries no members since 2025-08-22 (databricks-sdk-py
        ``AccountGroupsV2API.list``: "members should be retrieved by iterating through Get group
        details"); they come from ``GET /Groups/{id}``. Workspace SCIM still lists them."""
        parents = self._parents()
        groups = [{**self._group(gid, parents), "entitlements": self._entitlements(request, gid)} for gid in self.rt.state.groups]
        if "aid" in request.path_params:
            for group in groups:
                group.pop("members", None)
        else:
            groups += self._local_groups(request)
        return scim_page(request, groups)

    async def scim_service_principals(self, request: Request) -> dict[str, Any]:
        parents = self._parents()
        sps = [
            {
                "id": sp.id,
                "applicationId": sp.application_id,
                "displayName": sp.display_name,
                "roles": self._roles(request, sp.id),
                "active": sp.active,
                "groups": parents.get(sp.id, []),
                "entitlements": self._entitlements(request, sp.id),
            }
            for sp in self.rt.state.service_principals.values()
        ]
        return scim_page(request, sps)

    async def scim_me(self, request: Request) -> dict[str, Any]:
        """The caller: a PAT is the first user's; an OAuth token is the collecting service
        principal, in the workspace's ``admins`` unless the workspace made it no admin."""
        if request.scope.get("state", {}).get("caller") != "oauth":
            first = next(iter(self.rt.state.users))
            return self._user(first, self._parents())
        client_id = self.rt.oauth.client_id
        deployment = request.path_params.get("deployment", "")
        ws = self.rt.workspace(deployment)
        groups = []
        if ws is not None and self.rt.caller_is_admin(request, deployment):
            groups = [{"value": local_group_id(ws.workspace_id, "admins"), "display": "admins", "type": "direct"}]
        return {
            "schemas": [SCIM_USER],
            "id": "sp-" + client_id[:8],
            "userName": client_id,
            "displayName": "accessreview collector",
            "active": True,
            "groups": groups,
            "entitlements": [],
        }

    async def scim_group(self, request: Request) -> dict[str, Any]:
        gid = request.path_params["gid"]
        if gid not in self.rt.state.groups:
            if "deployment" in request.path_params:
                for local in self._local_groups(request):
                    if local["id"] == gid:
                        return local
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Group with id {gid} not found.")
        return self._group(gid, self._parents())

    async def scim_patch_group(self, request: Request) -> dict[str, Any]:
        """SCIM PATCH of a group's members (RFC 7644 §3.5.2): ``add`` and ``replace`` with a
        ``members`` value list, ``remove`` by ``members[value eq "<id>"]`` or a value list. A
        remove without a path is a 400 ``noTarget`` (§3.5.2.2); an unknown member is a 400. In a
        workspace, the local ``admins`` / ``users`` are patched too: their membership is the
        workspace's access (without identity federation, the only way to change it)."""
        gid = request.path_params["gid"]
        group = self.rt.state.groups.get(gid)
        local = self.rt.state.local_group(gid) if "deployment" in request.path_params else None
        if group is None and local is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Group with id {gid} not found.")
        if group is not None:
            members = list(group.members)
        else:
            assert local is not None
            members = self.rt.state.local_members(*local)
        for op in (await json_body(request)).get("Operations") or []:
            if str(op.get("path") or "") == "entitlements":
                self._patch_entitlements(request, gid, op)
                continue
            members = self._apply(members, op, gid)
        if group is not None:
            group.members = members
        else:
            assert local is not None
            self._set_local_members(local[0], local[1], members)
        self.rt.changed()
        return {}

    async def scim_patch_entitlements(self, request: Request) -> dict[str, Any]:
        """Workspace SCIM PATCH of a user's or service principal's ``entitlements``: ``add`` or
        ``remove`` with path ``entitlements`` and a value list (terraform-provider-databricks
        ``scim/resource_entitlement.go`` patchEntitlements). Removing from a principal that has
        none is the 400 terraform tolerates ("invalidPath No such attribute with the name :
        entitlements in the current resource"); entitlements belong to a workspace, so the
        account API refuses the path."""
        pid = request.path_params["pid"]
        if pid not in self.rt.state.users and pid not in self.rt.state.service_principals:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Principal with id {pid} not found.")
        for op in (await json_body(request)).get("Operations") or []:
            self._patch_entitlements(request, pid, op)
        self.rt.changed()
        return {}

    def _patch_entitlements(self, request: Request, pid: str, op: dict[str, Any]) -> None:
        if str(op.get("path") or "") != "entitlements":
            raise bad_request(f"unsupported SCIM patch path {op.get('path')!r}")
        ws = self.rt.workspace(request.path_params.get("deployment", ""))
        if ws is None:
            raise bad_request("invalidPath entitlements are granted per workspace: patch them through the workspace")
        values = [str(v.get("value")) for v in op.get("value") or [] if isinstance(v, dict)]
        unknown = [v for v in values if v not in ENTITLEMENT_VALUES]
        if unknown:
            raise bad_request(f"invalidValue {unknown[0]} is not an entitlement")
        held = ws.entitlements.get(pid, [])
        kind = str(op.get("op", "")).lower()
        if kind == "remove":
            if not held:
                raise bad_request("invalidPath No such attribute with the name : entitlements in the current resource")
            ws.entitlements[pid] = [e for e in held if e not in values]
        elif kind == "add":
            ws.entitlements[pid] = held + [v for v in values if v not in held]
        else:
            raise bad_request(f"unsupported SCIM patch operation {op.get('op')!r} on entitlements")
        if not ws.entitlements[pid]:
            del ws.entitlements[pid]

    def _apply(self, members: list[str], op: dict[str, Any], gid: str) -> list[str]:
        kind, path = str(op.get("op", "")).lower(), str(op.get("path") or "")
        values = [str(v.get("value")) for v in op.get("value") or [] if isinstance(v, dict)]
        if kind == "remove":
            if not path:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "noTarget: a remove operation needs a path")
            if path.startswith("members[value eq"):
                values = [path.split('"')[1]]
            elif path != "members":
                raise bad_request(f"unsupported SCIM patch path {path!r}")
            return [m for m in members if m not in values]
        if kind not in ("add", "replace") or path not in ("members", ""):
            raise bad_request(f"unsupported SCIM patch operation {op.get('op')!r} on {path!r}")
        for value in values:
            if (
                value == gid
                or value not in self.rt.state.users
                and value not in self.rt.state.groups
                and value not in self.rt.state.service_principals
            ):
                raise bad_request(f"Member {value} not found.")
        return values if kind == "replace" else members + [v for v in values if v not in members]

    def _set_local_members(self, ws: Workspace, name: str, members: list[str]) -> None:
        """``admins`` members hold ADMIN, ``users`` members are assigned (local_members' inverse)."""
        for pid in set(ws.assignments) | set(members):
            if name == ADMINS:  # leaving admins leaves a workspace user; joining it makes one an admin
                perms = [p for p in ws.assignments.get(pid, []) if p != "ADMIN"] or ["USER"]
                ws.assignments[pid] = [*perms, "ADMIN"] if pid in members else perms
            elif pid not in members:
                ws.assignments.pop(pid, None)
            elif pid not in ws.assignments:
                ws.assignments[pid] = ["USER"]
