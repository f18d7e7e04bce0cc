"""Close a campaign: apply the non-response default, request revocations, publish the figures.

Emits a system ``decision.recorded`` for every item nobody answered (``revoke``, or ``abstain``
flagged "kept" under keep-and-flag), one ``revocation.requested`` per entitlement with a revoke
decision (the contract in docs/revocation-contract.md), then ``campaign.closed`` with figures.
"""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import select

from services.campaign import models as m
from services.campaign.deps import CampaignDeps
from services.campaign.queries import definition_of, get_campaign
from services.campaign.record_decision import decision_event
from services.core.actor import Actor
from services.core.errors import ConflictError
from services.core.ids import new_ulid
from services.events.envelope import Event

NON_RESPONSE_KEPT = "non-response: kept and flagged (campaign default keep-and-flag)"
NON_RESPONSE_REVOKED = "non-response: revoked (campaign default revoke)"


SYSTEM = Actor("system", "system")


def _non_response_decisions(deps: CampaignDeps, tasks: list[m.ReviewTask], default: str) -> list:
    events = []
    for task in tasks:
        if task.decision is not None:
            continue
        decision = "revoke" if default == "revoke" else "abstain"
        justification = NON_RESPONSE_REVOKED if decision == "revoke" else NON_RESPONSE_KEPT
        event = decision_event(deps, task, SYSTEM, decision, justification)
        events.append(event)
        decision_id = event.payload["decision_id"]
        task.decision, task.decision_id, task.decided_by = decision, decision_id, "system"
    return events


def _revocation_requests(deps: CampaignDeps, campaign_id: str, tasks: list[m.ReviewTask]) -> list[Event]:
    """One ``revocation.requested`` per entitlement whose standing decision is revoke (first revoke wins)."""
    events = []
    requested: set[str] = set()
    for task in tasks:
        if task.decision != "revoke" or task.entitlement_key in requested:
            continue
        requested.add(task.entitlement_key)
        reason = NON_RESPONSE_REVOKED if task.decided_by == "system" else (task.justification or "revoked by reviewer")
        payload = {
            "revocation_id": f"r-{new_ulid()}",
            "campaign_id": campaign_id,
            "decision_id": task.decision_id,
            "task_id": task.task_id,
            "entitlement": json.loads(task.entitlement_json),
            "reason": reason,
            "requested_by": task.decided_by or "system",
        }
        events.append(
            deps.sink.new("revocation.requested", payload, correlation_id=campaign_id, subject_key=task.entitlement_key)
        )
    return events


def close_campaign(deps: CampaignDeps, campaign_id: str, closed_by: Actor) -> dict[str, int]:
    with deps.sessions() as session:
        campaign = get_campaign(session, campaign_id)
        if campaign.status != "open":
            raise ConflictError(f"campaign {campaign_id} is already closed")
        definition = definition_of(campaign)
        tasks = list(
            session.scalars(
                select(m.ReviewTask)
                .where(m.ReviewTask.campaign_id == campaign_id)
                .order_by(m.ReviewTask.entitlement_key, m.ReviewTask.reviewer_level)
            )
        )
        session.expunge_all()
        escalated = len(set(session.scalars(select(m.Escalation.task_id).where(m.Escalation.campaign_id == campaign_id))))
    answered = Counter(t.decision for t in tasks if t.decision is not None)
    unanswered = sum(1 for t in tasks if t.decision is None)
    events = _non_response_decisions(deps, tasks, definition.non_response)
    revocations = _revocation_requests(deps, campaign_id, tasks)
    events += revocations
    figures = {
        "items": len({t.entitlement_key for t in tasks}),
        "tasks": len(tasks),
        "approved": answered.get("approve", 0),
        "revoked": answered.get("revoke", 0),
        "abstained": answered.get("abstain", 0),
        "non_response": unanswered,
        "non_response_revoked": unanswered if definition.non_response == "revoke" else 0,
        "non_response_kept_flagged": unanswered if definition.non_response != "revoke" else 0,
        "revocations_requested": len(revocations),
        "escalated": escalated,
        "routed_security_fallback": sum(1 for t in tasks if t.routed_by == "security_fallback"),
    }
    events.append(
        deps.sink.new(
            "campaign.closed",
            {"campaign_id": campaign_id, "figures": figures, "closed_by": closed_by.email},
            correlation_id=campaign_id,
            subject_key=campaign_id,
        )
    )
    deps.sink.emit(events)
    return figures
