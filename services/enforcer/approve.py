"""Use case: ``revoke approve TARGET --by EMAIL``: a person lets a paused batch (or one paused
revocation) go ahead. The approval is stored and recorded as ``enforcement.mode_changed``-free
evidence: a ``revocation.blocked`` with outcome ``approved`` per revocation it releases."""

from __future__ import annotations

from sqlalchemy import or_, select

from services.core.errors import NotFoundError, UsageError
from services.enforcer import outcomes
from services.enforcer.models import Approval, Revocation
from services.enforcer.store import emit, flush_outbox
from services.enforcer.wiring import EnforcerDeps


def approve(deps: EnforcerDeps, target: str, by: str) -> int:
    """Approve a batch id (``<campaign>/<scope>``) or a revocation id; return how many it releases."""
    if "@" not in by:
        raise UsageError(f"--by must be the approver's email, not {by!r}")
    with deps.sessions() as session:
        rows = list(
            session.scalars(select(Revocation).where(or_(Revocation.batch_id == target, Revocation.revocation_id == target)))
        )
        if not rows:
            raise NotFoundError(f"no batch or revocation {target!r}")
        if session.get(Approval, target) is None:
            session.add(Approval(target=target, approved_by=by, approved_at=deps.now_us()))
        released = [row for row in rows if row.status == "paused"]
        for row in released:
            row.next_attempt_at = 0
            emit(session, deps, [outcomes.blocked(deps, row, "approved", "approval", f"approved by {by}", None)])
        session.commit()
    flush_outbox(deps)
    return len(released)
