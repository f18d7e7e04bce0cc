"""Okta group owners can be groups: every member of an owning group owns the group (reviews route to them)."""

from __future__ import annotations

import pytest

from services.collector.collect import CollectionOptions
from services.collector.run import run_collection
from services.core.settings import Settings
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import running_sandbox

pytestmark = pytest.mark.integration
SEED = 13


def test_an_owning_groups_members_are_the_groups_owners(settings: Settings) -> None:
    # okta GroupOwnerApi.list_group_owners: owners carry type USER or GROUP, paged with after/limit
    state = build_state("tiny", SEED)
    by_okta = {g.okta_id: g for g in state.groups.values() if g.okta_id}
    owned = next(g for g in state.groups.values() if any(o in by_okta for o in g.okta_owner_ids))
    expected: set[str] = set()
    for oid in owned.okta_owner_ids:
        if oid in by_okta:
            expected |= {state.users[m].user_name for m in by_okta[oid].members if m in state.users and state.users[m].okta_id}
        else:
            expected |= {u.user_name for u in state.users.values() if u.okta_id == oid}
    with running_sandbox(scenario="tiny", seed=SEED) as sandbox:
        report = run_collection(sandbox.settings(settings), CollectionOptions(workers=4, audit_days=0, workspaces=["dbc-000"]))
    group = next(i for i in report.result.identities if i["identity_type"] == "group" and i["name"] == owned.display_name)
    assert expected and set(group["owners"]) == expected
    assert not any(o.startswith("00g") for i in report.result.identities for o in i["owners"])  # never a raw group id


def test_memberships_okta_pushes_are_marked_managed_by_okta(settings: Settings) -> None:
    # okta GroupPushMappingApi: an ACTIVE mapping of the Databricks app keeps the group's membership
    # in Okta, so a revocation there must unassign in Okta (see tests/integration/sandbox/test_okta_push_fidelity.py)
    state = build_state("tiny", SEED)
    options = CollectionOptions(workers=4, audit_days=0, workspaces=["dbc-000"])
    with running_sandbox(scenario="tiny", seed=SEED) as sandbox:
        truth = {k: r for k, r in sandbox.truth().items() if r["scope"] == "account"}
        report = run_collection(sandbox.settings(settings), options)
        unset = run_collection(sandbox.settings(settings, okta_databricks_app_id=None), options)
    collected = {e.key: e.managed_by for e in report.result.scopes["account"].entitlements}
    expected = {k: r["managed_by"] for k, r in truth.items()}
    assert collected == expected
    managed = {v for v in expected.values() if v}
    active = {f"okta-push:{g.okta_id}" for g in state.groups.values() if g.push_status == "ACTIVE"}
    inactive = {f"okta-push:{g.okta_id}" for g in state.groups.values() if g.push_status == "INACTIVE"}
    assert managed and managed <= active and not managed & inactive
    assert any(v is None and r["privilege"] == "MEMBER" and r["direct"] for k, r in truth.items() for v in [expected[k]])
    okta_scope = unset.result.scopes["okta"]
    assert okta_scope.status == "partial" and "AR_OKTA_DATABRICKS_APP_ID" in (okta_scope.reason or "")
    assert not any(e.managed_by for e in unset.result.scopes["account"].entitlements)
