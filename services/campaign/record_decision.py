"""Record decisions: approve, revoke, delegate, abstain — one item or a filtered set (bulk).

Rules: only the task's current reviewer decides; the campaign must be open; revoke, and approve of
a high-risk item, need a justification; delegate needs a person and a reason. A decision may be
changed until close: each change is a new ``decision.recorded`` naming the one it supersedes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select

from services.campaign import models as m
from services.campaign.delegation import check_delegate
from services.campaign.deps import CampaignDeps
from services.campaign.risk import needs_justification
from services.core.actor import Actor
from services.core.errors import ConflictError, NotFoundError, UsageError
from services.core.ids import new_ulid
from services.events.envelope import Event

DECISIONS = ("approve", "revoke", "delegate", "abstain")
MAX_BULK = 5000


@dataclass(frozen=True)
class DecisionRequest:
    task_ids: Sequence[str]
    decision: str
    justification: str | None = None
    delegate_to: str | None = None


def _validate(request: DecisionRequest, actor: Actor) -> tuple[str | None, str | None]:
    if request.decision not in DECISIONS:
        raise UsageError(f"decision must be one of {', '.join(DECISIONS)}")
    if not request.task_ids:
        raise UsageError("no items selected")
    if len(request.task_ids) > MAX_BULK:
        raise UsageError(f"at most {MAX_BULK} items per bulk decision")
    justification = (request.justification or "").strip() or None
    if justification and len(justification) > 2000:
        raise UsageError("justification is longer than 2000 characters")
    delegate_to = (request.delegate_to or "").strip().lower() or None
    if request.decision == "delegate":
        if not delegate_to or "@" not in delegate_to:
            raise UsageError("delegate needs the email of the person to delegate to")
        if delegate_to == actor.email.lower():
            raise UsageError("cannot delegate to yourself")
        if not justification:
            raise UsageError("delegate needs a reason")
    return justification, delegate_to


_T, _C = m.ReviewTask, m.Campaign
# built once: the hot path of every click
_OWN_TASKS = (
    select(_T.task_id, _T.campaign_id, _T.reviewer, _T.risk_flags, _T.principal_label, _T.decision_id, _C.status)
    .join(_C, _C.campaign_id == _T.campaign_id)
    .where(_T.task_id.in_(bindparam("ids", expanding=True)))
)


def _load_own_tasks(deps: CampaignDeps, task_ids: Sequence[str], actor: Actor) -> list[Row[*tuple[Any, ...]]]:
    with deps.sessions() as session:
        rows = session.execute(_OWN_TASKS, {"ids": list(set(task_ids))}).all()
    me = actor.email.lower()
    mine = {r.task_id: r for r in rows if r.reviewer == me and actor.campaign_id in (None, r.campaign_id)}
    missing = [tid for tid in task_ids if tid not in mine]
    if missing:
        # the same answer for "does not exist" and "not yours": ids of others' items reveal nothing
        raise NotFoundError(f"{len(missing)} item(s) are not in your review queue", task_ids=missing[:20])
    closed = sorted({r.campaign_id for r in mine.values() if r.status != "open"})
    if closed:
        raise ConflictError(f"campaign {closed[0]} is closed: decisions can no longer change")
    return [mine[tid] for tid in dict.fromkeys(task_ids)]


def record_decisions(deps: CampaignDeps, actor: Actor, request: DecisionRequest) -> list[str]:
    """Validate and emit one ``decision.recorded`` per item; returns the decision ids."""
    justification, delegate_to = _validate(request, actor)
    tasks = _load_own_tasks(deps, request.task_ids, actor)
    if not justification:
        needing = [t.task_id for t in tasks if needs_justification(request.decision, t.risk_flags.split())]
        if needing:
            what = "revoking" if request.decision == "revoke" else "approving a high-risk item"
            raise UsageError(f"a justification is required for {what}", task_ids=needing[:20])
    if delegate_to:
        check_delegate(deps, delegate_to, [t.task_id for t in tasks])
    bulk_id = f"b-{new_ulid()}" if len(tasks) > 1 else None
    events = [decision_event(deps, task, actor, request.decision, justification, delegate_to, bulk_id) for task in tasks]
    deps.sink.emit(events)
    return [e.payload["decision_id"] for e in events]


def decision_event(
    deps: CampaignDeps,
    task: Any,
    actor: Actor,
    decision: str,
    justification: str | None,
    delegate_to: str | None = None,
    bulk_id: str | None = None,
) -> Event:
    """One ``decision.recorded``: who decided, how they authenticated, and what it supersedes."""
    return deps.sink.new(
        "decision.recorded",
        {
            "decision_id": f"d-{new_ulid()}",
            "task_id": task.task_id,
            "campaign_id": task.campaign_id,
            "reviewer": actor.email.lower(),
            "decision": decision,
            "justification": justification,
            "delegate_to": delegate_to,
            "auth_method": actor.auth_method,
            "link_token_id": actor.link_token_id,
            "ip": actor.ip,
            "user_agent": (actor.user_agent or "")[:500] or None,
            "bulk_id": bulk_id,
            "supersedes": task.decision_id,
        },
        correlation_id=task.campaign_id,
        subject_key=task.task_id,
    )
