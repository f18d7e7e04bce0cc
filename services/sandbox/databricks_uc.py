"""Sandbox Unity Catalog (metastore, catalogs, schemas, tables, volumes, grants).

A workspace sees the metastore assigned to it. SQL statements are :mod:`databricks_sql`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from services.sandbox.databricks_api import DatabricksApi
from services.sandbox.model import Grant, Securable, Workspace
from services.sandbox.wire import ApiError, bad_request, int_param, json_body, not_found, route, token_page

UC = "/api/2.1/unity-catalog"
# securable types of the grants API (terraform catalog/permissions/permissions.go Mappings); a
# Unity Catalog model is granted as a "function" there, and shares have an API of their own
SECURABLE_TYPES = (
    "metastore",
    "catalog",
    "schema",
    "table",
    "volume",
    "function",
    "storage_credential",
    "external_location",
    "connection",
)
METASTORE_LEVEL = {
    "storage_credential": "storage_credentials",
    "external_location": "external_locations",
    "connection": "connections",
    "share": "shares",
}


IN_CATALOG = ("catalog", "schema", "table", "volume", "function")
MIN_GRANTS_PAGE = 150
GRANTS_PAGE = 150  # the server's page length for grants (a small one, so paging is exercised)


def _empty_first_page(full_name: str) -> bool:
    """Deterministically, some securables answer an empty first page that still has a next token."""
    return sum(map(ord, full_name)) % 3 == 0


class UnityCatalogApi:
    def __init__(self, api: DatabricksApi) -> None:
        self.api = api
        self.rt = api.rt

    def _securable(self, ws: Workspace, request: Request) -> Securable:
        kind, full_name = request.path_params["kind"], request.path_params["full_name"]
        if kind not in SECURABLE_TYPES:
            raise bad_request(f"Invalid securable type {kind!r}; expected one of {', '.join(SECURABLE_TYPES)}.")
        sec = self.rt.state.uc(kind, ws.metastore_id, full_name)
        if sec is None and kind == "function":
            sec = self.rt.state.uc("model", ws.metastore_id, full_name)
        if sec is None:
            raise not_found(f"{kind.capitalize()} '{full_name}'")
        if kind in IN_CATALOG:
            self._reach(ws, full_name.split(".", 1)[0])
        return sec

    def _bound_to(self, ws: Workspace, catalog: Securable) -> bool:
        return catalog.bound_workspaces is None or ws.workspace_id in catalog.bound_workspaces

    def _reach(self, ws: Workspace, catalog_name: str) -> None:
        """An ISOLATED catalog is reached only from the workspaces bound to it, even by a metastore
        admin (terraform-provider-databricks#2446 and #2451)."""
        catalog = self.rt.state.uc("catalog", ws.metastore_id, catalog_name)
        if catalog is not None and not self._bound_to(ws, catalog):
            raise ApiError(403, "PERMISSION_DENIED", f"Catalog '{catalog_name}' is not accessible in current workspace")

    def _info(self, sec: Securable) -> dict[str, Any]:
        parts = sec.full_name.split(".")
        out: dict[str, Any] = {
            "name": sec.name,
            "full_name": sec.full_name,
            "metastore_id": sec.metastore_id,
            "owner": self.rt.state.principal_name(sec.owner_id)[1],
        }
        if sec.kind == "catalog":
            isolation = "OPEN" if sec.bound_workspaces is None else "ISOLATED"
            out.update(catalog_type="MANAGED_CATALOG", properties=sec.properties, isolation_mode=isolation)
        if sec.kind in METASTORE_LEVEL:  # named, not nested: no full_name except a connection's
            del out["full_name"]
            if sec.kind == "connection":
                out.update(full_name=sec.full_name, connection_type="POSTGRESQL")
            if sec.kind == "external_location":
                out["url"] = f"s3://{sec.full_name.replace('_', '-')}/"
            return out
        if sec.kind in ("schema", "table", "volume", "function", "model"):
            out["catalog_name"] = parts[0]
        if sec.kind in ("table", "volume", "function", "model"):
            out["schema_name"] = parts[1]
        if sec.kind in ("table", "volume"):
            out["table_type" if sec.kind == "table" else "volume_type"] = sec.subtype
        return out

    def _list(self, request: Request, kind: str, parent: str, key: str) -> dict[str, Any]:
        ws = self.api.ws(request)
        items = self.rt.children.get((ws.metastore_id, kind, parent), [])
        if kind == "catalog" and request.query_params.get("include_unbound") != "true":
            # SDK CatalogsAPI.list: catalogs not bound to the workspace only with include_unbound
            items = [c for c in items if self._bound_to(ws, c)]
        elif parent:
            self._reach(ws, parent.split(".", 1)[0])
        page, token = token_page(request, items, "max_results", 100)
        out: dict[str, Any] = {key: [self._info(s) for s in page]}
        if token:
            out["next_page_token"] = token
        return out

    async def current_assignment(self, request: Request) -> dict[str, Any]:
        ws = self.api.ws(request)
        return {
            "workspace_id": ws.workspace_id,
            "metastore_id": ws.metastore_id,
            "default_catalog_name": "main",
        }

    async def summary(self, request: Request) -> dict[str, Any]:
        ws = self.api.ws(request)
        ms = self.rt.state.uc("metastore", ws.metastore_id, ws.metastore_id)
        if ms is None:
            raise not_found(f"Metastore {ws.metastore_id}")
        return {
            "metastore_id": ms.metastore_id,
            "name": ms.properties.get("name"),
            "region": "us-east-1",
            "owner": self.rt.state.principal_name(ms.owner_id)[1],
            "cloud": "aws",
        }

    async def catalogs(self, request: Request) -> dict[str, Any]:
        return self._list(request, "catalog", "", "catalogs")

    async def schemas(self, request: Request) -> dict[str, Any]:
        return self._list(request, "schema", self._required(request, "catalog_name"), "schemas")

    async def tables(self, request: Request) -> dict[str, Any]:
        parent = f"{self._required(request, 'catalog_name')}.{self._required(request, 'schema_name')}"
        return self._list(request, "table", parent, "tables")

    async def volumes(self, request: Request) -> dict[str, Any]:
        parent = f"{self._required(request, 'catalog_name')}.{self._required(request, 'schema_name')}"
        return self._list(request, "volume", parent, "volumes")

    async def functions(self, request: Request) -> dict[str, Any]:
        parent = f"{self._required(request, 'catalog_name')}.{self._required(request, 'schema_name')}"
        return self._list(request, "function", parent, "functions")

    async def models(self, request: Request) -> dict[str, Any]:
        """``/models`` lists a schema's models when given catalog and schema, and every model of the
        metastore the workspace reaches when given neither (SDK RegisteredModelsAPI.list: "If
        neither are specified, all registered models in the current metastore are listed")."""
        catalog, schema = request.query_params.get("catalog_name"), request.query_params.get("schema_name")
        if catalog or schema:
            parent = f"{self._required(request, 'catalog_name')}.{self._required(request, 'schema_name')}"
            return self._list(request, "model", parent, "registered_models")
        ws = self.api.ws(request)
        reachable = [
            m
            for m in self.rt.state.securables.values()
            if m.kind == "model" and m.metastore_id == ws.metastore_id and self._reachable(ws, m.full_name.split(".")[0])
        ]
        page, token = token_page(request, sorted(reachable, key=lambda m: m.full_name), "max_results", 100)
        out: dict[str, Any] = {"registered_models": [self._info(m) for m in page]}
        if token:
            out["next_page_token"] = token
        return out

    def _reachable(self, ws: Workspace, catalog_name: str) -> bool:
        catalog = self.rt.state.uc("catalog", ws.metastore_id, catalog_name)
        return catalog is None or self._bound_to(ws, catalog)

    def metastore_level(self, kind: str) -> Any:
        async def handler(request: Request) -> dict[str, Any]:
            return self._list(request, kind, "", METASTORE_LEVEL[kind])

        return handler

    async def bindings(self, request: Request) -> dict[str, Any]:
        """GET /bindings/catalog/{name} (SDK WorkspaceBindingsAPI.get_bindings): the workspaces an
        ISOLATED catalog is bound to; an OPEN catalog has none."""
        ws = self.api.ws(request)
        if request.path_params["kind"] != "catalog":
            raise bad_request(f"Workspace bindings of {request.path_params['kind']!r} are not modelled here.")
        catalog = self.rt.state.uc("catalog", ws.metastore_id, request.path_params["name"])
        if catalog is None:
            raise not_found(f"Catalog '{request.path_params['name']}'")
        bound = [{"workspace_id": w, "binding_type": "BINDING_TYPE_READ_WRITE"} for w in catalog.bound_workspaces or []]
        page, token = token_page(request, bound, "max_results", 100)
        out: dict[str, Any] = {"bindings": list(page)}
        if token:
            out["next_page_token"] = token
        return out

    async def share_permissions(self, request: Request) -> dict[str, Any]:
        """A share's grants go to Delta Sharing recipients (sharing.py SharesAPI.share_permissions)."""
        ws = self.api.ws(request)
        share = self.rt.state.uc("share", ws.metastore_id, request.path_params["name"])
        if share is None:
            raise not_found(f"Share '{request.path_params['name']}'")
        return {"privilege_assignments": self._assignments(share.grants, None)}

    @staticmethod
    def _required(request: Request, name: str) -> str:
        value = request.query_params.get(name)
        if not value:
            raise bad_request(f"Missing required field: {name}")
        return value

    def _assignments(self, grants: list[Grant], principal: str | None) -> list[dict[str, Any]]:
        by_name: dict[str, list[str]] = {}
        for g in grants:
            name = self.rt.state.principal_name(g.principal_id)[1]
            if principal is None or principal == name:
                by_name.setdefault(name, []).append(g.privilege)
        return [{"principal": n, "privileges": p} for n, p in by_name.items()]

    async def grants_get(self, request: Request) -> dict[str, Any]:
        sec = self._securable(self.api.ws(request), request)
        items = self._assignments(sec.grants, request.query_params.get("principal"))
        size_param = "page_size" if "privilege-assignments" in request.url.path else "max_results"
        raw_size = request.query_params.get(size_param)
        if raw_size is None and size_param == "max_results":
            return {"privilege_assignments": items}  # unpaginated: everything, no token
        size = int_param(request, size_param, 0, low=-(10**9))
        # SDK GrantsAPI.get/list docstrings: < 0 and 1..149 are invalid parameters; 0 is the server's page
        # length; >= 150 is min(value, server page length)
        if size < 0 or 0 < size < MIN_GRANTS_PAGE:
            raise bad_request(f"{size_param} must be 0 or at least {MIN_GRANTS_PAGE}, got {size}")
        if not request.query_params.get("page_token") and _empty_first_page(sec.full_name):
            # "a page may contain zero results while still providing a next_page_token"
            return {"privilege_assignments": [], "next_page_token": "o0"}
        length = GRANTS_PAGE if size == 0 else min(size, GRANTS_PAGE)
        raw_token = request.query_params.get("page_token") or "o0"
        if not raw_token.startswith("o") or not raw_token[1:].isdigit():
            raise bad_request(f"invalid page_token {raw_token!r}")
        start = int(raw_token[1:])
        page = items[start : start + length]
        token = f"o{start + length}" if start + length < len(items) else None
        out: dict[str, Any] = {"privilege_assignments": list(page)}
        if token:
            out["next_page_token"] = token
        return out

    async def grants_update(self, request: Request) -> dict[str, Any]:
        sec = self._securable(self.api.ws(request), request)
        if ".information_schema" in sec.full_name:  # system-managed, read-only views
            raise bad_request(f"Privileges cannot be granted on {sec.full_name}: information_schema is read-only.")
        for change in (await json_body(request)).get("changes") or []:
            pid = self.rt.uc_principal_id(str(change.get("principal", "")))
            if pid is None:
                raise bad_request(f"Could not find principal with name {change.get('principal')}.")
            for priv in change.get("add") or []:
                if not any(g.principal_id == pid and g.privilege == priv for g in sec.grants):
                    sec.grants.append(Grant(pid, str(priv)))
            remove = set(change.get("remove") or [])
            sec.grants = [g for g in sec.grants if not (g.principal_id == pid and g.privilege in remove)]
        self.rt.changed()
        return {"privilege_assignments": self._assignments(sec.grants, None)}

    async def effective(self, request: Request) -> dict[str, Any]:
        ws = self.api.ws(request)
        sec = self._securable(ws, request)
        parts = sec.full_name.split(".") if sec.kind != "metastore" else []
        chain = [("metastore", ws.metastore_id)] + [
            (kind, ".".join(parts[:n])) for n, kind in ((1, "catalog"), (2, "schema")) if len(parts) > n
        ]
        by_name: dict[str, list[dict[str, Any]]] = {}
        for kind, name in chain:
            parent = self.rt.state.uc(kind, ws.metastore_id, name)
            for g in parent.grants if parent else []:
                by_name.setdefault(self.rt.state.principal_name(g.principal_id)[1], []).append(
                    {
                        "privilege": g.privilege,
                        "inherited_from_type": kind.upper(),
                        "inherited_from_name": name,
                    }
                )
        for g in sec.grants:
            by_name.setdefault(self.rt.state.principal_name(g.principal_id)[1], []).append({"privilege": g.privilege})
        return {"privilege_assignments": [{"principal": n, "privileges": p} for n, p in by_name.items()]}


def uc_routes(uc: UnityCatalogApi) -> list[Any]:
    return [
        route(f"{UC}/current-metastore-assignment", uc.current_assignment),
        route(f"{UC}/metastore_summary", uc.summary),
        route(f"{UC}/catalogs", uc.catalogs),
        route(f"{UC}/schemas", uc.schemas),
        route(f"{UC}/tables", uc.tables),
        route(f"{UC}/volumes", uc.volumes),
        route(f"{UC}/functions", uc.functions),
        route(f"{UC}/models", uc.models),
        route(f"{UC}/storage-credentials", uc.metastore_level("storage_credential")),
        route(f"{UC}/external-locations", uc.metastore_level("external_location")),
        route(f"{UC}/connections", uc.metastore_level("connection")),
        route(f"{UC}/shares", uc.metastore_level("share")),
        route(f"{UC}/shares/{{name}}/permissions", uc.share_permissions),
        route(f"{UC}/bindings/{{kind}}/{{name}}", uc.bindings),
        route(f"{UC}/permissions/{{kind}}/{{full_name}}", uc.grants_get),
        route(f"{UC}/permissions/{{kind}}/{{full_name}}", uc.grants_update, methods=["PATCH"]),
        route(f"{UC}/privilege-assignments/{{kind}}/{{full_name}}", uc.grants_get),
        route(f"{UC}/effective-permissions/{{kind}}/{{full_name}}", uc.effective),
    ]
