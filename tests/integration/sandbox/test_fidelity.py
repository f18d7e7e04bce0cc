"""Sandbox fidelity: the official SDKs, unchanged, page through it with small pages and get the totals.

Also the writes the enforcer needs (remove a group member, replace object permissions, revoke a
Unity Catalog grant, delete a workspace assignment, unassign in Okta), read back through the SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import InvalidParameterValue, NotFound

from services.adapters.okta import OktaAdapter, OktaTarget
from services.sandbox.model import SandboxState
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox, running_sandbox

pytestmark = pytest.mark.integration
SEED = 13


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="small", seed=SEED) as running:
        yield running


@pytest.fixture(scope="module")
def state() -> SandboxState:
    return build_state("small", SEED)


def _account(sb: RunningSandbox, secret: str | None = None) -> AccountClient:
    """OAuth M2M through the SDK's own auth code: the account API accepts nothing else."""
    return AccountClient(
        config=Config(
            host=sb.info["account_host"],
            account_id=sb.info["account_id"],
            client_id=sb.info["databricks_client_id"],
            client_secret=secret or sb.info["databricks_client_secret"],
            auth_type="oauth-m2m",
            retry_timeout_seconds=10,
        )
    )


def _workspace(sb: RunningSandbox, deployment: str = "dbc-000") -> WorkspaceClient:
    host = sb.info["workspace_url_template"].format(deployment_name=deployment)
    return WorkspaceClient(config=Config(host=host, token=sb.info["databricks_token"], auth_type="pat", retry_timeout_seconds=10))


def test_scim_paging_with_small_counts(sandbox: RunningSandbox, state: SandboxState) -> None:
    acct = _account(sandbox)
    users = list(acct.users.list(count=7))
    assert len(users) == len({u.id for u in users}) == sum(1 for u in state.users.values() if u.in_databricks)
    assert len(list(acct.groups.list(count=3))) == len(state.groups)
    assert len(list(acct.service_principals.list(count=2))) == len(state.service_principals)
    ws = _workspace(sandbox)
    # a workspace's SCIM lists the account's groups and its own built-in "admins" and "users"
    ws_groups = list(ws.groups.list(count=4))
    assert len(ws_groups) == len(state.groups) + 2
    assert {g.display_name for g in ws_groups} >= {"admins", "users"}
    assert ws.current_user.me().user_name


def test_jobs_compute_and_workspace_tree(sandbox: RunningSandbox, state: SandboxState) -> None:
    ws_state = state.workspace_by_deployment("dbc-000")
    assert ws_state is not None
    ws = _workspace(sandbox)
    jobs = list(ws.jobs.list(limit=2))
    assert sorted(j.job_id for j in jobs) == sorted(j.job_id for j in ws_state.jobs)
    job = ws.jobs.get(jobs[0].job_id)  # must not loop on next_page_token
    assert job.run_as_user_name
    # clusters/list includes the job clusters of recent runs (SDK compute.py ClustersAPI.list)
    clusters = list(ws.clusters.list(page_size=1))
    assert len(clusters) == len(ws_state.clusters) + len(ws_state.job_clusters)
    assert sum(1 for c in clusters if c.cluster_source and c.cluster_source.value == "JOB") == len(ws_state.job_clusters)
    assert len(list(ws.warehouses.list(page_size=1))) == len(ws_state.warehouses)
    notebooks = list(ws.workspace.list("/", recursive=True))
    assert len(notebooks) == sum(1 for o in ws_state.objects if o.object_type == "NOTEBOOK")
    perms = ws.permissions.get("notebooks", str(notebooks[0].object_id))
    assert any(p.inherited for acl in perms.access_control_list or [] for p in acl.all_permissions or [])


def test_unity_catalog_paging(sandbox: RunningSandbox, state: SandboxState) -> None:
    ws = _workspace(sandbox)
    metastore = ws.metastores.current().metastore_id
    catalogs = list(ws.catalogs.list(max_results=1))
    expected = [s for s in state.securables.values() if s.metastore_id == metastore]
    assert len(catalogs) == sum(1 for s in expected if s.kind == "catalog")
    schemas = [s for c in catalogs for s in ws.schemas.list(c.name, max_results=2)]
    assert len(schemas) == sum(1 for s in expected if s.kind == "schema")
    tables = [t for s in schemas for t in ws.tables.list(s.catalog_name, s.name, max_results=3)]
    assert len(tables) == sum(1 for s in expected if s.kind == "table")
    granted = next(s for s in expected if s.kind == "catalog" and len(s.grants) > 1)
    pages = list(ws.grants.list("catalog", granted.full_name, page_size=150))
    assert sum(len(p.privileges or []) for p in pages) == len(granted.grants)
    # SDK GrantsAPI.get docstring: max_results 1..149 (and < 0) is an invalid parameter; 0 and >= 150 page
    with pytest.raises(InvalidParameterValue, match="at least 150"):
        list(ws.grants.list("catalog", granted.full_name, page_size=1))
    with pytest.raises(InvalidParameterValue):
        ws.grants.get("catalog", granted.full_name, max_results=149)
    paged = ws.grants.get("catalog", granted.full_name, max_results=0)
    assert paged.privilege_assignments is not None
    effective = ws.grants.get_effective("catalog", granted.full_name)
    assert effective.privilege_assignments


def test_writes_the_enforcer_needs(sandbox: RunningSandbox, state: SandboxState) -> None:
    from databricks.sdk.service import catalog, iam

    acct, ws = _account(sandbox), _workspace(sandbox, "dbc-001")
    group = next(g for g in (acct.groups.get(x.id) for x in acct.groups.list()) if len(g.members or []) > 1)
    victim = group.members[0].value  # type: ignore[index]
    acct.groups.patch(
        group.id,
        operations=[iam.Patch(op=iam.PatchOp.REMOVE, path=f'members[value eq "{victim}"]')],
        schemas=[iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP],
    )
    assert victim not in {m.value for m in acct.groups.get(group.id).members or []}

    job = next(iter(ws.jobs.list()))
    before = ws.permissions.get("jobs", str(job.job_id)).access_control_list or []
    keep = [
        iam.AccessControlRequest(
            user_name=a.user_name,
            group_name=a.group_name,
            service_principal_name=a.service_principal_name,
            permission_level=iam.PermissionLevel(p.permission_level.value),
        )
        for a in before
        for p in a.all_permissions or []
        if p.permission_level.value == "IS_OWNER"
    ]
    ws.permissions.set("jobs", str(job.job_id), access_control_list=keep)
    after = ws.permissions.get("jobs", str(job.job_id)).access_control_list or []
    assert [p.permission_level.value for a in after for p in a.all_permissions or [] if not p.inherited] == ["IS_OWNER"]
    # the workspace admins' CAN_MANAGE is inherited from /jobs/: a PUT on the job does not remove it
    assert [(a.group_name, p.inherited_from_object) for a in after for p in a.all_permissions or [] if p.inherited] == [
        ("admins", ["/jobs/"])
    ]

    cat = next(iter(ws.catalogs.list()))
    assignment = ws.grants.get("catalog", cat.name).privilege_assignments[0]  # type: ignore[index]
    ws.grants.update(
        "catalog",
        cat.name,
        changes=[catalog.PermissionsChange(principal=assignment.principal, remove=[assignment.privileges[0]])],
    )  # type: ignore[index]
    left = ws.grants.get("catalog", cat.name).privilege_assignments or []
    assert assignment.privileges[0] not in [
        p
        for a in left
        if a.principal == assignment.principal  # type: ignore[index]
        for p in a.privileges or []
    ]

    wid = next(w.workspace_id for w in acct.workspaces.list() if w.deployment_name == "dbc-001")
    pid = next(iter(acct.workspace_assignment.list(wid))).principal.principal_id  # type: ignore[union-attr]
    acct.workspace_assignment.delete(wid, pid)
    assert pid not in {a.principal.principal_id for a in acct.workspace_assignment.list(wid)}  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        acct.workspace_assignment.delete(wid, pid)


def test_a_bad_client_secret_is_refused_by_the_token_endpoint(sandbox: RunningSandbox) -> None:
    with pytest.raises(ValueError, match="invalid_client"):
        list(_account(sandbox, secret="dose-wrong").workspaces.list())


def test_okta_paging_statuses_owners_and_unassign(sandbox: RunningSandbox, state: SandboxState) -> None:
    target = OktaTarget(sandbox.info["okta_org_url"], sandbox.info["okta_token"], 10.0, page_limit=3)

    async def scenario() -> tuple[int, int, int, int]:
        adapter = OktaAdapter(target)
        try:
            users = await adapter.list_users()
            groups = await adapter.list_groups()
            sizes = {g["id"]: len(await adapter.list_group_users(g["id"])) for g in groups}
            group_id = max(sizes, key=lambda gid: sizes[gid])
            members = await adapter.list_group_users(group_id)
            assert len(members) == sizes[group_id] > 3  # several pages of 3
            await adapter.unassign_user_from_group(group_id, members[0]["id"])
            after = await adapter.list_group_users(group_id)
            owners = sum([len(await adapter.list_group_owners(g["id"])) for g in groups])
            return len(users), len(members), len(after), owners
        finally:
            await adapter.close()

    users, members, after, owners = asyncio.run(scenario())
    assert users == sum(1 for u in state.users.values() if u.okta_id)  # every status, DEPROVISIONED too
    assert after == members - 1
    assert owners == sum(len(g.okta_owner_ids) for g in state.groups.values() if g.okta_id)
