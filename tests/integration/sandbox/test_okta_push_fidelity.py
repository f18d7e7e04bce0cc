"""Okta's group push to Databricks, as an enforcer meets it: asynchronous, ACTIVE mappings only,
and Okta's membership wins over a Databricks-side change.

Sources: okta SDK ``GroupPushMappingApi.list_group_push_mappings``
(``GET /api/v1/apps/{appId}/group-push/mappings``, statuses ACTIVE | INACTIVE | ERROR);
help.okta.com "Group Push prerequisites" ("As a group sourced from Okta, changes should never be
made from the target app"; inactive users are not pushed); the reference's "reaching Databricks
waits for the asynchronous SCIM push (push groups only)".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from databricks.sdk import AccountClient
from databricks.sdk.service.iam import Patch, PatchOp, PatchSchema

from services.adapters.okta import OktaAdapter, OktaTarget
from services.core.errors import NotFoundError, PermissionDeniedError
from services.sandbox.model import Group, SandboxState
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox, account_client, running_sandbox

pytestmark = pytest.mark.integration
SEED = 7


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="tiny", seed=SEED) as sb:
        sb.faults(okta_push_delay_s=3600)  # pushes run only when a test asks (POST /_sandbox/okta/push)
        yield sb


@pytest.fixture(scope="module")
def state() -> SandboxState:
    return build_state("tiny", SEED)


def _okta(sb: RunningSandbox, **kwargs: Any) -> OktaTarget:
    return OktaTarget(sb.info["okta_org_url"], sb.info["okta_token"], 10.0, page_limit=3, **kwargs)


def _run(sb: RunningSandbox, call: Any, **kwargs: Any) -> Any:
    async def go() -> Any:
        adapter = OktaAdapter(_okta(sb, **kwargs))
        try:
            return await call(adapter)
        finally:
            await adapter.close()

    return asyncio.run(go())


def _pushed(state: SandboxState, status: str) -> list[Group]:
    users = state.users
    return [
        g
        for g in sorted(state.groups.values(), key=lambda g: g.id)
        if g.push_status == status and any(users[m].okta_status == "ACTIVE" and users[m].in_databricks for m in g.okta_members)
    ]


def _member_ids(acct: AccountClient, gid: str) -> set[str]:
    return {str(m.value) for m in acct.groups.get(gid).members or []}


def _active_member(state: SandboxState, group: Group) -> str:
    return next(m for m in group.okta_members if state.users[m].okta_status == "ACTIVE" and state.users[m].in_databricks)


def test_the_databricks_app_lists_its_push_mappings_paged_and_filtered(sandbox: RunningSandbox, state: SandboxState) -> None:
    app_id = sandbox.info["okta_databricks_app_id"]
    mappings = _run(sandbox, lambda a: a.list_group_push_mappings(app_id))  # pages of 3
    synced = {g.okta_id: g.push_status for g in state.groups.values() if g.okta_id}
    assert len(mappings) == len(synced) > 3
    assert {m["sourceGroupId"]: m["status"] for m in mappings} == synced
    assert {"ACTIVE", "INACTIVE"} <= set(synced.values())
    assert all(m["targetGroupId"] != m["sourceGroupId"] for m in mappings)  # Okta's app-group id, not Databricks'
    with pytest.raises(NotFoundError, match="AppInstance"):
        _run(sandbox, lambda a: a.list_group_push_mappings("0oanotanapp000000000"))
    org = sandbox.info["okta_org_url"]
    headers = {"Authorization": f"SSWS {sandbox.info['okta_token']}"}
    url = f"{org}/api/v1/apps/{app_id}/group-push/mappings"
    assert {m["status"] for m in httpx.get(url, params={"status": "ACTIVE"}, headers=headers).json()} == {"ACTIVE"}
    assert httpx.get(url, params={"status": "x"}, headers=headers).status_code == 400


def test_reading_push_mappings_needs_the_apps_scope(sandbox: RunningSandbox) -> None:
    app_id = sandbox.info["okta_databricks_app_id"]
    scoped = {
        "client_id": sandbox.info["okta_client_id"],
        "private_key": sandbox.info["okta_private_key"],
        "scopes": ("okta.users.read", "okta.groups.read"),
    }
    with pytest.raises(PermissionDeniedError, match="not allowed"):
        _run(sandbox, lambda a: a.list_group_push_mappings(app_id), **scoped)


def test_an_okta_unassign_reaches_databricks_only_when_the_push_runs(sandbox: RunningSandbox, state: SandboxState) -> None:
    group = _pushed(state, "ACTIVE")[0]
    member = _active_member(state, group)
    okta_uid = state.users[member].okta_id
    acct = account_client(sandbox)
    assert member in _member_ids(acct, group.id)
    _run(sandbox, lambda a: a.unassign_user_from_group(group.okta_id, okta_uid))
    okta_members = _run(sandbox, lambda a: a.list_group_users(group.okta_id))
    assert okta_uid not in {u["id"] for u in okta_members}  # Okta changed at once
    assert member in _member_ids(acct, group.id)  # Databricks has not seen it yet
    assert sandbox.admin("POST", "okta/push").json()["pushed"] == [group.id]
    assert member not in _member_ids(acct, group.id)


def test_a_push_runs_by_itself_after_the_delay(sandbox: RunningSandbox, state: SandboxState) -> None:
    group = _pushed(state, "ACTIVE")[1]
    member = _active_member(state, group)
    acct = account_client(sandbox)
    sandbox.faults(okta_push_delay_s=0.5)
    try:
        _run(sandbox, lambda a: a.unassign_user_from_group(group.okta_id, state.users[member].okta_id))
        assert member in _member_ids(acct, group.id)
        time.sleep(0.7)
        assert member not in _member_ids(acct, group.id)
    finally:
        sandbox.faults(okta_push_delay_s=3600)


def test_an_inactive_mapping_never_carries_an_okta_change(sandbox: RunningSandbox, state: SandboxState) -> None:
    group = _pushed(state, "INACTIVE")[0]
    member = _active_member(state, group)
    acct = account_client(sandbox)
    _run(sandbox, lambda a: a.unassign_user_from_group(group.okta_id, state.users[member].okta_id))
    assert sandbox.admin("POST", "okta/push", params={"all": "1"}).json()["pushed"]
    assert member in _member_ids(acct, group.id)  # the Databricks membership stays: remove it there


def test_a_databricks_side_removal_comes_back_at_the_next_push(sandbox: RunningSandbox, state: SandboxState) -> None:
    group = _pushed(state, "ACTIVE")[2]
    member = _active_member(state, group)
    acct = account_client(sandbox)
    remove = Patch(op=PatchOp.REMOVE, path=f'members[value eq "{member}"]')
    acct.groups.patch(group.id, operations=[remove], schemas=[PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP])
    assert member not in _member_ids(acct, group.id)
    sandbox.admin("POST", "okta/push", params={"all": "1"})  # "Push now", or any later Okta change
    assert member in _member_ids(acct, group.id)
