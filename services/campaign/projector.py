"""The campaign read-model projector: builds every ``cmp_*`` table from events alone.

Used three ways: the service loop projects what it consumes; the web and CLI project the events
they publish (so a page reflects a click at once); ``accessreview ledger replay`` rebuilds the
tables from the ledger through :data:`PROJECTOR` (``handles(event_type)`` / ``apply(session,
event)``) or, faster, :func:`project_events`. Applying an event twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.population import canonical, normalize, normalize_entitlement
from services.campaign.project_enforcement import OUTCOMES, project_enforcement
from services.campaign.project_facts import (
    insert_ignore,
    occurred_at,
    project_collection_completed,
    project_entitlement_granted,
    project_entitlement_observed,
    project_identity_observed,
)
from services.events.envelope import Event


# -- the campaign's own events --------------------------------------------------------------
def _campaign_launched(session: Session, events: list[Event]) -> None:
    rows = [
        {
            "campaign_id": p["campaign_id"],
            "name": p["name"],
            "definition_json": p["definition_json"],
            "status": "open",
            "launched_at": occurred_at(e),
            "launched_by": p["launched_by"],
            "due_at": normalize(p["due_at"]),
            "population_hash": p["population_hash"],
            "population_count": p["population_count"],
            "collection_runs_json": json.dumps(
                {"runs": list(p["collection_runs"]), "scope_runs": dict(p.get("scope_runs") or {})},
                sort_keys=True,
            ),
        }
        for e in events
        for p in [e.payload]
    ]
    insert_ignore(session, m.Campaign, rows)


def _task_row(e: Event, texts: dict[int, str]) -> dict[str, Any]:
    p = e.payload
    ent = normalize_entitlement(p["entitlement"])
    # a privileged item's two tasks share one payload record (alive for the whole batch): encode it once
    text = texts.get(id(p["entitlement"]))
    if text is None:
        text = texts[id(p["entitlement"])] = canonical(ent)
    resource, principal = ent["resource"], ent["principal"]
    assigned = next((s["step"] for s in p["provenance"] if s["outcome"] == "assigned"), "unknown")
    return {
        "task_id": p["task_id"],
        "campaign_id": p["campaign_id"],
        "item_kind": p["item_kind"],
        "entitlement_key": ent["key"],
        "entitlement_json": text,
        "principal_label": principal.get("email") or principal["name"],
        "resource_label": f"{resource['type']} {resource.get('name') or resource['id']}",
        "workspace": resource.get("workspace_name") or resource.get("workspace_id") or "(account)",
        "privilege": ent["privilege"],
        "reviewer": p["reviewer"],
        "original_reviewer": p["reviewer"],
        "reviewer_level": p.get("reviewer_level", 1),
        "routed_by": assigned,
        "provenance_json": json.dumps(list(p["provenance"])),
        "risk_flags": " ".join(p.get("risk_flags") or []),
        "recommended_action": p.get("recommended_action"),
        "last_used_at": normalize(p.get("last_used_at")),
        "due_at": normalize(p["due_at"]),
        "escalation_level": 0,
        "reviewer_changed_at": occurred_at(e),
    }


def _task_created(session: Session, events: list[Event]) -> None:
    texts: dict[int, str] = {}
    insert_ignore(session, m.ReviewTask, [_task_row(e, texts) for e in events])


_DECISION_FIELDS = (
    "decision_id",
    "task_id",
    "campaign_id",
    "reviewer",
    "decision",
    "justification",
    "delegate_to",
    "auth_method",
    "link_token_id",
    "ip",
    "user_agent",
    "bulk_id",
    "supersedes",
)


def _decision_params(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "b_task": r["task_id"],
            "b_at": r["occurred_at"],
            "b_id": r["decision_id"],
            "b_decision": r["decision"],
            "b_by": r["reviewer"],
            "b_just": r["justification"],
            "b_to": r["delegate_to"],
        }
        for r in rows
    ]


_TASK = m.ReviewTask.__table__
_NEWER = or_(_TASK.c.decided_at.is_(None), _TASK.c.decided_at <= bindparam("b_at"))
_DECIDED: dict[str, Any] = {
    "decision_id": bindparam("b_id"),
    "decided_by": bindparam("b_by"),
    "decided_at": bindparam("b_at"),
    "justification": bindparam("b_just"),
}
# built once (every click lands here): a verdict, or a delegation that moves the task
_SET_VERDICT = (
    update(_TASK).where(_TASK.c.task_id == bindparam("b_task"), _NEWER).values(decision=bindparam("b_decision"), **_DECIDED)
)
_REASSIGNABLE = _TASK.c.reviewer_changed_at <= bindparam("b_at")
_SET_DELEGATE = (
    update(_TASK)
    .where(_TASK.c.task_id == bindparam("b_task"), _NEWER, _REASSIGNABLE)
    .values(decision=None, reviewer=bindparam("b_to"), reviewer_changed_at=bindparam("b_at"), **_DECIDED)
)
_REASSIGN = (
    update(_TASK)
    .where(_TASK.c.task_id == bindparam("b_task"), _REASSIGNABLE)
    .values(
        reviewer=bindparam("b_to"),
        escalation_level=bindparam("b_level"),
        reviewer_changed_at=bindparam("b_at"),
    )
)


def _decision_recorded(session: Session, events: list[Event]) -> None:
    rows = [
        {
            **{f: e.payload.get(f) for f in _DECISION_FIELDS},
            "event_id": e.event_id,
            "occurred_at": occurred_at(e),
        }
        for e in events
    ]
    insert_ignore(session, m.Decision, rows)
    verdicts = [r for r in rows if r["decision"] != "delegate"]
    delegations = [r for r in rows if r["decision"] == "delegate"]
    options = {"synchronize_session": False}
    if verdicts:
        session.execute(_SET_VERDICT, _decision_params(verdicts), execution_options=options)
    if delegations:
        session.execute(_SET_DELEGATE, _decision_params(delegations), execution_options=options)


def _task_escalated(session: Session, events: list[Event]) -> None:
    rows = [
        {
            "event_id": e.event_id,
            "task_id": p["task_id"],
            "campaign_id": p["campaign_id"],
            "from_reviewer": p["from_reviewer"],
            "to_reviewer": p["to_reviewer"],
            "level": p["level"],
            "reason": p["reason"],
            "occurred_at": occurred_at(e),
        }
        for e in events
        for p in [e.payload]
    ]
    insert_ignore(session, m.Escalation, rows)
    session.execute(
        _REASSIGN,
        [
            {
                "b_task": r["task_id"],
                "b_to": r["to_reviewer"],
                "b_level": r["level"],
                "b_at": r["occurred_at"],
            }
            for r in rows
        ],
        execution_options={"synchronize_session": False},
    )


def _campaign_closed(session: Session, events: list[Event]) -> None:
    for e in events:
        p = e.payload
        session.execute(
            update(m.Campaign)
            .where(m.Campaign.campaign_id == p["campaign_id"])
            .values(
                status="closed",
                closed_at=occurred_at(e),
                closed_by=p["closed_by"],
                figures_json=json.dumps(dict(p["figures"]), sort_keys=True),
            )
        )


def _revocation_requested(session: Session, events: list[Event]) -> None:
    rows = [
        {
            "revocation_id": p["revocation_id"],
            "campaign_id": p["campaign_id"],
            "task_id": p.get("task_id"),
            "decision_id": p.get("decision_id"),
            "entitlement_key": p["entitlement"]["key"],
            "reason": p["reason"],
            "requested_by": p["requested_by"],
            "occurred_at": occurred_at(e),
        }
        for e in events
        for p in [e.payload]
    ]
    insert_ignore(session, m.Revocation, rows)


def _link_opened(session: Session, events: list[Event]) -> None:
    rows = [
        {
            "link_token_id": p["link_token_id"],
            "reviewer": p["reviewer"],
            "campaign_id": p.get("campaign_id"),
            "ip": p.get("ip"),
            "user_agent": p.get("user_agent"),
            "occurred_at": occurred_at(e),
        }
        for e in events
        for p in [e.payload]
        if p["outcome"] == "accepted"
    ]
    insert_ignore(session, m.LinkUse, rows)


def _group_adopted(session: Session, events: list[Event]) -> None:
    for e in events:
        p = e.payload
        current = session.get(m.GroupAdoption, p["group_id"])
        if current is not None and current.occurred_at > occurred_at(e):
            continue
        if current is not None:
            session.delete(current)
            session.flush()
        session.add(
            m.GroupAdoption(
                group_id=p["group_id"],
                group_name=p["group_name"],
                adopter=p["adopter"].lower(),
                campaign_id=p.get("campaign_id"),
                statement=p["statement"],
                event_id=e.event_id,
                occurred_at=occurred_at(e),
            )
        )
        session.flush()


BatchHandler = Callable[[Session, list[Event]], None]
HANDLERS: dict[str, BatchHandler] = {
    "collection.completed": project_collection_completed,
    "entitlement.observed": project_entitlement_observed,
    "entitlement.granted": project_entitlement_granted,
    "identity.observed": project_identity_observed,
    "campaign.launched": _campaign_launched,
    "review_task.created": _task_created,
    "decision.recorded": _decision_recorded,
    "review_task.escalated": _task_escalated,
    "campaign.closed": _campaign_closed,
    "revocation.requested": _revocation_requested,
    **dict.fromkeys(OUTCOMES, project_enforcement),
    "review_link.opened": _link_opened,
    "campaign.group_adopted": _group_adopted,
}


class CampaignProjector:
    """The registry-facing projector: ``handles`` / ``apply`` / ``reset``."""

    name = "campaign"
    tables = tuple(model.__table__ for model in m.CAMPAIGN_TABLES)

    def handles(self, event_type: str) -> bool:
        return event_type in HANDLERS

    def apply(self, session: Session, event: Event) -> None:
        handler = HANDLERS.get(event.event_type)
        if handler is not None:
            handler(session, [event])

    def apply_batch(self, session: Session, events: Iterable[Event]) -> int:
        """Apply in order, handing runs of the same event type to one bulk statement."""
        count = 0
        run: list[Event] = []
        for event in events:
            if event.event_type not in HANDLERS:
                continue
            if run and run[-1].event_type != event.event_type:
                HANDLERS[run[0].event_type](session, run)
                run = []
            run.append(event)
            count += 1
            if len(run) >= 5000:
                HANDLERS[run[0].event_type](session, run)
                run = []
        if run:
            HANDLERS[run[0].event_type](session, run)
        return count

    def reset(self, session: Session) -> None:
        """Empty every campaign table (before a full replay)."""
        for table in reversed(self.tables):
            session.execute(delete(table))


PROJECTOR = CampaignProjector()


def project_events(events: Iterable[Event], session: Session) -> int:
    """Apply events to the read models (the caller commits). Returns how many were applied."""
    return PROJECTOR.apply_batch(session, events)
