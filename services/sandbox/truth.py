"""Ground truth: every entitlement the sandbox holds, in the normalized form the collectors export.

Derived straight from :class:`SandboxState`, with records of its own (:mod:`truth_records`), never
the collectors' code, so that a
collection compared with it (set equality of keys) checks the collectors end to end.

Rules (the same ones the collectors follow, see docs/collector.md):
- a grant to a group yields the group's own entitlement (direct) and one per user or service
  principal reachable through nested groups, ``via_groups`` = group chain outermost first;
- group membership is an entitlement on the group (privilege ``MEMBER``) for every principal at
  any depth, ``via_groups`` = the intermediate groups; a direct membership of a user Okta's group
  push keeps there (ACTIVE mapping, ACTIVE in Okta, in Okta's membership) has
  ``managed_by`` = ``okta-push:<Okta group id>``;
- a Unity Catalog securable's owner holds ``OWNER`` on it (expanded like a grant);
- a job's run-as identity holds ``RUN_AS`` on the job (never expanded: only a user or a service
  principal can be one);
- built-in principals are groups like any other: ``account users`` holds every user and service
  principal; each workspace's local ``admins`` holds every principal assigned ADMIN there (and its
  members are reviewed: ``MEMBER`` on the ``workspace_group``), ``users`` every assigned principal;
  ``admins`` holds CAN_MANAGE on every job, cluster and warehouse, inherited from ``/jobs/``,
  ``/clusters/``, ``/sql/warehouses/``;
- account rule sets: a group's manager holds ``MANAGER`` on a ``group_role``; a service
  principal's manager ``MANAGER`` and its users ``USER`` on a ``service_principal_role``;
- a notebook inherits its directory's grants (``inherited_from`` = ``/directories/<id>``);
- scopes: ``account`` (memberships), ``workspace:<id>`` (assignments, object permissions),
  ``metastore:<id>`` (Unity Catalog grants).
"""

from __future__ import annotations

from collections.abc import Iterator

from services.events.resource_kinds import ROLE_PRIVILEGES
from services.sandbox.model import (
    ACCOUNT_USERS,
    ACCOUNT_USERS_ID,
    ADMINS,
    LOCAL_GROUPS,
    USERS,
    Grant,
    SandboxState,
    Securable,
    Workspace,
    local_group_id,
)
from services.sandbox.truth_records import MEMBER
from services.sandbox.truth_records import TruthEntitlement as Entitlement
from services.sandbox.truth_records import TruthPrincipal as Principal
from services.sandbox.truth_records import TruthResource as Resource

# the resource type of each permissions path, written out here rather than read from the catalogue
ACL_OBJECT_TYPES = {
    "pipelines": "pipeline",
    "cluster-policies": "cluster_policy",
    "instance-pools": "instance_pool",
    "serving-endpoints": "serving_endpoint",
    "registered-models": "registered_model",
    "experiments": "experiment",
    "repos": "repo",
    "authorization": "token_usage",
}


class _Truth:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.principals: dict[str, Principal] = {}
        for u in state.users.values():
            if u.in_databricks:
                self.principals[u.id] = Principal("user", u.id, u.user_name, u.user_name, u.okta_id)
        for g in state.groups.values():
            self.principals[g.id] = Principal("group", g.id, g.display_name, None, g.okta_id)
        for sp in state.service_principals.values():
            self.principals[sp.id] = Principal("service_principal", sp.id, sp.application_id)
        # built-in principals: "account users" (everyone) and each workspace's local admins / users
        self.principals[ACCOUNT_USERS_ID] = Principal("group", ACCOUNT_USERS_ID, ACCOUNT_USERS)
        for ws in state.workspaces.values():
            for name in LOCAL_GROUPS.values():
                lid = local_group_id(ws.workspace_id, name)
                self.principals[lid] = Principal("group", lid, name)

    def members(self, group_id: str) -> list[str]:
        if group_id == ACCOUNT_USERS_ID:
            return self.state.account_user_ids()
        local = self.state.local_group(group_id)
        if local is not None:
            return self.state.local_members(*local)
        return self.state.groups[group_id].members

    def paths(self, group_id: str, seen: tuple[str, ...] = ()) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(member id, chain of groups below ``group_id``) for every member at any depth."""
        for member in self.members(group_id):
            if member in seen or member == group_id:
                continue
            yield member, ()
            if member in self.state.groups:
                for inner, chain in self.paths(member, seen + (group_id,)):
                    yield inner, (member,) + chain

    def expand(self, scope: str, grant: Grant, resource: Resource, inherited_from: str | None = None) -> Iterator[Entitlement]:
        principal = self.principals.get(grant.principal_id)
        if principal is None:
            return
        yield Entitlement(scope, principal, resource, grant.privilege, (), inherited_from)
        if principal.type != "group":
            return
        for member, chain in self.paths(principal.id):
            target = self.principals.get(member)
            if target is not None and target.type != "group":
                yield Entitlement(scope, target, resource, grant.privilege, (principal.id,) + chain, inherited_from)

    def account_roles(self) -> Iterator[Entitlement]:
        """``account_admin``: ACCOUNT_ADMIN on the account, the most powerful access there is."""
        account = Resource("account", self.state.account_id, "Databricks account", None, None, True)
        for pid in self.state.account_admins:
            yield from self.expand("account", Grant(pid, "ACCOUNT_ADMIN"), account)

    def role_grants(self) -> Iterator[Entitlement]:
        """Account rule sets: ``MANAGER`` of a group (``group_role``); ``MANAGER`` or ``USER`` (may
        run as it) of a service principal (``service_principal_role``); expanded like grants."""
        by_app = {sp.application_id: sp for sp in self.state.service_principals.values()}
        for key, rules in self.state.rule_sets.items():
            kind, rid = key.split("/", 1)
            if kind == "groups":
                res = Resource("group_role", rid, self.state.groups[rid].display_name)
            else:
                sp = by_app[rid]
                res = Resource("service_principal_role", sp.id, sp.display_name)
            for role, holders in rules.items():
                privilege = ROLE_PRIVILEGES[role]
                for pid in holders:
                    yield from self.expand("account", Grant(pid, privilege), res)

    def memberships(self) -> Iterator[Entitlement]:
        for group in self.state.groups.values():
            resource = Resource("group", group.id, group.display_name)
            users = self.state.users
            active = [m for m in group.okta_members if m in users and users[m].okta_status == "ACTIVE"]
            pushed = set(active) if group.push_status == "ACTIVE" else set()  # Okta pushes ACTIVE users only
            for member, chain in self.paths(group.id):
                if member in self.principals:
                    # a direct member Okta pushes: removing it in Databricks would come back at the next push
                    managed = f"okta-push:{group.okta_id}" if not chain and member in pushed else None
                    yield Entitlement("account", self.principals[member], resource, MEMBER, chain, None, managed)

    def workspace(self, ws: Workspace) -> Iterator[Entitlement]:
        scope, wid, wname = f"workspace:{ws.workspace_id}", str(ws.workspace_id), ws.name
        res = Resource("workspace", wid, wname, wid, wname, ws.production, None, tuple(sorted(ws.tags.items())))
        if ws.identity_federation:
            for pid, perms in ws.assignments.items():
                for perm in perms:
                    yield from self.expand(scope, Grant(pid, perm), res)
        else:  # access is membership of the local groups: users -> USER, admins -> ADMIN
            for name, level in ((USERS, "USER"), (ADMINS, "ADMIN")):
                for pid in self.state.local_members(ws, name):
                    yield from self.expand(scope, Grant(pid, level), res)
        admins_id = local_group_id(ws.workspace_id, ADMINS)
        admins = Resource("workspace_group", admins_id, ADMINS, wid, wname, ws.production)
        for member, chain in self.paths(admins_id):
            yield Entitlement(scope, self.principals[member], admins, MEMBER, chain, None)
        admins_manage = Grant(admins_id, "CAN_MANAGE")
        for job in ws.jobs:
            owner = self.principals[job.owner_id].name
            tags = {**job.tags, "run_as": self.principals[job.run_as_id].name}
            res = Resource(
                "job",
                f"{wid}/{job.job_id}",
                job.name,
                wid,
                wname,
                job.production,
                owner,
                tuple(sorted(tags.items())),
            )
            for grant in [Grant(job.owner_id, "IS_OWNER"), *job.acl]:
                yield from self.expand(scope, grant, res)
            yield from self.expand(scope, admins_manage, res, "/jobs/")
            # who the job acts as is access too: one RUN_AS entitlement for the run-as identity itself
            yield Entitlement(scope, self.principals[job.run_as_id], res, "RUN_AS", (), None)
        for kind, items in (("cluster", ws.clusters), ("warehouse", ws.warehouses)):
            for item in items:
                res = Resource(kind, f"{wid}/{item.id}", item.name, wid, wname, ws.production)
                for grant in item.acl:
                    yield from self.expand(scope, grant, res)
                yield from self.expand(scope, admins_manage, res, "/clusters/" if kind == "cluster" else "/sql/warehouses/")
        yield from self._objects(scope, ws)
        yield from self._acl_objects(scope, ws)
        yield from self._secrets_and_tokens(scope, ws)

    def _acl_objects(self, scope: str, ws: Workspace) -> Iterator[Entitlement]:
        """Pipelines (owner, ACL, run-as), policies, pools, endpoints, models, experiments, Git
        folders and ``/authorization/tokens``: their ACLs, as the permissions API gives them."""
        wid = str(ws.workspace_id)
        for path, objects in ws.acl_objects.items():
            kind = ACL_OBJECT_TYPES[path]
            for obj in objects:
                owner = self.principals[obj.owner_id].name if obj.owner_id else None
                tags = (("run_as", self.principals[obj.run_as_id].name),) if obj.run_as_id else ()
                res = Resource(kind, f"{wid}/{obj.id}", obj.name, wid, ws.name, ws.production, owner, tags)
                grants = [Grant(obj.owner_id, "IS_OWNER")] if obj.owner_id else []
                for grant in grants + obj.acl:
                    yield from self.expand(scope, grant, res)
                if obj.run_as_id:
                    yield Entitlement(scope, self.principals[obj.run_as_id], res, "RUN_AS", (), None)

    def _secrets_and_tokens(self, scope: str, ws: Workspace) -> Iterator[Entitlement]:
        """Secret scope ACLs, personal access tokens (HOLDER, never expanded) and the SCIM
        entitlements (expanded through groups like a grant: ``users`` holds workspace-access)."""
        wid = str(ws.workspace_id)
        for secret in ws.secret_scopes:
            res = Resource("secret_scope", f"{wid}/{secret.name}", secret.name, wid, ws.name, ws.production)
            for grant in secret.acl:
                yield from self.expand(scope, grant, res)
        for token in ws.tokens:
            res = Resource("personal_access_token", f"{wid}/{token.token_id}", token.comment, wid, ws.name, ws.production)
            yield Entitlement(scope, self.principals[token.owner_id], res, "HOLDER", (), None)
        res = Resource("workspace_entitlement", wid, ws.name, wid, ws.name, ws.production)
        for pid, values in ws.entitlements.items():
            for value in values:
                yield from self.expand(scope, Grant(pid, value), res)

    def _objects(self, scope: str, ws: Workspace) -> Iterator[Entitlement]:
        wid = str(ws.workspace_id)
        directories = {o.path: o for o in ws.objects if o.object_type == "DIRECTORY"}
        for obj in ws.objects:
            kind = obj.object_type.lower()
            res = Resource(kind, f"{wid}/{obj.object_id}", obj.path, wid, ws.name, ws.production)
            for grant in obj.acl:
                yield from self.expand(scope, grant, res)
            parent = directories.get(obj.path.rsplit("/", 1)[0])
            if obj.object_type == "NOTEBOOK" and parent is not None:
                for grant in parent.acl:
                    yield from self.expand(scope, grant, res, f"/directories/{parent.object_id}")

    def unity_catalog(self, sec: Securable) -> Iterator[Entitlement]:
        catalog = sec.full_name.split(".")[0]
        catalog_sec = self.state.uc("catalog", sec.metastore_id, catalog)
        name = sec.properties.get("name", sec.full_name) if sec.kind == "metastore" else sec.full_name
        rid = sec.metastore_id if sec.kind == "metastore" else f"{sec.metastore_id}/{sec.full_name}"
        res = Resource(
            sec.kind,
            rid,
            name,
            None,
            None,
            sec.kind != "metastore" and catalog.startswith("prod_"),
            self.principals[sec.owner_id].name,
            tuple(sorted(catalog_sec.properties.items())) if catalog_sec is not None and sec.kind != "metastore" else (),
        )
        for grant in sec.grants:
            yield from self.expand(f"metastore:{sec.metastore_id}", grant, res)
        if ".information_schema" not in sec.full_name:  # system-managed views: not reviewed
            # the owner holds every privilege: OWNER, expanded through an owning group like a grant
            yield from self.expand(f"metastore:{sec.metastore_id}", Grant(sec.owner_id, "OWNER"), res)


def truth_entitlements(state: SandboxState, workspace_ids: set[str] | None = None) -> Iterator[Entitlement]:
    """Every entitlement in ``state`` (optionally only the given workspaces and their metastores)."""
    truth = _Truth(state)
    yield from truth.memberships()
    yield from truth.account_roles()
    yield from truth.role_grants()
    metastores: set[str] = set()
    for ws in state.workspaces.values():
        if workspace_ids is None or str(ws.workspace_id) in workspace_ids:
            metastores.add(ws.metastore_id)
            yield from truth.workspace(ws)
    for sec in state.securables.values():
        if sec.metastore_id in metastores:
            yield from truth.unity_catalog(sec)
