"""Events as plain JSON (for SIEMs, ``events tail`` and the ledger's ``events`` command)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.events.envelope import Event


def _iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / 1_000_000, UTC).isoformat().replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def event_to_json(event: Event, topic: str | None = None) -> dict[str, Any]:
    env = event.envelope
    out: dict[str, Any] = {
        "event_id": env.event_id,
        "event_type": env.event_type,
        "occurred_at": _iso(env.occurred_at),
        "produced_at": _iso(env.produced_at),
        "producer": {"service": env.producer.service, "version": env.producer.version, "instance": env.producer.instance},
        "correlation_id": env.correlation_id,
        "causation_id": env.causation_id,
        "subject_key": env.subject_key,
        "schema_fingerprint": env.schema_fingerprint,
    }
    if topic:
        out["topic"] = topic
    out["payload"] = _plain(event.payload)
    return out
