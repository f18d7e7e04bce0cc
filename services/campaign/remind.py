"""Reminders before the due date: one ``notification.requested`` per reviewer with undecided items.

``send_reminders(deps, since_us)`` sends the reminders whose moment (due date minus each of the
definition's ``reminder_days_before_due``) falls in ``(since_us, now]`` — the service calls it
on every tick with the previous tick's time; ``campaign remind`` sends one at once.
"""

from __future__ import annotations

from sqlalchemy import func, select

from services.campaign import models as m
from services.campaign.deps import CampaignDeps
from services.campaign.launch_campaign import invite
from services.campaign.queries import definition_of

DAY_US = 86400 * 1_000_000


def reminders_due(deps: CampaignDeps, campaign: m.Campaign, since_us: int | None, now_us: int) -> bool:
    if since_us is None:
        return True
    moments = [campaign.due_at - int(d * DAY_US) for d in definition_of(campaign).reminder_days_before_due]
    return any(since_us < moment <= now_us for moment in moments)


def send_reminders(deps: CampaignDeps, since_us: int | None = None, campaign_id: str | None = None) -> int:
    """``since_us=None`` means remind now, regardless of the schedule."""
    now_us = deps.clock.micros()
    events = []
    with deps.sessions() as session:
        query = select(m.Campaign).where(m.Campaign.status == "open")
        if campaign_id:
            query = query.where(m.Campaign.campaign_id == campaign_id)
        for campaign in session.scalars(query):
            if not reminders_due(deps, campaign, since_us, now_us):
                continue
            pending = session.execute(
                select(m.ReviewTask.reviewer, func.count())
                .where(m.ReviewTask.campaign_id == campaign.campaign_id, m.ReviewTask.decision.is_(None))
                .group_by(m.ReviewTask.reviewer)
                .order_by(m.ReviewTask.reviewer)
            )
            for reviewer, _count in pending:
                events.append(invite(deps.sink, campaign.campaign_id, reviewer, [], "review-reminder", None))
    deps.sink.emit(events)
    return len(events)
