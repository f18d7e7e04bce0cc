"""Owner suggestions for groups nobody owns on paper, from the event history.

Who created the group (Okta/Databricks attributes), who granted access to it, and the owners of
the jobs it has rights on — each suggestion with its reasons, active people only, strongest first.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.directory import PeopleDirectory
from services.campaign.queries import latest_complete_runs

CREATOR_ATTRIBUTES = ("created_by", "creator", "createdBy")


@dataclass(frozen=True)
class Suggestion:
    email: str
    reasons: tuple[str, ...]


def _score(reasons: tuple[str, ...]) -> int:
    """Creating the group weighs most; each other distinct piece of history adds one."""
    return sum(3 if reason == "created the group" else 1 for reason in reasons)


def suggest_owners(session: Session, directory: PeopleDirectory, group_handle: str, limit: int = 5) -> list[Suggestion]:
    group = directory.find(group_handle)
    if group is None:
        return []
    reasons: dict[str, list[str]] = defaultdict(list)
    for attribute in CREATOR_ATTRIBUTES:
        if group.attributes.get(attribute):
            reasons[group.attributes[attribute]].append("created the group")
    ids = {group.id, *group.databricks_ids}
    runs = set(latest_complete_runs(session).values())
    rows = session.execute(
        select(m.ObservedEntitlement.record_json).where(
            m.ObservedEntitlement.principal_id.in_(ids), m.ObservedEntitlement.run_id.in_(runs)
        )
    )
    for (record_json,) in rows:
        record = json.loads(record_json)
        resource = record["resource"]
        if record.get("granted_by"):
            reasons[record["granted_by"]].append(f"granted it {record['privilege']} on {resource['type']} {resource['name']}")
        if resource["type"] == "job" and resource.get("owner"):
            reasons[resource["owner"]].append(f"owns job {resource['name']} the group can {record['privilege']}")
    for (granted_by,) in session.execute(select(m.GrantChange.granted_by).where(m.GrantChange.principal_id.in_(ids))):
        if granted_by:
            reasons[granted_by].append("granted access to the group")
    out = []
    for handle, why in reasons.items():
        email = directory.email_of(handle)
        if email and not directory.is_inactive(email):
            out.append(Suggestion(email, tuple(dict.fromkeys(why))))
    out.sort(key=lambda s: (-_score(s.reasons), s.email))
    merged: dict[str, Suggestion] = {}
    for s in out:
        if s.email in merged:
            merged[s.email] = Suggestion(s.email, tuple(dict.fromkeys(merged[s.email].reasons + s.reasons)))
        else:
            merged[s.email] = s
    return list(merged.values())[:limit]
