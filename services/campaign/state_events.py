"""Small event builders shared by the use cases, the web and the CLI (one builder per event type)."""

from __future__ import annotations

from typing import Any

from services.events.envelope import Event
from services.web.links import LinkClaims


def link_opened(
    sink: Any, claims: LinkClaims | None, outcome: str, ip: str | None, user_agent: str | None, attempts: int = 1
) -> Event:
    token_id = claims.token_id if claims else "unknown"
    return sink.new(
        "review_link.opened",
        {
            "link_token_id": token_id,
            "reviewer": claims.reviewer if claims else "unknown",
            "campaign_id": claims.campaign_id if claims else None,
            "ip": ip,
            "user_agent": (user_agent or "")[:500] or None,
            "outcome": outcome,
            "attempts": attempts,
        },
        correlation_id=(claims.campaign_id if claims and claims.campaign_id else token_id),
        subject_key=claims.reviewer if claims else "unknown",
    )


def task_moved(sink: Any, task: Any, to_reviewer: str, level: int, reason: str, causation_id: str | None = None) -> Event:
    """``review_task.escalated``: a task moves to another reviewer (overdue escalation, group adoption)."""
    return sink.new(
        "review_task.escalated",
        {
            "task_id": task.task_id,
            "campaign_id": task.campaign_id,
            "from_reviewer": task.reviewer,
            "to_reviewer": to_reviewer,
            "level": level,
            "reason": reason,
        },
        correlation_id=task.campaign_id,
        subject_key=task.task_id,
        causation_id=causation_id,
    )
