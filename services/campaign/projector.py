"""The campaign read-model projector: builds every ``cmp_*`` table from events alone.

Used three ways: the service loop projects what it consumes; the web and CLI project the events
they publish (so a page reflects a click at once); ``accessreview ledger replay`` rebuilds the
tables from the ledger through :data:`PROJECTOR` (``handles(event_type)`` / ``apply(session,
event)``) or, faster, :func:`project_events`. Applying an event twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.population import canonical, normalize
from services.events.envelope import Event


def insert_ignore(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, silently keeping any that already exist (idempotent projection)."""
    if not rows:
        return
    table: Table = model.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).on_conflict_do_nothing(), list(rows))
    elif dialect == "sqlite":
        session.execute(insert(table).prefix_with("OR IGNORE"), list(rows))
    else:
        session.execute(insert(table), list(rows))


def _at(event: Event) -> int:
    return event.envelope.occurred_at


# -- collector facts ------------------------------------------------------------------------
def _collection_completed(session: Session, events: list[Event]) -> None:
    rows = [
        {"run_id": e.payload["run_id"], "scope": s["scope"], "status": s["status"], "completed_at": _at(e),
         "entitlements": s.get("entitlements", 0)}
        for e in events for s in e.payload["scopes"]
    ]
    insert_ignore(session, m.CollectionScope, rows)


def _entitlement_observed(session: Session, events: list[Event]) -> None:
    rows = []
    for e in events:
        record = normalize(e.payload["entitlement"])
        last_used = normalize(e.payload.get("last_used_at"))
        rows.append({
            "run_id": e.payload["run_id"], "key": record["key"], "scope": record["scope"],
            "principal_type": record["principal"]["type"], "principal_id": record["principal"]["id"],
            "resource_type": record["resource"]["type"], "record_json": canonical(record),
            "last_used_at": last_used, "observed_at": _at(e),
        })
    insert_ignore(session, m.ObservedEntitlement, rows)


def _entitlement_granted(session: Session, events: list[Event]) -> None:
    rows = [
        {"event_id": e.event_id, "key": e.payload["entitlement"]["key"],
         "principal_id": e.payload["entitlement"]["principal"]["id"],
         "granted_by": e.payload["entitlement"].get("granted_by"), "observed_at": _at(e)}
        for e in events
    ]
    insert_ignore(session, m.GrantChange, rows)


def _identity_observed(session: Session, events: list[Event]) -> None:
    for e in events:
        p = e.payload
        current = session.get(m.Identity, p["id"])
        if current is not None and current.observed_at > _at(e):
            continue
        detail = {k: list(p.get(k) or []) for k in ("owners", "approvers", "members", "flags", "databricks_ids")}
        detail["attributes"] = dict(p.get("attributes") or {})
        values = {
            "identity_type": p["identity_type"], "name": p["name"], "email": p.get("email"),
            "status": p.get("status"), "okta_id": p.get("okta_id"), "manager_email": p.get("manager_email"),
            "user_type": p.get("user_type"), "detail_json": json.dumps(detail, sort_keys=True), "observed_at": _at(e),
        }
        if current is None:
            session.add(m.Identity(id=p["id"], **values))
        else:
            for key, value in values.items():
                setattr(current, key, value)
        session.flush()


# -- the campaign's own events --------------------------------------------------------------
def _campaign_launched(session: Session, events: list[Event]) -> None:
    rows = [
        {"campaign_id": p["campaign_id"], "name": p["name"], "definition_json": p["definition_json"], "status": "open",
         "launched_at": _at(e), "launched_by": p["launched_by"], "due_at": normalize(p["due_at"]),
         "population_hash": p["population_hash"], "population_count": p["population_count"],
         "collection_runs_json": json.dumps({"runs": list(p["collection_runs"]), "scope_runs": dict(p.get("scope_runs") or {})},
                                            sort_keys=True)}
        for e in events for p in [e.payload]
    ]
    insert_ignore(session, m.Campaign, rows)


def _task_row(e: Event) -> dict[str, Any]:
    p = e.payload
    ent = normalize(p["entitlement"])
    resource, principal = ent["resource"], ent["principal"]
    assigned = next((s["step"] for s in p["provenance"] if s["outcome"] == "assigned"), "unknown")
    return {
        "task_id": p["task_id"], "campaign_id": p["campaign_id"], "item_kind": p["item_kind"],
        "entitlement_key": ent["key"], "entitlement_json": canonical(ent),
        "principal_label": principal.get("email") or principal["name"],
        "resource_label": f"{resource['type']} {resource.get('name') or resource['id']}",
        "workspace": resource.get("workspace_name") or resource.get("workspace_id") or "(account)",
        "privilege": ent["privilege"], "reviewer": p["reviewer"], "original_reviewer": p["reviewer"],
        "reviewer_level": p.get("reviewer_level", 1), "routed_by": assigned,
        "provenance_json": json.dumps(list(p["provenance"])), "risk_flags": " ".join(p.get("risk_flags") or []),
        "recommended_action": p.get("recommended_action"),
        "last_used_at": normalize(p.get("last_used_at")), "due_at": normalize(p["due_at"]), "escalation_level": 0,
    }


def _task_created(session: Session, events: list[Event]) -> None:
    insert_ignore(session, m.ReviewTask, [_task_row(e) for e in events])


_DECISION_FIELDS = ("decision_id", "task_id", "campaign_id", "reviewer", "decision", "justification", "delegate_to",
                    "auth_method", "link_token_id", "ip", "user_agent", "bulk_id", "supersedes")


def _decision_recorded(session: Session, events: list[Event]) -> None:
    rows = [{**{f: e.payload.get(f) for f in _DECISION_FIELDS}, "event_id": e.event_id, "occurred_at": _at(e)} for e in events]
    insert_ignore(session, m.Decision, rows)
    task = m.ReviewTask.__table__
    newer = or_(task.c.decided_at.is_(None), task.c.decided_at <= bindparam("b_at"))
    verdicts = [r for r in rows if r["decision"] != "delegate"]
    delegations = [r for r in rows if r["decision"] == "delegate"]
    params = lambda rs: [{"b_task": r["task_id"], "b_at": r["occurred_at"], "b_id": r["decision_id"],  # noqa: E731
                          "b_decision": r["decision"], "b_by": r["reviewer"], "b_just": r["justification"],
                          "b_to": r["delegate_to"]} for r in rs]
    if verdicts:
        session.execute(
            update(task).where(task.c.task_id == bindparam("b_task"), newer).values(
                decision=bindparam("b_decision"), decision_id=bindparam("b_id"), decided_by=bindparam("b_by"),
                decided_at=bindparam("b_at"), justification=bindparam("b_just")),
            params(verdicts), execution_options={"synchronize_session": False})
    if delegations:
        session.execute(
            update(task).where(task.c.task_id == bindparam("b_task"), newer).values(
                decision=None, decision_id=bindparam("b_id"), decided_by=bindparam("b_by"), decided_at=bindparam("b_at"),
                justification=bindparam("b_just"), reviewer=bindparam("b_to")),
            params(delegations), execution_options={"synchronize_session": False})


def _task_escalated(session: Session, events: list[Event]) -> None:
    rows = [{"event_id": e.event_id, "task_id": p["task_id"], "campaign_id": p["campaign_id"],
             "from_reviewer": p["from_reviewer"], "to_reviewer": p["to_reviewer"], "level": p["level"],
             "reason": p["reason"], "occurred_at": _at(e)} for e in events for p in [e.payload]]
    insert_ignore(session, m.Escalation, rows)
    task = m.ReviewTask.__table__
    session.execute(
        update(task).where(task.c.task_id == bindparam("b_task")).values(
            reviewer=bindparam("b_to"), escalation_level=bindparam("b_level")),
        [{"b_task": r["task_id"], "b_to": r["to_reviewer"], "b_level": r["level"]} for r in rows],
        execution_options={"synchronize_session": False})


def _campaign_closed(session: Session, events: list[Event]) -> None:
    for e in events:
        p = e.payload
        session.execute(update(m.Campaign).where(m.Campaign.campaign_id == p["campaign_id"]).values(
            status="closed", closed_at=_at(e), closed_by=p["closed_by"], figures_json=json.dumps(dict(p["figures"]), sort_keys=True)))


def _revocation_requested(session: Session, events: list[Event]) -> None:
    rows = [{"revocation_id": p["revocation_id"], "campaign_id": p["campaign_id"], "task_id": p.get("task_id"),
             "decision_id": p.get("decision_id"), "entitlement_key": p["entitlement"]["key"], "reason": p["reason"],
             "requested_by": p["requested_by"], "occurred_at": _at(e)} for e in events for p in [e.payload]]
    insert_ignore(session, m.Revocation, rows)


def _link_opened(session: Session, events: list[Event]) -> None:
    rows = [{"link_token_id": p["link_token_id"], "reviewer": p["reviewer"], "campaign_id": p.get("campaign_id"),
             "ip": p.get("ip"), "user_agent": p.get("user_agent"), "occurred_at": _at(e)}
            for e in events for p in [e.payload] if p["outcome"] == "accepted"]
    insert_ignore(session, m.LinkUse, rows)


def _group_adopted(session: Session, events: list[Event]) -> None:
    for e in events:
        p = e.payload
        current = session.get(m.GroupAdoption, p["group_id"])
        if current is not None and current.occurred_at > _at(e):
            continue
        if current is not None:
            session.delete(current)
            session.flush()
        session.add(m.GroupAdoption(group_id=p["group_id"], group_name=p["group_name"], adopter=p["adopter"].lower(),
                                    campaign_id=p.get("campaign_id"), statement=p["statement"], event_id=e.event_id,
                                    occurred_at=_at(e)))
        session.flush()


BatchHandler = Callable[[Session, list[Event]], None]
HANDLERS: dict[str, BatchHandler] = {
    "collection.completed": _collection_completed,
    "entitlement.observed": _entitlement_observed,
    "entitlement.granted": _entitlement_granted,
    "identity.observed": _identity_observed,
    "campaign.launched": _campaign_launched,
    "review_task.created": _task_created,
    "decision.recorded": _decision_recorded,
    "review_task.escalated": _task_escalated,
    "campaign.closed": _campaign_closed,
    "revocation.requested": _revocation_requested,
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


def has_campaign(session: Session, campaign_id: str) -> bool:
    return session.scalar(select(m.Campaign.campaign_id).where(m.Campaign.campaign_id == campaign_id)) is not None
