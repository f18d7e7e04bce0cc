"""Use case: ``revoke rollback``: restore exactly the recorded before-state, with its own events.

For each applied (or verified, or reappeared) revocation the object is read; if it is already
as before, nothing is written (rollback is idempotent); if it changed since in a way a restore
would clobber, the rollback refuses with the reason; otherwise the action's calls from now to the
recorded before-state are made, re-read, and recorded as ``revocation.rolled_back``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from services.core.errors import AccessReviewError, NotFoundError, UsageError
from services.enforcer import outcomes
from services.enforcer.actions import ManualChange, resolve
from services.enforcer.models import Revocation
from services.enforcer.store import emit, flush_outbox
from services.enforcer.wiring import EnforcerDeps

UNDOABLE = ("applied", "verified", "reappeared", "rolled_back")


@dataclass
class RollbackResult:
    revocation_id: str
    outcome: str  # restored | already | refused | failed
    detail: str


def select_ids(deps: EnforcerDeps, revocation: str | None, campaign: str | None, workspace_scope: str | None) -> list[str]:
    if sum(x is not None for x in (revocation, campaign, workspace_scope)) != 1:
        raise UsageError("give exactly one of --revocation, --campaign, --workspace")
    with deps.sessions() as session:
        query = select(Revocation.revocation_id).where(Revocation.status.in_(UNDOABLE))
        if revocation is not None:
            query = query.where(Revocation.revocation_id == revocation)
        elif campaign is not None:
            query = query.where(Revocation.campaign_id == campaign)
        else:
            query = query.where(Revocation.mode_scope == workspace_scope)
        ids = list(session.scalars(query.order_by(Revocation.revocation_id)))
    if not ids:
        raise NotFoundError("nothing applied to roll back there")
    return ids


def rollback(deps: EnforcerDeps, revocation_id: str, by: str) -> RollbackResult:
    with deps.sessions() as session:
        row = session.get(Revocation, revocation_id)
        if row is None:
            raise NotFoundError(f"no revocation {revocation_id}")
        if row.status == "rolled_back":
            return RollbackResult(revocation_id, "already", "rolled back before")
        ent = json.loads(row.entitlement_json)
        action = resolve(ent)
        if isinstance(action, ManualChange) or row.before_json is None or row.after_json is None:
            return RollbackResult(revocation_id, "refused", "nothing was changed automatically")
        before, after = json.loads(row.before_json), json.loads(row.after_json)
        try:
            current = action.read(deps.apis, ent)
            conflict = action.restore_conflict(current, after, before, ent)
            if conflict is not None:
                return RollbackResult(revocation_id, "refused", conflict)
            target = action.restored(current, before, ent)
            calls = action.calls(current, target, ent)
            for call in calls:
                deps.apis.run(call)
            check = action.read(deps.apis, ent) if calls else current
        except AccessReviewError as exc:
            return RollbackResult(revocation_id, "failed", str(exc))
        if action.present(before, ent) and not action.present(check, ent):
            return RollbackResult(revocation_id, "failed", "the re-read does not show the access restored")
        detail = "restored the recorded before-state" if calls else "the access was already back; nothing written"
        row.status, row.reason, row.updated_at = "rolled_back", f"rolled back by {by}: {detail}", deps.now_us()
        emit(session, deps, [outcomes.rolled_back(deps, row, by, calls, current, check, detail)])
        session.commit()
    flush_outbox(deps)
    return RollbackResult(revocation_id, "restored" if calls else "already", detail)
