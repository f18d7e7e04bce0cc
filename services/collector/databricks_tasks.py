"""Collection tasks for Databricks: get (adapter) -> transform (pure) per workspace and metastore.

Workspace scope ``workspace:<id>``: assignments (account API), one task per listed resource kind
(``services/collector/kinds.py``), the workspace tree, the "last used" audit query (its own
task: a slow or failing query never costs entitlements) and the metastore assignment. Metastore scope
``metastore:<id>``: Unity Catalog grants on the metastore, catalogs, schemas, tables and
volumes. Unity Catalog calls are spread round-robin over the workspaces attached to the
metastore (each has its own rate limit); a call that fails on one is retried on another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from services.adapters.databricks import DatabricksAdapter
from services.collector.directory import PrincipalIndex, required_field
from services.collector.entitlement import Entitlement, Resource
from services.collector.errors import IncompletePayloadError
from services.collector.kinds import (
    LISTED_KINDS,
    METASTORE_KINDS,
    SCHEMA_CHILD_KINDS,
    ListedKind,
    SchemaChildKind,
    tree_resource,
)
from services.collector.last_use import last_used_index
from services.collector.metastore_router import MetastoreRouter
from services.collector.production import ProductionRules
from services.collector.scheduler import Task, TaskOutput
from services.collector.transform import (
    WorkspaceRef,
    acl_entitlements,
    assignment_entitlements,
    catalog_tags,
    grant_entitlements,
    owner_entitlements,
    uc_resource,
    workspace_resource,
)
from services.collector.uc_sql_tasks import SqlPathUnavailable, metastore_by_sql
from services.core.errors import PermissionDeniedError, UnavailableError
from services.events.resource_kinds import ResourceKind, resource_kind

MAX_TREE_DEPTH = 12
LOCAL_GROUP_NAMES = ("admins", "users")
INFORMATION_SCHEMA = "information_schema"
ACCOUNT_HOST = "account"  # the host of the account API, in the scheduler's per-host limit


class DatabricksTasks:
    def __init__(
        self,
        adapter: DatabricksAdapter,
        directory: PrincipalIndex | None,
        audit_days: int = 90,
        rules: ProductionRules | None = None,
        workspaces: list[WorkspaceRef] | None = None,
        uc_source: str = "auto",
    ) -> None:
        self.rules = rules or ProductionRules()
        self.adapter = adapter
        self._directory = directory  # None until the account directory is read (see ``directory``)
        self.router = MetastoreRouter(adapter.pacer.delay)
        self.audit_days = audit_days
        self.uc_source = uc_source  # auto: Unity Catalog through SQL where it can be; rest: never
        self.metastore_of: dict[str, str] = {}  # workspace id -> its metastore id
        self.deployments = {w.workspace_id: w.deployment_name for w in workspaces or []}  # id -> deployment

    @property
    def directory(self) -> PrincipalIndex:
        """The account directory; only deferred builds use it (they run once it is read)."""
        if self._directory is None:
            raise RuntimeError("the account directory was used before it was read")
        return self._directory

    @directory.setter
    def directory(self, directory: PrincipalIndex) -> None:
        self._directory = directory

    def later(self, out: TaskOutput, build: Callable[..., Iterable[Entitlement]], *args: Any) -> None:
        """``build(directory, *args)``, once the account directory is read."""
        out.later(lambda: build(self.directory, *args))

    def workspace_tasks(self, ws: WorkspaceRef) -> list[Task]:
        """Assignments and the metastore at once; the rest once the workspace's local groups
        (``admins``, ``users``) are known, because its ACLs name them."""
        name = ws.deployment_name
        return [
            Task(ws.scope, f"workspace {name} assignments", lambda: self.assignments(ws), host=ACCOUNT_HOST),
            Task(ws.scope, f"workspace {name} metastore", lambda: self.metastore_assignment(ws), 0, name),
            Task(ws.scope, f"workspace {name} local groups", lambda: self.local_groups(ws), 0, name),
            Task(ws.scope, f"workspace {name} caller", lambda: self.caller(ws), 0, name),
        ]

    def caller(self, ws: WorkspaceRef) -> TaskOutput:
        """Lists show only what the caller may see: a collector that is no workspace admin would
        collect a subset and call it complete. It checks, and fails this task (the scope is then
        partial, with the reason) when it is not in the workspace's ``admins``."""
        me = self.adapter.current_user(ws.deployment_name)
        groups = {str(g.get("display") or "") for g in me.get("groups") or []}
        if "admins" not in groups:
            who = me.get("userName") or me.get("id") or "the collecting principal"
            raise PermissionDeniedError(
                f"workspace {ws.deployment_name}: {who} is not a workspace admin there; lists show only "
                "what it may see, so this workspace's access cannot be read completely",
                where=f"workspace {ws.deployment_name}",
            )
        return TaskOutput(calls=1)

    def object_tasks(self, ws: WorkspaceRef) -> list[Task]:
        name = ws.deployment_name
        tasks = [Task(ws.scope, f"workspace {name} objects", lambda: self.objects(ws), host=name)]
        tasks += [
            Task(ws.scope, f"workspace {name} {entry.task}", partial(self.listed, ws, entry), host=name) for entry in LISTED_KINDS
        ]
        tasks.append(Task(ws.scope, f"workspace {name} entitlements", lambda: self.entitlements(ws), host=name))
        if self.audit_days > 0:
            tasks.append(Task(ws.scope, f"workspace {name} last use", lambda: self.last_use(ws), host=name))
        return tasks

    def local_groups(self, ws: WorkspaceRef) -> TaskOutput:
        """The built-in ``admins`` and ``users`` with their members; who is in ``admins`` is reviewed."""
        out = TaskOutput(calls=1)
        raw = self.adapter.list_workspace_groups(ws.deployment_name, LOCAL_GROUP_NAMES)

        def admins_members() -> list[Entitlement]:
            built: list[Entitlement] = []
            for principal in self.directory.add_workspace_groups(ws.workspace_id, raw):
                if principal.name == "admins":
                    resource = Resource("workspace_group", principal.id, principal.name, ws.workspace_id, ws.name, ws.production)
                    built.extend(self.directory.members_of(ws.scope, resource))
            return built

        out.later(admins_members)
        missing = set(LOCAL_GROUP_NAMES) - {str(g.get("displayName")) for g in raw}
        if missing:
            out.tally.note("unknown_value", f"{ws.deployment_name}: no built-in group {', '.join(sorted(missing))}")
        out.followups = self.object_tasks(ws)
        return out

    # -- workspace scope ------------------------------------------------------------------------
    def assignments(self, ws: WorkspaceRef) -> TaskOutput:
        """Who may use the workspace: its permission assignments or, in a workspace without
        identity federation, membership of its local ``users`` (USER) and ``admins`` (ADMIN)."""
        out = TaskOutput(calls=1)
        raw = self.adapter.list_assignments(int(ws.workspace_id), f"workspace {ws.deployment_name}")
        if raw is not None:
            self.later(out, assignment_entitlements, ws, raw, out.tally)
            return out
        # its own read of the local groups: this task does not wait for the "local groups" task
        local = self.adapter.list_workspace_groups(ws.deployment_name, LOCAL_GROUP_NAMES)
        out.calls += 1
        out.later(partial(self._local_access, ws, local, out))
        return out

    def _local_access(self, ws: WorkspaceRef, local_groups: list[dict[str, Any]], out: TaskOutput) -> list[Entitlement]:
        """Without identity federation: USER for the local ``users``' members, ADMIN for ``admins``'."""
        self.directory.add_workspace_groups(ws.workspace_id, local_groups)
        built: list[Entitlement] = []
        resource = workspace_resource(ws)
        for group, level in (("users", "USER"), ("admins", "ADMIN")):
            local = self.directory.local.get((ws.workspace_id, group))
            if local is None:
                raise IncompletePayloadError(f"workspace {ws.deployment_name}: no local {group} group to read access from")
            for member in self.directory.members.get(local.id, []):
                principal = self.directory.principals.get(member)
                if principal is None:
                    out.tally.note("unknown_principal", f"{group} of {ws.deployment_name}: {member}")
                    continue
                built.extend(self.directory.expand(ws.scope, principal, resource, level))
        return built

    def metastore_assignment(self, ws: WorkspaceRef) -> TaskOutput:
        out = TaskOutput(calls=1)
        assignment = self.adapter.current_metastore(ws.deployment_name)
        metastore_id = assignment.get("metastore_id")
        if metastore_id:
            self.metastore_of[ws.workspace_id] = str(metastore_id)
        if metastore_id and self.router.register(str(metastore_id), ws.deployment_name):
            mid = str(metastore_id)
            out.followups.append(Task(f"metastore:{mid}", f"metastore {mid}", lambda: self.metastore(mid), 1))
        return out

    def listed(self, ws: WorkspaceRef, entry: ListedKind) -> TaskOutput:
        """Every object of one listed kind in the workspace, with its permissions."""
        out, deployment = TaskOutput(calls=entry.calls), ws.deployment_name
        for item in entry.list(self.adapter, deployment):
            if entry.skip is not None and entry.skip(item):
                continue
            where = f"{entry.kind.name} in workspace {deployment}"
            object_id = required_field(item, entry.id_field, where)
            if entry.detail is not None:
                item = entry.detail(self.adapter, deployment, object_id)
                out.calls += 1
                object_id = required_field(item, entry.permissions_id_field or entry.id_field, where)
            if entry.read_acl is not None:
                perms = entry.read_acl(self.adapter, deployment, object_id)
            else:
                perms = self.adapter.get_permissions(deployment, entry.permissions_path, object_id)
            out.calls += entry.acl_calls
            resource = entry.resource(ws, item, perms)
            self.later(out, acl_entitlements, ws.scope, resource, perms, out.tally)
            if entry.derived is not None:
                self.later(out, entry.derived, ws.scope, resource, item, out.tally)
        return out

    def entitlements(self, ws: WorkspaceRef) -> TaskOutput:
        """The SCIM entitlements the workspace grants (workspace-access, allow-cluster-create, ...),
        held by its users, service principals and groups (expanded to their members)."""
        out = TaskOutput(calls=3)
        holders = self.adapter.list_entitlement_holders(ws.deployment_name)
        out.later(partial(self._entitlement_holders, ws, holders, out))
        return out

    def _entitlement_holders(self, ws: WorkspaceRef, holders: list[dict[str, Any]], out: TaskOutput) -> list[Entitlement]:
        built: list[Entitlement] = []
        resource = Resource("workspace_entitlement", ws.workspace_id, ws.name, ws.workspace_id, ws.name, ws.production)
        for holder in holders:
            values = [str(e.get("value") or "") for e in holder.get("entitlements") or []]
            if not values:
                continue
            principal = self.directory.principals.get(str(holder.get("id") or ""))
            if principal is None:
                out.tally.note("unknown_principal", f"entitlements in {ws.deployment_name}: {holder.get('id')}")
                continue
            for value in values:
                if not entitlement_kind().accepts(value):
                    out.tally.note("unknown_value", f"{ws.deployment_name}: entitlement {value!r}")
                    continue
                built.extend(self.directory.expand(ws.scope, principal, resource, value))
        return built

    def last_use(self, ws: WorkspaceRef) -> TaskOutput:
        """Last use per (person, object) from the audit log, through the first SQL warehouse.
        A failure leaves last use unknown (with the reason) and never costs entitlements."""
        out = TaskOutput(calls=1)
        warehouses = self.adapter.list_warehouses(ws.deployment_name)
        if not warehouses:
            out.tally.note("last_use_unknown", f"{ws.deployment_name}: no SQL warehouse to query the audit log")
            return out
        since = (datetime.now(UTC) - timedelta(days=self.audit_days)).date().isoformat()
        try:
            rows = self.adapter.audit_last_used(ws.deployment_name, str(warehouses[0]["id"]), ws.workspace_id, since)
        except UnavailableError as exc:
            out.tally.note("last_use_unknown", str(exc))
            return out
        finally:
            out.calls += 1
        out.last_used = last_used_index(ws, rows, out)
        return out

    def objects(self, ws: WorkspaceRef) -> TaskOutput:
        out = TaskOutput()
        stack = [("/", 0)]
        while stack:
            path, depth = stack.pop()
            out.calls += 1
            for item in self.adapter.list_directory(ws.deployment_name, path):
                if item.get("object_type") == "DIRECTORY" and depth < MAX_TREE_DEPTH:
                    stack.append((str(item.get("path")), depth + 1))
                found = tree_resource(ws, item)
                if found is None:
                    continue
                entry, resource = found
                perms = self.adapter.get_permissions(ws.deployment_name, entry.permissions_path, str(item["object_id"]))
                out.calls += 1
                self.later(out, acl_entitlements, ws.scope, resource, perms, out.tally)
        return out

    # -- metastore scope ------------------------------------------------------------------------
    def metastore(self, mid: str) -> TaskOutput:
        """Through SQL when it can be (``uc_source`` auto), otherwise through REST, saying why."""
        if self.uc_source == "rest":
            return self.metastore_rest(mid, "rest (AR_COLLECT_UC_SOURCE=rest)")
        try:
            return metastore_by_sql(self, mid)
        except SqlPathUnavailable as exc:
            return self.metastore_rest(mid, f"rest ({exc})")

    def metastore_rest(self, mid: str, read_path: str) -> TaskOutput:
        scope, out = f"metastore:{mid}", TaskOutput(calls=3, read_path=read_path)
        summary = self.router.call(mid, self.adapter.current_metastore_summary)
        resource = uc_resource("metastore", mid, summary, (), summary.get("name"))
        grants = self.router.call(mid, lambda ws: self.adapter.list_grants(ws, "metastore", mid))
        self.later(out, grant_entitlements, scope, resource, grants, out.tally)
        self.later(out, owner_entitlements, scope, resource, out.tally)
        for info in self.router.call(mid, self.adapter.list_catalogs):
            out.followups.append(Task(scope, f"catalog {info.get('name')}", partial(self.bound_catalog, mid, info), 2))
        out.followups.append(
            Task(scope, f"metastore {mid} credentials, locations, connections, shares", partial(self.metastore_level, mid), 2)
        )
        return out

    def metastore_level(self, mid: str, only: tuple[str, ...] | None = None) -> TaskOutput:
        """Storage credentials, external locations, connections and shares (``only``: of these
        kinds): grants and owners."""
        scope, out = f"metastore:{mid}", TaskOutput()
        for kind, with_grants in METASTORE_KINDS:
            if only is not None and kind.name not in only:
                continue
            out.calls += 1
            for info in self.router.call(mid, partial(_securables_of, self.adapter, kind.name)):
                name = required_field(info, "name", kind.name)
                resource = uc_resource(kind.name, mid, {**info, "full_name": name}, (), rules=self.rules)
                if with_grants:
                    grants = self.router.call(mid, partial(_grants_of, self.adapter, kind.securable_type or kind.name, name))
                    out.calls += 1
                    self.later(out, grant_entitlements, scope, resource, grants, out.tally)
                self.later(out, owner_entitlements, scope, resource, out.tally)
        return out

    def bound_catalog(self, mid: str, info: dict[str, Any]) -> TaskOutput:
        """An ISOLATED catalog is reached only through the workspaces bound to it (even by a
        metastore admin): read its bindings, then read it through one of those."""
        if info.get("isolation_mode") != "ISOLATED":
            return self.catalog(mid, info, None)
        name = str(info.get("name"))
        bound = self.router.call(mid, lambda ws: self.adapter.catalog_bindings(ws, name))
        among = sorted({self.deployments[str(w)] for w in bound if str(w) in self.deployments})
        if not among:
            raise PermissionDeniedError(
                f"catalog {name} is ISOLATED and bound to workspace(s) {', '.join(map(str, bound)) or '(none)'}, "
                "none of which the collector reads: its grants cannot be read; bind it to a collected "
                "workspace or collect one of those",
                where=f"metastore {mid}",
            )
        out = self.catalog(mid, info, among)
        out.calls += 1
        return out

    def catalog(self, mid: str, info: dict[str, Any], among: list[str] | None) -> TaskOutput:
        scope, out = f"metastore:{mid}", TaskOutput(calls=2)
        tags = catalog_tags(info)
        resource = uc_resource("catalog", mid, info, tags, rules=self.rules)
        grants = self.router.call(mid, lambda ws: self.adapter.list_grants(ws, "catalog", resource.name), among=among)
        self.later(out, grant_entitlements, scope, resource, grants, out.tally)
        self.later(out, owner_entitlements, scope, resource, out.tally)
        schemas = self.router.call(mid, lambda ws: self.adapter.list_schemas(ws, resource.name), among=among)
        for n, schema in enumerate(s for s in schemas if s.get("name") != INFORMATION_SCHEMA):
            # (information_schema: read-only views every catalog has; nothing can be granted on them)
            label = f"schema {schema.get('full_name')}"
            if among is None:
                out.followups.append(Task(scope, label, partial(self.schema, mid, schema, tags), 3))
                continue
            # an ISOLATED catalog's schemas take turns over its bound workspaces, each counted
            # against that workspace's own limit (a bound workspace is otherwise a hot spot)
            turn = among[n % len(among) :] + among[: n % len(among)]
            out.followups.append(Task(scope, label, partial(self.schema, mid, schema, tags, turn), 3, turn[0]))
        return out

    def schema(
        self, mid: str, info: dict[str, Any], tags: tuple[tuple[str, str], ...], among: list[str] | None = None
    ) -> TaskOutput:
        scope, out = f"metastore:{mid}", TaskOutput(calls=len(SCHEMA_CHILD_KINDS))
        resource = uc_resource("schema", mid, info, tags, rules=self.rules)
        catalog, schema = resource.name.split(".", 1)
        securables = [("schema", resource)]
        for child in SCHEMA_CHILD_KINDS:
            for item in self.router.call(mid, partial(_in_schema, self.adapter, child, catalog, schema), among=among):
                securables.append((child.kind.name, uc_resource(child.kind.name, mid, item, tags, rules=self.rules)))
        for kind, res in securables:
            securable_type = _kind_of(kind).securable_type or kind  # a model is granted as a function
            grants = self.router.call(mid, partial(_grants_of, self.adapter, securable_type, res.name), among=among)
            out.calls += 1
            self.later(out, grant_entitlements, scope, res, grants, out.tally)
            self.later(out, owner_entitlements, scope, res, out.tally)
        return out


def entitlement_kind() -> ResourceKind:
    return _kind_of("workspace_entitlement")


def _kind_of(name: str) -> ResourceKind:
    kind = resource_kind(name)
    assert kind is not None, name
    return kind


def _securables_of(adapter: DatabricksAdapter, kind: str, ws: str) -> list[dict[str, Any]]:
    return adapter.list_securables(ws, kind)


def _in_schema(adapter: DatabricksAdapter, child: SchemaChildKind, catalog: str, schema: str, ws: str) -> list[dict[str, Any]]:
    return child.list(adapter, ws, catalog, schema)


def _grants_of(adapter: DatabricksAdapter, kind: str, full_name: str, ws: str) -> list[dict[str, Any]]:
    return adapter.list_grants(ws, kind, full_name)
