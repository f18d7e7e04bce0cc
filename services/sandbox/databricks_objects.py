"""Sandbox Databricks: the workspace objects beyond jobs and compute, secret scopes and tokens.

Each list answers in the shape and with the paging the official SDK reads (databricks-sdk-py
0.156 ``service/*.py``): pipelines ``statuses`` paged by ``max_results`` (at most 100) /
``page_token``; cluster policies, instance pools and serving endpoints in one answer; workspace
registry models ``registered_models`` paged by ``max_results`` (at most 1000), whose permissions
need the id only ``databricks/registered-models/get`` gives; experiments paged like models; Git
folders paged by ``next_page_token`` (the SDK sends it back under that name). Secret scopes have
their own ACL API (``secrets/acls/list|put|delete``); tokens are listed by the token-management
API, admins only. Object permissions for these kinds are served by
:meth:`DatabricksApi.get_permissions` through :func:`acl_object`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from services.sandbox.model import AclObject, Grant, SandboxState, SecretScope, Workspace
from services.sandbox.runtime import SandboxRuntime
from services.sandbox.wire import ApiError, bad_request, int_param, json_body, not_found, route, token_page

Render = Callable[[SandboxState, AclObject], dict[str, Any]]


@dataclass(frozen=True)
class Listing:
    kind: str  # the permissions path: pipelines, cluster-policies, ...
    path: str
    key: str  # the list field of the answer
    render: Render
    size_param: str | None = None  # paged lists: the page-size parameter
    default_size: int = 100
    max_size: int = 100  # a larger page size is refused with 400
    token_param: str = "page_token"


def _name(state: SandboxState, principal_id: str | None) -> str | None:
    return state.principal_name(principal_id)[1] if principal_id else None


def _pipeline(state: SandboxState, obj: AclObject) -> dict[str, Any]:
    return {
        "pipeline_id": obj.id,
        "name": obj.name,
        "state": "IDLE",
        "creator_user_name": _name(state, obj.owner_id),
        "run_as_user_name": _name(state, obj.run_as_id),
    }


LISTINGS: tuple[Listing, ...] = (
    Listing("pipelines", "/api/2.0/pipelines", "statuses", _pipeline, "max_results", 25, 100),
    Listing(
        "cluster-policies",
        "/api/2.0/policies/clusters/list",
        "policies",
        lambda s, o: {"policy_id": o.id, "name": o.name, "definition": "{}"},
    ),
    Listing(
        "instance-pools",
        "/api/2.0/instance-pools/list",
        "instance_pools",
        lambda s, o: {"instance_pool_id": o.id, "instance_pool_name": o.name, "state": "ACTIVE"},
    ),
    Listing(
        "serving-endpoints",
        "/api/2.0/serving-endpoints",
        "endpoints",
        lambda s, o: {"id": o.id, "name": o.name, "state": {"ready": "READY"}},
    ),
    # the list has no id; permissions need it (registered_model_id): databricks/registered-models/get
    Listing(
        "registered-models",
        "/api/2.0/mlflow/registered-models/list",
        "registered_models",
        lambda s, o: {"name": o.name, "creation_timestamp": 0},
        "max_results",
        100,
        1000,
    ),
    Listing(
        "experiments",
        "/api/2.0/mlflow/experiments/list",
        "experiments",
        lambda s, o: {"experiment_id": o.id, "name": o.name, "lifecycle_stage": "active"},
        "max_results",
        100,
        1000,
    ),
    Listing(
        "repos",
        "/api/2.0/repos",
        "repos",
        lambda s, o: {"id": int(o.id), "path": o.name, "provider": "gitHub", "url": f"https://github.com/example{o.name}"},
        "page_size",  # not a parameter of repos/list: its pages are always 20
        20,
        20,
        "next_page_token",
    ),
)


def acl_object(ws: Workspace, kind: str, oid: str) -> AclObject | None:
    """The object behind ``/permissions/<kind>/<oid>`` for the kinds of :data:`LISTINGS` and
    ``authorization/tokens``; None when there is none."""
    return next((o for o in ws.acl_objects.get(kind, []) if o.id == oid), None)


class ObjectsApi:
    def __init__(self, rt: SandboxRuntime, ws: Callable[[Request], Workspace], visible: Callable[..., list[Any]]) -> None:
        self.rt, self.ws, self.visible = rt, ws, visible

    def list_handler(self, listing: Listing) -> Callable[[Request], Any]:
        async def handler(request: Request) -> dict[str, Any]:
            ws = self.ws(request)
            items: Sequence[AclObject] = self.visible(request, ws, ws.acl_objects.get(listing.kind, []))
            out: dict[str, Any] = {}
            if listing.size_param is not None:
                int_param(request, listing.size_param, 0, low=0, high=listing.max_size)  # over the maximum: 400
                items, token = token_page(request, items, listing.size_param, listing.default_size, listing.token_param)
                if token:
                    out["next_page_token"] = token
            if items:
                out[listing.key] = [listing.render(self.rt.state, o) for o in items]
            return out

        return handler

    async def get_model(self, request: Request) -> dict[str, Any]:
        ws, name = self.ws(request), request.query_params.get("name") or ""
        for obj in ws.acl_objects.get("registered-models", []):
            if obj.name == name:
                return {"registered_model_databricks": {"id": obj.id, "name": obj.name, "permission_level": "CAN_MANAGE"}}
        raise not_found(f"RegisteredModel '{name}'")

    # -- secret scopes ------------------------------------------------------------------------
    def _scope(self, ws: Workspace, name: str) -> SecretScope:
        for scope in ws.secret_scopes:
            if scope.name == name:
                return scope
        raise not_found(f"Scope {name}")

    async def scopes(self, request: Request) -> dict[str, Any]:
        ws = self.ws(request)
        scopes = self.visible(request, ws, ws.secret_scopes)
        return {"scopes": [{"name": s.name, "backend_type": "DATABRICKS"} for s in scopes]} if scopes else {}

    async def acls(self, request: Request) -> dict[str, Any]:
        """One scope's ACL: ``principal`` is a userName, a group name or an applicationId."""
        ws = self.ws(request)
        scope = self._scope(ws, request.query_params.get("scope") or "")
        if not self.rt.caller_is_admin(request, ws.deployment_name):
            raise ApiError(403, "PERMISSION_DENIED", f"User does not have MANAGE permission on scope {scope.name}")
        items = [{"principal": self.rt.state.principal_name(g.principal_id)[1], "permission": g.privilege} for g in scope.acl]
        return {"items": items} if items else {}

    async def put_acl(self, request: Request) -> dict[str, Any]:
        """``secrets/acls/put``: one permission per principal, replaced (READ | WRITE | MANAGE)."""
        ws, body = self.ws(request), await json_body(request)
        scope = self._scope(ws, str(body.get("scope") or ""))
        pid = self._principal(ws, str(body.get("principal") or ""))
        permission = str(body.get("permission") or "")
        if permission not in ("READ", "WRITE", "MANAGE"):
            raise bad_request(f"Invalid permission {permission!r}")
        scope.acl = [g for g in scope.acl if g.principal_id != pid] + [Grant(pid, permission)]
        self.rt.changed()
        return {}

    async def delete_acl(self, request: Request) -> dict[str, Any]:
        ws, body = self.ws(request), await json_body(request)
        scope = self._scope(ws, str(body.get("scope") or ""))
        pid = self._principal(ws, str(body.get("principal") or ""))
        if all(g.principal_id != pid for g in scope.acl):
            raise not_found(f"ACL for principal {body.get('principal')} in scope {scope.name}")
        scope.acl = [g for g in scope.acl if g.principal_id != pid]
        self.rt.changed()
        return {}

    def _principal(self, ws: Workspace, name: str) -> str:
        for field in ("user_name", "group_name", "service_principal_name"):
            pid = self.rt.principal_id({field: name}, ws)
            if pid is not None:
                return pid
        raise not_found(f"Principal {name}")

    # -- tokens -------------------------------------------------------------------------------
    async def tokens(self, request: Request) -> dict[str, Any]:
        """Every personal access token of the workspace (``token-management/tokens``): admins only."""
        ws = self.ws(request)
        if not self.rt.caller_is_admin(request, ws.deployment_name):
            raise ApiError(403, "PERMISSION_DENIED", "Only Admins can access token management APIs.")
        s = self.rt.state
        infos = []
        for t in ws.tokens:
            kind, name = s.principal_name(t.owner_id)
            info: dict[str, Any] = {
                "token_id": t.token_id,
                "owner_id": int(t.owner_id) if t.owner_id.isdigit() else t.owner_id,
                "created_by_username": name,
                "comment": t.comment,
                "creation_time": t.creation_time,
                "expiry_time": t.expiry_time,
                "workspace_id": ws.workspace_id,
            }
            if t.last_used_day is not None:
                info["last_used_day"] = t.last_used_day
            infos.append(info)
        return {"token_infos": infos} if infos else {}

    async def delete_token(self, request: Request) -> dict[str, Any]:
        ws, token_id = self.ws(request), request.path_params["token_id"]
        if not self.rt.caller_is_admin(request, ws.deployment_name):
            raise ApiError(403, "PERMISSION_DENIED", "Only Admins can access token management APIs.")
        if all(t.token_id != token_id for t in ws.tokens):
            raise not_found(f"Token {token_id}")
        ws.tokens = [t for t in ws.tokens if t.token_id != token_id]
        self.rt.changed()
        return {}


def object_routes(api: ObjectsApi) -> list[Any]:
    return [
        *(route(listing.path, api.list_handler(listing)) for listing in LISTINGS),
        route("/api/2.0/mlflow/databricks/registered-models/get", api.get_model),
        route("/api/2.0/secrets/scopes/list", api.scopes),
        route("/api/2.0/secrets/acls/list", api.acls),
        route("/api/2.0/secrets/acls/put", api.put_acl, methods=["POST"]),
        route("/api/2.0/secrets/acls/delete", api.delete_acl, methods=["POST"]),
        route("/api/2.0/token-management/tokens", api.tokens),
        route("/api/2.0/token-management/tokens/{token_id}", api.delete_token, methods=["DELETE"]),
    ]
