"""Which Databricks group memberships Okta keeps: ``managed_by`` on a membership entitlement.

A Databricks group that the Databricks app in Okta pushes (an ACTIVE group push mapping whose
source is the Okta group joined to it) is kept by Okta: a member removed in Databricks comes back
at the next push, so a revocation of that membership must unassign the user in Okta. That holds
for a direct member who is an ACTIVE member of the Okta group; Okta does not push other users,
and a nested membership is removed where it is direct.
"""

from __future__ import annotations

from dataclasses import replace

from services.collector.directory import PrincipalIndex
from services.collector.entitlement import MEMBER, Entitlement
from services.collector.okta_collect import OktaSnapshot

OKTA_PUSH = "okta-push:"


def pushed_members(okta: OktaSnapshot) -> dict[str, set[str]]:
    """Okta group id -> ids of its ACTIVE members, for every group Okta pushes to Databricks."""
    return {
        gid: {str(u["id"]) for u in okta.group_members.get(gid, []) if u.get("status") == "ACTIVE"} for gid in okta.pushed_groups
    }


def mark_okta_managed(entitlements: list[Entitlement], directory: PrincipalIndex, okta: OktaSnapshot) -> list[Entitlement]:
    pushed = pushed_members(okta)
    if not pushed:
        return entitlements
    out = []
    for e in entitlements:
        group = directory.principals.get(e.resource.id) if e.resource.type == "group" else None
        source = group.okta_id if group is not None else None
        if (
            source in pushed
            and e.privilege == MEMBER
            and e.direct
            and e.principal.okta_id is not None
            and e.principal.okta_id in pushed[source]  # type: ignore[index]
        ):
            e = replace(e, managed_by=OKTA_PUSH + str(source))
        out.append(e)
    return out
