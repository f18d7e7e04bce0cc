"""Read-side queries over the campaign read models, shared by use cases, pages and the CLI."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.definition import CampaignDefinition
from services.campaign.directory import PeopleDirectory, Person
from services.core.errors import NotFoundError


def load_directory(session: Session) -> PeopleDirectory:
    people = []
    for row in session.scalars(select(m.Identity)):
        detail = json.loads(row.detail_json or "{}")
        people.append(
            Person(
                id=row.id,
                identity_type=row.identity_type,
                name=row.name,
                email=row.email,
                status=row.status,
                manager_email=row.manager_email,
                user_type=row.user_type,
                okta_id=row.okta_id,
                owners=detail.get("owners", []),
                approvers=detail.get("approvers", []),
                members=detail.get("members", []),
                flags=detail.get("flags", []),
                databricks_ids=detail.get("databricks_ids", []),
                attributes=detail.get("attributes", {}),
            )
        )
    return PeopleDirectory(people)


def load_adoptions(session: Session) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in session.scalars(select(m.GroupAdoption)):
        out[row.group_id] = row.adopter
        out[row.group_name] = row.adopter
    return out


def latest_complete_runs(session: Session) -> dict[str, str]:
    """Per scope, the newest collection run that completed it."""
    rows = session.execute(
        select(m.CollectionScope.scope, m.CollectionScope.run_id, m.CollectionScope.completed_at).where(
            m.CollectionScope.status == "complete"
        )
    )
    best: dict[str, tuple[int, str]] = {}
    for scope, run_id, completed_at in rows:
        if scope not in best or (completed_at, run_id) > best[scope]:
            best[scope] = (completed_at, run_id)
    return {scope: run for scope, (_, run) in sorted(best.items())}


def get_campaign(session: Session, campaign_id: str) -> m.Campaign:
    campaign = session.get(m.Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"no campaign {campaign_id!r}")
    return campaign


def definition_of(campaign: m.Campaign) -> CampaignDefinition:
    return CampaignDefinition.from_json(campaign.definition_json)


def certified_keys(session: Session, before_us: int) -> set[str] | None:
    """Population of the newest campaign closed before ``before_us`` (None if there is none)."""
    previous = session.scalar(
        select(m.Campaign)
        .where(m.Campaign.status == "closed", m.Campaign.closed_at <= before_us)
        .order_by(m.Campaign.closed_at.desc())
        .limit(1)
    )
    if previous is None:
        return None
    return set(session.scalars(select(m.ReviewTask.entitlement_key).where(m.ReviewTask.campaign_id == previous.campaign_id)))


def list_campaigns(session: Session) -> list[m.Campaign]:
    return list(session.scalars(select(m.Campaign).order_by(m.Campaign.launched_at.desc())))


def progress(session: Session, campaign_id: str, by: Any) -> list[tuple[str, int, int]]:
    """(group, total, decided) for a grouping column of the task table."""
    rows = session.execute(
        select(by, func.count(), func.count(m.ReviewTask.decision))
        .where(m.ReviewTask.campaign_id == campaign_id)
        .group_by(by)
        .order_by(by)
    )
    return [(str(g), int(total), int(done)) for g, total, done in rows]


def counts_by(session: Session, campaign_id: str, column: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(m.ReviewTask.campaign_id == campaign_id).group_by(column))
    return {str(k): int(v) for k, v in rows}
