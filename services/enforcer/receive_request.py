"""Use case: take in one ``revocation.requested``.

A request is stored once per ``revocation_id`` (a redelivered request is a no-op) as ``pending``;
the tick plans it once its batch has settled. A request that fails validation or names a
workspace the account does not have is stored as ``rejected`` with the reason, recorded as
``revocation.blocked`` (outcome ``rejected``), and raised, so the consumer dead-letters it.
"""

from __future__ import annotations

from typing import Any

from services.core.errors import UsageError
from services.enforcer.models import Revocation
from services.enforcer.modes import mode_scope
from services.enforcer.store import emit, flush_outbox
from services.enforcer.wiring import EnforcerDeps, dumps
from services.events.envelope import Event


class RequestRejected(UsageError):
    code = "revocation-rejected"


def problems(p: dict[str, Any], known_workspaces: dict[str, str]) -> list[str]:
    out = []
    if not str(p.get("revocation_id") or "").startswith("r-"):
        out.append(f"revocation_id {p.get('revocation_id')!r} is not r-<ULID>")
    ent = p.get("entitlement") or {}
    for field in ("key", "privilege"):
        if not ent.get(field):
            out.append(f"entitlement.{field} is missing")
    principal, resource = ent.get("principal") or {}, ent.get("resource") or {}
    if not principal.get("id") or principal.get("type") not in ("user", "group", "service_principal"):
        out.append(f"entitlement.principal {principal!r} has no id or an unknown type")
    if not resource.get("type") or not resource.get("id"):
        out.append("entitlement.resource has no type or id")
    workspace_id = resource.get("workspace_id") or (resource.get("id") if resource.get("type") == "workspace" else None)
    if workspace_id and str(workspace_id) not in known_workspaces:
        out.append(f"workspace {workspace_id} is not in the account")
    return out


def receive_request(event: Event, deps: EnforcerDeps) -> str:
    """Store the request; return its status (``pending``, ``duplicate`` or ``rejected``)."""
    p = event.payload
    rid = str(p.get("revocation_id") or f"r-invalid-{event.event_id}")
    with deps.sessions() as session:
        if session.get(Revocation, rid) is not None:
            return "duplicate"
        found = problems(p, deps.apis.workspaces())
        ent = p.get("entitlement") or {}
        row = Revocation(
            revocation_id=rid,
            campaign_id=str(p.get("campaign_id") or event.envelope.correlation_id),
            request_event_id=event.event_id,
            entitlement_key=str(ent.get("key") or ""),
            entitlement_json=dumps(ent),
            mode_scope=mode_scope(ent) if not found else "invalid",
            batch_id="",
            status="rejected" if found else "pending",
            reason="; ".join(found),
            system="",
            attempts=0,
            next_attempt_at=0,
            requested_by=str(p.get("requested_by") or ""),
            updated_at=deps.now_us(),
        )
        row.batch_id = f"{row.campaign_id}/{row.mode_scope}"
        session.add(row)
        if found:
            emit(session, deps, [_rejected(deps, row, event)])
        session.commit()
    if found:
        flush_outbox(deps)
        raise RequestRejected(f"revocation {rid} rejected: {'; '.join(found)}")
    return "pending"


def _rejected(deps: EnforcerDeps, row: Revocation, request: Event) -> Event:
    return deps.new(
        "revocation.blocked",
        {
            "revocation_id": row.revocation_id,
            "campaign_id": row.campaign_id,
            "outcome": "rejected",
            "rule": "validation",
            "reason": row.reason,
            "batch_id": None,
            "change_request_id": None,
        },
        correlation_id=row.campaign_id,
        subject_key=row.entitlement_key or row.revocation_id,
        causation_id=request.event_id,
    )
