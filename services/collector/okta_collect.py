"""Okta collection: users (every status), groups, group owners and the Databricks app's group
push, in the adapter's own event loop.

The ``okta`` SDK is async while the Databricks SDK is not: :func:`collect_okta_blocking` runs
the Okta part in a fresh event loop on the calling thread (the collector starts it on its own
thread beside the Databricks pool), with at most ``concurrency`` requests in flight.

Group members are read for two kinds of groups: a group that owns another (its members are
owners), and the source of an ACTIVE push mapping of the Databricks app (Okta keeps those
memberships: a removal must happen in Okta, or the next push undoes it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.adapters.okta import OktaAdapter, OktaTarget
from services.core.errors import NotFoundError, PermissionDeniedError


@dataclass
class OktaSnapshot:
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    owners: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    group_members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Okta group id -> users
    push_mappings: list[dict[str, Any]] = field(default_factory=list)  # the Databricks app's
    problems: list[str] = field(default_factory=list)  # what was not read: the scope is partial
    calls: int = 0

    @property
    def pushed_groups(self) -> set[str]:
        """Okta group ids whose push to Databricks is ACTIVE."""
        return {str(m["sourceGroupId"]) for m in self.push_mappings if m.get("status") == "ACTIVE" and m.get("sourceGroupId")}


async def _push_mappings(adapter: OktaAdapter, snapshot: OktaSnapshot) -> None:
    app_id = adapter.target.databricks_app_id
    if not app_id:
        snapshot.problems.append(
            "AR_OKTA_DATABRICKS_APP_ID is not set: which group memberships Okta's group push keeps is unknown"
        )
        return
    try:
        snapshot.push_mappings = await adapter.list_group_push_mappings(app_id)
        snapshot.calls += 1
    except (NotFoundError, PermissionDeniedError) as exc:
        snapshot.problems.append(f"group push mappings of the Databricks app were not read: {exc.message}")


async def collect_okta(adapter: OktaAdapter, concurrency: int) -> OktaSnapshot:
    try:
        users, groups = await asyncio.gather(adapter.list_users(), adapter.list_groups())
        snapshot = OktaSnapshot(users, groups, calls=3)
        gate = asyncio.Semaphore(concurrency)

        async def owners_of(group: dict[str, Any]) -> None:
            async with gate:
                snapshot.owners[str(group["id"])] = await adapter.list_group_owners(str(group["id"]))
                snapshot.calls += 1

        await asyncio.gather(_push_mappings(adapter, snapshot), *(owners_of(g) for g in groups if g.get("id")))
        owner_groups = {str(o["id"]) for owned in snapshot.owners.values() for o in owned if o.get("type") == "GROUP"}

        async def members_of(group_id: str) -> None:
            async with gate:
                snapshot.group_members[group_id] = await adapter.list_group_users(group_id)
                snapshot.calls += 1

        await asyncio.gather(*(members_of(g) for g in sorted(owner_groups | snapshot.pushed_groups)))
        return snapshot
    finally:
        await adapter.close()


def collect_okta_blocking(target: OktaTarget, concurrency: int) -> OktaSnapshot:
    return asyncio.run(collect_okta(OktaAdapter(target), concurrency))
