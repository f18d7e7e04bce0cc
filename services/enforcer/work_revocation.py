"""Use case: work on one revocation — read fresh, plan, ask the guardrails, then record (observe,
dry-run), hold (pause, freeze), block (a change request) or apply (enforce).

Everything is decided on a fresh read of the API: an entitlement that no longer exists is
recorded as already absent, not as an error. In enforce mode the row turns ``applying`` (with
its plan and before-state) *before* any write, so a crash is reconciled on restart.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from services.core.errors import AccessReviewError, NotFoundError
from services.enforcer import outcomes
from services.enforcer.actions import ManualChange, resolve
from services.enforcer.apply_revocation import apply, record_failure
from services.enforcer.change_requests import open_change_request
from services.enforcer.facts import Facts
from services.enforcer.guardrails import GuardInput, Verdict, evaluate
from services.enforcer.models import Revocation, ScopeMode
from services.enforcer.modes import effective_mode, note_config_mode, scope_names
from services.enforcer.store import FINAL, HOUR_US, NEVER, applied_since, approvals, batch_principals, emit
from services.enforcer.wiring import EnforcerDeps, dumps

HELD_STATUS = {"observe": "observed", "dry-run": "dry_run"}
VERDICT_STATUS = {"block": "blocked", "pause": "paused", "freeze": "frozen"}


def work_revocation(deps: EnforcerDeps, revocation_id: str) -> str:
    """Move one revocation as far as its mode and the guardrails allow; return its status.
    Revocations on the same object take turns (the object's lock)."""
    with deps.sessions() as session:
        row = session.get(Revocation, revocation_id)
        if row is None:
            return "unknown"
        ent = json.loads(row.entitlement_json)
        mode = _mode(session, deps, row, ent)
    resource = ent.get("resource") or {}
    with deps.object_lock(f"{resource.get('type')}:{resource.get('id')}"):
        return _work(deps, revocation_id, mode)


def _work(deps: EnforcerDeps, revocation_id: str, mode: str) -> str:
    with deps.sessions() as session:
        row = session.get(Revocation, revocation_id)
        if row is None or row.status in FINAL or row.status == "applied":
            return row.status if row is not None else "unknown"
        ent = json.loads(row.entitlement_json)
        action = resolve(ent)
        try:
            before = None if isinstance(action, ManualChange) else action.read(deps.apis, ent)
        except NotFoundError as exc:
            _absent(session, deps, row, mode, action, None, f"the object is gone: {exc}")
            return _done(session, deps, row)
        except AccessReviewError as exc:
            record_failure(session, deps, row, ent, f"reading the current state failed: {exc}", transient=exc.transient)
            return _done(session, deps, row)
        if before is not None and not isinstance(action, ManualChange) and not action.present(before, ent):
            if row.status == "applying":  # the write landed before a crash: finish the record
                from services.enforcer.apply_revocation import finish_applied

                finish_applied(
                    session, deps, row, ent, action, json.loads(row.before_json or "{}"), before, "confirmed after a restart"
                )
            else:
                _absent(session, deps, row, mode, action, before, "already absent when read")
            return _done(session, deps, row)
        after = None if before is None or isinstance(action, ManualChange) else action.without(before, ent)
        calls = [] if before is None or after is None or isinstance(action, ManualChange) else action.calls(before, after, ent)
        verdict = evaluate(_guard_input(session, deps, row, ent, action, before, after))
        if verdict is not None and verdict.outcome == "wait":
            row.status, row.reason, row.next_attempt_at = "pending", f"{verdict.rule}: {verdict.reason}", verdict.resume_at or 0
            return _done(session, deps, row)
        _record_plan(session, deps, row, mode, action, calls, before, after, verdict)
        if mode != "enforce":
            row.status, row.next_attempt_at = HELD_STATUS[mode], NEVER
            row.reason = f"{mode}: " + (
                f"would be {VERDICT_STATUS[verdict.outcome]} by {verdict.rule}: {verdict.reason}" if verdict else "would apply"
            )
        elif verdict is not None:
            _hold_or_block(session, deps, row, ent, verdict)
        else:
            assert before is not None and after is not None and not isinstance(action, ManualChange)
            apply(session, deps, row, ent, action, before, after, calls)
        return _done(session, deps, row)


def _done(session: Session, deps: EnforcerDeps, row: Revocation) -> str:
    row.updated_at = deps.now_us()
    session.commit()
    return row.status


def _mode(session: Session, deps: EnforcerDeps, row: Revocation, ent: dict[str, Any]) -> str:
    names = scope_names(row.mode_scope, ent)
    if row.mode_scope.startswith("workspace:"):
        deployment = deps.apis.workspaces().get(row.mode_scope.partition(":")[2])
        names += [deployment] if deployment else []
    mode = effective_mode(session, deps.settings, row.mode_scope, names)
    operator = session.get(ScopeMode, row.mode_scope)
    if operator is None or operator.source != "operator":
        session.close()  # one connection per worker: the note takes its own
        note_config_mode(deps, row.mode_scope, mode)
    return mode


def _guard_input(
    session: Session, deps: EnforcerDeps, row: Revocation, ent: dict[str, Any], action: Any, before: Any, after: Any
) -> GuardInput:
    now = deps.now_us()
    return GuardInput(
        revocation_id=row.revocation_id,
        batch_id=row.batch_id,
        mode_scope=row.mode_scope,
        entitlement=ent,
        action=action,
        before=before,
        after=after,
        facts=Facts(session),
        settings=deps.settings,
        now_us=now,
        approved=approvals(session, [row.batch_id, row.revocation_id]),
        applied_last_hour=applied_since(session, row.mode_scope, now - HOUR_US),
        batch_principals=batch_principals(session, row.batch_id),
    )


def _record_plan(
    session: Session,
    deps: EnforcerDeps,
    row: Revocation,
    mode: str,
    action: Any,
    calls: list[Any],
    before: Any,
    after: Any,
    verdict: Verdict | None,
) -> None:
    """One ``revocation.planned`` per distinct plan (a held revocation looked at again with the
    same state and mode records nothing new). Observe records no calls; dry-run and enforce do."""
    shown = [] if mode == "observe" else calls
    plan = {"mode": mode, "action": action.name, "calls": shown, "verdict": None if verdict is None else verdict.rule}
    if row.plan_json == dumps(plan) and row.before_json == dumps(before):
        return
    row.plan_json, row.before_json, row.after_json = dumps(plan), dumps(before), dumps(after)
    row.action, row.system = action.name, action.system
    emit(session, deps, [outcomes.planned(deps, row, mode, action.name, action.system, shown, before, after, False)])


def _absent(session: Session, deps: EnforcerDeps, row: Revocation, mode: str, action: Any, before: Any, reason: str) -> None:
    row.status, row.reason, row.action, row.system = "absent", reason, action.name, action.system
    row.before_json = dumps(before)
    emit(session, deps, [outcomes.planned(deps, row, mode, action.name, action.system, [], before, before, True)])


def _hold_or_block(session: Session, deps: EnforcerDeps, row: Revocation, ent: dict[str, Any], verdict: Verdict) -> None:
    status = VERDICT_STATUS[verdict.outcome]
    if row.status == status and row.reason == verdict.reason:
        row.next_attempt_at = verdict.resume_at or NEVER
        return
    cr_id = None
    events = []
    if verdict.outcome == "block":
        opened, ticket = open_change_request(deps, row, ent, "change-request", verdict.rule, verdict.reason, verdict.assignee)
        cr_id, row.ticket_id = opened.payload["change_request_id"], ticket
        events.append(opened)
    row.status, row.reason = status, f"{verdict.rule}: {verdict.reason}"
    row.next_attempt_at = verdict.resume_at or NEVER
    emit(session, deps, [outcomes.blocked(deps, row, status, verdict.rule, verdict.reason, cr_id), *events])
