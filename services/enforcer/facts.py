"""What the collector last saw, as the guardrails need it (the ``enf_facts`` table).

Kept from ``entitlement.v1``: an ``entitlement.observed`` or ``.granted`` writes its key, an
``entitlement.removed`` deletes it. The guardrails ask who runs production jobs, what those
identities hold, and who administers a workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.enforcer.models import Fact


def fact_row(entitlement: dict[str, Any], event_id: str) -> dict[str, Any]:
    p, r = entitlement["principal"], entitlement["resource"]
    return {
        "key": entitlement["key"],
        "principal_type": p["type"],
        "principal_id": str(p["id"]),
        "principal_name": str(p["name"]),
        "resource_type": r["type"],
        "resource_id": str(r["id"]),
        "workspace_id": r.get("workspace_id"),
        "privilege": entitlement["privilege"],
        "production": bool(r.get("production")),
        "via_groups": " ".join(entitlement.get("via_groups") or []),
        "direct": not entitlement.get("via_groups"),
        "observed_event_id": event_id,
    }


def record_observations(session: Session, rows: Iterable[dict[str, Any]], removed: Iterable[str]) -> None:
    """Upsert what was seen (latest wins), delete what was removed."""
    by_key = {row["key"]: row for row in rows}
    gone = set(removed) - set(by_key)
    for chunk in _chunks(sorted(by_key), 500):
        session.execute(delete(Fact).where(Fact.key.in_(chunk)))
        session.execute(Fact.__table__.insert(), [by_key[k] for k in chunk])
    for chunk in _chunks(sorted(gone), 500):
        session.execute(delete(Fact).where(Fact.key.in_(chunk)))


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class Facts:
    """Read-only questions over the facts, in one session."""

    session: Session

    def run_as(self, production_only: bool) -> dict[str, list[str]]:
        """Principal id to the jobs and pipelines that run as it."""
        query = select(Fact.principal_id, Fact.resource_type, Fact.resource_id).where(Fact.privilege == "RUN_AS")
        if production_only:
            query = query.where(Fact.production.is_(True))
        out: dict[str, list[str]] = {}
        for pid, rtype, rid in self.session.execute(query):
            out.setdefault(pid, []).append(f"{rtype} {rid}")
        return out

    def holdings(self, principal_id: str) -> list[Fact]:
        return list(self.session.scalars(select(Fact).where(Fact.principal_id == principal_id)))

    def through_group(self, group_id: str, resource_type: str, resource_id: str) -> list[Fact]:
        """Who holds access on the resource through the group (any depth)."""
        query = select(Fact).where(
            Fact.resource_type == resource_type, Fact.resource_id == resource_id, Fact.via_groups.contains(group_id)
        )
        return [f for f in self.session.scalars(query) if group_id in f.via_groups.split()]

    def workspace_admins(self, workspace_id: str) -> set[str]:
        """Users and service principals holding ADMIN on the workspace, any path."""
        query = select(Fact.principal_id).where(
            Fact.resource_type == "workspace",
            Fact.resource_id == workspace_id,
            Fact.privilege == "ADMIN",
            Fact.principal_type != "group",
        )
        return set(self.session.scalars(query))

    def admin_paths(self, workspace_id: str) -> list[Fact]:
        query = select(Fact).where(Fact.resource_type == "workspace", Fact.resource_id == workspace_id, Fact.privilege == "ADMIN")
        return list(self.session.scalars(query))

    def workspace_principals(self, workspace_id: str) -> int:
        query = select(func.count(func.distinct(Fact.principal_id))).where(
            Fact.resource_type == "workspace", Fact.resource_id == workspace_id
        )
        return int(self.session.scalar(query) or 0)
