"""system.information_schema as a reader meets it, through the SDK's Statement Execution API.

Source: docs.databricks.com "Information schema" (privilege views carry INHERITED_FROM, rows are
filtered by the caller's privileges, every catalog has an information_schema schema) and the
reference's "use a metastore admin"; ISOLATED catalogs are invisible from unbound workspaces
(terraform-provider-databricks#2446).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databricks.sdk.errors import BadRequest

from services.sandbox.model import SandboxState
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox, running_sandbox, workspace_client

pytestmark = pytest.mark.integration
SEED = 7
PRIVILEGES = (
    "SELECT 'TABLE' AS securable_type, concat_ws('.', table_catalog, table_schema, table_name) AS full_name, "
    "grantee, privilege_type, inherited_from FROM system.information_schema.table_privileges"
)
OWNERS = (
    "SELECT 'SCHEMA' AS securable_type, concat_ws('.', catalog_name, schema_name) AS full_name, schema_owner AS owner "
    "FROM system.information_schema.schemata UNION ALL SELECT 'CATALOG', catalog_name, catalog_owner "
    "FROM system.information_schema.catalogs"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="small", seed=SEED) as sb:
        yield sb


@pytest.fixture(scope="module")
def state() -> SandboxState:
    return build_state("small", SEED)


def _rows(sb: RunningSandbox, deployment: str, statement: str, warehouse: str | None = None) -> list[list[str]]:
    ws = workspace_client(sb, deployment)
    warehouse = warehouse or next(iter(ws.warehouses.list())).id
    resp = ws.statement_execution.execute_statement(statement=statement, warehouse_id=warehouse or "", wait_timeout="30s")
    return [list(r) for r in (resp.result.data_array or [])] if resp.result else []


def test_privilege_views_carry_inherited_rows_that_are_not_grants(sandbox: RunningSandbox, state: SandboxState) -> None:
    rows = _rows(sandbox, "dbc-000", PRIVILEGES)
    direct = {(r[1], r[2], r[3]) for r in rows if r[4] == "NONE"}
    inherited = [r for r in rows if r[4] != "NONE"]
    assert direct and inherited and {r[4] for r in inherited} <= {"CATALOG", "SCHEMA", "METASTORE"}
    ws = next(w for w in state.workspaces.values() if w.deployment_name == "dbc-000")
    tables = [s for s in state.securables.values() if s.kind == "table" and s.metastore_id == ws.metastore_id]
    granted = {(t.full_name, state.principal_name(g.principal_id)[1], g.privilege) for t in tables for g in t.grants}
    assert direct <= granted  # a direct row is a grant made on the table itself


def test_every_catalog_has_an_information_schema_and_isolated_ones_hide(sandbox: RunningSandbox, state: SandboxState) -> None:
    isolated = next(s for s in state.securables.values() if s.kind == "catalog" and s.bound_workspaces)
    inside = next(w for w in state.workspaces.values() if w.workspace_id in (isolated.bound_workspaces or []))
    outside = next(
        w
        for w in state.workspaces.values()
        if w.metastore_id == isolated.metastore_id and w.workspace_id not in (isolated.bound_workspaces or [])
    )
    seen_in = {r[1] for r in _rows(sandbox, inside.deployment_name, OWNERS)}
    seen_out = {r[1] for r in _rows(sandbox, outside.deployment_name, OWNERS)}
    assert isolated.full_name in seen_in and f"{isolated.full_name}.information_schema" in seen_in
    assert isolated.full_name not in seen_out and not any(n.startswith(isolated.full_name + ".") for n in seen_out)


def test_a_caller_that_is_not_a_metastore_admin_sees_nothing_and_unknown_views_fail(sandbox: RunningSandbox) -> None:
    assert _rows(sandbox, "dbc-000", OWNERS)
    warehouse = next(iter(workspace_client(sandbox, "dbc-000").warehouses.list())).id
    sandbox.faults(non_admin=["dbc-000"])
    try:
        assert _rows(sandbox, "dbc-000", OWNERS, warehouse) == []  # filtered to what the caller holds: nothing
    finally:
        sandbox.faults(non_admin=[])
    with pytest.raises(BadRequest, match="TABLE_OR_VIEW_NOT_FOUND"):
        _rows(sandbox, "dbc-000", "SELECT * FROM system.information_schema.no_such_view")
