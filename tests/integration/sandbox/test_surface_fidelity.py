"""The workspace surfaces beyond jobs and compute answer as the real ones do, through the official
SDK: pipelines, policies, pools, serving endpoints, registry models, experiments, Git folders,
``/authorization/tokens``, secret scopes, personal access tokens and SCIM entitlements.
Sources are cited in each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied, ResourceConflict
from databricks.sdk.service import iam
from databricks.sdk.service.workspace import AclPermission

from services.sandbox.model import ADMINS, USERS, SandboxState, local_group_id
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox, account_client, running_sandbox, workspace_client

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


def test_every_listed_kind_lists_through_the_sdk_with_the_ids_its_permissions_take(
    ws: WorkspaceClient, state: SandboxState
) -> None:
    # terraform-provider-databricks permissions/permission_definitions.go: field, objectType and
    # requestObjectType of each kind; the SDK's list calls (service/pipelines.py, compute.py,
    # serving.py, ml.py, workspace.py) and the ids they carry
    truth = state.workspaces[min(state.workspaces)]
    pipelines = list(ws.pipelines.list_pipelines())
    assert {p.pipeline_id for p in pipelines} == {o.id for o in truth.acl_objects["pipelines"]}
    assert all(p.run_as_user_name and p.creator_user_name for p in pipelines)
    assert {p.policy_id for p in ws.cluster_policies.list()} == {o.id for o in truth.acl_objects["cluster-policies"]}
    assert {p.instance_pool_id for p in ws.instance_pools.list()} == {o.id for o in truth.acl_objects["instance-pools"]}
    assert {e.id for e in ws.serving_endpoints.list()} == {o.id for o in truth.acl_objects["serving-endpoints"]}
    assert {e.experiment_id for e in ws.experiments.list_experiments()} == {o.id for o in truth.acl_objects["experiments"]}
    assert {str(r.id) for r in ws.repos.list()} == {o.id for o in truth.acl_objects["repos"]}
    for path, objects in truth.acl_objects.items():
        for obj in objects:
            perms = ws.permissions.get(path, obj.id)
            assert perms.object_id == f"/{path}/{obj.id}"
    expected_types = {"pipelines": "pipelines", "cluster-policies": "cluster-policy", "authorization": "tokens"}
    for path, object_type in expected_types.items():
        first = truth.acl_objects[path][0]
        assert ws.permissions.get(path, first.id).object_type == object_type


def test_a_registry_model_list_has_no_id_and_get_model_gives_it(sandbox: RunningSandbox, state: SandboxState) -> None:
    # ml.py: RegisteredModel (list_models) has no id; GetModelResponse.registered_model_databricks.id
    # is what /permissions/registered-models/<id> takes (terraform field registered_model_id)
    having = [w.deployment_name for w in state.workspaces.values() if w.acl_objects["registered-models"]]
    assert having, "the scenario has registry models"
    ws = workspace_client(sandbox, having[0])
    listed = list(ws.model_registry.list_models())
    assert listed and all("id" not in m.as_dict() for m in listed)
    got = ws.model_registry.get_model(listed[0].name).registered_model_databricks
    assert got is not None and got.id
    assert ws.permissions.get("registered-models", got.id).object_type == "registered-model"


def test_a_pipeline_keeps_exactly_one_owner_and_levels_are_checked_per_kind(ws: WorkspaceClient, state: SandboxState) -> None:
    # reference real-databricks-okta.md "Permission writes": jobs and pipelines keep exactly one owner
    # (terraform-provider-databricks#303); levels per object type (permission_definitions.go)
    truth = state.workspaces[min(state.workspaces)]
    pipeline = truth.acl_objects["pipelines"][0]
    users = sorted(u.user_name for u in state.users.values() if u.in_databricks)[:2]
    two_owners = [iam.AccessControlRequest(user_name=u, permission_level=iam.PermissionLevel.IS_OWNER) for u in users]
    with pytest.raises(BadRequest, match="exactly one owner"):
        ws.permissions.set("pipelines", pipeline.id, access_control_list=two_owners)
    with pytest.raises(BadRequest, match="not supported"):
        ws.permissions.update(
            "cluster-policies",
            truth.acl_objects["cluster-policies"][0].id,
            access_control_list=[iam.AccessControlRequest(user_name=users[0], permission_level=iam.PermissionLevel.CAN_MANAGE)],
        )


def test_secret_scope_acls_have_their_own_api_with_one_permission_per_principal(ws: WorkspaceClient, state: SandboxState) -> None:
    # databricks-sdk-py workspace.py SecretsAPI: list_scopes, list_acls(scope) -> AclItem(principal,
    # permission READ|WRITE|MANAGE), put_acl replaces a principal's permission, delete_acl removes it
    truth = state.workspaces[min(state.workspaces)]
    scope = truth.secret_scopes[0].name
    assert {s.name for s in ws.secrets.list_scopes()} == {s.name for s in truth.secret_scopes}
    acl = {a.principal: a.permission.value for a in ws.secrets.list_acls(scope) if a.permission and a.principal}
    assert acl.get(ADMINS) == "MANAGE"
    someone = sorted(u.user_name for u in state.users.values() if u.in_databricks)[0]

    ws.secrets.put_acl(scope, someone, AclPermission.READ)
    ws.secrets.put_acl(scope, someone, AclPermission.WRITE)
    mine = [a for a in ws.secrets.list_acls(scope) if a.principal == someone]
    assert [a.permission for a in mine] == [AclPermission.WRITE]
    ws.secrets.delete_acl(scope, someone)
    assert all(a.principal != someone for a in ws.secrets.list_acls(scope))
    with pytest.raises(NotFound):
        ws.secrets.delete_acl(scope, someone)
    with pytest.raises(NotFound):
        list(ws.secrets.list_acls("no-such-scope"))


def test_tokens_are_listed_for_admins_with_owner_and_last_use(
    sandbox: RunningSandbox, ws: WorkspaceClient, state: SandboxState
) -> None:
    # settings.py TokenManagementAPI.list -> TokenInfo(token_id, owner_id, created_by_username,
    # expiry_time, last_used_day); "Only Admins can access token management APIs" otherwise
    truth = state.workspaces[min(state.workspaces)]
    infos = list(ws.token_management.list())
    assert {t.token_id for t in infos} == {t.token_id for t in truth.tokens}
    assert all(t.owner_id and t.created_by_username for t in infos)
    sandbox.faults(non_admin=["dbc-000"])
    try:
        with pytest.raises(PermissionDenied):
            list(ws.token_management.list())
        assert list(ws.pipelines.list_pipelines()) == []  # a non-admin sees only what was shared with it
    finally:
        sandbox.faults(non_admin=[])


def test_tokens_permission_object_holds_the_admins_directly(ws: WorkspaceClient, state: SandboxState) -> None:
    # terraform permission_definitions.go: /authorization/tokens with ObjectIdMatches -> AddAdmin
    wid = min(state.workspaces)
    perms = ws.permissions.get("authorization", "tokens")
    admins = [e for e in perms.access_control_list or [] if e.group_name == ADMINS]
    assert admins and admins[0].all_permissions and not admins[0].all_permissions[0].inherited
    assert local_group_id(wid, ADMINS) in {g.principal_id for g in state.workspaces[wid].acl_objects["authorization"][0].acl}


def test_scim_entitlements_are_the_workspaces_and_users_holds_the_defaults(
    sandbox: RunningSandbox, ws: WorkspaceClient, state: SandboxState
) -> None:
    # SDK iam.py Group/User/ServicePrincipal.entitlements; every workspace's "users" group holds
    # workspace-access and databricks-sql-access by default; the account's SCIM carries none of them
    users = next(iter(ws.groups.list(filter=f'displayName eq "{USERS}"', attributes="id,displayName,entitlements")))
    assert {e.value for e in users.entitlements or []} == {"workspace-access", "databricks-sql-access"}
    listed = {u.id for u in ws.users.list(attributes="id,userName")}
    truth = state.workspaces[min(state.workspaces)]
    assert listed == {pid for pid in state.workspace_user_ids(truth) if pid in state.users}  # a workspace lists its own users
    account = account_client(sandbox)
    groups = list(account.groups.list(attributes="id,displayName,entitlements"))
    assert groups and all(not g.entitlements for g in groups)


def test_pipelines_page_size_is_bounded(sandbox: RunningSandbox, ws: WorkspaceClient) -> None:
    # pipelines.py list_pipelines: "The maximum value is 100. An error is returned if the value of
    # max_results is greater than 100."
    with pytest.raises(BadRequest):
        list(ws.pipelines.list_pipelines(max_results=101))
    assert len(list(ws.pipelines.list_pipelines(max_results=1))) >= 1


PATCH_SCHEMA = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]


def test_scim_patch_adds_replaces_and_removes_and_a_pathless_remove_is_refused(sandbox: RunningSandbox) -> None:
    # RFC 7644 §3.5.2: add / replace with a members value list, remove by filter path; §3.5.2.2: a
    # remove without a path fails with 400 "noTarget"; SDK iam.py AccountGroupsV2API.patch
    acct = account_client(sandbox)
    group = next(g for g in (acct.groups.get(x.id) for x in acct.groups.list() if x.id) if len(g.members or []) > 1)
    assert group.id and group.members
    first, second = (m.value for m in group.members[:2])
    acct.groups.patch(
        group.id, operations=[iam.Patch(op=iam.PatchOp.REPLACE, path="members", value=[{"value": first}])], schemas=PATCH_SCHEMA
    )
    assert [m.value for m in acct.groups.get(group.id).members or []] == [first]
    acct.groups.patch(
        group.id,
        operations=[iam.Patch(op=iam.PatchOp.ADD, path="members", value=[{"value": second}, {"value": first}])],
        schemas=PATCH_SCHEMA,
    )
    assert sorted(m.value or "" for m in acct.groups.get(group.id).members or []) == sorted([first or "", second or ""])
    with pytest.raises(BadRequest, match="noTarget"):
        acct.groups.patch(group.id, operations=[iam.Patch(op=iam.PatchOp.REMOVE)], schemas=PATCH_SCHEMA)
    with pytest.raises(BadRequest, match="not found"):
        acct.groups.patch(
            group.id,
            operations=[iam.Patch(op=iam.PatchOp.ADD, path="members", value=[{"value": "no-such-id"}])],
            schemas=PATCH_SCHEMA,
        )


def test_removing_a_member_of_a_workspaces_local_admins_takes_away_its_admin_access(
    sandbox: RunningSandbox, state: SandboxState
) -> None:
    # workspace-local admins / users (reference "Identities"): without identity federation their
    # membership is the workspace's access, and SCIM PATCH on the workspace group changes it
    legacy = next(w for w in state.workspaces.values() if not w.identity_federation)
    ws = workspace_client(sandbox, legacy.deployment_name)
    admins = next(iter(ws.groups.list(filter=f'displayName eq "{ADMINS}"', attributes="id,displayName,members")))
    assert admins.id and admins.members
    victim = admins.members[0].value
    ws.groups.patch(
        admins.id, operations=[iam.Patch(op=iam.PatchOp.REMOVE, path=f'members[value eq "{victim}"]')], schemas=PATCH_SCHEMA
    )
    after = ws.groups.get(admins.id)
    assert victim not in {m.value for m in after.members or []}
    users = next(iter(ws.groups.list(filter=f'displayName eq "{USERS}"', attributes="id,displayName,members")))
    assert victim in {m.value for m in users.members or []}  # still a user of the workspace, no longer an admin


def test_uc_remove_acts_only_where_granted_and_an_absent_privilege_is_a_silent_no_op(
    sandbox: RunningSandbox, state: SandboxState
) -> None:
    # reference "Permission writes": grants.update removes only at the securable where the
    # privilege was granted; inherited grants stay; removing an absent privilege is a silent no-op
    from databricks.sdk.service import catalog

    ws = workspace_client(sandbox, "dbc-000")
    metastore = state.workspaces[min(state.workspaces)].metastore_id
    cat = next(
        s
        for s in state.securables.values()
        if s.kind == "catalog" and s.metastore_id == metastore and s.grants and s.bound_workspaces is None
    )
    schema = next(s for s in state.securables.values() if s.kind == "schema" and s.full_name.startswith(cat.full_name + "."))
    grant = cat.grants[0]
    principal = state.principal_name(grant.principal_id)[1]
    ws.grants.update(
        "schema",
        schema.full_name,
        changes=[catalog.PermissionsChange(principal=principal, remove=[catalog.Privilege(grant.privilege)])],
    )
    effective = ws.grants.get_effective("schema", schema.full_name).privilege_assignments or []
    inherited = [
        p for a in effective if a.principal == principal for p in a.privileges or [] if p.inherited_from_name == cat.full_name
    ]
    assert any(p.privilege and p.privilege.value == grant.privilege for p in inherited)
    on_catalog = ws.grants.get("catalog", cat.full_name).privilege_assignments or []
    assert any(a.principal == principal and grant.privilege in [p.value for p in a.privileges or []] for a in on_catalog)


def test_uc_securables_outside_tables_list_through_the_sdk_and_take_grants(ws: WorkspaceClient, state: SandboxState) -> None:
    # terraform catalog/permissions/permissions.go Mappings: a Unity Catalog model is granted as a
    # "function"; storage credentials, external locations and connections are metastore-level securables
    metastore = ws.metastores.current().metastore_id
    ours = [s for s in state.securables.values() if s.metastore_id == metastore]
    for kind, listed in (
        ("storage_credential", [c.name for c in ws.storage_credentials.list()]),
        ("external_location", [e.name for e in ws.external_locations.list()]),
        ("connection", [c.name for c in ws.connections.list()]),
        ("share", [s.name for s in ws.shares.list_shares()]),
    ):
        assert sorted(str(n) for n in listed) == sorted(s.name for s in ours if s.kind == kind), kind
    model = next(s for s in ours if s.kind == "model" and s.grants)
    catalog_name, schema_name, _ = model.full_name.split(".")
    assert model.full_name in {m.full_name for m in ws.registered_models.list(catalog_name=catalog_name, schema_name=schema_name)}
    granted = ws.grants.get("function", model.full_name).privilege_assignments or []
    assert sum(len(a.privileges or []) for a in granted) == len(model.grants)
    location = next(s for s in ours if s.kind == "external_location" and s.grants)
    on_location = ws.grants.get("external_location", location.full_name).privilege_assignments or []
    assert sum(len(a.privileges or []) for a in on_location) == len(location.grants)
    with pytest.raises(BadRequest, match="Invalid securable type"):
        ws.grants.get("registered_model", model.full_name)


def test_a_shares_permissions_name_its_recipients_through_their_own_api(ws: WorkspaceClient, state: SandboxState) -> None:
    # sharing.py SharesAPI.share_permissions: GET /api/2.1/unity-catalog/shares/{name}/permissions
    share = next(iter(ws.shares.list_shares()))
    got = ws.shares.share_permissions(str(share.name))
    assert got.privilege_assignments == [] or got.privilege_assignments is None
    assert share.owner


def test_an_isolated_catalog_is_listed_and_reached_only_where_it_is_bound(sandbox: RunningSandbox, state: SandboxState) -> None:
    # SDK CatalogsAPI.list include_unbound: "Whether to include catalogs not bound to the workspace";
    # terraform-provider-databricks#2446: "Catalog '...' is not accessible in current workspace", and
    # #2451: "even metastore admins" cannot act on it from an unbound workspace
    cat = next(s for s in state.securables.values() if s.kind == "catalog" and s.bound_workspaces)
    by_id = {w.workspace_id: w.deployment_name for w in state.workspaces.values() if w.metastore_id == cat.metastore_id}
    bound = by_id[cat.bound_workspaces[0]]  # type: ignore[index]
    unbound = next(d for i, d in by_id.items() if i not in (cat.bound_workspaces or []))
    outside, inside = workspace_client(sandbox, unbound), workspace_client(sandbox, bound)
    assert cat.full_name not in {c.name for c in outside.catalogs.list()}
    listed = {c.name: c for c in outside.catalogs.list(include_unbound=True)}
    assert listed[cat.full_name].isolation_mode is not None and listed[cat.full_name].isolation_mode.value == "ISOLATED"
    with pytest.raises(PermissionDenied, match="not accessible in current workspace"):
        outside.grants.get("catalog", cat.full_name)
    with pytest.raises(PermissionDenied, match="not accessible in current workspace"):
        list(outside.schemas.list(cat.full_name))
    assert cat.full_name in {c.name for c in inside.catalogs.list()}
    assert list(inside.schemas.list(cat.full_name))
    bindings = list(outside.workspace_bindings.get_bindings("catalog", cat.full_name))
    assert sorted(b.workspace_id for b in bindings) == sorted(cat.bound_workspaces or [])


def test_account_rule_sets_name_group_managers_and_service_principal_users(sandbox: RunningSandbox, state: SandboxState) -> None:
    # SDK AccountAccessControlAPI.get_rule_set: name accounts/<aid>/groups/<gid>/ruleSets/default or
    # .../servicePrincipals/<application id>/ruleSets/default; roles roles/group.manager,
    # roles/servicePrincipal.manager, roles/servicePrincipal.user; principals users/<userName>, groups/<name>
    acct = account_client(sandbox)
    aid = sandbox.info["account_id"]
    key, rules = next((k, r) for k, r in state.rule_sets.items() if k.startswith("groups/"))
    got = acct.access_control.get_rule_set(f"accounts/{aid}/{key}/ruleSets/default", "")
    assert got.etag and [(r.role, r.principals) for r in got.grant_rules or []] == [
        ("roles/group.manager", [f"users/{state.principal_name(p)[1]}" for p in rules["roles/group.manager"]])
    ]
    key, rules = next((k, r) for k, r in state.rule_sets.items() if "roles/servicePrincipal.user" in r)
    got = acct.access_control.get_rule_set(f"accounts/{aid}/{key}/ruleSets/default", "")
    assert {r.role for r in got.grant_rules or []} == {"roles/servicePrincipal.manager", "roles/servicePrincipal.user"}
    user_rule = next(r for r in got.grant_rules or [] if r.role == "roles/servicePrincipal.user")
    assert all(p.startswith("groups/") for p in user_rule.principals or [])
    with pytest.raises(NotFound):
        acct.access_control.get_rule_set(f"accounts/{aid}/groups/999/ruleSets/default", "")
    with pytest.raises(BadRequest):
        acct.access_control.get_rule_set(f"accounts/{aid}/groups", "")


def test_a_rule_set_update_replaces_every_rule_and_needs_the_current_etag(sandbox: RunningSandbox, state: SandboxState) -> None:
    # SDK AccountAccessControlAPI.update_rule_set replaces the rules; terraform
    # permissions/resource_access_control_rule_set.go retries a 409 RESOURCE_CONFLICT with the latest etag
    acct = account_client(sandbox)
    key, rules = next((k, r) for k, r in sorted(state.rule_sets.items()) if "roles/servicePrincipal.user" in r)
    name = f"accounts/{sandbox.info['account_id']}/{key}/ruleSets/default"
    before = acct.access_control.get_rule_set(name, "")
    managers = [r for r in before.grant_rules or [] if r.role == "roles/servicePrincipal.manager"]
    with pytest.raises(ResourceConflict):
        acct.access_control.update_rule_set(name, iam.RuleSetUpdateRequest(name, "stale", managers))
    after = acct.access_control.update_rule_set(name, iam.RuleSetUpdateRequest(name, before.etag or "", managers))
    assert {r.role for r in after.grant_rules or []} == {"roles/servicePrincipal.manager"}  # the user rule is gone
    assert after.etag != before.etag
    with pytest.raises(ResourceConflict):  # the etag read before the change is stale now
        acct.access_control.update_rule_set(name, iam.RuleSetUpdateRequest(name, before.etag or "", managers))
    wrong_role = [iam.GrantRule("roles/group.manager", managers[0].principals)]
    with pytest.raises(BadRequest):
        acct.access_control.update_rule_set(name, iam.RuleSetUpdateRequest(name, after.etag or "", wrong_role))
    nobody = [iam.GrantRule("roles/servicePrincipal.manager", ["users/nobody@nowhere.example"])]
    with pytest.raises(BadRequest):
        acct.access_control.update_rule_set(name, iam.RuleSetUpdateRequest(name, after.etag or "", nobody))
