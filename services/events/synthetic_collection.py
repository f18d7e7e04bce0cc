"""A generated, deterministic scenario of identity and entitlement events for campaign tests and the bench.

``small()`` is a few thousand items; ``large()`` is the default-scenario size (> 50k items): users
with managers, contractors, a few deactivated in Okta; groups (about 15 % without any approver
metadata, some nested); workspaces (some production) with admins; jobs with owners; Unity Catalog
grants at catalog/schema/table level; direct grants that bypass groups.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from services.events.envelope import Event, EventFactory

BASE_US = 1_790_000_000_000_000
DAY_US = 86400 * 1_000_000


@dataclass
class ScenarioSize:
    users: int
    groups: int
    members_per_group: int
    workspaces: int
    jobs_per_workspace: int
    catalogs: int
    schemas_per_catalog: int
    tables_per_schema: int


@dataclass
class Scenario:
    run_id: str
    events: list[Event]
    users: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    unowned_groups: set[str]
    entitlements: list[dict[str, Any]] = field(default_factory=list)


SMALL = ScenarioSize(
    users=120,
    groups=25,
    members_per_group=12,
    workspaces=6,
    jobs_per_workspace=8,
    catalogs=4,
    schemas_per_catalog=3,
    tables_per_schema=4,
)
LARGE = ScenarioSize(
    users=1500,
    groups=250,
    members_per_group=56,
    workspaces=120,
    jobs_per_workspace=42,
    catalogs=40,
    schemas_per_catalog=8,
    tables_per_schema=12,
)


def _ent(
    principal: dict[str, Any],
    resource: dict[str, Any],
    privilege: str,
    scope: str,
    direct: bool,
    granted_by: str | None = None,
) -> dict[str, Any]:
    return {
        "key": f"{principal['type']}:{principal['id']}|{resource['type']}:{resource['id']}|{privilege}",
        "scope": scope,
        "principal": principal,
        "resource": resource,
        "privilege": privilege,
        "direct": direct,
        "via_groups": [],
        "inherited": False,
        "inherited_from": None,
        "granted_by": granted_by,
        "granted_at": None,
    }


def generate(
    factory: EventFactory,
    size: ScenarioSize = SMALL,
    seed: int = 7,
    run_id: str = "run-1",
    at_us: int = BASE_US,
) -> Scenario:
    rnd = random.Random(seed)
    users = []
    for i in range(size.users):
        status = "DEPROVISIONED" if rnd.random() < 0.03 else "ACTIVE"
        users.append(
            {
                "id": f"u{i}",
                "name": f"user{i}@corp.example",
                "email": f"user{i}@corp.example",
                "status": status,
                "manager_email": f"user{i // 10}@corp.example" if i >= 10 else None,
                "user_type": "contractor" if rnd.random() < 0.08 else "employee",
                "flags": ["deactivated_in_okta_active_in_databricks"] if status != "ACTIVE" else [],
            }
        )
    groups: list[dict[str, Any]] = []
    unowned: set[str] = set()
    for g in range(size.groups):
        members = sorted(rnd.sample(range(size.users), min(size.members_per_group, size.users)))
        no_owner = rnd.random() < 0.15
        owner = users[rnd.randrange(size.users)]["email"]
        group: dict[str, Any] = {
            "id": f"g{g}",
            "name": f"grp-{g}",
            "members": [f"u{m}" for m in members],
            "owners": [] if no_owner else [owner],
            "attributes": {"created_by": owner} if no_owner and g % 2 else {},
        }
        if g > 0 and g % 9 == 0:
            group["members"].append(f"g{g - 1}")  # nested group
        if no_owner:
            unowned.add(group["id"])
        groups.append(group)

    def principal(u: dict[str, Any]) -> dict[str, Any]:
        return {"type": "user", "id": u["id"], "name": u["name"], "email": u["email"], "okta_id": None}

    gprincipal = lambda g: {"type": "group", "id": g["id"], "name": g["name"], "email": None, "okta_id": None}  # noqa: E731
    ents: list[dict[str, Any]] = []
    for group in groups:
        resource = {
            "type": "group",
            "id": group["id"],
            "name": group["name"],
            "workspace_id": None,
            "workspace_name": None,
            "production": False,
            "owner": None,
            "tags": {},
        }
        for member in group["members"]:
            if member.startswith("g"):
                ents.append(_ent(gprincipal(groups[int(member[1:])]), resource, "member", "okta", True))
            else:
                ents.append(_ent(principal(users[int(member[1:])]), resource, "member", "okta", True))
    for w in range(size.workspaces):
        production = w % 4 == 0
        ws = {
            "type": "workspace",
            "id": f"{1000 + w}",
            "name": f"ws-{w}",
            "workspace_id": f"{1000 + w}",
            "workspace_name": f"{'prod' if production else 'dev'}-ws-{w}",
            "production": production,
            "owner": None,
            "tags": {},
        }
        scope = f"workspace:{1000 + w}"
        for a in rnd.sample(range(size.users), 2):
            ents.append(_ent(principal(users[a]), ws, "ADMIN", scope, True))
        for j in range(size.jobs_per_workspace):
            job_owner: dict[str, Any] = users[rnd.randrange(size.users)]
            job = {
                "type": "job",
                "id": f"{w}-{j}",
                "name": f"job-{w}-{j}",
                "workspace_id": ws["id"],
                "workspace_name": ws["workspace_name"],
                "production": production,
                "owner": job_owner["email"],
                "tags": {},
            }
            for privilege in ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE"):
                grantee = groups[rnd.randrange(size.groups)]
                ents.append(_ent(gprincipal(grantee), job, privilege, scope, True, granted_by=job_owner["email"]))
            ents.append(_ent(principal(users[rnd.randrange(size.users)]), job, "CAN_MANAGE", scope, True))
    for c in range(size.catalogs):
        cat_owner = users[rnd.randrange(size.users)]["email"] if c % 5 else None
        catalog = {
            "type": "catalog",
            "id": f"cat{c}",
            "name": f"cat{c}",
            "workspace_id": None,
            "workspace_name": None,
            "production": c % 3 == 0,
            "owner": cat_owner,
            "tags": {"approver": "data-gov@corp.example"} if c % 7 == 0 else {},
        }
        ents.append(_ent(gprincipal(groups[rnd.randrange(size.groups)]), catalog, "ALL_PRIVILEGES", "account", True))
        ents.append(_ent(gprincipal(groups[rnd.randrange(size.groups)]), catalog, "USE_CATALOG", "account", True))
        for s in range(size.schemas_per_catalog):
            schema = dict(catalog, type="schema", id=f"cat{c}.s{s}", name=f"cat{c}.s{s}", tags={})
            ents.append(_ent(gprincipal(groups[rnd.randrange(size.groups)]), schema, "SELECT", "account", True))
            for t in range(size.tables_per_schema):
                table = dict(schema, type="table", id=f"cat{c}.s{s}.t{t}", name=f"cat{c}.s{s}.t{t}")
                for g in rnd.sample(range(size.groups), 3):
                    ents.append(_ent(gprincipal(groups[g]), table, "SELECT", "account", True))
                ents.append(_ent(principal(users[rnd.randrange(size.users)]), table, "MODIFY", "account", True))
    unique = {e["key"]: e for e in ents}
    ents = [unique[k] for k in sorted(unique)]
    return Scenario(run_id, _events(factory, rnd, run_id, at_us, users, groups, ents, size), users, groups, unowned, ents)


def _events(
    factory: EventFactory,
    rnd: random.Random,
    run_id: str,
    at_us: int,
    users: list,
    groups: list,
    ents: list,
    size: ScenarioSize,
) -> list[Event]:
    new = lambda t, p, key: factory.new(t, p, correlation_id=run_id, subject_key=key, occurred_at=at_us)  # noqa: E731
    scopes = ["account", "okta"] + [f"workspace:{1000 + w}" for w in range(size.workspaces)]
    events = [
        new(
            "collection.started",
            {"run_id": run_id, "source": "all", "scopes": scopes, "parameters": {}},
            run_id,
        )
    ]
    for u in users:
        events.append(
            new(
                "identity.observed",
                {
                    "run_id": run_id,
                    "source": "joined",
                    "identity_type": "user",
                    "id": u["id"],
                    "name": u["name"],
                    "email": u["email"],
                    "status": u["status"],
                    "manager_email": u["manager_email"],
                    "user_type": u["user_type"],
                    "flags": u["flags"],
                },
                u["id"],
            )
        )
    for g in groups:
        events.append(
            new(
                "identity.observed",
                {
                    "run_id": run_id,
                    "source": "joined",
                    "identity_type": "group",
                    "id": g["id"],
                    "name": g["name"],
                    "owners": g["owners"],
                    "members": g["members"],
                    "attributes": g["attributes"],
                    "flags": [] if g["owners"] else ["no_approver"],
                },
                g["id"],
            )
        )
    for e in ents:
        roll = rnd.random()
        last_used = None if roll < 0.2 else at_us - (120 if roll < 0.3 else 5) * DAY_US
        events.append(
            new(
                "entitlement.observed",
                {"run_id": run_id, "entitlement": e, "last_used_at": last_used},
                e["key"],
            )
        )
    counts = {"entitlements": len(ents)}
    statuses = [{"scope": s, "status": "complete", "reason": None, "entitlements": 0, "requests": 0} for s in scopes]
    events.append(
        new(
            "collection.completed",
            {"run_id": run_id, "counts": counts, "scopes": statuses, "duration_ms": 1000},
            run_id,
        )
    )
    return events
