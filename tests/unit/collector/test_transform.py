"""Pure transforms on canned Databricks and Okta payloads (tests/data/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.collector.directory import OktaIndex, PrincipalIndex
from services.collector.entitlement import Entitlement, entitlement_from_record, entitlement_key
from services.collector.errors import IncompletePayloadError
from services.collector.identities import all_identities
from services.collector.kinds import tree_resource
from services.collector.okta_collect import OktaSnapshot
from services.collector.transform import (
    Tally,
    acl_entitlements,
    assignment_entitlements,
    catalog_tags,
    grant_entitlements,
    job_resource,
    uc_resource,
    workspace_ref,
)

DATA = Path(__file__).resolve().parents[2] / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@pytest.fixture
def okta() -> OktaSnapshot:
    return OktaSnapshot(load("okta/users.json"), load("okta/groups.json"), load("okta/group_owners.json"))


@pytest.fixture
def directory(okta: OktaSnapshot) -> PrincipalIndex:
    return PrincipalIndex(
        load("databricks/scim_users.json")["Resources"],
        load("databricks/scim_groups.json")["Resources"],
        load("databricks/scim_service_principals.json")["Resources"],
        OktaIndex.build(okta.users, okta.groups),
    )


def keys(entitlements: list[Entitlement]) -> set[str]:
    return {e.key for e in entitlements}


def test_key_layout_is_stable() -> None:
    assert entitlement_key("user", "1", "job", "5/9", "CAN_VIEW") == "user:1|job:5/9|CAN_VIEW|direct"
    assert (
        entitlement_key("user", "1", "job", "5/9", "CAN_VIEW", ("g1", "g2"), "/directories/3")
        == "user:1|job:5/9|CAN_VIEW|via:g1>g2|from:/directories/3"
    )


def test_join_is_case_insensitive_and_by_external_id(directory: PrincipalIndex) -> None:
    assert directory.principals["101"].okta_id == "00uADA"  # userName differs in case
    assert directory.principals["103"].okta_id is None
    assert directory.principals["202"].okta_id == "00gETL"
    assert directory.principals["203"].okta_id == "00gONC"  # no externalId: joined by name


def test_nested_groups_resolve_with_paths_and_cycles_terminate(directory: PrincipalIndex) -> None:
    members = {(m, chain) for m, chain in directory.paths("201")}
    assert ("101", ("202",)) in members and ("102", ("202", "203")) in members
    assert ("301", ("202",)) in members and ("104", ()) in members
    assert all("201" not in chain for _, chain in members)  # the cycle 201>202>203>201 is cut
    memberships = keys(list(directory.memberships()))
    assert "user:102|group:201|MEMBER|via:202>203" in memberships
    assert "group:202|group:201|MEMBER|direct" in memberships
    assert not any(k.startswith("user:999|") for k in memberships)  # unknown member ids are skipped


def test_workspace_assignments_expand_groups_and_tolerate_unknowns(directory: PrincipalIndex) -> None:
    ws = workspace_ref(load("databricks/workspaces.json")[0])
    assert ws.production and ws.scope == "workspace:5001"
    tally = Tally()
    got = keys(list(assignment_entitlements(directory, ws, load("databricks/assignments.json")["permission_assignments"], tally)))
    assert "group:202|workspace:5001|USER|direct" in got
    assert "user:101|workspace:5001|USER|via:202" in got
    assert "user:102|workspace:5001|USER|via:202>203" in got
    assert {"user:101|workspace:5001|ADMIN|direct", "user:101|workspace:5001|USER|direct"} <= got
    assert tally.counts == {"unknown_principal": 1, "unknown_value": 1}


def test_job_acl_owner_run_as_inheritance_and_unknown_levels(directory: PrincipalIndex) -> None:
    ws = workspace_ref(load("databricks/workspaces.json")[0])
    perms = load("databricks/job_permissions.json")
    resource = job_resource(ws, load("databricks/job.json"), perms)
    assert resource.id == "5001/9001" and resource.production
    assert resource.owner == "6f1c2f2e-aaaa-bbbb-cccc-000000000301"
    assert dict(resource.tags)["run_as"] == "6f1c2f2e-aaaa-bbbb-cccc-000000000301"
    tally = Tally()
    got = list(acl_entitlements(directory, ws.scope, resource, perms, tally))
    by_key = {e.key: e for e in got}
    assert "service_principal:301|job:5001/9001|IS_OWNER|direct" in by_key
    assert "user:101|job:5001/9001|CAN_MANAGE|via:201>202" in by_key
    assert not by_key["user:101|job:5001/9001|CAN_MANAGE|via:201>202"].direct
    assert "user:102|job:5001/9001|CAN_VIEW|direct" in by_key  # ACL names are matched case-insensitively
    assert tally.counts == {"unknown_principal": 1, "unknown_value": 1}  # "admins" and a level-less entry
    directory.add_workspace_groups(ws.workspace_id, [{"id": "9001", "displayName": "admins", "members": [{"value": "101"}]}])
    resolved = {e.key for e in acl_entitlements(directory, ws.scope, resource, perms, Tally())}
    assert f"group:9001|job:{resource.id}|CAN_MANAGE|direct|from:/jobs/" in resolved  # the workspace's own admins
    assert f"user:101|job:{resource.id}|CAN_MANAGE|via:9001|from:/jobs/" in resolved


def test_notebook_inherited_entry_records_its_parent(directory: PrincipalIndex) -> None:
    ws = workspace_ref(load("databricks/workspaces.json")[1])
    found = tree_resource(ws, {"path": "/Shared/x/nb", "object_type": "NOTEBOOK", "object_id": 1001})
    assert found is not None
    entry, resource = found
    assert entry.permissions_path == "notebooks" and resource.type == "notebook" and not resource.production
    assert tree_resource(ws, {"path": "/Shared/lib", "object_type": "LIBRARY", "object_id": 7}) is None
    got = {
        e.key: e for e in acl_entitlements(directory, ws.scope, resource, load("databricks/notebook_permissions.json"), Tally())
    }
    inherited = got["user:101|notebook:5002/1001|CAN_EDIT|direct|from:/directories/1000"]
    assert inherited.inherited and inherited.inherited_from == "/directories/1000"
    assert not got["user:101|notebook:5002/1001|CAN_RUN|direct"].inherited


def test_unity_catalog_grants_by_principal_name(directory: PrincipalIndex) -> None:
    info = load("databricks/catalog.json")
    resource = uc_resource("catalog", "ms-1", info, catalog_tags(info))
    assert resource.production and dict(resource.tags) == {"approver": "ada.lopez@example.com"}
    tally = Tally()
    got = keys(
        list(
            grant_entitlements(
                directory,
                "metastore:ms-1",
                resource,
                load("databricks/catalog_grants.json")["privilege_assignments"],
                tally,
            )
        )
    )
    assert "group:203|catalog:ms-1/prod_sales|SELECT|direct" in got
    assert "user:102|catalog:ms-1/prod_sales|SELECT|via:203" in got
    assert "service_principal:301|catalog:ms-1/prod_sales|ALL_PRIVILEGES|direct" in got
    # "account users" is not a SCIM principal, but it is everyone: resolved, and expanded to every user
    assert "group:builtin:account-users|catalog:ms-1/prod_sales|BROWSE|direct" in got
    assert "user:102|catalog:ms-1/prod_sales|BROWSE|via:builtin:account-users" in got
    assert tally.counts == {}


def test_missing_required_fields_raise_instead_of_dropping(directory: PrincipalIndex) -> None:
    ws = workspace_ref(load("databricks/workspaces.json")[0])
    with pytest.raises(IncompletePayloadError, match="job_id"):
        job_resource(ws, {"settings": {"name": "no id"}}, {})
    with pytest.raises(IncompletePayloadError, match="userName"):
        PrincipalIndex([{"id": "1"}], [], [])
    with pytest.raises(IncompletePayloadError, match="deployment_name"):
        workspace_ref({"workspace_id": 1})


def test_identities_flags_owners_and_approvers(directory: PrincipalIndex, okta: OktaSnapshot) -> None:
    by_id = {i["id"]: i for i in all_identities(directory, okta)}
    assert "orphan" in by_id["103"]["flags"]
    ben = by_id["102"]
    assert "deactivated_in_okta_active_in_databricks" in ben["flags"] and "contractor" in ben["flags"]
    assert ben["manager_email"] == "ada.lopez@example.com" and ben["source"] == "joined"
    gone = by_id["104"]  # deprovisioned in Okta and inactive in Databricks: properly offboarded
    assert "inactive_in_databricks" in gone["flags"]
    assert "deactivated_in_okta_active_in_databricks" not in gone["flags"]
    assert by_id["00uNEW"]["flags"] == ["not_in_databricks"] and by_id["00uNEW"]["source"] == "okta"
    assert by_id["201"]["owners"] == ["ada.lopez@example.com"] and "no_approver" not in by_id["201"]["flags"]
    assert by_id["202"]["approvers"] == ["ada.lopez@example.com", "ben.khan@example.com"]
    assert "no_approver" in by_id["203"]["flags"]
    assert set(by_id["204"]["flags"]) == {"not_in_okta", "no_approver"}
    assert by_id["301"]["user_type"] == "service"


def test_without_okta_nothing_is_called_an_orphan(directory: PrincipalIndex) -> None:
    plain = PrincipalIndex(load("databricks/scim_users.json")["Resources"], [], [])
    assert not any("orphan" in i["flags"] for i in all_identities(plain, None))


def test_record_round_trip(directory: PrincipalIndex) -> None:
    ws = workspace_ref(load("databricks/workspaces.json")[0])
    perms = load("databricks/job_permissions.json")
    for e in acl_entitlements(directory, ws.scope, job_resource(ws, load("databricks/job.json"), perms), perms, Tally()):
        assert entitlement_from_record(e.as_record()) == e


def test_unity_catalog_ownership_is_an_entitlement_expanded_through_an_owning_group(directory: PrincipalIndex) -> None:
    from services.collector.transform import owner_entitlements

    group = next(p for p in directory.principals.values() if p.type == "group" and directory.paths(p.id))
    resource = uc_resource("table", "ms-1", {"full_name": "prod_x.s.t", "owner": group.name}, ())
    got = {e.key for e in owner_entitlements(directory, "metastore:ms-1", resource, Tally())}
    assert f"group:{group.id}|table:ms-1/prod_x.s.t|OWNER|direct" in got
    assert len(got) == 1 + sum(1 for m, _ in directory.paths(group.id) if directory.principals[m].type != "group")
    tally = Tally()
    orphan = uc_resource("table", "ms-1", {"full_name": "prod_x.s.u", "owner": "System user"}, ())
    assert list(owner_entitlements(directory, "metastore:ms-1", orphan, tally)) == []
    assert tally.counts == {"unknown_principal": 1}
