"""Never remove the last admin of a workspace.

Workspace admin is ADMIN in the workspace's assignment, or membership of its ``admins`` group;
the collected facts say who else holds it (users and service principals, any path).
"""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict


def _workspace_of_admin_access(guard: GuardInput) -> str | None:
    r, privilege = guard.resource, guard.entitlement["privilege"]
    if r["type"] == "workspace" and privilege == "ADMIN":
        return str(r["id"])
    if r["type"] == "workspace_group" and r["name"] == "admins":
        return str(r.get("workspace_id"))
    return None


def _membership_admin_workspaces(guard: GuardInput) -> list[str]:
    """An account group membership: the workspaces the member administers through that group."""
    r, p = guard.resource, guard.principal
    if r["type"] != "group":
        return []
    return sorted(
        {
            f.resource_id
            for f in guard.facts.holdings(str(p["id"]))
            if f.resource_type == "workspace" and f.privilege == "ADMIN" and str(r["id"]) in f.via_groups.split()
        }
    )


def check(guard: GuardInput) -> Verdict | None:
    for through in _membership_admin_workspaces(guard):
        member = str(guard.principal["id"])
        others = {f.principal_id for f in guard.facts.admin_paths(through) if f.principal_type != "group"} - {member}
        if not others:
            return Verdict(
                "block",
                "last_admin",
                f"{guard.principal['name']} administers workspace {through} through group "
                f"{guard.resource['name']}, and nobody else does",
            )
    admin_of = _workspace_of_admin_access(guard)
    if admin_of is None:
        return None
    workspace_id = admin_of
    p = guard.principal
    losing = {str(p["id"])}
    if p["type"] == "group":  # the group's admin access goes for everyone who has it only through the group
        losing |= {
            f.principal_id
            for f in guard.facts.admin_paths(workspace_id)
            if str(p["id"]) in f.via_groups.split() and f.principal_type != "group"
        }
    others = {
        f.principal_id
        for f in guard.facts.admin_paths(workspace_id)
        if f.principal_type != "group" and str(p["id"]) not in f.via_groups.split() and f.principal_id != str(p["id"])
    }
    if not others:
        return Verdict(
            "block",
            "last_admin",
            f"{p['name']} is the last way anyone administers workspace {guard.resource.get('workspace_name') or workspace_id}",
            None,
        )
    return None
