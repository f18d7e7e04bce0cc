"""Unity Catalog through SQL: a metastore's privileges and owners in two statements.

``system.information_schema`` holds, metastore-wide, every securable's owner (``catalogs``,
``schemata``, ``tables``, ``volumes``, ``routines``, ``storage_credentials``,
``external_locations``, ``connections``) and every privilege (the ``*_privileges`` views), where
the REST path lists each schema's children and asks each securable for its grants. What the views
do that this reader copes with (docs.databricks.com, "Information schema"):

- privilege views include inherited privileges: only ``inherited_from = 'NONE'`` rows are grants
  made on the securable itself (the REST path records grants where they are made, too);
- rows are filtered by the caller's privileges: a caller that is not a metastore admin sees a
  subset, which :func:`check_complete` detects by comparing the catalogs with the REST list;
- every catalog has an ``information_schema`` schema of views: not reviewed, as on the REST path;
- a catalog ISOLATED to other workspaces is invisible from the reading workspace: it is read
  through REST from a bound workspace.

Registered models and shares have no information_schema view here: they stay on REST.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.adapters.databricks import DatabricksAdapter

# (securable type as the views name it, view, full-name expression)
PRIVILEGE_SOURCES = (
    ("METASTORE", "metastore_privileges", "metastore_id"),
    ("CATALOG", "catalog_privileges", "catalog_name"),
    ("SCHEMA", "schema_privileges", "concat_ws('.', catalog_name, schema_name)"),
    ("TABLE", "table_privileges", "concat_ws('.', table_catalog, table_schema, table_name)"),
    ("VOLUME", "volume_privileges", "concat_ws('.', volume_catalog, volume_schema, volume_name)"),
    ("FUNCTION", "routine_privileges", "concat_ws('.', routine_catalog, routine_schema, routine_name)"),
    ("STORAGE_CREDENTIAL", "storage_credential_privileges", "storage_credential_name"),
    ("EXTERNAL_LOCATION", "external_location_privileges", "external_location_name"),
    ("CONNECTION", "connection_privileges", "connection_name"),
)
# (securable type, view, full-name expression, owner column)
OWNER_SOURCES = (
    ("CATALOG", "catalogs", "catalog_name", "catalog_owner"),
    ("SCHEMA", "schemata", "concat_ws('.', catalog_name, schema_name)", "schema_owner"),
    ("TABLE", "tables", "concat_ws('.', table_catalog, table_schema, table_name)", "table_owner"),
    ("VOLUME", "volumes", "concat_ws('.', volume_catalog, volume_schema, volume_name)", "volume_owner"),
    ("FUNCTION", "routines", "concat_ws('.', routine_catalog, routine_schema, routine_name)", "routine_owner"),
    ("STORAGE_CREDENTIAL", "storage_credentials", "storage_credential_name", "storage_credential_owner"),
    ("EXTERNAL_LOCATION", "external_locations", "external_location_name", "external_location_owner"),
    ("CONNECTION", "connections", "connection_name", "connection_owner"),
)
IN_CATALOG = ("schema", "table", "volume", "function")
STATEMENTS = 2


def privileges_query() -> str:
    return "\nUNION ALL\n".join(
        f"SELECT '{kind}' AS securable_type, {name} AS full_name, grantee, privilege_type, inherited_from "
        f"FROM system.information_schema.{view}"
        for kind, view, name in PRIVILEGE_SOURCES
    )


def owners_query() -> str:
    return "\nUNION ALL\n".join(
        f"SELECT '{kind}' AS securable_type, {name} AS full_name, {owner} AS owner FROM system.information_schema.{view}"
        for kind, view, name, owner in OWNER_SOURCES
    )


@dataclass
class UcSnapshot:
    """A metastore's securables as the views show them: (kind, full name) -> owner, and -> the
    grants made on it, in the grants API's shape (``[{"principal", "privileges"}]``)."""

    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    grants: dict[tuple[str, str], list[dict[str, object]]] = field(default_factory=dict)

    def catalogs(self) -> set[str]:
        return {name for kind, name in self.owners if kind == "catalog"}

    def in_catalog(self, catalog: str) -> list[tuple[str, str, str]]:
        """(kind, full name, owner) of the schemas, tables, volumes and functions of a catalog."""
        return sorted(
            (kind, name, owner)
            for (kind, name), owner in self.owners.items()
            if kind in IN_CATALOG and name.split(".", 1)[0] == catalog
        )


def _reviewed(kind: str, full_name: str) -> bool:
    """Not the read-only ``information_schema`` schema of a catalog, nor its views."""
    return not (kind in IN_CATALOG and full_name.split(".")[1:2] == ["information_schema"])


def read_snapshot(adapter: DatabricksAdapter, ws: str, warehouse_id: str) -> UcSnapshot:
    snapshot = UcSnapshot()
    for row in adapter.run_statement(ws, warehouse_id, owners_query()):
        kind, name, owner = (str(v) if v is not None else "" for v in row[:3])
        if name and _reviewed(kind.lower(), name):
            snapshot.owners[(kind.lower(), name)] = owner
    direct: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in adapter.run_statement(ws, warehouse_id, privileges_query()):
        kind, name, grantee, privilege, inherited = (str(v) if v is not None else "" for v in row[:5])
        if inherited.upper() != "NONE" or not name or not _reviewed(kind.lower(), name):
            continue  # inherited: recorded where it is granted
        held = direct.setdefault((kind.lower(), name), {}).setdefault(grantee, [])
        if privilege not in held:
            held.append(privilege)
    snapshot.grants = {key: [{"principal": p, "privileges": v} for p, v in by.items()] for key, by in direct.items()}
    return snapshot


def missing_catalogs(snapshot: UcSnapshot, listed: list[dict[str, object]]) -> list[str]:
    """OPEN catalogs the REST list has and the views do not show: the caller is not a metastore
    admin, and the views hold only what it may see."""
    shown = snapshot.catalogs()
    return sorted(str(c.get("name")) for c in listed if c.get("isolation_mode") != "ISOLATED" and str(c.get("name")) not in shown)
