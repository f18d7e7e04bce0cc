"""Sandbox Okta org: users (all statuses), groups, group members, group owners, unassign, and
the Databricks app's group push mappings.

Paging is Okta's cursor style: ``limit`` and ``after``, with the next page in ONE ``Link``
header (the SDK keeps response headers in a plain dict, so repeated headers would collapse).
The plain user listing omits DEPROVISIONED users, as Okta does; ``filter=status eq "..."``
selects a status.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.sandbox.model import Group, User
from services.sandbox.runtime import SandboxRuntime
from services.sandbox.scenario_people import EPOCH_MS
from services.sandbox.wire import ApiError, int_param, route

STATUS_FILTER = re.compile(r'^\s*status\s+eq\s+"([A-Z_]+)"\s*$')


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class OktaApi:
    def __init__(self, rt: SandboxRuntime) -> None:
        self.rt = rt
        self.okta_users: dict[str, User] = {}
        self.okta_groups: dict[str, Group] = {}
        self.reindex()

    def reindex(self) -> None:
        self.okta_users = {u.okta_id: u for u in self.rt.state.users.values() if u.okta_id}
        self.okta_groups = {g.okta_id: g for g in self.rt.state.groups.values() if g.okta_id}

    def _user(self, u: User) -> dict[str, Any]:
        created = EPOCH_MS - 400 * 86_400_000
        profile: dict[str, Any] = {
            "login": u.user_name,
            "email": u.user_name,
            "firstName": u.given_name,
            "lastName": u.family_name,
            "displayName": u.display_name,
            "department": u.department,
            "title": u.title,
            "userType": u.user_type,
        }
        manager = self.okta_users.get(u.manager_okta_id or "")
        if manager is not None:
            profile.update(managerId=manager.okta_id, manager=manager.user_name)
        return {
            "id": u.okta_id,
            "status": u.okta_status,
            "created": _iso(created),
            "activated": _iso(created),
            "statusChanged": _iso(EPOCH_MS),
            "lastLogin": _iso(EPOCH_MS),
            "lastUpdated": _iso(EPOCH_MS),
            "passwordChanged": _iso(created),
            "type": {"id": "oty0000000000000000"},
            "profile": profile,
            "_links": {},
        }

    def _group(self, g: Group) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "name": g.display_name,
            "description": f"{g.display_name} (synced to Databricks)",
        }
        if g.approver_attribute:
            profile["approvers"] = g.approver_attribute
        return {
            "id": g.okta_id,
            "created": _iso(EPOCH_MS - 300 * 86_400_000),
            "lastUpdated": _iso(EPOCH_MS),
            "lastMembershipUpdated": _iso(EPOCH_MS),
            "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP",
            "profile": profile,
            "_links": {},
        }

    def _page(self, request: Request, items: list[dict[str, Any]], default_limit: int) -> Response:
        limit = int_param(request, "limit", default_limit, low=1, high=1000)
        after = request.query_params.get("after")
        start = 0
        if after:
            ids = [i["id"] for i in items]
            if after not in ids:
                raise ApiError(400, "E0000001", f"Api validation failed: after cursor {after!r} is not valid")
            start = ids.index(after) + 1
        page = items[start : start + limit]
        base = str(request.url.replace(query="")).rstrip("/")
        keep = {k: v for k, v in request.query_params.items() if k not in ("after", "limit")}
        links = [f'<{base}?{urlencode({**keep, "limit": limit})}>; rel="self"']
        if start + limit < len(items):
            links.append(f'<{base}?{urlencode({**keep, "after": page[-1]["id"], "limit": limit})}>; rel="next"')
        return JSONResponse(page, headers={"Link": ", ".join(links)})

    async def users(self, request: Request) -> Response:
        wanted = request.query_params.get("filter")
        users = list(self.okta_users.values())
        if wanted:
            match = STATUS_FILTER.match(wanted)
            if not match:
                raise ApiError(400, "E0000031", f"Invalid search criteria: {wanted}")
            users = [u for u in users if u.okta_status == match.group(1)]
        else:
            users = [u for u in users if u.okta_status != "DEPROVISIONED"]
        return self._page(request, [self._user(u) for u in users], 200)

    async def user(self, request: Request) -> dict[str, Any]:
        u = self.okta_users.get(request.path_params["uid"])
        if u is None:
            raise ApiError(404, "E0000007", f"Not found: Resource not found: {request.path_params['uid']} (User)")
        return self._user(u)

    def _okta_group(self, request: Request) -> Group:
        g = self.okta_groups.get(request.path_params["gid"])
        if g is None:
            raise ApiError(404, "E0000007", f"Not found: Resource not found: {request.path_params['gid']} (UserGroup)")
        return g

    async def groups(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").lower()
        groups = [self._group(g) for g in self.okta_groups.values() if g.display_name.lower().startswith(q)]
        return self._page(request, groups, 10000)

    async def group_users(self, request: Request) -> Response:
        g = self._okta_group(request)  # Okta's membership, not Databricks' (see okta_push)
        members = [self.rt.state.users[m] for m in g.okta_members if m in self.rt.state.users]
        return self._page(request, [self._user(u) for u in members if u.okta_id], 1000)

    async def group_owners(self, request: Request) -> Response:
        """A group's owners, users or groups (``type`` USER | GROUP), paged like every Okta list
        (limit up to 1000, ``Link`` rel=next); only resolved owners, the API's default filter."""
        g = self._okta_group(request)
        out = []
        for oid in g.okta_owner_ids:
            user, group = self.okta_users.get(oid), self.okta_groups.get(oid)
            if user is None and group is None:
                continue
            out.append(
                {
                    "id": oid,
                    "type": "USER" if user is not None else "GROUP",
                    "displayName": user.display_name if user is not None else group.display_name,  # type: ignore[union-attr]
                    "originId": oid,
                    "originType": "OKTA_DIRECTORY",
                    "resolved": True,
                    "lastUpdated": _iso(EPOCH_MS),
                }
            )
        return self._page(request, out, 1000)

    async def unassign(self, request: Request) -> Response:
        g = self._okta_group(request)
        u = self.okta_users.get(request.path_params["uid"])
        if u is None or u.id not in g.okta_members:
            raise ApiError(404, "E0000007", "Not found: Resource not found: membership")
        g.okta_members = [m for m in g.okta_members if m != u.id]
        self.rt.group_push.schedule(g, self.rt.faults.okta_push_delay_s)  # Databricks sees it later, if pushed
        self.rt.changed()
        return Response(status_code=204)

    async def assign(self, request: Request) -> Response:
        """``PUT /api/v1/groups/{groupId}/users/{userId}`` (GroupApi.assign_user_to_group): 204,
        also when the user already is a member; an unknown user is a 404."""
        g = self._okta_group(request)
        u = self.okta_users.get(request.path_params["uid"])
        if u is None:
            raise ApiError(404, "E0000007", f"Not found: Resource not found: {request.path_params['uid']} (User)")
        if u.id not in g.okta_members:
            g.okta_members = [*g.okta_members, u.id]
        self.rt.group_push.schedule(g, self.rt.faults.okta_push_delay_s)
        self.rt.changed()
        return Response(status_code=204)

    async def push_mappings(self, request: Request) -> Response:
        """``GET /api/v1/apps/{appId}/group-push/mappings`` (okta ``GroupPushMappingApi``): one
        mapping per pushed group, ``sourceGroupId`` the Okta group, paged like every list,
        filtered by ``status`` and ``sourceGroupId``."""
        app_id = request.path_params["app_id"]
        if app_id != self.rt.state.okta_app_id:
            raise ApiError(404, "E0000007", f"Not found: Resource not found: {app_id} (AppInstance)")
        status, source = request.query_params.get("status"), request.query_params.get("sourceGroupId")
        if status is not None and status not in ("ACTIVE", "INACTIVE", "ERROR"):
            raise ApiError(400, "E0000001", f"Api validation failed: status {status!r} is not valid")
        out = [
            self._mapping(app_id, g)
            for g in sorted(self.okta_groups.values(), key=lambda g: str(g.okta_id))
            if g.push_status and (status is None or g.push_status == status) and (source is None or g.okta_id == source)
        ]
        return self._page(request, out, 100)

    def _mapping(self, app_id: str, g: Group) -> dict[str, Any]:
        base = str(self.rt.state.okta_app_id)
        return {
            "id": "gPm" + str(g.okta_id)[3:],
            "sourceGroupId": g.okta_id,
            "targetGroupId": "00g" + str(g.okta_id)[:2:-1],  # Okta's id of the app group, not Databricks'
            "status": g.push_status,
            "created": _iso(EPOCH_MS - 300 * 86_400_000),
            "lastUpdated": _iso(EPOCH_MS),
            "lastPush": _iso(EPOCH_MS),
            "_links": {"app": {"href": f"/api/v1/apps/{base}"}, "sourceGroup": {"href": f"/api/v1/groups/{g.okta_id}"}},
        }


def okta_routes(api: OktaApi) -> list[Any]:
    return [
        route("/oauth2/v1/token", api.rt.okta_app.token, methods=["POST"], okta=True),
        route("/api/v1/users", api.users, okta=True),
        route("/api/v1/users/{uid}", api.user, okta=True),
        route("/api/v1/groups", api.groups, okta=True),
        route("/api/v1/groups/{gid}/users", api.group_users, okta=True),
        route("/api/v1/groups/{gid}/owners", api.group_owners, okta=True),
        route("/api/v1/groups/{gid}/users/{uid}", api.unassign, methods=["DELETE"], okta=True),
        route("/api/v1/groups/{gid}/users/{uid}", api.assign, methods=["PUT"], okta=True),
        route("/api/v1/apps/{app_id}/group-push/mappings", api.push_mappings, okta=True),
    ]
