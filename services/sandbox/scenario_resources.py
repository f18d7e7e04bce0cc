"""Deterministic workspaces, jobs, compute, workspace objects, Unity Catalog and audit events.

Grants mostly go to groups; production jobs have owners and run-as identities; the first two
production workspaces are over-provisioned (the broad ``all-engineers`` group has CAN_MANAGE on
their production jobs and ALL_PRIVILEGES on production catalogs), as in the incident the brief
describes.
"""

from __future__ import annotations

import random

from services.sandbox.model import (
    ACCOUNT_USERS_ID,
    USERS,
    AuditEvent,
    Compute,
    Grant,
    Job,
    SandboxState,
    Securable,
    Workspace,
    WsObject,
    local_group_id,
)
from services.sandbox.scenario_objects import (
    add_group_owner_groups,
    add_group_push,
    add_role_grants,
    add_uc_objects,
    add_workspace_objects,
    isolate_catalogs,
)
from services.sandbox.scenario_people import EPOCH_MS, ScenarioSize, databricks_users, new_uuid
from services.sandbox.scenario_usage import add_usage_audit

TEAMS = ("etl", "bi", "ml", "fin", "mkt", "ops", "risk", "core")
JOB_LEVELS = ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_VIEW", "CAN_MANAGE")
CLUSTER_LEVELS = ("CAN_ATTACH_TO", "CAN_RESTART", "CAN_ATTACH_TO", "CAN_MANAGE")
WAREHOUSE_LEVELS = ("CAN_USE", "CAN_USE", "CAN_MONITOR", "CAN_MANAGE")
CATALOG_PRIVS = ("USE_CATALOG", "USE_CATALOG", "SELECT", "BROWSE", "ALL_PRIVILEGES")
SCHEMA_PRIVS = ("USE_SCHEMA", "SELECT", "SELECT", "MODIFY", "CREATE_TABLE")


class _Pools:
    """Who grants may go to: teams groups mostly, some users and service principals."""

    def __init__(self, state: SandboxState, rng: random.Random) -> None:
        self.rng = rng
        self.users = [u.id for u in databricks_users(state) if u.active]
        self.sps = list(state.service_principals)
        groups = list(state.groups.values())
        self.broad = groups[0].id
        self.teams = [g.id for g in groups if g.display_name.startswith("team-")] or [g.id for g in groups]
        self.depts = [g.id for g in groups if g.display_name.startswith("dept-")]

    def group(self) -> str:
        return self.rng.choice(self.teams if self.rng.random() < 0.85 or not self.depts else self.depts)

    def grants(self, levels: tuple[str, ...], low: int, high: int, user_share: float = 0.15) -> list[Grant]:
        out: list[Grant] = []
        seen: set[tuple[str, str]] = set()
        for _ in range(self.rng.randint(low, high)):
            who = self.rng.choice(self.users) if self.rng.random() < user_share else self.group()
            grant = Grant(who, self.rng.choice(levels))
            if (grant.principal_id, grant.privilege) not in seen:
                seen.add((grant.principal_id, grant.privilege))
                out.append(grant)
        return out

    def owner(self) -> str:
        return self.rng.choice(self.sps if self.sps and self.rng.random() < 0.3 else self.users)


def add_resources(state: SandboxState, size: ScenarioSize, rng: random.Random) -> None:
    pools = _Pools(state, rng)
    metastore_ids = _add_metastores(state, size, pools)
    _add_workspaces(state, size, pools, metastore_ids)
    _add_jobs(state, size, pools)
    _add_catalogs(state, size, pools, metastore_ids)
    _over_provision(state, pools)
    _add_audit(state, rng)
    _add_real_world_shape(state)
    add_workspace_objects(state, rng, pools.grants, pools.owner)
    add_uc_objects(state, rng, pools.grants, pools.owner)
    isolate_catalogs(state)
    add_role_grants(state, rng)
    add_group_owner_groups(state, rng)
    add_group_push(state, rng)
    add_usage_audit(state)


INFORMATION_SCHEMA_VIEWS = ("catalog_privileges", "columns", "schema_privileges", "schemata", "table_privileges", "tables")


def _add_real_world_shape(state: SandboxState) -> None:
    """What every real account has besides the scenario: every workspace's ``users`` may attach to
    its first cluster, ``account users`` may use one catalog per metastore, every job left a job
    cluster in the cluster list, every catalog has an ``information_schema`` of views (no grants
    can be made on it), and (with three workspaces or more) the newest-numbered workspace
    predates identity federation."""
    for ws in state.workspaces.values():
        if ws.clusters:
            ws.clusters[0].acl.append(Grant(local_group_id(ws.workspace_id, USERS), "CAN_ATTACH_TO"))
        for job in ws.jobs:  # one recent run's job cluster per job (not reviewed: the job is)
            ws.job_clusters.append(Compute(f"job-{job.job_id}-run-1", f"job-{job.job_id}-run-1"))
    # two account admins, as accounts have: a person and the platform team's automation principal
    state.account_admins = [min(u for u, user in state.users.items() if user.in_databricks)]
    state.account_admins += sorted(state.service_principals)[:1]
    if len(state.workspaces) >= 3:  # one legacy workspace without identity federation
        state.workspaces[max(state.workspaces)].identity_federation = False
    seen: set[str] = set()
    for sec in sorted(state.securables.values(), key=lambda s: s.full_name):
        if sec.kind != "catalog":
            continue
        if sec.metastore_id not in seen:
            seen.add(sec.metastore_id)
            sec.grants.append(Grant(ACCOUNT_USERS_ID, "USE_CATALOG"))
        info = Securable("schema", f"{sec.full_name}.information_schema", sec.metastore_id, sec.owner_id)
        state.add_securable(info)
        for view in INFORMATION_SCHEMA_VIEWS:
            state.add_securable(Securable("table", f"{info.full_name}.{view}", sec.metastore_id, sec.owner_id, subtype="VIEW"))


def _add_metastores(state: SandboxState, size: ScenarioSize, pools: _Pools) -> list[str]:
    ids = []
    for i in range(size.metastores):
        mid = new_uuid(pools.rng)
        ms = Securable(
            "metastore",
            mid,
            mid,
            pools.group(),
            [Grant(pools.group(), "CREATE_CATALOG")],
            {"name": f"metastore-{('us-east', 'eu-west', 'ap-south', 'us-west')[i % 4]}"},
        )
        state.add_securable(ms)
        ids.append(mid)
    return ids


def _add_workspaces(state: SandboxState, size: ScenarioSize, pools: _Pools, metastores: list[str]) -> None:
    rng = pools.rng
    object_id = 1000
    for i in range(size.workspaces):
        production = i < size.production_workspaces
        team = TEAMS[i % len(TEAMS)]
        ws = Workspace(
            workspace_id=1_000_000_000_000_000 + 7919 * (i + 1),
            deployment_name=f"dbc-{i:03d}",
            name=f"{team}-{'prod' if production else rng.choice(('dev', 'stg', 'sbx'))}-{i:03d}",
            production=production,
            metastore_id=metastores[i % len(metastores)],
            tags={"env": "prod" if production else "nonprod", "team": team},
        )
        if rng.random() < 0.7:
            ws.tags["approver"] = state.users[rng.choice(pools.users)].user_name
        for grant in pools.grants(("USER",), 2, 5, user_share=0.2):
            ws.assignments[grant.principal_id] = ["USER"]
        ws.assignments[pools.group()] = ["ADMIN"] if rng.random() < 0.5 else ["USER", "ADMIN"]
        ws.clusters = [
            Compute(f"{i:04d}-{c:06d}-{team}{c}", f"{team}-cluster-{c}", pools.grants(CLUSTER_LEVELS, 1, 2))
            for c in range(rng.randint(1, 3))
        ]
        ws.warehouses = [
            Compute(f"{rng.getrandbits(64):016x}", f"{team}-warehouse-{w}", pools.grants(WAREHOUSE_LEVELS, 1, 2))
            for w in range(rng.randint(1, 2))
        ]
        directory = WsObject(object_id, f"/Shared/{team}", "DIRECTORY", pools.grants(("CAN_READ", "CAN_EDIT"), 1, 1))
        shared = WsObject(object_id + 3, "/Shared", "DIRECTORY")
        ws.objects = [shared, directory] + [
            WsObject(
                object_id + n,
                f"/Shared/{team}/notebook-{n}",
                "NOTEBOOK",
                pools.grants(("CAN_RUN", "CAN_EDIT"), 0, 1, user_share=0.6),
            )
            for n in (1, 2)
        ]
        object_id += 10
        state.workspaces[ws.workspace_id] = ws


def _add_jobs(state: SandboxState, size: ScenarioSize, pools: _Pools) -> None:
    rng = pools.rng
    workspaces = list(state.workspaces.values())
    prod = [w for w in workspaces if w.production] or workspaces
    job_id = 100_000
    for n in range(size.jobs):
        production = n < size.production_jobs
        ws = prod[n % len(prod)] if production else workspaces[n % len(workspaces)]
        job_id += rng.randint(1, 997)
        owner = pools.owner()
        run_as = rng.choice(pools.sps) if (production and pools.sps) else owner
        job = Job(
            job_id=job_id,
            name=f"{'prod' if production else 'adhoc'}-{ws.name.split('-')[0]}-job-{n:04d}",
            creator_id=owner if owner in state.users else pools.users[0],
            owner_id=owner,
            run_as_id=run_as,
            production=production,
            created_time=EPOCH_MS - rng.randint(1, 400) * 86_400_000,
            tags={"env": "prod" if production else "dev"},
            acl=pools.grants(JOB_LEVELS, 1, 2),
        )
        if production and rng.random() < 0.8:
            job.tags["approver"] = state.users[rng.choice(pools.users)].user_name
        ws.jobs.append(job)


def _add_catalogs(state: SandboxState, size: ScenarioSize, pools: _Pools, metastores: list[str]) -> None:
    rng = pools.rng
    schemas: list[Securable] = []
    for c in range(size.catalogs):
        mid = metastores[c % len(metastores)]
        prefix = "prod" if c % 3 == 0 else rng.choice(("dev", "sandbox", "analytics"))
        cat = Securable(
            "catalog",
            f"{prefix}_{TEAMS[c % len(TEAMS)]}_{c:02d}",
            mid,
            pools.owner(),
            pools.grants(CATALOG_PRIVS, 1, 3),
        )
        if rng.random() < 0.6:
            cat.properties["approver"] = state.users[rng.choice(pools.users)].user_name
        state.add_securable(cat)
        for s in range(size.schemas // size.catalogs + (1 if c < size.schemas % size.catalogs else 0)):
            schema = Securable("schema", f"{cat.full_name}.s{s:02d}", mid, pools.owner(), pools.grants(SCHEMA_PRIVS, 0, 2))
            state.add_securable(schema)
            schemas.append(schema)
    for t in range(size.tables):
        schema = schemas[t % len(schemas)]
        grants = pools.grants(("SELECT", "MODIFY"), 1, 1) if rng.random() < 0.05 else []
        table = Securable(
            "table",
            f"{schema.full_name}.t{t:04d}",
            schema.metastore_id,
            pools.owner(),
            grants,
            subtype=rng.choice(("MANAGED", "MANAGED", "EXTERNAL", "VIEW")),
        )
        state.add_securable(table)
    for v, schema in enumerate(schemas[::3]):
        grants = pools.grants(("READ_VOLUME", "WRITE_VOLUME"), 1, 1) if rng.random() < 0.3 else []
        state.add_securable(
            Securable(
                "volume",
                f"{schema.full_name}.vol{v:03d}",
                schema.metastore_id,
                pools.owner(),
                grants,
                subtype="MANAGED",
            )
        )


def _over_provision(state: SandboxState, pools: _Pools) -> None:
    prod = [w for w in state.workspaces.values() if w.production][:2]
    for ws in prod:
        ws.tags["incident"] = "over-provisioned"
        for job in ws.jobs:
            if job.production:
                job.acl.append(Grant(pools.broad, "CAN_MANAGE"))
        for sec in state.securables.values():
            if (sec.kind == "catalog" and sec.metastore_id == ws.metastore_id and sec.full_name.startswith("prod_")) and not any(
                g.principal_id == pools.broad for g in sec.grants
            ):
                sec.grants.append(Grant(pools.broad, "ALL_PRIVILEGES"))
                break


def _add_audit(state: SandboxState, rng: random.Random) -> None:
    """'Last used' evidence: job runs and cluster attaches by users holding access."""
    users = [u for u in state.users.values() if u.in_databricks]
    for ws in state.workspaces.values():
        for job in ws.jobs:
            if rng.random() < 0.4:
                who = state.users.get(job.owner_id) or rng.choice(users)
                state.audit.append(
                    AuditEvent(
                        ws.workspace_id,
                        EPOCH_MS + rng.randint(0, 80) * 86_400_000,
                        who.user_name,
                        "jobs",
                        "runNow",
                        "job",
                        str(job.job_id),
                    )
                )
        for cluster in ws.clusters:
            for grant in cluster.acl:
                if grant.principal_id in state.users and rng.random() < 0.5:
                    state.audit.append(
                        AuditEvent(
                            ws.workspace_id,
                            EPOCH_MS + rng.randint(0, 80) * 86_400_000,
                            state.users[grant.principal_id].user_name,
                            "clusters",
                            "attach",
                            "cluster",
                            cluster.id,
                        )
                    )
