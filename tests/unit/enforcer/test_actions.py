"""The actions' pure parts: which entitlement takes which action, the state without it, the calls."""

from __future__ import annotations

from services.enforcer.actions import ManualChange, resolve
from services.enforcer.actions.acl import AclAction, direct_entries
from services.enforcer.actions.assignment import AssignmentAction
from services.enforcer.actions.okta import OktaMembershipAction
from services.enforcer.actions.uc_grant import UcGrantAction
from tests.unit.enforcer.test_guardrails import ALICE, JOB, TABLE, WS, ent

PERMISSIONS = {
    "access_control_list": [
        {"user_name": "alice@example.com", "all_permissions": [{"permission_level": "CAN_VIEW", "inherited": False}]},
        {"user_name": "owner@example.com", "all_permissions": [{"permission_level": "IS_OWNER", "inherited": False}]},
        {"group_name": "admins", "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": True}]},
    ]
}


def test_the_table_picks_the_action_for_each_kind() -> None:
    group = {"type": "group", "id": "g1", "name": "etl", "workspace_id": None, "production": False}
    assert isinstance(resolve(ent(ALICE, JOB, "CAN_VIEW")), AclAction)
    assert isinstance(resolve(ent(ALICE, TABLE, "SELECT")), UcGrantAction)
    assert isinstance(resolve(ent(ALICE, WS, "ADMIN")), AssignmentAction)
    pushed = {**ent(ALICE, group, "MEMBER"), "managed_by": "okta-push:00g1"}
    pushed["principal"]["okta_id"] = "00u1"
    assert isinstance(resolve(pushed), OktaMembershipAction)
    for manual in (ent(ALICE, JOB, "IS_OWNER"), ent(ALICE, JOB, "RUN_AS"), ent(ALICE, JOB, "CAN_VIEW", ("g1",))):
        assert isinstance(resolve(manual), ManualChange)


def test_the_acl_written_back_keeps_every_other_direct_entry_and_the_owner() -> None:
    action, e = AclAction(), ent(ALICE, JOB, "CAN_VIEW")
    before = {"ws": "dbc-1", "object_type": "jobs", "object_id": "7", "acl": direct_entries(PERMISSIONS)}
    assert action.present(before, e)
    after = action.without(before, e)
    assert after["acl"] == [{"user_name": "owner@example.com", "permission_level": "IS_OWNER"}]  # inherited admins not written
    (call,) = action.calls(before, after, e)
    assert call == {
        "method": "set_permissions",
        "args": {"ws": "dbc-1", "object_type": "jobs", "object_id": "7", "acl": after["acl"]},
    }


def test_an_acl_rollback_adds_the_entry_back_and_keeps_later_grants() -> None:
    action, e = AclAction(), ent(ALICE, JOB, "CAN_VIEW")
    before = {"ws": "w", "object_type": "jobs", "object_id": "7", "acl": direct_entries(PERMISSIONS)}
    after = action.without(before, e)
    later = {**after, "acl": [*after["acl"], {"group_name": "ops", "permission_level": "CAN_VIEW"}]}
    assert action.restore_conflict(later, after, before, e) is None
    restored = action.restored(later, before, e)
    assert {"group_name": "ops", "permission_level": "CAN_VIEW"} in restored["acl"] and action.present(restored, e)
    changed = {**after, "acl": [*after["acl"], {"user_name": "alice@example.com", "permission_level": "CAN_MANAGE"}]}
    assert action.restore_conflict(changed, after, before, e) is not None


def test_revoking_admin_downgrades_and_revoking_user_deletes() -> None:
    action = AssignmentAction()
    state = {"workspace_id": "101", "principal_id": "alice", "permissions": ["ADMIN", "USER"]}
    assert action.without(state, ent(ALICE, WS, "ADMIN"))["permissions"] == ["USER"]
    assert action.without(state, ent(ALICE, WS, "USER"))["permissions"] == []
    (call,) = action.calls(state, action.without(state, ent(ALICE, WS, "USER")), ent(ALICE, WS, "USER"))
    assert call["args"]["permissions"] == []


def test_a_uc_removal_names_only_the_revoked_privilege() -> None:
    action, e = UcGrantAction(), ent(ALICE, TABLE, "SELECT")
    before = {
        "ws": "w",
        "securable_type": "table",
        "full_name": "prod.fin.ledger",
        "principal": "alice@example.com",
        "privileges": ["MODIFY", "SELECT"],
    }
    (call,) = action.calls(before, action.without(before, e), e)
    assert call["args"]["op"] == "remove" and call["args"]["privileges"] == ["SELECT"]


def test_a_request_is_validated_before_anything_is_read() -> None:
    from services.enforcer.receive_request import problems

    good = {"revocation_id": "r-01ABC", "entitlement": ent(ALICE, JOB, "CAN_VIEW")}
    assert problems(good, {"101": "dbc-101"}) == []
    assert problems(good, {}) == ["workspace 101 is not in the account"]
    broken = {"revocation_id": "42", "entitlement": {"key": "", "principal": {"type": "robot"}, "resource": {}}}
    found = problems(broken, {})
    assert "revocation_id '42' is not r-<ULID>" in found and "entitlement.key is missing" in found
    assert any("unknown type" in p for p in found) and "entitlement.resource has no type or id" in found


def test_a_role_removal_keeps_the_other_holders() -> None:
    from services.enforcer.actions.account_role import AccountRoleAction

    group = {"type": "group_role", "id": "g1", "name": "etl", "workspace_id": None, "production": False}
    e = ent(ALICE, group, "MANAGER")
    action = resolve(e)
    assert isinstance(action, AccountRoleAction)
    state = {
        "resource": "groups/g1",
        "role": "roles/group.manager",
        "holders": ["users/alice@example.com", "users/bob@example.com"],
    }
    (call,) = action.calls(state, action.without(state, e), e)
    assert call["args"]["principals"] == ["users/bob@example.com"]
