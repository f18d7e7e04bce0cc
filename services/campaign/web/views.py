"""View models for the pages: the reviewer inbox and the admin dashboard, one query each where possible."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.queries import get_campaign
from services.campaign.risk import HIGH_RISK, RISK_FLAGS
from services.core.actor import Actor
from services.core.errors import NotFoundError, PermissionDeniedError

AnyRow: TypeAlias = "Row[*tuple[Any, ...]]"  # a result row of any width
PAGE_SIZE = 25
_TASK_COLUMNS = tuple(m.ReviewTask.__table__.c)
_IDENTITY_COLUMNS = (m.Identity.email, m.Identity.status, m.Identity.user_type, m.Identity.manager_email)
FLAG_LABELS = {flag.name: (flag.label, flag.severity) for flag in RISK_FLAGS}


@dataclass
class InboxItem:
    """One row of the inbox: plain column rows (not ORM objects), read by attribute in templates."""

    task: AnyRow  # the columns of m.ReviewTask
    entitlement: dict[str, Any]
    flags: list[str]
    identity: AnyRow | None  # the _IDENTITY_COLUMNS of m.Identity

    @property
    def high_risk(self) -> bool:
        return bool(HIGH_RISK & set(self.flags))


@dataclass
class Inbox:
    campaign: m.Campaign
    total: int
    decided: int
    groups: list[tuple[str, list[InboxItem]]] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    shown: int = 0


def _visible_campaign(session: Session, actor: Actor, campaign_id: str) -> m.Campaign:
    if actor.campaign_id is not None and actor.campaign_id != campaign_id:
        raise PermissionDeniedError("your review link is for another campaign")
    return get_campaign(session, campaign_id)


def load_inbox(
    session: Session, actor: Actor, campaign_id: str, group_by: str, status: str, risk: str | None, page: int
) -> Inbox:
    campaign = _visible_campaign(session, actor, campaign_id)
    mine = (m.ReviewTask.campaign_id == campaign_id, m.ReviewTask.reviewer == actor.email)
    total, decided = session.execute(select(func.count(), func.count(m.ReviewTask.decision)).where(*mine)).one()
    query = select(*_TASK_COLUMNS).where(*mine)  # plain rows: no ORM identity map on the hot page
    if status == "pending":
        query = query.where(m.ReviewTask.decision.is_(None))
    elif status == "decided":
        query = query.where(m.ReviewTask.decision.is_not(None))
    if risk:
        query = query.where(m.ReviewTask.risk_flags.contains(risk))
    order = (
        (m.ReviewTask.principal_label, m.ReviewTask.resource_label)
        if group_by == "person"
        else (m.ReviewTask.resource_label, m.ReviewTask.principal_label)
    )
    if risk:
        matching = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    else:
        matching = {"all": total, "pending": total - decided, "decided": decided}.get(status, total)
    pages = max(1, -(-matching // PAGE_SIZE))
    page = min(max(page, 1), pages)
    tasks = session.execute(query.order_by(*order, m.ReviewTask.task_id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    entitlements = [json.loads(t.entitlement_json) for t in tasks]
    emails = {e["principal"].get("email") for e in entitlements if e["principal"].get("email")}
    identities = (
        {i.email: i for i in session.execute(select(*_IDENTITY_COLUMNS).where(m.Identity.email.in_(emails)))} if emails else {}
    )
    inbox = Inbox(campaign, int(total), int(decided), page=page, pages=pages, shown=len(tasks))
    current: tuple[str, list[InboxItem]] | None = None
    for task, ent in zip(tasks, entitlements, strict=True):
        label = task.principal_label if group_by == "person" else f"{task.resource_label} · {task.workspace}"
        if current is None or current[0] != label:
            current = (label, [])
            inbox.groups.append(current)
        current[1].append(InboxItem(task, ent, task.risk_flags.split(), identities.get(ent["principal"].get("email"))))
    return inbox


def own_task_ids(session: Session, actor: Actor, campaign_id: str, status: str, risk: str | None) -> list[str]:
    """Every item of the reviewer matching a filter (bulk 'select all matching')."""
    query = select(m.ReviewTask.task_id).where(m.ReviewTask.campaign_id == campaign_id, m.ReviewTask.reviewer == actor.email)
    if status == "pending":
        query = query.where(m.ReviewTask.decision.is_(None))
    if risk:
        query = query.where(m.ReviewTask.risk_flags.contains(risk))
    ids = list(session.scalars(query.order_by(m.ReviewTask.task_id)))
    if not ids:
        raise NotFoundError("no items match that filter in your review queue")
    return ids


def my_campaigns(session: Session, actor: Actor) -> list[tuple[m.Campaign, int, int]]:
    rows = session.execute(
        select(m.Campaign, func.count(), func.count(m.ReviewTask.decision))
        .join(m.ReviewTask, m.ReviewTask.campaign_id == m.Campaign.campaign_id)
        .where(m.ReviewTask.reviewer == actor.email)
        .group_by(m.Campaign.campaign_id)
        .order_by(m.Campaign.launched_at.desc())
    )
    return [(c, int(t), int(d)) for c, t, d in rows]
