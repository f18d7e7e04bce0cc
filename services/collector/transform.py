"""Pure transforms: Databricks wire-format payloads -> normalized entitlements.

No I/O here: every function takes the dicts an adapter returned (or canned payloads in tests)
and the principal :class:`PrincipalIndex`. Unknown principals and unknown permission levels are
tolerated and counted in :class:`Tally` (and logged by the caller); a payload missing a field the
normalized form needs raises :class:`IncompletePayloadError`, which fails that scope's task.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from services.collector.directory import PrincipalIndex, required_field
from services.collector.entitlement import Entitlement, Resource
from services.collector.production import ProductionRules
from services.events.resource_kinds import RUN_AS


@dataclass
class Tally:
    """What was tolerated: kept for the completion counts and logged once per scope."""

    counts: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def note(self, kind: str, detail: str) -> None:
        self.counts[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {detail}")


@dataclass(frozen=True)
class WorkspaceRef:
    workspace_id: str
    name: str
    deployment_name: str
    production: bool
    tags: tuple[tuple[str, str], ...] = ()
    rules: ProductionRules = field(default_factory=ProductionRules, compare=False, repr=False)

    @property
    def scope(self) -> str:
        return f"workspace:{self.workspace_id}"


def workspace_ref(raw: dict[str, Any], rules: ProductionRules | None = None) -> WorkspaceRef:
    rules = rules or ProductionRules()
    tags = {str(k): str(v) for k, v in (raw.get("custom_tags") or {}).items()}
    workspace_id = required_field(raw, "workspace_id", "workspace")
    name = str(raw.get("workspace_name") or workspace_id)
    return WorkspaceRef(
        workspace_id=workspace_id,
        name=name,
        deployment_name=required_field(raw, "deployment_name", "workspace"),
        production=rules.workspace(name, tags),
        tags=tuple(sorted(tags.items())),
        rules=rules,
    )


def workspace_resource(ws: WorkspaceRef) -> Resource:
    return Resource("workspace", ws.workspace_id, ws.name, ws.workspace_id, ws.name, ws.production, None, ws.tags)


def assignment_entitlements(
    directory: PrincipalIndex, ws: WorkspaceRef, assignments: list[dict[str, Any]], tally: Tally
) -> Iterator[Entitlement]:
    resource = workspace_resource(ws)
    for item in assignments:
        raw = item.get("principal") or {}
        principal = directory.principals.get(str(raw.get("principal_id", "")))
        if principal is None:
            tally.note("unknown_principal", f"assignment in {ws.deployment_name}: {raw}")
            continue
        perms = item.get("permissions") or []
        if not perms:
            tally.note("unknown_value", f"assignment without known permissions for {principal.name}")
        for perm in perms:
            yield from directory.expand(ws.scope, principal, resource, str(perm))


def acl_entitlements(
    directory: PrincipalIndex, scope: str, resource: Resource, permissions: dict[str, Any], tally: Tally
) -> Iterator[Entitlement]:
    """Entitlements from an object's ``access_control_list`` (direct and inherited entries)."""
    for entry in permissions.get("access_control_list") or []:
        principal = directory.by_acl_entry(entry, resource.workspace_id)
        if principal is None:
            tally.note("unknown_principal", f"{resource.type} {resource.id}: {entry.get('display_name') or entry}")
            continue
        for perm in entry.get("all_permissions") or []:
            level = perm.get("permission_level")
            if not level:
                tally.note("unknown_value", f"{resource.type} {resource.id}: permission level not understood")
                continue
            parents = perm.get("inherited_from_object") or []
            inherited_from = str(parents[0]) if perm.get("inherited") and parents else None
            if perm.get("inherited") and not parents:
                inherited_from = "(parent)"
            yield from directory.expand(scope, principal, resource, str(level), inherited_from)


def owner_of(permissions: dict[str, Any]) -> str | None:
    for entry in permissions.get("access_control_list") or []:
        for perm in entry.get("all_permissions") or []:
            if perm.get("permission_level") == "IS_OWNER":
                return str(entry.get("user_name") or entry.get("service_principal_name") or entry.get("group_name"))
    return None


def run_as_name(job: dict[str, Any]) -> str | None:
    """The job's run-as identity: ``settings.run_as`` from ``jobs.get``, else the top-level name."""
    run_as = (job.get("settings") or {}).get("run_as") or {}
    name = run_as.get("user_name") or run_as.get("service_principal_name") or job.get("run_as_user_name")
    return str(name) if name else None


def job_resource(ws: WorkspaceRef, job: dict[str, Any], permissions: dict[str, Any]) -> Resource:
    job_id = required_field(job, "job_id", "job")
    settings = job.get("settings") or {}
    tags = {str(k): str(v) for k, v in (settings.get("tags") or {}).items()}
    run_as = run_as_name(job)
    if run_as:
        tags["run_as"] = run_as
    production = ws.rules.job(tags, ws.production)
    return Resource(
        "job",
        f"{ws.workspace_id}/{job_id}",
        str(settings.get("name") or job_id),
        ws.workspace_id,
        ws.name,
        production,
        owner_of(permissions),
        tuple(sorted(tags.items())),
    )


def run_as_entitlements(
    directory: PrincipalIndex, scope: str, resource: Resource, job: dict[str, Any], tally: Tally
) -> Iterator[Entitlement]:
    """The job's run-as identity as its own entitlement (``RUN_AS``): who the job acts as."""
    name = run_as_name(job)
    if name is None:
        tally.note("unknown_value", f"job {resource.id}: no run-as identity in the job's settings")
        return
    principal = directory.by_name(name)
    if principal is None:
        tally.note("unknown_principal", f"job {resource.id}: run as {name}")
        return
    yield Entitlement(scope, principal, resource, RUN_AS)


def named_resource(
    kind: str, id_field: str, name_field: str
) -> Callable[[WorkspaceRef, dict[str, Any], dict[str, Any]], Resource]:
    """The transform of a listed kind whose items carry an id and a name (pipelines, pools, ...);
    an owner (IS_OWNER) and a run-as identity are kept when the object has them."""

    def resource(ws: WorkspaceRef, item: dict[str, Any], permissions: dict[str, Any]) -> Resource:
        item_id = required_field(item, id_field, kind)
        run_as = run_as_name(item)
        return Resource(
            kind,
            f"{ws.workspace_id}/{item_id}",
            str(item.get(name_field) or item_id),
            ws.workspace_id,
            ws.name,
            ws.production,
            owner_of(permissions),
            (("run_as", run_as),) if run_as else (),
        )

    return resource


def secret_acl(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A secret scope's ACL (``secrets/acls/list``: principal and READ | WRITE | MANAGE) in the
    permissions API's shape; ``principal`` names a user, a group or a service principal."""
    return {
        "access_control_list": [
            {
                "principal": str(item.get("principal") or ""),
                "all_permissions": [{"permission_level": item.get("permission"), "inherited": False}],
            }
            for item in items
        ]
    }


def token_holder(
    directory: PrincipalIndex, scope: str, resource: Resource, token: dict[str, Any], tally: Tally
) -> Iterator[Entitlement]:
    """A personal access token is held by its owner (HOLDER), last used on ``last_used_day``."""
    owner = str(token.get("owner_id") or "")
    principal = directory.principals.get(owner)
    if principal is None:
        tally.note("unknown_principal", f"token {resource.id}: owner {owner or '(none)'}")
        return
    day = token.get("last_used_day")
    yield Entitlement(scope, principal, resource, "HOLDER", last_used_at=int(day) * 1000 if day else None)


def compute_resource(ws: WorkspaceRef, kind: str, item: dict[str, Any]) -> Resource:
    id_field, name_field = ("cluster_id", "cluster_name") if kind == "cluster" else ("id", "name")
    item_id = required_field(item, id_field, kind)
    return Resource(
        kind,
        f"{ws.workspace_id}/{item_id}",
        str(item.get(name_field) or item_id),
        ws.workspace_id,
        ws.name,
        ws.production,
    )


def object_resource(ws: WorkspaceRef, kind: str, item: dict[str, Any]) -> Resource:
    """A workspace-tree object (notebook, folder, ...) of resource type ``kind``."""
    object_id = required_field(item, "object_id", "workspace object")
    return Resource(
        kind,
        f"{ws.workspace_id}/{object_id}",
        required_field(item, "path", "workspace object"),
        ws.workspace_id,
        ws.name,
        ws.production,
    )


# -- Unity Catalog -------------------------------------------------------------------------------
def uc_resource(
    kind: str,
    metastore_id: str,
    info: dict[str, Any],
    catalog_tags: tuple[tuple[str, str], ...],
    metastore_name: str | None = None,
    rules: ProductionRules | None = None,
) -> Resource:
    if kind == "metastore":
        return Resource("metastore", metastore_id, metastore_name or metastore_id, owner=info.get("owner"))
    full_name = required_field(info, "full_name", kind)
    catalog = full_name.split(".")[0]
    return Resource(
        kind,
        f"{metastore_id}/{full_name}",
        full_name,
        None,
        None,
        (rules or ProductionRules()).catalog(catalog),
        info.get("owner"),
        catalog_tags,
    )


def catalog_tags(info: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in (info.get("properties") or {}).items()))


def grant_entitlements(
    directory: PrincipalIndex, scope: str, resource: Resource, assignments: list[dict[str, Any]], tally: Tally
) -> Iterator[Entitlement]:
    for item in assignments:
        principal = directory.by_name(str(item.get("principal") or ""))
        if principal is None:
            tally.note("unknown_principal", f"{resource.type} {resource.name}: {item.get('principal')}")
            continue
        privileges = item.get("privileges") or []
        for privilege in privileges:
            yield from directory.expand(scope, principal, resource, str(privilege))


def owner_entitlements(directory: PrincipalIndex, scope: str, resource: Resource, tally: Tally) -> Iterator[Entitlement]:
    """A Unity Catalog owner holds every privilege on its securable: ``OWNER`` is reviewed like a
    grant (and expanded through a group that owns it)."""
    if not resource.owner:
        return
    principal = directory.by_name(resource.owner)
    if principal is None:
        tally.note("unknown_principal", f"{resource.type} {resource.name}: owner {resource.owner}")
        return
    yield from directory.expand(scope, principal, resource, "OWNER")


def account_role_entitlements(directory: PrincipalIndex, account_id: str) -> Iterator[Entitlement]:
    """SCIM ``roles`` ``account_admin`` of users, service principals and groups: ``ACCOUNT_ADMIN``
    on the account (a group's role is expanded to its members)."""
    account = Resource("account", account_id, "Databricks account", None, None, True)
    for raws in (directory.raw_users, directory.raw_sps, directory.raw_groups):
        for pid, raw in raws.items():
            if any(str(r.get("value")) == "account_admin" for r in raw.get("roles") or []):
                yield from directory.expand("account", directory.principals[pid], account, "ACCOUNT_ADMIN")
