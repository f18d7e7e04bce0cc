"""Sandbox identities behave as the real account SCIM API does (sources in each test)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from databricks.sdk import AccountClient
from databricks.sdk.config import Config

from services.sandbox.model import SandboxState
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox, account_client, running_sandbox

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
def account(sandbox: RunningSandbox) -> AccountClient:
    return account_client(sandbox)


def test_the_account_group_list_has_no_members_and_get_has_them(account: AccountClient, state: SandboxState) -> None:
    # databricks-sdk-py service/iam.py AccountGroupsV2API.list: "As of 08/22/2025, this endpoint will no
    # longer return members. Instead, members should be retrieved by iterating through Get group details".
    listed = list(account.groups.list())
    assert listed and all(not g.members for g in listed)
    with_members = [g for g in state.groups.values() if g.members]
    assert with_members
    for group in with_members:
        got = account.groups.get(group.id)
        assert {m.value for m in got.members or []} == set(group.members)


def test_scim_filter_and_attributes_are_honoured(sandbox: RunningSandbox, account: AccountClient, state: SandboxState) -> None:
    # iam.py list docstrings: filter supports eq, co, sw, ne joined by and/or (simple expressions only);
    # attributes narrows the returned attributes (RFC 7644 3.4.2.5: id always returned).
    user = next(u for u in state.users.values() if u.in_databricks)
    (found,) = list(account.users.list(filter=f'userName eq "{user.user_name.upper()}"'))
    assert found.id == user.id  # userName compares case-insensitively
    prefix = user.user_name[:3]
    assert {u.id for u in account.users.list(filter=f'userName sw "{prefix}"')} == {
        u.id for u in state.users.values() if u.in_databricks and u.user_name.lower().startswith(prefix.lower())
    }
    narrowed = list(account.users.list(attributes="userName"))
    assert narrowed and all(u.user_name and u.id and u.display_name is None for u in narrowed)
    token = account.config.authenticate()["Authorization"]
    bad = httpx.get(
        f"{sandbox.info['account_host']}/api/2.0/accounts/{sandbox.info['account_id']}/scim/v2/Users",
        params={"filter": '(userName eq "x")'},
        headers={"Authorization": token},
    )
    assert bad.status_code == 400  # grouping is not supported: refused, never ignored


def test_built_in_principals_appear_where_real_accounts_have_them(sandbox: RunningSandbox, state: SandboxState) -> None:
    from databricks.sdk import WorkspaceClient

    from services.sandbox.model import local_group_id

    ws_state = next(iter(state.workspaces.values()))
    ws = WorkspaceClient(
        config=Config(
            host=sandbox.info["workspace_url_template"].format(deployment_name=ws_state.deployment_name),
            client_id=sandbox.info["databricks_client_id"],
            client_secret=sandbox.info["databricks_client_secret"],
            auth_type="oauth-m2m",
            retry_timeout_seconds=5,
        )
    )
    # every workspace has local "admins" and "users"; with identity federation admins = the ADMIN assignees
    (admins,) = list(ws.groups.list(filter='displayName eq "admins"'))
    assert admins.id == local_group_id(ws_state.workspace_id, "admins")
    assert {m.value for m in admins.members or []} == {p for p, perms in ws_state.assignments.items() if "ADMIN" in perms}
    (users,) = list(ws.groups.list(filter='displayName eq "users"'))
    assert {m.value for m in users.members or []} == set(ws_state.assignments)
    # job ACLs carry admins CAN_MANAGE inherited from /jobs/ (databrickslabs/migrate#168)
    job = ws_state.jobs[0]
    acl = ws.permissions.get("jobs", str(job.job_id)).access_control_list or []
    (entry,) = [a for a in acl if a.group_name == "admins"]
    (perm,) = entry.all_permissions or []
    assert perm.permission_level.value == "CAN_MANAGE" and perm.inherited and perm.inherited_from_object == ["/jobs/"]
    # Unity Catalog grants name "account users" (it is no SCIM group)
    granted = [
        a.principal
        for sec in state.securables.values()
        if sec.kind == "catalog" and sec.metastore_id == ws_state.metastore_id
        for a in ws.grants.get("catalog", sec.full_name).privilege_assignments or []
    ]
    assert "account users" in granted


def test_a_workspace_without_identity_federation_refuses_permission_assignments(
    account: AccountClient, state: SandboxState
) -> None:
    # baton-databricks pkg/connector/workspaces.go: 400 "Permission assignment APIs are not available for
    # this workspace" on workspaces that predate identity federation; they keep workspace-local groups.
    from databricks.sdk.errors import BadRequest

    legacy = [ws for ws in state.workspaces.values() if not ws.identity_federation]
    assert legacy, "the scenario has a workspace without identity federation"
    with pytest.raises(BadRequest, match="Permission assignment APIs are not available for this workspace"):
        list(account.workspace_assignment.list(legacy[0].workspace_id))
    federated = next(ws for ws in state.workspaces.values() if ws.identity_federation)
    assert list(account.workspace_assignment.list(federated.workspace_id))


def test_account_admins_carry_the_account_admin_role(account: AccountClient, state: SandboxState) -> None:
    # SDK iam.py: AccountUser / AccountServicePrincipal have ``roles``; account_admin is the role
    admins = {u.id for u in account.users.list() if any(r.value == "account_admin" for r in u.roles or [])}
    admins |= {s.id for s in account.service_principals.list() if any(r.value == "account_admin" for r in s.roles or [])}
    assert admins == set(state.account_admins) and len(admins) == 2
