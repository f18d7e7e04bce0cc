"""Sandbox jobs, warehouses and Unity Catalog grants answer in the real shapes (sources in each test)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from databricks.sdk import WorkspaceClient

from services.events.resource_kinds import resource_kind
from services.sandbox.model import SandboxState
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox, running_sandbox, workspace_client, workspace_host

pytestmark = pytest.mark.integration
SEED = 5


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="tiny", seed=SEED) as running:
        yield running


@pytest.fixture(scope="module")
def state() -> SandboxState:
    return build_state("tiny", SEED)


@pytest.fixture(scope="module")
def ws(sandbox: RunningSandbox) -> WorkspaceClient:
    return workspace_client(sandbox)


def _get(sb: RunningSandbox, ws: WorkspaceClient, path: str, **params: object) -> httpx.Response:
    headers = ws.config.authenticate()
    return httpx.get(f"{workspace_host(sb)}{path}", params=params, headers=headers)


def test_jobs_list_has_no_run_as_and_jobs_get_has_it(sandbox: RunningSandbox, ws: WorkspaceClient) -> None:
    # databricks-sdk-py#967: /api/2.2/jobs/list leaves settings.run_as empty and returns run_as_user_name
    # at the top level, a field the SDK's BaseJob does not have (as_dict drops it); jobs.get returns it.
    raw = _get(sandbox, ws, "/api/2.2/jobs/list").json()["jobs"]
    assert raw and all("run_as" not in j["settings"] and j["run_as_user_name"] for j in raw)
    listed = list(ws.jobs.list())
    assert all("run_as_user_name" not in j.as_dict() and (j.settings is None or j.settings.run_as is None) for j in listed)
    full = ws.jobs.get(listed[0].job_id)
    assert full.run_as_user_name and full.settings is not None and full.settings.run_as is not None


def test_warehouse_permissions_live_at_sql_warehouses(sandbox: RunningSandbox, ws: WorkspaceClient) -> None:
    # terraform-provider-databricks permissions/permission_definitions.go: requestObjectType "sql/warehouses",
    # objectType "warehouses"
    warehouse = next(iter(ws.warehouses.list()))
    perms = ws.permissions.get("sql/warehouses", str(warehouse.id))
    assert perms.object_id == f"/sql/warehouses/{warehouse.id}" and perms.object_type == "warehouses"
    assert _get(sandbox, ws, f"/api/2.0/permissions/warehouses/{warehouse.id}").status_code == 400


def test_grant_pages_can_be_empty_yet_carry_a_next_token(
    sandbox: RunningSandbox, ws: WorkspaceClient, state: SandboxState
) -> None:
    # SDK GrantsAPI.get docstring: "a page may contain zero results while still providing a next_page_token.
    # Clients must continue reading pages until next_page_token is absent"
    empties = 0
    metastore = ws.metastores.current().metastore_id
    for sec in state.securables.values():
        if sec.kind == "metastore" or sec.metastore_id != metastore or not sec.grants:
            continue
        kind = resource_kind(sec.kind)
        securable_type = kind.securable_type if kind and kind.securable_type else sec.kind
        path = f"/api/2.1/unity-catalog/permissions/{securable_type}/{sec.full_name}"
        first = _get(sandbox, ws, path, max_results=0).json()
        if not first["privilege_assignments"]:
            assert first.get("next_page_token")
            empties += 1
        got = list(ws.grants.list(securable_type, sec.full_name))  # the SDK keeps reading past the empty page
        assert sum(len(a.privileges or []) for a in got) == len(sec.grants)
    assert empties > 0


def test_permission_writes_are_as_dangerous_as_the_real_ones(ws: WorkspaceClient) -> None:
    from databricks.sdk.errors import InvalidParameterValue
    from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel

    job = next(iter(ws.jobs.list()))
    jid = str(job.job_id)
    acl = ws.permissions.get("jobs", jid).access_control_list or []
    owner = next(a for a in acl for p in a.all_permissions or [] if p.permission_level and p.permission_level.value == "IS_OWNER")
    keep_owner = AccessControlRequest(
        user_name=owner.user_name,
        service_principal_name=owner.service_principal_name,
        permission_level=PermissionLevel.IS_OWNER,
    )
    # levels are validated per object type (terraform permission_definitions.go: jobs have no CAN_RUN)
    with pytest.raises(InvalidParameterValue, match="not supported"):
        ws.permissions.update(
            "jobs", jid, access_control_list=[AccessControlRequest(group_name="users", permission_level=PermissionLevel.CAN_RUN)]
        )
    # the workspace admins cannot be lowered (terraform permissions/update/customizers.go)
    with pytest.raises(InvalidParameterValue, match="group 'admins'"):
        ws.permissions.update(
            "jobs",
            jid,
            access_control_list=[AccessControlRequest(group_name="admins", permission_level=PermissionLevel.CAN_VIEW)],
        )
    # a job has exactly one owner (terraform-provider-databricks#303)
    second = AccessControlRequest(group_name="users", permission_level=PermissionLevel.IS_OWNER)
    with pytest.raises(InvalidParameterValue, match="exactly one owner"):
        ws.permissions.set("jobs", jid, access_control_list=[keep_owner, second])
    # PUT replaces every direct grant: only the owner is left (and the inherited admins)
    after = ws.permissions.set("jobs", jid, access_control_list=[keep_owner]).access_control_list or []
    direct = [p.permission_level.value for a in after for p in a.all_permissions or [] if not p.inherited and p.permission_level]
    assert direct == ["IS_OWNER"]
