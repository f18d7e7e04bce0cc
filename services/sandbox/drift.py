"""Seeded random changes to a sandbox, so change detection can be tested.

Each change is one of: a job grant added, a job grant removed, a Unity Catalog grant added or
removed, a member removed from a group, a user deactivated in Okta. The same seed on the same
state makes the same changes.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from services.sandbox.model import Grant, SandboxState

CHANGE_KINDS = (
    "job_grant_added",
    "job_grant_removed",
    "uc_grant_added",
    "uc_grant_removed",
    "member_removed",
    "user_deactivated_in_okta",
)


def apply_drift(state: SandboxState, seed: int, changes: int = 6) -> list[str]:
    """Apply ``changes`` changes (cycling through every kind) and describe each."""
    rng = random.Random(seed)
    actions: dict[str, Callable[[SandboxState, random.Random], str | None]] = {
        "job_grant_added": _job_grant_added,
        "job_grant_removed": _job_grant_removed,
        "uc_grant_added": _uc_grant_added,
        "uc_grant_removed": _uc_grant_removed,
        "member_removed": _member_removed,
        "user_deactivated_in_okta": _user_deactivated,
    }
    done: list[str] = []
    for n in range(changes):
        kind = CHANGE_KINDS[n % len(CHANGE_KINDS)]
        for _attempt in range(20):
            described = actions[kind](state, rng)
            if described:
                done.append(described)
                break
    return done


def _job_grant_added(state: SandboxState, rng: random.Random) -> str | None:
    ws = rng.choice(list(state.workspaces.values()))
    if not ws.jobs:
        return None
    job = rng.choice(ws.jobs)
    user = rng.choice([u for u in state.users.values() if u.in_databricks and u.active])
    if any(g.principal_id == user.id for g in job.acl):
        return None
    job.acl.append(Grant(user.id, "CAN_MANAGE"))
    return f"job {job.job_id} in {ws.deployment_name}: CAN_MANAGE granted to {user.user_name}"


def _job_grant_removed(state: SandboxState, rng: random.Random) -> str | None:
    ws = rng.choice(list(state.workspaces.values()))
    jobs = [j for j in ws.jobs if j.acl]
    if not jobs:
        return None
    job = rng.choice(jobs)
    grant = job.acl.pop(rng.randrange(len(job.acl)))
    return f"job {job.job_id} in {ws.deployment_name}: {grant.privilege} removed from {grant.principal_id}"


def _uc_grant_added(state: SandboxState, rng: random.Random) -> str | None:
    schemas = [s for s in state.securables.values() if s.kind == "schema" and not s.full_name.endswith(".information_schema")]
    schema = rng.choice(schemas)
    group = rng.choice(list(state.groups.values()))
    if any(g.principal_id == group.id and g.privilege == "MODIFY" for g in schema.grants):
        return None
    schema.grants.append(Grant(group.id, "MODIFY"))
    return f"schema {schema.full_name}: MODIFY granted to {group.display_name}"


def _uc_grant_removed(state: SandboxState, rng: random.Random) -> str | None:
    granted = [s for s in state.securables.values() if s.kind in ("catalog", "schema") and s.grants]
    if not granted:
        return None
    sec = rng.choice(granted)
    grant = sec.grants.pop(rng.randrange(len(sec.grants)))
    return f"{sec.kind} {sec.full_name}: {grant.privilege} removed from {grant.principal_id}"


def _member_removed(state: SandboxState, rng: random.Random) -> str | None:
    group = rng.choice(list(state.groups.values()))
    users = [m for m in group.members if m in state.users]
    if not users:
        return None
    member = rng.choice(users)
    group.members.remove(member)
    if member in group.okta_members:  # a change made in Okta, already pushed
        group.okta_members.remove(member)
    return f"group {group.display_name}: member {state.users[member].user_name} removed"


def _user_deactivated(state: SandboxState, rng: random.Random) -> str | None:
    users = [u for u in state.users.values() if u.okta_id and u.okta_status == "ACTIVE" and u.in_databricks]
    if not users:
        return None
    user = rng.choice(users)
    user.okta_status = "SUSPENDED"
    return f"user {user.user_name}: suspended in Okta, still active in Databricks"
