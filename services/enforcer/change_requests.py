"""Change requests and escalations: recorded as ``change_request.opened`` with the ticket that
carries it. The ticket body is the documented JSON (docs/revocation-contract.md, "Tickets"). A
ticket system that is down or refuses leaves the change request recorded with the error; the
revocation keeps its state and says so."""

from __future__ import annotations

from typing import Any

from services.core.errors import AccessReviewError
from services.core.ids import new_ulid
from services.enforcer.wiring import EnforcerDeps, dumps
from services.events.envelope import Event


def ticket_body(
    cr_id: str, kind: str, title: str, assignee: str, reason: str, rule: str, row: Any, ent: dict[str, Any], now_us: int
) -> dict[str, Any]:
    return {
        "change_request_id": cr_id,
        "kind": kind,
        "title": title,
        "assignee": assignee,
        "reason": reason,
        "rule": rule,
        "revocation_id": row.revocation_id,
        "campaign_id": row.campaign_id,
        "entitlement": {
            "key": ent["key"],
            "principal": ent["principal"],
            "resource": {
                k: ent["resource"].get(k) for k in ("type", "id", "name", "workspace_id", "workspace_name", "production", "owner")
            },
            "privilege": ent["privilege"],
        },
        "created_at": now_us,
        "source": "accessreview",
    }


def open_change_request(
    deps: EnforcerDeps, row: Any, ent: dict[str, Any], kind: str, rule: str, reason: str, assignee: str | None
) -> tuple[Event, str | None]:
    """Open the ticket; return the ``change_request.opened`` event and the ticket id (None if none)."""
    cr_id = f"cr-{new_ulid()}"
    who = assignee or deps.settings.security_reviewer
    verb = "Escalation" if kind == "escalation" else "Change request"
    title = f"{verb}: {ent['privilege']} of {ent['principal']['name']} on {ent['resource']['type']} {ent['resource']['name']}"
    body = ticket_body(cr_id, kind, title, who, reason, rule, row, ent, deps.now_us())
    ticket_id: str | None = None
    error: str | None = None
    system = deps.settings.tickets_system
    if deps.tickets is not None:
        try:
            ticket_id = deps.tickets.open(body)
        except AccessReviewError as exc:
            error = str(exc)[:1000]
    event = deps.new(
        "change_request.opened",
        {
            "change_request_id": cr_id,
            "revocation_id": row.revocation_id,
            "kind": kind,
            "assignee": who,
            "title": title,
            "body_json": dumps(body),
            "ticket_system": system,
            "ticket_id": ticket_id,
            "error": error,
        },
        correlation_id=row.campaign_id,
        subject_key=cr_id,
    )
    return event, ticket_id or (f"{cr_id} (no ticket: {error})" if error else cr_id)
