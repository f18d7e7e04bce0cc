"""Sandbox Databricks: account API, object permissions, jobs, compute and workspace tree.

Workspaces live under ``/ws/<deployment_name>`` (the SDK keeps a path prefix in host). Unity
Catalog and SQL statements are in :mod:`services.sandbox.databricks_uc`, SCIM in
:mod:`services.sandbox.databricks_scim`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Mount

from services.events.resource_kinds import kind_for_request_type
from services.sandbox.databricks_auth import OidcApi, oidc_routes
from services.sandbox.databricks_objects import LISTINGS, ObjectsApi, acl_object, object_routes
from services.sandbox.databricks_scim import ScimApi
from services.sandbox.model import ADMINS, AclObject, Compute, Grant, Job, Workspace, WsObject, local_group_id
from services.sandbox.runtime import SandboxRuntime
from services.sandbox.wire import (
    ApiError,
    bad_request,
    int_param,
    json_body,
    not_found,
    render_acl,
    route,
    token_page,
)

OBJECT_KINDS = {"notebooks": "NOTEBOOK", "directories": "DIRECTORY"}


class DatabricksApi:
    def __init__(self, rt: SandboxRuntime) -> None:
        self.rt = rt

    # -- helpers ------------------------------------------------------------------------------
    def ws(self, request: Request) -> Workspace:
        ws = self.rt.workspace(request.path_params["deployment"])
        if ws is None:
            raise not_found(f"Workspace {request.path_params['deployment']}")
        return ws

    def visible(self, request: Request, ws: Workspace, items: list[Any]) -> list[Any]:
        """What the caller may see of a list: everything for an admin; for a caller that is no
        workspace admin, only objects granted to it, which the sandbox's collecting service
        principal never is (lists filter by caller; real-databricks-okta reference, "Unity
        Catalog" and "Caller identity")."""
        return items if self.rt.caller_is_admin(request, ws.deployment_name) else []

    def require_admin(self, request: Request, ws: Workspace, what: str) -> None:
        if not self.rt.caller_is_admin(request, ws.deployment_name):
            raise ApiError(403, "PERMISSION_DENIED", f"The caller does not have permission to read {what}.")

    # -- account ------------------------------------------------------------------------------
    def _account(self, request: Request) -> None:
        if request.path_params["aid"] != self.rt.state.account_id:
            raise not_found(f"Account {request.path_params['aid']}")

    async def workspaces(self, request: Request) -> list[dict[str, Any]]:
        self._account(request)
        if self.rt.faults.cloud == "azure":  # databricks-sdk-py#734, #1106: not offered on Azure
            raise not_found(f"API endpoint /api/2.0/accounts/{self.rt.state.account_id}/workspaces")
        return [
            {
                "workspace_id": w.workspace_id,
                "workspace_name": w.name,
                "deployment_name": w.deployment_name,
                "workspace_status": "RUNNING",
                "custom_tags": w.tags,
                "aws_region": "us-east-1",
            }
            for w in self.rt.state.workspaces.values()
        ]

    def _ws_by_id(self, request: Request) -> Workspace:
        """The workspace of a permission-assignment call. A workspace without identity federation
        answers 400 (baton-databricks ``pkg/connector/workspaces.go`` handles exactly this)."""
        self._account(request)
        wid = request.path_params["wid"]
        ws = self.rt.state.workspaces.get(int(wid)) if wid.isdigit() else None
        if ws is None:
            raise not_found(f"Workspace {request.path_params['wid']}")
        if not ws.identity_federation:
            raise bad_request("Permission assignment APIs are not available for this workspace.")
        return ws

    async def assignments(self, request: Request) -> dict[str, Any]:
        ws, s = self._ws_by_id(request), self.rt.state
        out = []
        for pid, perms in ws.assignments.items():
            kind, name = s.principal_name(pid)
            field = {
                "user": "user_name",
                "group": "group_name",
                "service_principal": "service_principal_name",
            }[kind]
            display = name if kind != "service_principal" else s.service_principals[pid].display_name
            out.append(
                {
                    "principal": {"principal_id": int(pid), field: name, "display_name": display},
                    "permissions": perms,
                }
            )
        return {"permission_assignments": out}

    async def put_assignment(self, request: Request) -> dict[str, Any]:
        ws = self._ws_by_id(request)
        pid = request.path_params["pid"]
        perms = (await json_body(request)).get("permissions") or []
        if pid not in self.rt.state.users and pid not in self.rt.state.groups and pid not in self.rt.state.service_principals:
            raise not_found(f"Principal {pid}")
        ws.assignments[pid] = [str(p) for p in perms]
        self.rt.changed()
        return {}

    async def delete_assignment(self, request: Request) -> dict[str, Any]:
        ws = self._ws_by_id(request)
        if ws.assignments.pop(request.path_params["pid"], None) is None:
            raise not_found(f"Permission assignment for principal {request.path_params['pid']}")
        self.rt.changed()
        return {}

    # -- object permissions -------------------------------------------------------------------
    def _object(self, ws: Workspace, kind: str, oid: str) -> Job | Compute | WsObject | AclObject:
        if kind in ACL_OBJECT_KINDS:
            found = acl_object(ws, kind, oid)
            if found is not None:
                return found
        elif kind == "jobs":
            job = self.rt.jobs.get((ws.workspace_id, int(oid) if oid.isdigit() else -1))
            if job is not None:
                return job
        elif kind in ("clusters", "sql/warehouses"):
            for item in [*ws.clusters, *ws.job_clusters] if kind == "clusters" else ws.warehouses:
                if item.id == oid:
                    return item
        elif kind in ("notebooks", "directories"):
            for obj in ws.objects:
                if str(obj.object_id) == oid and obj.object_type == OBJECT_KINDS[kind]:
                    return obj
        else:
            raise bad_request(f"unsupported object type {kind!r}")
        raise not_found(f"{_object_type(kind).capitalize()} {oid}")

    def _acl(self, ws: Workspace, obj: Job | Compute | WsObject | AclObject) -> list[dict[str, Any]]:
        """The ACL as the API renders it. The workspace's ``admins`` hold CAN_MANAGE on every job,
        cluster and warehouse, inherited from the root object (``/jobs/``; databrickslabs/migrate#168;
        terraform-provider-databricks cannot set ``admins`` to none on these types)."""
        admins = Grant(local_group_id(ws.workspace_id, ADMINS), "CAN_MANAGE")
        if isinstance(obj, Job):
            return render_acl(self.rt.state, [Grant(obj.owner_id, "IS_OWNER"), *obj.acl], [(admins, "/jobs/")])
        if isinstance(obj, AclObject):
            owner = [Grant(obj.owner_id, "IS_OWNER")] if obj.owner_id else []
            return render_acl(self.rt.state, [*owner, *obj.acl])
        inherited: list[tuple[Grant, str]] = []
        if isinstance(obj, Compute):
            inherited = [(admins, "/clusters/" if obj in ws.clusters else "/sql/warehouses/")]
        if isinstance(obj, WsObject) and obj.object_type == "NOTEBOOK":
            parent_path = obj.path.rsplit("/", 1)[0]
            for d in ws.objects:
                if d.object_type == "DIRECTORY" and d.path == parent_path:
                    inherited = [(g, f"/directories/{d.object_id}") for g in d.acl]
        return render_acl(self.rt.state, obj.acl, inherited)

    async def get_permissions(self, request: Request) -> dict[str, Any]:
        ws, kind, oid = self.ws(request), request.path_params["kind"], request.path_params["oid"]
        obj = self._object(ws, kind, oid)
        self.require_admin(request, ws, f"the permissions of /{kind}/{oid}")
        return {
            "object_id": f"/{kind}/{oid}",
            "object_type": _object_type(kind),
            "access_control_list": self._acl(ws, obj),
        }

    async def write_permissions(self, request: Request) -> dict[str, Any]:
        """PUT (``permissions.set``) replaces every direct grant ("Deletes all direct permissions if
        none are specified", SDK iam.py); PATCH (``update``) only adds. Levels are validated per
        object type (terraform permission_definitions.go); a job keeps exactly one owner ("The job
        must have exactly one owner.", terraform-provider-databricks#303); the workspace admins'
        CAN_MANAGE cannot be lowered (terraform ``permissions/update/customizers.go``)."""
        ws, kind, oid = self.ws(request), request.path_params["kind"], request.path_params["oid"]
        obj = self._object(ws, kind, oid)
        self.require_admin(request, ws, f"the permissions of /{kind}/{oid}")
        catalogued = kind_for_request_type(kind)
        grants, owners = [], []
        for entry in (await json_body(request)).get("access_control_list") or []:
            pid = self.rt.principal_id(entry, ws)
            if pid is None:
                raise bad_request(f"unknown principal in {entry}")
            level = str(entry.get("permission_level", ""))
            if catalogued is not None and not catalogued.accepts(level):
                raise bad_request(f"Permission level {level} is not supported for {_object_type(kind)} objects.")
            if entry.get("group_name") == ADMINS and level != "CAN_MANAGE":
                raise bad_request(f"Cannot change permissions for group 'admins' to {level or 'None'}.")
            if level == "IS_OWNER" and _has_owner(obj):
                owners.append(pid)
            elif level:
                grants.append(Grant(pid, level))
        if len(owners) > 1:
            raise bad_request(f"The {'job' if isinstance(obj, Job) else 'pipeline'} must have exactly one owner.")
        if owners and isinstance(obj, (Job, AclObject)):
            obj.owner_id = owners[0]
        if request.method == "PUT":
            obj.acl = grants
        else:
            obj.acl += [g for g in grants if all(g != old for old in obj.acl)]
        self.rt.changed()
        return await self.get_permissions(request)

    # -- jobs, compute, workspace tree --------------------------------------------------------
    def _job(self, ws: Workspace, job: Job, full: bool) -> dict[str, Any]:
        """A job as ``jobs/list`` (``full=False``) or ``jobs/get`` returns it. The list leaves
        ``settings.run_as`` out and gives only a top-level ``run_as_user_name``, which the SDK's
        ``BaseJob`` has no field for, so ``as_dict()`` drops it (databricks-sdk-py#967); ``get``
        returns both."""
        s = self.rt.state
        kind, run_as = s.principal_name(job.run_as_id)
        settings: dict[str, Any] = {
            "name": job.name,
            "tags": job.tags,
            "format": "MULTI_TASK",
            "max_concurrent_runs": 1,
        }
        if full:
            settings["run_as"] = {"user_name" if kind == "user" else "service_principal_name": run_as}
        return {
            "job_id": job.job_id,
            "creator_user_name": s.principal_name(job.creator_id)[1],
            "created_time": job.created_time,
            "run_as_user_name": run_as,
            "settings": settings,
        }

    async def jobs_list(self, request: Request) -> dict[str, Any]:
        ws = self.ws(request)
        limit = int_param(request, "limit", 20, low=0, high=100) or 20
        page, token = token_page(request, self.visible(request, ws, ws.jobs), "limit", limit)
        out: dict[str, Any] = {"jobs": [self._job(ws, j, False) for j in page], "has_more": token is not None}
        if ws.deployment_name in self.rt.faults.corrupt and out["jobs"]:
            del out["jobs"][0]["job_id"]  # a broken payload: the collector must fail this scope, loudly
        if token:
            out["next_page_token"] = token
        return out

    async def jobs_get(self, request: Request) -> dict[str, Any]:
        ws = self.ws(request)
        job = self.rt.jobs.get((ws.workspace_id, int_param(request, "job_id", -1, low=-1)))
        if job is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Job {request.query_params.get('job_id')} does not exist.")
        return self._job(ws, job, True)

    async def clusters_list(self, request: Request) -> dict[str, Any]:
        """All-purpose clusters and, as the real list does, every job cluster terminated in the last
        30 days (databricks-sdk-py ``compute.py`` ClustersAPI.list), marked ``cluster_source: JOB``."""
        ws = self.ws(request)
        listed = [(c, "UI") for c in ws.clusters] + [(c, "JOB") for c in ws.job_clusters]
        page, token = token_page(request, self.visible(request, ws, listed), "page_size", 100)
        out: dict[str, Any] = {
            "clusters": [
                {"cluster_id": c.id, "cluster_name": c.name, "state": "TERMINATED", "cluster_source": source}
                for c, source in page
            ]
        }
        if token:
            out["next_page_token"] = token
        return out

    async def warehouses_list(self, request: Request) -> dict[str, Any]:
        ws = self.ws(request)
        page, token = token_page(request, self.visible(request, ws, ws.warehouses), "page_size", 100)
        out: dict[str, Any] = {"warehouses": [{"id": w.id, "name": w.name, "state": "STOPPED"} for w in page]}
        if token:
            out["next_page_token"] = token
        return out

    def _ws_object(self, obj: WsObject) -> dict[str, Any]:
        return {
            "path": obj.path,
            "object_type": obj.object_type,
            "object_id": obj.object_id,
            **({"language": "PYTHON"} if obj.object_type == "NOTEBOOK" else {}),
        }

    async def workspace_list(self, request: Request) -> dict[str, Any]:
        ws = self.ws(request)
        path = (request.query_params.get("path") or "/").rstrip("/") or "/"
        dirs = {"/"} | {o.path for o in ws.objects if o.object_type == "DIRECTORY"}
        if path not in dirs:
            raise not_found(f"Path ({path})")
        children = [
            self._ws_object(o) for o in self.visible(request, ws, ws.objects) if (o.path.rsplit("/", 1)[0] or "/") == path
        ]
        return {"objects": children} if children else {}

    async def workspace_status(self, request: Request) -> dict[str, Any]:
        ws = self.ws(request)
        path = request.query_params.get("path") or ""
        for obj in ws.objects:
            if obj.path == path:
                return self._ws_object(obj)
        raise not_found(f"Path ({path})")

    async def well_known(self, request: Request) -> dict[str, Any]:
        """Host metadata the SDK resolves OAuth from (databricks-sdk-py ``oauth.HostMetadata``):
        accounts answer ``/oidc/accounts/{account_id}``, workspaces ``<host>/oidc`` and their id."""
        base = f"{request.url.scheme}://{request.url.netloc}"
        deployment = request.path_params.get("deployment")
        out: dict[str, Any] = {"account_id": self.rt.state.account_id, "cloud": self.rt.faults.cloud}
        if deployment is None:
            out["oidc_endpoint"] = f"{base}/oidc/accounts/{{account_id}}"
            return out
        ws = self.ws(request)
        out.update(oidc_endpoint=f"{base}/ws/{deployment}/oidc", workspace_id=str(ws.workspace_id))
        return out


ACL_OBJECT_KINDS = frozenset({listing.kind for listing in LISTINGS} | {"authorization"})


def _object_type(kind: str) -> str:
    """The permissions API's ``object_type`` for a path (terraform permission_definitions.go)."""
    catalogued = kind_for_request_type(kind)
    return catalogued.object_type or kind if catalogued is not None else kind


def _has_owner(obj: Job | Compute | WsObject | AclObject) -> bool:
    """Jobs and pipelines have exactly one IS_OWNER (terraform-provider-databricks#303)."""
    return isinstance(obj, Job) or (isinstance(obj, AclObject) and obj.owner_id is not None)


def databricks_routes(api: DatabricksApi, scim_api: ScimApi, uc_routes: list[Any]) -> list[Any]:
    acct = "/api/2.0/accounts/{aid}"
    scim = [
        route("/Users", scim_api.scim_users),
        route("/Groups", scim_api.scim_groups),
        route("/ServicePrincipals", scim_api.scim_service_principals),
        route("/Groups/{gid}", scim_api.scim_group),
        route("/Groups/{gid}", scim_api.scim_patch_group, methods=["PATCH"]),
        route("/Users/{pid}", scim_api.scim_patch_entitlements, methods=["PATCH"]),
        route("/ServicePrincipals/{pid}", scim_api.scim_patch_entitlements, methods=["PATCH"]),
    ]
    oidc = OidcApi(api.rt.oauth, api.rt.state.account_id)
    workspace = [
        route("/.well-known/databricks-config", api.well_known),
        *oidc_routes(oidc, "/oidc"),
        Mount("/api/2.0/preview/scim/v2", routes=[route("/Me", scim_api.scim_me), *scim]),
        route("/api/2.0/permissions/{kind:path}/{oid}", api.get_permissions),
        route("/api/2.0/permissions/{kind:path}/{oid}", api.write_permissions, methods=["PUT", "PATCH"]),
        route("/api/{v}/jobs/list", api.jobs_list),
        route("/api/{v}/jobs/get", api.jobs_get),
        route("/api/{v}/clusters/list", api.clusters_list),
        route("/api/2.0/sql/warehouses", api.warehouses_list),
        route("/api/2.0/workspace/list", api.workspace_list),
        route("/api/2.0/workspace/get-status", api.workspace_status),
        *object_routes(ObjectsApi(api.rt, api.ws, api.visible)),
        *uc_routes,
    ]
    return [
        route("/.well-known/databricks-config", api.well_known),
        *oidc_routes(oidc, "/oidc/accounts/{aid}"),
        route(f"{acct}/workspaces", api.workspaces),
        route(f"{acct}/workspaces/{{wid}}/permissionassignments", api.assignments),
        route(
            f"{acct}/workspaces/{{wid}}/permissionassignments/principals/{{pid}}",
            api.put_assignment,
            methods=["PUT"],
        ),
        route(
            f"{acct}/workspaces/{{wid}}/permissionassignments/principals/{{pid}}",
            api.delete_assignment,
            methods=["DELETE"],
        ),
        Mount(f"{acct}/scim/v2", routes=scim),
        Mount("/ws/{deployment}", routes=workspace),
    ]
