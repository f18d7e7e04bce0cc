"""Use case: what the collector sees after a revocation.

Every ``entitlement.v1`` batch updates the facts the guardrails read. Then:

- an ``entitlement.removed`` of an applied revocation's key is the independent proof:
  ``revocation.verified`` (method ``next-collection``) citing that event;
- the key seen again (``entitlement.observed`` or ``.granted``) after the revocation was applied
  means something put it back (an Okta push, a Terraform run): ``revocation.failed`` with
  ``reappeared``, an escalation to security, and the revocation is ``reappeared``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.enforcer import outcomes
from services.enforcer.change_requests import open_change_request
from services.enforcer.facts import fact_row, record_observations
from services.enforcer.models import Revocation
from services.enforcer.store import emit, flush_outbox
from services.enforcer.wiring import EnforcerDeps
from services.events.envelope import Event

SEEN = ("entitlement.observed", "entitlement.granted")


def _micros(value: Any) -> int:
    return int(value.timestamp() * 1_000_000) if isinstance(value, datetime) else int(value)


def confirm_by_collection(events: Iterable[Event], deps: EnforcerDeps) -> dict[str, int]:
    seen: dict[str, Event] = {}
    removed: dict[str, Event] = {}
    for event in events:
        key = event.payload.get("entitlement", {}).get("key")
        if not key:
            continue
        if event.event_type in SEEN:
            seen[key], _ = event, removed.pop(key, None)
        elif event.event_type == "entitlement.removed":
            removed[key], _ = event, seen.pop(key, None)
    counts = {"verified": 0, "reappeared": 0}
    with deps.sessions() as session:
        record_observations(session, (fact_row(e.payload["entitlement"], e.event_id) for e in seen.values()), removed)
        keys = sorted(set(seen) | set(removed))
        rows = (
            list(
                session.scalars(
                    select(Revocation).where(Revocation.entitlement_key.in_(keys), Revocation.status.in_(["applied", "verified"]))
                )
            )
            if keys
            else []
        )
        for row in rows:
            if row.entitlement_key in removed and row.status == "applied":
                event = removed[row.entitlement_key]
                row.status, row.verified_event_id, row.updated_at = "verified", event.event_id, deps.now_us()
                detail = f"collection {event.payload.get('run_id')} no longer sees it"
                emit(session, deps, [outcomes.verified(deps, row, "next-collection", detail, event.event_id)])
                counts["verified"] += 1
            elif row.entitlement_key in seen and _micros(seen[row.entitlement_key].envelope.occurred_at) > (row.applied_at or 0):
                _reappeared(session, deps, row, seen[row.entitlement_key])
                counts["reappeared"] += 1
        session.commit()
    if counts["verified"] or counts["reappeared"]:
        flush_outbox(deps)
    return counts


def _reappeared(session: Any, deps: EnforcerDeps, row: Revocation, event: Event) -> None:
    ent = json.loads(row.entitlement_json)
    reason = (
        f"{ent['privilege']} of {ent['principal']['name']} on {ent['resource']['type']} {ent['resource']['name']} was removed "
        f"and is back (collection {event.payload.get('run_id')}): something re-granted it"
    )
    opened, ticket = open_change_request(deps, row, ent, "escalation", "reappeared", reason, deps.settings.security_reviewer)
    row.status, row.reason, row.ticket_id, row.updated_at = "reappeared", reason, ticket, deps.now_us()
    emit(session, deps, [outcomes.failed(deps, row, reason, True, ticket, reappeared=True, observation=event.event_id), opened])
