"""Reading and writing the enforcer's tables, and its outbox of events."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.enforcer.models import Approval, OutboxEvent, Revocation
from services.enforcer.wiring import EnforcerDeps
from services.events.envelope import Event

FINAL = frozenset({"absent", "blocked", "verified", "failed", "rolled_back", "rejected", "reappeared"})
HELD = frozenset({"observed", "dry_run", "paused", "frozen"})
WORKING = frozenset({"pending", "retrying", "applying"})
STATUSES = (
    "pending",
    "observed",
    "dry_run",
    "paused",
    "frozen",
    "retrying",
    "applying",
    "applied",
    "verified",
    "absent",
    "blocked",
    "failed",
    "reappeared",
    "rolled_back",
    "rejected",
)
NEVER = 2**62
HOUR_US = 3600 * 1_000_000


def emit(session: Session, deps: EnforcerDeps, events: Iterable[Event]) -> None:
    """Queue events in the caller's transaction; :func:`flush_outbox` publishes them after commit."""
    for event in events:
        session.add(OutboxEvent(event_id=event.event_id, data=deps.codec.encode(event)))


def flush_outbox(deps: EnforcerDeps) -> int:
    """Publish queued events in order; without a producer (a CLI with no broker) they wait for the
    service's next tick."""
    if deps.producer is None:
        return 0
    with deps.sessions() as session:
        rows = list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))
        if not rows:
            return 0
        deps.producer.publish_all([deps.codec.decode(row.data) for row in rows])
        session.execute(delete(OutboxEvent).where(OutboxEvent.seq.in_([row.seq for row in rows])))
        session.commit()
        return len(rows)


def due(session: Session, now_us: int, settle_us: int, limit: int = 500) -> list[str]:
    """Revocations to work on now: settled new requests, retries and held ones whose time came,
    and any caught mid-apply by a crash."""
    query = (
        select(Revocation.revocation_id)
        .where(
            Revocation.status.in_(sorted(WORKING | HELD)),
            Revocation.next_attempt_at <= now_us,
            (Revocation.status != "pending") | (Revocation.updated_at <= now_us - settle_us),
        )
        .order_by(Revocation.batch_id, Revocation.revocation_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def approvals(session: Session, targets: Iterable[str]) -> set[str]:
    wanted = sorted(set(targets))
    return set(session.scalars(select(Approval.target).where(Approval.target.in_(wanted)))) if wanted else set()


def applied_since(session: Session, mode_scope: str, since_us: int) -> int:
    query = select(func.count()).where(
        Revocation.mode_scope == mode_scope, Revocation.applied_at.is_not(None), Revocation.applied_at >= since_us
    )
    return int(session.scalar(query) or 0)


def batch_principals(session: Session, batch_id: str) -> int:
    """Distinct principals a batch revokes from (every state but rejected and absent)."""
    query = select(Revocation.entitlement_key).where(
        Revocation.batch_id == batch_id, Revocation.status.not_in(["rejected", "absent"])
    )
    return len({key.split("|", 1)[0] for key in session.scalars(query)})


def wake(session: Session, *conditions: object) -> int:
    """Held revocations matching ``conditions`` are worked on at the next tick."""
    rows = list(session.scalars(select(Revocation).where(Revocation.status.in_(sorted(HELD)), *conditions)))  # type: ignore[arg-type]
    for row in rows:
        row.next_attempt_at = 0
    return len(rows)
