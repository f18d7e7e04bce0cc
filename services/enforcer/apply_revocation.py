"""Use case: apply one planned revocation, verify it by re-reading, and record failures.

The row is committed as ``applying`` (plan and before-state) before the first write. Right before
writing, the object is read again: a concurrent change re-plans from what is there now. After the
writes, a re-read must show the access gone; if it does not, ``revocation.failed``, a retry with
backoff, and after ``AR_ENFORCER_MAX_ATTEMPTS`` an escalation to security.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.core.errors import AccessReviewError
from services.enforcer import outcomes
from services.enforcer.actions import Action
from services.enforcer.change_requests import open_change_request
from services.enforcer.models import Revocation
from services.enforcer.store import emit
from services.enforcer.wiring import EnforcerDeps, dumps


def apply(
    session: Session,
    deps: EnforcerDeps,
    row: Revocation,
    ent: dict[str, Any],
    action: Action,
    before: Any,
    after: Any,
    calls: list[Any],
) -> None:
    row.status, row.attempts = "applying", row.attempts + 1
    row.updated_at = deps.now_us()
    session.commit()  # the crash-safety record: nothing is written before this
    try:
        current = action.read(deps.apis, ent)
        if current != before:  # someone changed the object since the plan: plan again from what is there
            if not action.present(current, ent):
                finish_applied(session, deps, row, ent, action, before, current, "removed concurrently before the write")
                return
            before, after = current, action.without(current, ent)
            calls = action.calls(before, after, ent)
            row.before_json, row.after_json = dumps(before), dumps(after)
        for call in calls:
            deps.apis.run(call)
        check = action.read(deps.apis, ent)
    except AccessReviewError as exc:
        record_failure(session, deps, row, ent, str(exc), transient=exc.transient)
        return
    if action.present(check, ent):
        record_failure(session, deps, row, ent, f"still present on re-read after {len(calls)} call(s)", transient=True)
        return
    finish_applied(
        session, deps, row, ent, action, before, check, f"removed; re-read shows it gone ({len(calls)} call(s))", calls
    )


def finish_applied(
    session: Session,
    deps: EnforcerDeps,
    row: Revocation,
    ent: dict[str, Any],
    action: Action,
    before: Any,
    after: Any,
    detail: str,
    calls: list[Any] | None = None,
) -> None:
    made = calls if calls is not None else action.calls(before, after, ent)
    row.status, row.reason, row.applied_at = "applied", detail, deps.now_us()
    row.before_json, row.after_json, row.system, row.action = dumps(before), dumps(after), action.system, action.name
    emit(
        session,
        deps,
        [
            outcomes.applied(deps, row, action.system, made, before, after, detail),
            outcomes.verified(deps, row, "re-read", f"{action.name}: absent on re-read of {action.system}"),
        ],
    )


def record_failure(
    session: Session, deps: EnforcerDeps, row: Revocation, ent: dict[str, Any], reason: str, transient: bool
) -> None:
    """A failed attempt: retried with backoff while attempts remain, then escalated to security."""
    row.attempts = max(row.attempts, 1) if row.status == "applying" else row.attempts + 1
    final = row.attempts >= deps.settings.enforcer_max_attempts or not transient and row.attempts >= 2
    events = []
    if final:
        opened, ticket = open_change_request(
            deps, row, ent, "escalation", "verify", f"revocation failed: {reason}", deps.settings.security_reviewer
        )
        row.ticket_id = ticket
        events.append(opened)
        row.status = "failed"
    else:
        row.status = "retrying"
        row.next_attempt_at = deps.now_us() + int(deps.settings.enforcer_retry_backoff_s * 1e6 * 2 ** (row.attempts - 1))
    row.reason = reason[:2000]
    emit(session, deps, [outcomes.failed(deps, row, reason, final, row.ticket_id if final else None), *events])
