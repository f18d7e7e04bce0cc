"""``system.information_schema`` for the sandbox's SQL statements: privileges and owners, metastore-wide.

What the real views do that a reader must cope with (docs.databricks.com, "Information schema"):

- ``*_PRIVILEGES`` views list the privileges a securable holds **including inherited ones**;
  ``INHERITED_FROM`` is ``NONE`` for a direct grant, else the ancestor's type (here ``CATALOG``,
  ``SCHEMA`` or ``METASTORE``). A reader that keeps every row over-counts.
- Rows are filtered by the caller's own privileges: a caller that is not a metastore admin sees
  only what it holds (the collecting principal holds nothing, so it sees nothing).
- Every catalog's ``information_schema`` schema and its views are listed like any other schema.
- A catalog ISOLATED to other workspaces is not visible from this one, nor anything in it.

The rows come in one shape per statement kind (it is not a SQL engine): for a statement over
``*_privileges`` views, ``(securable_type, full_name, grantee, privilege_type, inherited_from)``;
over the owner views, ``(securable_type, full_name, owner)``; only the views the statement names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from services.sandbox.model import SandboxState, Securable, Workspace
from services.sandbox.wire import bad_request

VIEW = re.compile(r"system\.information_schema\.(\w+)", re.IGNORECASE)
# view -> the securable kind its rows describe
PRIVILEGE_VIEWS = {
    "metastore_privileges": "metastore",
    "catalog_privileges": "catalog",
    "schema_privileges": "schema",
    "table_privileges": "table",
    "volume_privileges": "volume",
    "routine_privileges": "function",
    "storage_credential_privileges": "storage_credential",
    "external_location_privileges": "external_location",
    "connection_privileges": "connection",
}
OWNER_VIEWS = {
    "metastores": "metastore",
    "catalogs": "catalog",
    "schemata": "schema",
    "tables": "table",
    "volumes": "volume",
    "routines": "function",
    "storage_credentials": "storage_credential",
    "external_locations": "external_location",
    "connections": "connection",
}
# what a grant on an ancestor gives its descendants (the privileges that apply to data objects)
INHERITABLE = {"ALL_PRIVILEGES", "SELECT", "MODIFY", "READ_VOLUME", "WRITE_VOLUME", "EXECUTE", "APPLY_TAG", "BROWSE"}
Columns = tuple[tuple[str, str], ...]
PRIVILEGE_COLUMNS: Columns = tuple(
    (n, "STRING") for n in ("securable_type", "full_name", "grantee", "privilege_type", "inherited_from")
)
OWNER_COLUMNS: Columns = tuple((n, "STRING") for n in ("securable_type", "full_name", "owner"))


def is_information_schema_query(statement: str) -> bool:
    return VIEW.search(statement) is not None


def answer(
    state: SandboxState, ws: Workspace, statement: str, admin: bool
) -> tuple[tuple[tuple[str, str], ...], list[list[str]]]:
    """(columns, rows) of a statement over information_schema views, as seen from ``ws``."""
    views = [v.lower() for v in VIEW.findall(statement)]
    unknown = [v for v in views if v not in PRIVILEGE_VIEWS and v not in OWNER_VIEWS]
    if unknown:
        raise bad_request(
            f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `system`.`information_schema`.`{unknown[0]}` cannot be found."
        )
    if all(v in PRIVILEGE_VIEWS for v in views):
        kinds = {PRIVILEGE_VIEWS[v] for v in views}
        rows = [row for sec in _visible(state, ws) if sec.kind in kinds for row in _privileges(state, ws, sec)]
        return PRIVILEGE_COLUMNS, rows if admin else []
    if all(v in OWNER_VIEWS for v in views):
        kinds = {OWNER_VIEWS[v] for v in views}
        rows = [
            [sec.kind.upper(), _name(sec), state.principal_name(sec.owner_id)[1]]
            for sec in _visible(state, ws)
            if sec.kind in kinds
        ]
        return OWNER_COLUMNS, rows if admin else []
    raise bad_request("[UNSUPPORTED] the sandbox answers privileges views and owner views in separate statements")


def _name(sec: Securable) -> str:
    return sec.metastore_id if sec.kind == "metastore" else sec.full_name


def _visible(state: SandboxState, ws: Workspace) -> Iterator[Securable]:
    hidden = {
        sec.full_name
        for sec in state.securables.values()
        if sec.kind == "catalog"
        and sec.metastore_id == ws.metastore_id
        and sec.bound_workspaces is not None
        and ws.workspace_id not in sec.bound_workspaces
    }
    for sec in state.securables.values():
        if sec.metastore_id != ws.metastore_id or sec.kind in ("model", "share"):
            continue
        if sec.kind in ("catalog", "schema", "table", "volume", "function") and sec.full_name.split(".")[0] in hidden:
            continue
        yield sec


def _ancestors(state: SandboxState, sec: Securable) -> Iterator[tuple[str, Securable]]:
    if sec.kind not in ("schema", "table", "volume", "function"):
        return
    parts = sec.full_name.split(".")
    chain = [("catalog", parts[0])] + ([("schema", ".".join(parts[:2]))] if sec.kind != "schema" else [])
    for kind, name in chain:
        parent = state.uc(kind, sec.metastore_id, name)
        if parent is not None:
            yield kind.upper(), parent
    metastore = state.uc("metastore", sec.metastore_id, sec.metastore_id)
    if metastore is not None:
        yield "METASTORE", metastore


def _privileges(state: SandboxState, ws: Workspace, sec: Securable) -> Iterator[list[str]]:
    kind, name = sec.kind.upper(), _name(sec)
    for grant in sec.grants:
        yield [kind, name, state.principal_name(grant.principal_id)[1], grant.privilege, "NONE"]
    for source, parent in _ancestors(state, sec):
        for grant in parent.grants:
            if grant.privilege in INHERITABLE:
                yield [kind, name, state.principal_name(grant.principal_id)[1], grant.privilege, source]
