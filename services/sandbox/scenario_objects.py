"""Deterministic workspace objects beyond jobs and compute, as real workspaces have them.

Pipelines (with an owner and a run-as identity), cluster policies, instance pools, serving
endpoints, workspace-registry models, MLflow experiments, Git folders, the ``/authorization/tokens``
object, secret scopes, personal access tokens and the SCIM entitlements each workspace grants.
Grants go mostly to team groups, as in the rest of the scenario.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from services.sandbox.model import (
    ADMINS,
    USERS,
    AclObject,
    Grant,
    SandboxState,
    SecretScope,
    Securable,
    Token,
    Workspace,
    local_group_id,
)
from services.sandbox.scenario_people import EPOCH_MS

DAY_MS = 86_400_000
PIPELINE_LEVELS = ("CAN_VIEW", "CAN_RUN", "CAN_VIEW", "CAN_MANAGE")
ENDPOINT_LEVELS = ("CAN_QUERY", "CAN_QUERY", "CAN_VIEW", "CAN_MANAGE")
MODEL_LEVELS = ("CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS")
STORAGE_CREDENTIAL_PRIVS = ("CREATE_EXTERNAL_LOCATION", "READ_FILES")
EXTERNAL_LOCATION_PRIVS = ("READ_FILES", "READ_FILES", "WRITE_FILES", "CREATE_EXTERNAL_TABLE")
Grants = Callable[[tuple[str, ...], int, int], list[Grant]]


class ObjectPools:
    """Who the workspace's objects are granted to: its team groups, its users, its principals."""

    def __init__(self, state: SandboxState, rng: random.Random, grants: Grants, owner: Callable[[], str]) -> None:
        self.state, self.rng, self.grants, self.owner = state, rng, grants, owner

    def hex_id(self, bits: int = 64) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def workspace_user(self, ws: Workspace) -> str | None:
        users = sorted(pid for pid in self.state.workspace_user_ids(ws) if pid in self.state.users)
        return self.rng.choice(users) if users else None


def add_workspace_objects(state: SandboxState, rng: random.Random, grants: Grants, owner: Callable[[], str]) -> None:
    pools = ObjectPools(state, rng, grants, owner)
    for n, ws in enumerate(state.workspaces.values()):
        team = ws.name.split("-")[0]
        ws.acl_objects = {
            "pipelines": _pipelines(pools, ws, team),
            "cluster-policies": [
                AclObject(pools.hex_id(), f"{team}-policy-{p}", grants(("CAN_USE",), 1, 2)) for p in range(rng.randint(1, 2))
            ],
            "instance-pools": [
                AclObject(f"{rng.getrandbits(32):04d}-{pools.hex_id(32)}-pool", f"{team}-pool", grants(("CAN_ATTACH_TO",), 1, 2))
                for _ in range(1 if n % 2 == 0 else 0)
            ],
            "serving-endpoints": [
                AclObject(pools.hex_id(128), f"{team}-endpoint", grants(ENDPOINT_LEVELS, 1, 2), production=ws.production)
                for _ in range(1 if n % 3 != 1 else 0)
            ],
            "registered-models": [
                AclObject(pools.hex_id(128), f"{team}-model", grants(MODEL_LEVELS, 1, 2), production=ws.production)
                for _ in range(1 if n % 3 == 0 else 0)
            ],
            "experiments": [
                AclObject(str(rng.randint(10**15, 10**16)), f"/Shared/{team}/experiment", grants(("CAN_READ", "CAN_EDIT"), 0, 1))
            ],
            "repos": _repos(pools, ws, team),
            # the admins' CAN_MANAGE on /authorization/tokens is direct: terraform adds it back on every
            # write (permission_definitions.go, ObjectIdMatches("/authorization/tokens") -> AddAdmin)
            "authorization": [
                AclObject(
                    "tokens",
                    "tokens",
                    [
                        Grant(local_group_id(ws.workspace_id, ADMINS), "CAN_MANAGE"),
                        Grant(local_group_id(ws.workspace_id, USERS), "CAN_USE")
                        if rng.random() < 0.7
                        else grants(("CAN_USE",), 1, 1)[0],
                    ],
                )
            ],
        }
        ws.secret_scopes = _secret_scopes(pools, ws, team)
        ws.tokens = _tokens(pools, ws)
        ws.entitlements = _entitlements(pools, ws)


def _pipelines(pools: ObjectPools, ws: Workspace, team: str) -> list[AclObject]:
    out = []
    for n in range(pools.rng.randint(1, 2)):
        owner = pools.owner()
        sps = sorted(pools.state.service_principals)
        run_as = pools.rng.choice(sps) if ws.production and sps and pools.rng.random() < 0.7 else owner
        out.append(
            AclObject(
                f"{pools.hex_id(32)}-{pools.hex_id(16)}-{pools.hex_id(16)}",
                f"{team}-{'prod' if ws.production else 'dev'}-pipeline-{n}",
                pools.grants(PIPELINE_LEVELS, 1, 2),
                owner_id=owner,
                run_as_id=run_as,
                production=ws.production,
            )
        )
    return out


def _repos(pools: ObjectPools, ws: Workspace, team: str) -> list[AclObject]:
    user = pools.workspace_user(ws)
    if user is None:
        return []
    name = pools.state.users[user].user_name
    acl = [Grant(user, "CAN_MANAGE"), *pools.grants(("CAN_READ", "CAN_RUN"), 0, 1)]
    return [AclObject(str(pools.rng.randint(10**14, 10**15)), f"/Repos/{name}/{team}-pipelines", acl)]


def _secret_scopes(pools: ObjectPools, ws: Workspace, team: str) -> list[SecretScope]:
    scopes = []
    for n in range(pools.rng.randint(1, 2)):
        acl = [Grant(local_group_id(ws.workspace_id, ADMINS), "MANAGE"), *pools.grants(("READ", "READ", "WRITE"), 1, 2)]
        if ws.production and pools.state.service_principals:
            acl.append(Grant(pools.rng.choice(sorted(pools.state.service_principals)), "READ"))
        scopes.append(SecretScope(f"{team}-secrets-{n}", _one_per_principal(acl)))
    return scopes


def _one_per_principal(acl: list[Grant]) -> list[Grant]:
    """A secret ACL holds one permission per principal (secrets/acls/put replaces it)."""
    seen: dict[str, Grant] = {}
    for grant in acl:
        seen.setdefault(grant.principal_id, grant)
    return list(seen.values())


def _tokens(pools: ObjectPools, ws: Workspace) -> list[Token]:
    out = []
    for n in range(pools.rng.randint(1, 3)):
        holder = pools.workspace_user(ws)
        if holder is None:
            break
        created = EPOCH_MS - pools.rng.randint(10, 600) * DAY_MS
        never = pools.rng.random() < 0.3
        used = None if pools.rng.random() < 0.25 else (EPOCH_MS - pools.rng.randint(0, 200) * DAY_MS) // DAY_MS * DAY_MS
        out.append(Token(pools.hex_id(128), holder, f"token {n}", created, -1 if never else created + 365 * DAY_MS, used))
    return out


def _entitlements(pools: ObjectPools, ws: Workspace) -> dict[str, list[str]]:
    """``users`` has workspace-access and databricks-sql-access, as every workspace's defaults do;
    some groups and people may create clusters, a principal may create instance pools."""
    out = {local_group_id(ws.workspace_id, USERS): ["workspace-access", "databricks-sql-access"]}
    assigned_groups = sorted(pid for pid in ws.assignments if pid in pools.state.groups)
    if assigned_groups and pools.rng.random() < 0.5:  # entitlements go to the workspace's own principals
        _grant(out, pools.rng.choice(assigned_groups), "allow-cluster-create")
    user = pools.workspace_user(ws)
    if user is not None and pools.rng.random() < 0.4:
        _grant(out, user, "allow-cluster-create")
    sps = sorted(pools.state.service_principals)
    if sps and pools.rng.random() < 0.3:
        _grant(out, pools.rng.choice(sps), "allow-instance-pool-create")
    return out


def _grant(entitlements: dict[str, list[str]], principal_id: str, value: str) -> None:
    held = entitlements.setdefault(principal_id, [])
    if value not in held:
        held.append(value)


def add_uc_objects(state: SandboxState, rng: random.Random, grants: Grants, owner: Callable[[], str]) -> None:
    """Unity Catalog securables beyond catalogs, schemas, tables and volumes: per metastore, storage
    credentials, external locations, a connection and a share; functions and models in some
    schemas. Models are granted as functions (terraform catalog/permissions ``"model": "function"``)."""
    for ms in state.metastores():
        mid, tag = ms.metastore_id, ms.properties.get("name", "ms").split("-", 1)[-1].replace("-", "_")
        for n in range(rng.randint(1, 2)):
            state.add_securable(
                Securable("storage_credential", f"cred_{tag}_{n}", mid, owner(), grants(STORAGE_CREDENTIAL_PRIVS, 0, 1))
            )
            state.add_securable(
                Securable("external_location", f"loc_{tag}_{n}", mid, owner(), grants(EXTERNAL_LOCATION_PRIVS, 1, 2))
            )
        state.add_securable(Securable("connection", f"conn_{tag}_pg", mid, owner(), grants(("USE_CONNECTION",), 0, 1)))
        # a share's grants go to Delta Sharing recipients, not to identities: its owner is what is reviewed
        state.add_securable(Securable("share", f"share_{tag}_partners", mid, owner()))
    schemas = sorted(
        (s for s in state.securables.values() if s.kind == "schema" and not s.full_name.endswith(".information_schema")),
        key=lambda s: s.full_name,
    )
    for n, schema in enumerate(schemas):
        if n % 4 == 0:
            name = f"{schema.full_name}.mask_{n:03d}"
            state.add_securable(Securable("function", name, schema.metastore_id, owner(), grants(("EXECUTE",), 0, 1)))
        if n % 6 == 0:
            name = f"{schema.full_name}.model_{n:03d}"
            state.add_securable(Securable("model", name, schema.metastore_id, owner(), grants(("EXECUTE", "APPLY_TAG"), 0, 1)))


def isolate_catalogs(state: SandboxState) -> None:
    """The second of every four catalogs of a metastore is ISOLATED and bound to two of its workspaces:
    the other workspaces neither list it nor reach it (terraform-provider-databricks#2446: "Catalog
    '...' is not accessible in current workspace"; SDK CatalogsAPI.list ``include_unbound``)."""
    for ms in state.metastores():
        attached = sorted(w.workspace_id for w in state.workspaces.values() if w.metastore_id == ms.metastore_id)
        catalogs = sorted(
            (s for s in state.securables.values() if s.kind == "catalog" and s.metastore_id == ms.metastore_id),
            key=lambda s: s.full_name,
        )
        for n, cat in enumerate(catalogs):
            if n % 4 == 1 and attached:
                # the metastore's first workspace and one more: the others neither list nor reach it
                cat.bound_workspaces = sorted({attached[0], attached[(n // 4 + 1) % len(attached)]})


def add_role_grants(state: SandboxState, rng: random.Random) -> None:
    """Account rule sets: about a third of the groups have a manager (who may add members); every
    service principal has a manager, and about half may be used (run as) by a team group."""
    users = sorted(u.id for u in state.users.values() if u.active)
    groups = sorted(state.groups)
    for gid in groups:
        if rng.random() < 0.33:
            state.rule_sets[f"groups/{gid}"] = {"roles/group.manager": [rng.choice(users)]}
    for sp in sorted(state.service_principals.values(), key=lambda s: s.id):
        rules = {"roles/servicePrincipal.manager": [rng.choice(users)]}
        if rng.random() < 0.5:
            rules["roles/servicePrincipal.user"] = [rng.choice(groups)]
        state.rule_sets[f"servicePrincipals/{sp.application_id}"] = rules


def add_group_owner_groups(state: SandboxState, rng: random.Random) -> None:
    """About one Okta group in eight is (also) owned by another Okta group: its members own it
    (Okta ``GET /groups/{id}/owners`` answers ``type: GROUP``)."""
    synced = sorted((g for g in state.groups.values() if g.okta_id), key=lambda g: g.id)
    for group in synced:
        if rng.random() < 0.125:
            owner = rng.choice([g for g in synced if g.id != group.id and g.members])
            group.okta_owner_ids.append(str(owner.okta_id))


def add_group_push(state: SandboxState, rng: random.Random) -> None:
    """The Databricks SCIM app's group push: every Okta-synced group has a push mapping, about one
    in ten INACTIVE (paused: Okta and Databricks membership drift apart), the second one always.
    Okta's membership starts as the group's Okta users in Databricks (groups do not nest in Okta)."""
    state.okta_app_id = "0oa" + "".join(rng.choice("abcdefghijkmnopqrstuvwxyz0123456789") for _ in range(17))
    synced = sorted((g for g in state.groups.values() if g.okta_id), key=lambda g: g.id)
    for index, group in enumerate(synced):
        group.okta_members = [m for m in group.members if m in state.users and state.users[m].okta_id]
        group.push_status = "INACTIVE" if index == 1 or rng.random() < 0.1 else "ACTIVE"
