"""'Last used' evidence beyond jobs and clusters: the audit events a real ``system.access.audit``
holds for the other kinds the collector reviews (docs.databricks.com "Audit log reference":
service names ``databrickssql``, ``notebook``, ``deltaPipelines``, ``secrets``, ``unityCatalog``,
and ``accounts`` for sign-ins to a workspace).

Added last, from a random stream of its own, so the rest of the scenario is what it was.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from services.sandbox.model import AuditEvent, Grant, SandboxState
from services.sandbox.scenario_people import EPOCH_MS

DAY_MS = 86_400_000


def _users(state: SandboxState, grants: Iterable[Grant]) -> list[str]:
    """The users a grant reaches: its user holders, and every user of a holding group at any depth."""
    out: set[str] = set()
    stack = [g.principal_id for g in grants]
    seen: set[str] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        if pid in state.users:
            out.add(pid)
        elif pid in state.groups:
            stack.extend(state.groups[pid].members)
    return sorted(out)


def add_usage_audit(state: SandboxState) -> None:
    rng = random.Random(state.seed * 1_000_003 + 17)

    def used(wid: int, user_id: str, service: str, action: str, kind: str, object_id: str, odds: float) -> None:
        if rng.random() < odds:
            when = EPOCH_MS + rng.randint(0, 80) * DAY_MS
            state.audit.append(AuditEvent(wid, when, state.users[user_id].user_name, service, action, kind, object_id))

    for ws in sorted(state.workspaces.values(), key=lambda w: w.workspace_id):
        wid = ws.workspace_id
        for warehouse in ws.warehouses:
            for uid in _users(state, warehouse.acl):
                used(wid, uid, "databrickssql", "commandSubmit", "warehouse", warehouse.id, 0.5)
        for obj in ws.objects:
            if obj.object_type == "NOTEBOOK":
                for uid in _users(state, obj.acl):
                    used(wid, uid, "notebook", "runCommand", "notebook", str(obj.object_id), 0.5)
        for pipeline in ws.acl_objects.get("pipelines", []):
            for uid in _users(state, pipeline.acl):
                used(wid, uid, "deltaPipelines", "startUpdate", "pipeline", pipeline.id, 0.4)
        for scope in ws.secret_scopes:
            for uid in _users(state, scope.acl):
                used(wid, uid, "secrets", "getSecret", "secret_scope", scope.name, 0.4)
        for uid in sorted(u for u in state.workspace_user_ids(ws) if u in state.users):
            used(wid, uid, "accounts", "tokenLogin", "workspace", str(wid), 0.6)
    by_metastore: dict[str, list[int]] = {}
    for ws in sorted(state.workspaces.values(), key=lambda w: w.workspace_id):
        by_metastore.setdefault(ws.metastore_id, []).append(ws.workspace_id)
    for sec in sorted(state.securables.values(), key=lambda s: (s.metastore_id, s.full_name)):
        attached = by_metastore.get(sec.metastore_id)
        if sec.kind != "table" or not attached:
            continue
        for uid in _users(state, sec.grants):
            used(rng.choice(attached), uid, "unityCatalog", "getTable", "table", sec.full_name, 0.2)
