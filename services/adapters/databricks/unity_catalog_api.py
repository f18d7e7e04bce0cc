"""Unity Catalog APIs: the metastore, its catalog tree, its other securables and their grants."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from databricks.sdk import WorkspaceClient

from services.adapters.databricks.client import DatabricksClients, _as_dicts

# the metastore's securables outside the catalog tree (databricks-sdk-py catalog.py, sharing.py)
METASTORE_LISTS: dict[str, Callable[[WorkspaceClient], Iterable[Any]]] = {
    "storage_credential": lambda w: w.storage_credentials.list(),
    "external_location": lambda w: w.external_locations.list(),
    "connection": lambda w: w.connections.list(),
    "share": lambda w: w.shares.list_shares(),
}


class UnityCatalogCalls(DatabricksClients):
    def current_metastore(self, ws: str) -> dict[str, Any]:
        return self.call(f"workspace {ws}", lambda: self.workspace(ws).metastores.current().as_dict())

    def current_metastore_summary(self, ws: str) -> dict[str, Any]:
        return self.call(f"workspace {ws}", lambda: self.workspace(ws).metastores.summary().as_dict())

    def list_catalogs(self, ws: str) -> list[dict[str, Any]]:
        """Every catalog of the metastore: without ``include_unbound`` a workspace lists only the
        catalogs bound to it (SDK CatalogsAPI.list), and the ISOLATED others would go unreviewed."""
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).catalogs.list(include_unbound=True)))

    def catalog_bindings(self, ws: str, catalog: str) -> list[int]:
        """The workspace ids an ISOLATED catalog is bound to (SDK WorkspaceBindingsAPI.get_bindings)."""
        api = self.workspace(ws).workspace_bindings
        bindings = self.call(f"workspace {ws}", lambda: _as_dicts(api.get_bindings("catalog", catalog)))
        return [int(b["workspace_id"]) for b in bindings if b.get("workspace_id") is not None]

    def list_schemas(self, ws: str, catalog: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).schemas.list(catalog)))

    def list_tables(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).tables.list(catalog, schema)))

    def list_volumes(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).volumes.list(catalog, schema)))

    def list_functions(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).functions.list(catalog, schema)))

    def list_models(self, ws: str, catalog: str, schema: str) -> list[dict[str, Any]]:
        return self.call(
            f"workspace {ws}",
            lambda: _as_dicts(self.workspace(ws).registered_models.list(catalog_name=catalog, schema_name=schema)),
        )

    def list_all_models(self, ws: str) -> list[dict[str, Any]]:
        """Every registered model of the metastore the workspace reaches (no catalog, no schema)."""
        return self.call(f"workspace {ws}", lambda: _as_dicts(self.workspace(ws).registered_models.list()))

    def list_securables(self, ws: str, kind: str) -> list[dict[str, Any]]:
        """The metastore's securables of one kind that are not nested in a catalog."""
        return self.call(f"workspace {ws}", lambda: _as_dicts(METASTORE_LISTS[kind](self.workspace(ws))))

    def list_grants(self, ws: str, securable_type: str, full_name: str) -> list[dict[str, Any]]:
        """Direct grants on one securable (``securable_type`` lowercase: catalog, schema, ...)."""
        return self.call(
            f"workspace {ws}",
            lambda: _as_dicts(self.workspace(ws).grants.list(securable_type.lower(), full_name)),
        )
