"""Rollback restores the exact before-state (idempotent; refuses what it would clobber); an
Okta-pushed membership is removed in Okta and confirmed once the push runs; a grant that comes
back reopens the revocation and escalates to security."""

from __future__ import annotations

from typing import Any

import pytest

from services.core.settings import Settings
from services.enforcer.rollback_revocation import rollback, select_ids
from services.events.codec import EventCodec
from services.events.schemas import SchemaCatalog
from tests.integration.enforcer.conftest import direct, pick
from tests.integration.enforcer.harness import make_enforcer
from tests.integration.sandbox.harness import RunningSandbox, workspace_client

pytestmark = pytest.mark.integration


def _unguarded(truth: dict[str, dict[str, Any]]) -> Any:
    guarded = {r["principal"]["id"] for r in truth.values() if r["privilege"] == "RUN_AS"}

    def ok(r: dict[str, Any]) -> bool:
        return direct(r) and r["principal"]["type"] == "user" and r["principal"]["id"] not in guarded

    return ok


def _shared(truth: dict[str, dict[str, Any]], r: dict[str, Any]) -> bool:
    return any(o["resource"]["id"] == r["resource"]["id"] and direct(o) and o["key"] != r["key"] for o in truth.values())


def test_rollback_restores_the_exact_before_state_once_and_refuses_to_clobber(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    enforcer.collect()
    before = sandbox.truth()
    ok, taken = _unguarded(before), set()
    membership = pick(before, lambda r: ok(r) and r["resource"]["type"] == "group" and not r["managed_by"], taken)
    uc = pick(
        before, lambda r: ok(r) and r["resource"]["type"] in ("table", "schema", "catalog") and r["privilege"] != "OWNER", taken
    )
    job = pick(
        before, lambda r: ok(r) and r["resource"]["type"] == "job" and r["privilege"] == "CAN_VIEW" and _shared(before, r), taken
    )
    rids = [enforcer.request(r, campaign="c-rollback") for r in (membership, uc, job)]
    assert enforcer.run(lambda s: all(s.get(rid) == "applied" for rid in rids)) == {rid: "applied" for rid in rids}
    assert set(sandbox.truth()) < set(before)

    # someone gives the job's user another level since: restoring would clobber it, so that one refuses
    w = workspace_client(sandbox, enforcer.deps.apis.deployment(job["resource"]["workspace_id"]))
    from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel

    w.permissions.update(
        "jobs",
        job["resource"]["id"].split("/")[1],
        access_control_list=[
            AccessControlRequest(user_name=job["principal"]["name"], permission_level=PermissionLevel.CAN_MANAGE_RUN)
        ],
    )
    results = {
        r.revocation_id: r
        for r in (rollback(enforcer.deps, rid, "ciso@example.com") for rid in select_ids(enforcer.deps, None, "c-rollback", None))
    }
    assert results[rids[0]].outcome == results[rids[1]].outcome == "restored"
    assert results[rids[2]].outcome == "refused" and "changed since" in results[rids[2]].detail
    after = sandbox.truth()
    restored_keys = set(before) - {job["key"]}
    assert restored_keys <= set(after)  # membership (with what it carried) and the UC grant exactly back
    assert set(after) - set(before) == {job["key"].replace("CAN_VIEW", "CAN_MANAGE_RUN")}

    again = rollback(enforcer.deps, rids[0], "ciso@example.com")
    assert again.outcome == "already"  # idempotent: nothing written twice
    rolled = [e.payload for e in enforcer.events("revocation.rolled_back")]
    assert sorted(p["revocation_id"] for p in rolled) == sorted(rids[:2]) and all(p["by"] == "ciso@example.com" for p in rolled)


def test_an_okta_pushed_membership_is_removed_in_okta_and_confirmed_after_the_push(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    sandbox.faults(okta_push_delay_s=3600.0)  # Okta pushes when told to, not before
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    enforcer.collect()
    before = sandbox.truth()
    guarded = {r["principal"]["id"] for r in before.values() if r["privilege"] == "RUN_AS"}
    pushed = pick(
        before,
        lambda r: (
            r["resource"]["type"] == "group"
            and bool(r["managed_by"])
            and direct(r)
            and r["principal"]["type"] == "user"
            and r["principal"]["id"] not in guarded
        ),
    )
    rid = enforcer.request(pushed)
    assert enforcer.run(lambda s: s.get(rid) == "applied") == {rid: "applied"}
    row = enforcer.row(rid)
    assert row.system == "okta" and row.action == "okta-membership"
    assert pushed["key"] in sandbox.truth()  # Databricks still has it until Okta pushes
    sandbox.admin("POST", "okta/push")
    assert pushed["key"] not in sandbox.truth()
    enforcer.collect()
    assert enforcer.run(lambda s: s.get(rid) == "verified")[rid] == "verified"


def test_a_grant_that_comes_back_reopens_the_revocation_and_escalates(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    enforcer.collect()
    before = sandbox.truth()
    ok = _unguarded(before)
    job = pick(
        before, lambda r: ok(r) and r["resource"]["type"] == "job" and r["privilege"] == "CAN_MANAGE_RUN" and _shared(before, r)
    )
    rid = enforcer.request(job)
    assert enforcer.run(lambda s: s.get(rid) == "applied") == {rid: "applied"}
    enforcer.collect()
    assert enforcer.run(lambda s: s.get(rid) == "verified") == {rid: "verified"}

    from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel

    w = workspace_client(sandbox, enforcer.deps.apis.deployment(job["resource"]["workspace_id"]))
    w.permissions.update(  # a Terraform run puts it back
        "jobs",
        job["resource"]["id"].split("/")[1],
        access_control_list=[
            AccessControlRequest(user_name=job["principal"]["name"], permission_level=PermissionLevel.CAN_MANAGE_RUN)
        ],
    )
    enforcer.collect()
    assert enforcer.run(lambda s: s.get(rid) == "reappeared") == {rid: "reappeared"}
    (failed,) = [e.payload for e in enforcer.events("revocation.failed") if e.payload["revocation_id"] == rid]
    assert failed["reappeared"] and failed["final"] and failed["observation_event_id"]
    escalations = [e.payload for e in enforcer.events("change_request.opened") if e.payload["kind"] == "escalation"]
    assert [p["assignee"] for p in escalations if p["revocation_id"] == rid] == [enforcer.settings.security_reviewer]


def test_an_account_role_is_removed_from_the_rule_set_alone_and_rolled_back(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    enforcer.collect()
    before = sandbox.truth()
    ok = _unguarded(before)
    role = pick(before, lambda r: ok(r) and r["resource"]["type"] in ("group_role", "service_principal_role"))
    rid = enforcer.request(role)
    assert enforcer.run(lambda s: s.get(rid) == "applied") == {rid: "applied"}, enforcer.row(rid).reason
    assert enforcer.row(rid).action == "account-role"
    assert set(before) - set(sandbox.truth()) == {role["key"]}  # every other rule of the rule set kept
    assert rollback(enforcer.deps, rid, "ciso@example.com").outcome == "restored"
    assert sandbox.truth() == before


def test_a_workspace_entitlement_is_patched_away_and_back(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    enforcer.collect()
    before = sandbox.truth()
    ok = _unguarded(before)
    granted = pick(
        before, lambda r: ok(r) and r["resource"]["type"] == "workspace_entitlement" and r["privilege"] == "allow-cluster-create"
    )
    rid = enforcer.request(granted)
    assert enforcer.run(lambda s: s.get(rid) == "applied") == {rid: "applied"}, enforcer.row(rid).reason
    assert set(before) - set(sandbox.truth()) == {granted["key"]}
    assert rollback(enforcer.deps, rid, "ciso@example.com").outcome == "restored"
    assert sandbox.truth() == before


def test_the_sandbox_refuses_entitlement_patches_as_databricks_does(sandbox: RunningSandbox) -> None:
    """Entitlements are a workspace's (the account SCIM has no such attribute), values are the
    four documented ones, and removing from a principal with none is terraform's tolerated 400
    (scim/resource_entitlement.go: "invalidPath No such attribute with the name : entitlements")."""
    from databricks.sdk.errors import BadRequest
    from databricks.sdk.service import iam

    from tests.integration.sandbox.harness import account_client

    truth = sandbox.truth()
    holder = pick(
        truth, lambda r: r["resource"]["type"] == "workspace_entitlement" and direct(r) and r["principal"]["type"] == "user"
    )
    uid = holder["principal"]["id"]
    remove = iam.Patch(op=iam.PatchOp.REMOVE, path="entitlements", value=[{"value": "allow-cluster-create"}])
    schemas = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]
    with pytest.raises(BadRequest, match="per workspace"):
        account_client(sandbox).users.patch(uid, operations=[remove], schemas=schemas)
    deployment = next(
        str(w.deployment_name)
        for w in account_client(sandbox).workspaces.list()
        if str(w.workspace_id) == holder["resource"]["id"]
    )
    w = workspace_client(sandbox, deployment)
    bogus = iam.Patch(op=iam.PatchOp.ADD, path="entitlements", value=[{"value": "can-do-anything"}])
    with pytest.raises(BadRequest, match="not an entitlement"):
        w.users.patch(uid, operations=[bogus], schemas=schemas)
    nobody = next(
        r["principal"]["id"]
        for r in truth.values()
        if r["principal"]["type"] == "user"
        and not any(
            o["principal"]["id"] == r["principal"]["id"] and o["resource"]["type"] == "workspace_entitlement" and direct(o)
            for o in truth.values()
        )
        and r["resource"].get("workspace_id") == holder["resource"]["id"]
    )
    with pytest.raises(BadRequest, match="No such attribute with the name : entitlements"):
        w.users.patch(nobody, operations=[remove], schemas=schemas)
