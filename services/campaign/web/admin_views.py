"""Admin view models: progress by workspace and reviewer, overdue, routing shares, evidence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.queries import counts_by, definition_of, get_campaign, progress
from services.core.errors import NotFoundError


@dataclass
class Dashboard:
    campaign: m.Campaign
    total: int
    decided: int
    by_workspace: list[tuple[str, int, int]]
    by_reviewer: list[tuple[str, int, int]]
    by_decision: dict[str, int]
    by_step: dict[str, int]
    overdue_reviewers: list[tuple[str, int]]
    overdue_items: int
    escalations: int
    revocations: int
    figures: dict[str, int]
    definition: Any
    scope_runs: dict[str, str]


def dashboard(session: Session, campaign_id: str, now_us: int) -> Dashboard:
    campaign = get_campaign(session, campaign_id)
    by_reviewer = progress(session, campaign_id, m.ReviewTask.reviewer)
    by_reviewer.sort(key=lambda r: (-(r[1] - r[2]), r[0]))
    overdue = []
    if now_us > campaign.due_at and campaign.status == "open":
        overdue = [(reviewer, total - done) for reviewer, total, done in by_reviewer if total > done]
    total = sum(r[1] for r in by_reviewer)
    decided = sum(r[2] for r in by_reviewer)
    escalations = session.scalar(select(func.count()).select_from(m.Escalation).where(m.Escalation.campaign_id == campaign_id))
    revocations = session.scalar(select(func.count()).select_from(m.Revocation).where(m.Revocation.campaign_id == campaign_id))
    level1 = session.execute(
        select(m.ReviewTask.routed_by, func.count())
        .where(m.ReviewTask.campaign_id == campaign_id, m.ReviewTask.reviewer_level == 1)
        .group_by(m.ReviewTask.routed_by)
    )
    return Dashboard(
        campaign=campaign,
        total=total,
        decided=decided,
        by_workspace=progress(session, campaign_id, m.ReviewTask.workspace),
        by_reviewer=by_reviewer[:40],
        by_decision=counts_by(session, campaign_id, func.coalesce(m.ReviewTask.decision, "pending")),
        by_step={k: int(v) for k, v in level1},
        overdue_reviewers=overdue[:40],
        overdue_items=sum(n for _, n in overdue),
        escalations=int(escalations or 0),
        revocations=int(revocations or 0),
        figures=json.loads(campaign.figures_json) if campaign.figures_json else {},
        definition=definition_of(campaign),
        scope_runs=json.loads(campaign.collection_runs_json).get("scope_runs", {}),
    )


def evidence_rows(session: Session, campaign_id: str, limit: int | None = None) -> list[tuple[m.ReviewTask, m.Decision | None]]:
    """Every task with the decision that stands (latest), for the CSV and the evidence report."""
    if session.get(m.Campaign, campaign_id) is None:
        raise NotFoundError(f"no campaign {campaign_id!r}")
    query = (
        select(m.ReviewTask, m.Decision)
        .outerjoin(m.Decision, m.Decision.decision_id == m.ReviewTask.decision_id)
        .where(m.ReviewTask.campaign_id == campaign_id)
        .order_by(
            m.ReviewTask.workspace,
            m.ReviewTask.resource_label,
            m.ReviewTask.principal_label,
            m.ReviewTask.reviewer_level,
        )
    )
    if limit:
        query = query.limit(limit)
    return [(t, d) for t, d in session.execute(query)]


def revocations(session: Session, campaign_id: str, limit: int = 5000) -> list[m.Revocation]:
    return list(
        session.scalars(
            select(m.Revocation)
            .where(m.Revocation.campaign_id == campaign_id)
            .order_by(m.Revocation.entitlement_key)
            .limit(limit)
        )
    )


# the enforcer's outcomes a person has to look at first
ATTENTION = ("blocked", "paused", "failed", "reappeared", "frozen", "retrying", "rejected")


def enforcement_queue(
    session: Session, status: str | None = None, campaign_id: str | None = None, limit: int = 2000
) -> list[m.Revocation]:
    """Every requested revocation with the enforcer's latest report, the ones needing a person first."""
    query = select(m.Revocation)
    if status:
        query = query.where(m.Revocation.enforcement_status == (None if status == "pending" else status))
    if campaign_id:
        query = query.where(m.Revocation.campaign_id == campaign_id)
    rows = list(session.scalars(query.order_by(m.Revocation.occurred_at.desc()).limit(limit)))
    rank = {s: i for i, s in enumerate(ATTENTION)}
    return sorted(rows, key=lambda r: (rank.get(r.enforcement_status or "", len(rank)), r.revocation_id))


def decision_history(session: Session, campaign_id: str, limit: int = 2000) -> list[m.Decision]:
    return list(
        session.scalars(
            select(m.Decision).where(m.Decision.campaign_id == campaign_id).order_by(m.Decision.occurred_at).limit(limit)
        )
    )


CSV_COLUMNS = (
    "task_id",
    "workspace",
    "resource",
    "principal",
    "privilege",
    "item_kind",
    "reviewer_level",
    "reviewer",
    "routed_by",
    "risk_flags",
    "recommended_action",
    "decision",
    "decided_by",
    "decided_at",
    "justification",
    "auth_method",
    "link_token_id",
    "ip",
    "escalation_level",
    "entitlement_key",
)


def csv_row(task: m.ReviewTask, decision: m.Decision | None) -> list[Any]:
    return [
        task.task_id,
        task.workspace,
        task.resource_label,
        task.principal_label,
        task.privilege,
        task.item_kind,
        task.reviewer_level,
        task.reviewer,
        task.routed_by,
        task.risk_flags,
        task.recommended_action or "",
        task.decision or "pending",
        task.decided_by or "",
        task.decided_at or "",
        task.justification or "",
        decision.auth_method if decision else "",
        decision.link_token_id if decision else "",
        decision.ip if decision else "",
        task.escalation_level,
        task.entitlement_key,
    ]
