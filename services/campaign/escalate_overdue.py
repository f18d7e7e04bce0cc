"""Escalation of overdue items: first to the reviewer's manager, then to security.

Policy per campaign (``definition.escalation``): days past due before each level. Run by the
service on a timer and by ``accessreview campaign escalate``; the clock is injectable.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from services.campaign import models as m
from services.campaign.deps import CampaignDeps
from services.campaign.launch_campaign import invite
from services.campaign.queries import definition_of, load_directory
from services.campaign.state_events import task_moved

DAY_US = 86400 * 1_000_000


def escalate_overdue(deps: CampaignDeps, campaign_id: str | None = None) -> int:
    """Emit ``review_task.escalated`` for every undecided item past its escalation point."""
    now_us = deps.clock.micros()
    events = []
    with deps.sessions() as session:
        query = select(m.Campaign).where(m.Campaign.status == "open")
        if campaign_id:
            query = query.where(m.Campaign.campaign_id == campaign_id)
        campaigns = list(session.scalars(query))
        directory = load_directory(session) if campaigns else None
        for campaign in campaigns:
            policy = definition_of(campaign).escalation
            security = (definition_of(campaign).security_reviewer or deps.security_reviewer).lower()
            to_manager = campaign.due_at + int(policy.to_manager_after_days * DAY_US)
            to_security = campaign.due_at + int(policy.to_security_after_days * DAY_US)
            if now_us < min(to_manager, to_security):
                continue
            tasks = session.scalars(
                select(m.ReviewTask).where(
                    m.ReviewTask.campaign_id == campaign.campaign_id,
                    m.ReviewTask.decision.is_(None),
                    m.ReviewTask.escalation_level < 2,
                    m.ReviewTask.reviewer != security,
                )
            )
            notify: dict[str, list[str]] = defaultdict(list)
            for task in tasks:
                target, level = None, 0
                if task.escalation_level == 0 and now_us >= to_manager:
                    person = directory.find(task.reviewer) if directory else None
                    manager = (person.manager_email or "").lower() if person else ""
                    if manager and manager not in (task.reviewer, task.principal_label.lower()):
                        target, level = manager, 1
                if target is None and now_us >= to_security:
                    target, level = security, 2
                if target is None:
                    continue
                reason = "overdue: to the reviewer's manager" if level == 1 else "overdue: to security"
                events.append(task_moved(deps.sink, task, target, level, reason))
                notify[target].append(task.task_id)
            for reviewer, task_ids in sorted(notify.items()):
                events.append(invite(deps.sink, campaign.campaign_id, reviewer, task_ids, "escalation", None))
    deps.sink.emit(events)
    return sum(1 for e in events if e.event_type == "review_task.escalated")
