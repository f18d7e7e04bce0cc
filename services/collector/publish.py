"""Use case: publish a collection run's events, and detect changes against each scope's baseline.

Order: ``collection.started`` (published when the run starts), then per entitlement
``entitlement.observed``, per identity ``identity.observed``, per complete scope the
``entitlement.granted`` / ``entitlement.removed`` changes, and ``collection.completed``. Only
after the broker acknowledged everything are the baselines of complete scopes replaced, so a
failed publish repeats its changes next time rather than losing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from services.collector.baseline import BaselineStore, diff
from services.collector.collect import CollectionResult
from services.collector.entitlement import Entitlement, to_json_line
from services.events.envelope import Event, EventFactory


class Publisher(Protocol):
    def publish(self, event: Event) -> None: ...
    def flush(self, timeout_s: float = 60.0) -> None: ...


@dataclass
class PublishSummary:
    events: int = 0
    granted: int = 0
    removed: int = 0
    baselines_replaced: list[str] = field(default_factory=list)


def started_event(factory: EventFactory, run_id: str, scopes: list[str], parameters: dict[str, str]) -> Event:
    payload = {"run_id": run_id, "source": "all", "scopes": scopes, "parameters": parameters}
    return factory.new("collection.started", payload, correlation_id=run_id, subject_key=run_id)


def _observed(factory: EventFactory, run_id: str, entitlements: Iterable[Entitlement]) -> Iterator[Event]:
    for e in entitlements:
        payload = {"run_id": run_id, "entitlement": e.as_record(), "last_used_at": e.last_used_at}
        yield factory.new("entitlement.observed", payload, correlation_id=run_id, subject_key=e.key)


def _identities(factory: EventFactory, run_id: str, identities: Iterable[dict[str, Any]]) -> Iterator[Event]:
    for identity in identities:
        payload = {"run_id": run_id, **identity}
        yield factory.new(
            "identity.observed",
            payload,
            correlation_id=run_id,
            subject_key=f"{identity['identity_type']}:{identity['id']}",
        )


def completed_event(factory: EventFactory, result: CollectionResult, extra_counts: dict[str, int]) -> Event:
    scopes = [
        {
            "scope": s.scope,
            "status": s.status,
            "reason": s.reason,
            "entitlements": len(s.entitlements),
            "requests": s.calls,
            "read_path": s.read_path,
        }
        for s in sorted(result.scopes.values(), key=lambda s: s.scope)
    ]
    payload = {
        "run_id": result.run_id,
        "counts": {**result.counts(), **extra_counts},
        "scopes": scopes,
        "duration_ms": result.duration_ms,
    }
    return factory.new("collection.completed", payload, correlation_id=result.run_id, subject_key=result.run_id)


def publish_result(
    publisher: Publisher, factory: EventFactory, result: CollectionResult, baselines: BaselineStore
) -> PublishSummary:
    summary = PublishSummary()
    run_id = result.run_id

    def send(events: Iterable[Event]) -> None:
        for event in events:
            publisher.publish(event)
            summary.events += 1

    send(_observed(factory, run_id, result.entitlements()))
    send(_identities(factory, run_id, result.identities))
    complete = [s for s in result.scopes.values() if s.status == "complete" and s.scope != "okta"]
    for state in complete:
        changes = diff(state.entitlements, baselines.load(state.scope))
        for kind, items in (
            ("entitlement.granted", changes.granted),
            ("entitlement.removed", changes.removed),
        ):
            for e in items:
                payload = {
                    "run_id": run_id,
                    "previous_run_id": changes.previous_run_id,
                    "entitlement": e.as_record(),
                }
                send([factory.new(kind, payload, correlation_id=run_id, subject_key=e.key)])
        summary.granted += len(changes.granted)
        summary.removed += len(changes.removed)
    send([completed_event(factory, result, {"granted": summary.granted, "removed": summary.removed})])
    publisher.flush(120.0)
    for state in complete:
        baselines.replace(state.scope, run_id, result.finished_at, state.entitlements)
        summary.baselines_replaced.append(state.scope)
    return summary


def export_jsonl(result: CollectionResult, path: Path) -> int:
    """Write the normalized entitlements, one JSON object per line, sorted by key (each line is
    made as it is written: the lines of a large account are not all held at once)."""
    ordered = sorted(result.entitlements(), key=lambda e: e.key)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w") as fh:
        for entitlement in ordered:
            fh.write(to_json_line(entitlement) + "\n")
    tmp.replace(path)
    return len(ordered)
