"""The events that record what happened to one revocation, all keyed by its entitlement key."""

from __future__ import annotations

from typing import Any

from services.enforcer.models import Revocation
from services.enforcer.wiring import EnforcerDeps, dumps
from services.events.envelope import Event


def _new(deps: EnforcerDeps, event_type: str, row: Revocation, payload: dict[str, Any]) -> Event:
    return deps.new(
        event_type,
        {"revocation_id": row.revocation_id, **payload},
        correlation_id=row.campaign_id,
        subject_key=row.entitlement_key,
        causation_id=row.request_event_id,
    )


def planned(
    deps: EnforcerDeps,
    row: Revocation,
    mode: str,
    action: str,
    system: str,
    calls: list[Any],
    before: Any,
    after: Any,
    absent: bool,
) -> Event:
    return _new(
        deps,
        "revocation.planned",
        row,
        {
            "campaign_id": row.campaign_id,
            "mode": mode,
            "action": action,
            "system": system,
            "calls_json": dumps(calls),
            "before_json": None if before is None else dumps(before),
            "after_json": None if after is None else dumps(after),
            "already_absent": absent,
        },
    )


def blocked(deps: EnforcerDeps, row: Revocation, outcome: str, rule: str, reason: str, cr_id: str | None) -> Event:
    return _new(
        deps,
        "revocation.blocked",
        row,
        {
            "campaign_id": row.campaign_id,
            "outcome": outcome,
            "rule": rule,
            "reason": reason,
            "batch_id": row.batch_id if outcome == "paused" else None,
            "change_request_id": cr_id,
        },
    )


def applied(deps: EnforcerDeps, row: Revocation, system: str, calls: list[Any], before: Any, after: Any, detail: str) -> Event:
    return _new(
        deps,
        "revocation.applied",
        row,
        {
            "phase": "applied",
            "detail": detail,
            "before_json": dumps(before),
            "after_json": dumps(after),
            "system": system,
            "calls_json": dumps(calls),
        },
    )


def verified(deps: EnforcerDeps, row: Revocation, method: str, detail: str, observation: str | None = None) -> Event:
    return _new(
        deps,
        "revocation.verified",
        row,
        {"method": method, "confirmed": True, "detail": detail, "observation_event_id": observation},
    )


def failed(
    deps: EnforcerDeps,
    row: Revocation,
    reason: str,
    final: bool,
    ticket: str | None = None,
    reappeared: bool = False,
    observation: str | None = None,
) -> Event:
    return _new(
        deps,
        "revocation.failed",
        row,
        {
            "campaign_id": row.campaign_id,
            "reason": reason[:2000],
            "attempt": max(row.attempts, 1),
            "final": final,
            "reappeared": reappeared,
            "observation_event_id": observation,
            "ticket_id": ticket,
        },
    )


def rolled_back(deps: EnforcerDeps, row: Revocation, by: str, calls: list[Any], before: Any, after: Any, detail: str) -> Event:
    return _new(
        deps,
        "revocation.rolled_back",
        row,
        {
            "campaign_id": row.campaign_id,
            "by": by,
            "calls_json": dumps(calls),
            "before_json": dumps(before),
            "after_json": dumps(after),
            "detail": detail,
        },
    )
