"""Okta collection: users (every status), groups and group owners, in the adapter's own event loop.

The ``okta`` SDK is async while the Databricks SDK is not: :func:`collect_okta_blocking` runs
the Okta part in a fresh event loop on the calling thread (the collector starts it on its own
thread beside the Databricks pool), with at most ``concurrency`` requests in flight.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.adapters.okta import OktaAdapter, OktaTarget


@dataclass
class OktaSnapshot:
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    owners: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    owner_group_members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # owning group -> users
    calls: int = 0


async def collect_okta(adapter: OktaAdapter, concurrency: int) -> OktaSnapshot:
    try:
        users, groups = await asyncio.gather(adapter.list_users(), adapter.list_groups())
        snapshot = OktaSnapshot(users, groups, calls=3)
        gate = asyncio.Semaphore(concurrency)

        async def owners_of(group: dict[str, Any]) -> None:
            async with gate:
                snapshot.owners[str(group["id"])] = await adapter.list_group_owners(str(group["id"]))
                snapshot.calls += 1

        await asyncio.gather(*(owners_of(g) for g in groups if g.get("id")))
        owner_groups = {str(o["id"]) for owned in snapshot.owners.values() for o in owned if o.get("type") == "GROUP"}

        async def members_of(group_id: str) -> None:  # a group's owners include an owning group's members
            async with gate:
                snapshot.owner_group_members[group_id] = await adapter.list_group_users(group_id)
                snapshot.calls += 1

        await asyncio.gather(*(members_of(g) for g in sorted(owner_groups)))
        return snapshot
    finally:
        await adapter.close()


def collect_okta_blocking(target: OktaTarget, concurrency: int) -> OktaSnapshot:
    return asyncio.run(collect_okta(OktaAdapter(target), concurrency))
