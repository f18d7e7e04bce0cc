"""Last use from the audit log: rows to an index of (email, resource type, resource id) -> time,
and the index applied to the entitlements it concerns, whatever their scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from services.collector.entitlement import Entitlement
from services.collector.scheduler import ScopeState, TaskOutput
from services.collector.transform import WorkspaceRef

TABLE_VIA_WORKSPACE = "ws:"  # a table read seen in a workspace's audit log, before its metastore is known


def _used_object(ws: WorkspaceRef, kind: str, object_id: str) -> str:
    """The resource id an audit row names: ``<wid>/<id>`` for a workspace object, the workspace id
    for a sign-in, and for a Unity Catalog table ``ws:<wid>/<full name>`` until the workspace's
    metastore is known (see :func:`last_used_everywhere`)."""
    if kind == "workspace":
        return ws.workspace_id
    if kind == "table":
        return f"{TABLE_VIA_WORKSPACE}{ws.workspace_id}/{object_id}"
    return f"{ws.workspace_id}/{object_id}"


def last_used_index(ws: WorkspaceRef, rows: list[list[str]], out: TaskOutput) -> dict[tuple[str, str, str], int]:
    """(email, resource type, resource id) -> last use in microseconds, from audit rows."""
    index: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if len(row) < 4 or not all(row[:4]):
            out.tally.note("unknown_value", f"audit row without email/object/time in {ws.deployment_name}")
            continue
        email, kind, object_id, when = row[:4]
        try:
            micros = int(datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() * 1_000_000)
        except ValueError:
            out.tally.note("unknown_value", f"audit time {when!r}")
            continue
        key = (email.lower(), kind, _used_object(ws, kind, object_id))
        index[key] = max(index.get(key, 0), micros)
    return index


def last_used_everywhere(scopes: Iterable[ScopeState], metastore_of: dict[str, str]) -> dict[tuple[str, str, str], int]:
    """Every workspace's audit findings in one index: a table read in a workspace's audit log is a
    use of the table in that workspace's metastore, whose scope is not the workspace's."""
    used: dict[tuple[str, str, str], int] = {}
    for state in scopes:
        for (email, kind, rid), when in state.last_used.items():
            if rid.startswith(TABLE_VIA_WORKSPACE):
                wid, _, name = rid[len(TABLE_VIA_WORKSPACE) :].partition("/")
                if wid not in metastore_of:
                    continue  # the workspace's metastore is unknown: that use cannot be placed
                rid = f"{metastore_of[wid]}/{name}"
            key = (email, kind, rid)
            used[key] = max(used.get(key, 0), when)
    return used


def apply_last_used(entitlements: list[Entitlement], used: dict[tuple[str, str, str], int]) -> list[Entitlement]:
    if not used:
        return entitlements
    updated = []
    for e in entitlements:
        when = used.get(((e.principal.email or "").lower(), e.resource.type, e.resource.id))
        updated.append(replace(e, last_used_at=when) if when else e)
    return updated
