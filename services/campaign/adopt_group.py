"""Adopt a group: a suggested owner attests, with one click, that they own a group with no approver.

The attestation is a ``campaign.group_adopted`` event. Open, undecided membership items of that
group that the chain routed to a fallback move to the adopter (``review_task.escalated`` with
reason "owner adopted the group"), and future campaigns route the group to them first.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.deps import CampaignDeps
from services.campaign.queries import load_directory
from services.campaign.state_events import task_moved
from services.campaign.suggest_owners import suggest_owners
from services.core.actor import Actor
from services.core.errors import NotFoundError, PermissionDeniedError

STATEMENT = "I confirm I am accountable for who belongs to group {name} and will review its access."


def _fallback_memberships(session: Session, group_name: str) -> list[m.ReviewTask]:
    """Open, undecided membership items of the group that a fallback step routed."""
    return list(
        session.scalars(
            select(m.ReviewTask).where(
                m.ReviewTask.item_kind == "group_membership",
                m.ReviewTask.decision.is_(None),
                m.ReviewTask.routed_by.in_(("workspace_admin", "security_fallback", "manager")),
                m.ReviewTask.resource_label == f"group {group_name}",
                m.ReviewTask.campaign_id.in_(select(m.Campaign.campaign_id).where(m.Campaign.status == "open")),
            )
        )
    )


def adopt_group(deps: CampaignDeps, actor: Actor, group_handle: str, campaign_id: str | None = None) -> str:
    with deps.sessions() as session:
        directory = load_directory(session)
        group = directory.find(group_handle)
        if group is None or group.identity_type != "group":
            raise NotFoundError(f"no group {group_handle!r}")
        suggestions = {s.email: s for s in suggest_owners(session, directory, group.id, limit=50)}
        if actor.email.lower() in directory.group_member_emails(group.id) and actor.email.lower() not in suggestions:
            raise PermissionDeniedError("members cannot adopt their own group unless history suggests them")
        if actor.email.lower() not in suggestions and not actor.is_admin:
            raise PermissionDeniedError("only a suggested owner (or an admin) can adopt this group")
        moves = _fallback_memberships(session, group.name)
    why = list(suggestions[actor.email.lower()].reasons) if actor.email.lower() in suggestions else ["admin assignment"]
    adopted = deps.sink.new(
        "campaign.group_adopted",
        {
            "group_id": group.id,
            "group_name": group.name,
            "adopter": actor.email.lower(),
            "campaign_id": campaign_id,
            "statement": STATEMENT.format(name=group.name),
            "auth_method": actor.auth_method,
            "link_token_id": actor.link_token_id,
            "ip": actor.ip,
            "user_agent": actor.user_agent,
            "suggested_because": why,
        },
        correlation_id=campaign_id or group.id,
        subject_key=group.id,
    )
    events = [adopted]
    for task in moves:
        if task.principal_label.lower() == actor.email.lower():
            continue  # never route someone's own membership to them
        events.append(
            task_moved(deps.sink, task, actor.email.lower(), task.escalation_level, "owner adopted the group", adopted.event_id)
        )
    deps.sink.emit(events)
    return adopted.event_id
