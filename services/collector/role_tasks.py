"""Account rule sets: who manages each group, who may use or manage each service principal.

A group manager may change the group's members, so holding the role is access to everything the
group holds; a service principal's users may run jobs as it. One read per group and service
principal (``get_rule_set``), in tasks of the account scope, in chunks so the pool interleaves
them with the workspaces' work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from services.adapters.databricks import DatabricksAdapter
from services.collector.databricks_tasks import ACCOUNT_HOST
from services.collector.directory import PrincipalIndex
from services.collector.entitlement import Entitlement, Resource
from services.collector.scheduler import Task, TaskOutput
from services.events.resource_kinds import ROLE_PRIVILEGES

CHUNK = 25
ENTRY_FIELD = {"users": "user_name", "groups": "group_name", "servicePrincipals": "service_principal_name"}


def role_tasks(
    adapter: DatabricksAdapter,
    groups: list[dict[str, Any]],
    service_principals: list[dict[str, Any]],
    directory: Callable[[], PrincipalIndex],
) -> list[Task]:
    """Tasks reading every group's and service principal's rule set. They need only the account's
    lists to start; turning holders into principals waits for the directory (``directory()``)."""
    targets: list[tuple[str, Resource]] = []
    for raw in sorted(groups, key=lambda g: str(g.get("id") or "")):
        gid = str(raw.get("id") or "")
        if gid:
            targets.append((f"groups/{gid}", Resource("group_role", gid, str(raw.get("displayName") or gid))))
    for raw in sorted(service_principals, key=lambda s: str(s.get("id") or "")):
        sid, app_id = str(raw.get("id") or ""), str(raw.get("applicationId") or "")
        if sid and app_id:
            name = str(raw.get("displayName") or app_id)
            targets.append((f"servicePrincipals/{app_id}", Resource("service_principal_role", sid, name)))
    chunks = [targets[i : i + CHUNK] for i in range(0, len(targets), CHUNK)]
    return [
        Task("account", f"account rule sets from {n * CHUNK + 1}", _reader(adapter, directory, chunk), 4, ACCOUNT_HOST)
        for n, chunk in enumerate(chunks)
    ]


def _reader(adapter: DatabricksAdapter, directory: Callable[[], PrincipalIndex], chunk: list[tuple[str, Resource]]) -> Any:
    def run() -> TaskOutput:
        out = TaskOutput(calls=len(chunk))
        for key, resource in chunk:
            out.later(partial(_holders, directory, resource, adapter.get_rule_set(key), out))
        return out

    return run


def _holders(
    directory: Callable[[], PrincipalIndex], resource: Resource, rule_set: dict[str, Any], out: TaskOutput
) -> Iterator[Entitlement]:
    return rule_set_entitlements(directory(), resource, rule_set, out)


def rule_set_entitlements(
    directory: PrincipalIndex, resource: Resource, rule_set: dict[str, Any], out: TaskOutput
) -> Iterator[Entitlement]:
    """Each role of the rule set as a privilege on ``resource``, a group's expanded to its members;
    unknown roles and principals are counted, never dropped silently."""
    for rule in rule_set.get("grant_rules") or []:
        role = str(rule.get("role") or "")
        privilege = ROLE_PRIVILEGES.get(role)
        if privilege is None:
            out.tally.note("unknown_value", f"{resource.type} {resource.id}: role {role!r}")
            continue
        for named in rule.get("principals") or []:
            kind, _, name = str(named).partition("/")
            field = ENTRY_FIELD.get(kind)
            principal = directory.by_acl_entry({field: name}) if field else None
            if principal is None:
                out.tally.note("unknown_principal", f"{resource.type} {resource.id}: {named}")
                continue
            yield from directory.expand("account", principal, resource, privilege)
