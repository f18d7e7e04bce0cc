"""Where re-derivations read events from: the ledger (through its read API) or a JSONL export.

The ledger seam is one function, :func:`ledger_events`, over
``services.ledger.api.iter_events(store: str, settings) -> Iterator[Event]`` (decoded events
in ledger order, resolved into today's schemas). ``--from-jsonl`` reads lines written by ``event_to_json`` (``events tail``,
``ledger events``), so the auditor's test also runs on an export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from services.core.errors import DecodeError, UsageError
from services.core.settings import Settings
from services.events.envelope import Envelope, Event, Producer
from services.ledger.api import iter_events

TIMESTAMP_FIELDS = {"granted_at", "last_used_at", "due_at"}


def _micros(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1_000_000)
        except ValueError:
            return value
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (_micros(v) if k in TIMESTAMP_FIELDS else _restore(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


def event_from_json(obj: dict[str, Any]) -> Event:
    producer = obj["producer"]
    envelope = Envelope(
        event_id=obj["event_id"],
        event_type=obj["event_type"],
        schema_fingerprint=obj.get("schema_fingerprint", ""),
        occurred_at=_micros(obj["occurred_at"]),
        produced_at=_micros(obj["produced_at"]),
        producer=Producer(producer["service"], producer["version"], producer["instance"]),
        correlation_id=obj["correlation_id"],
        subject_key=obj["subject_key"],
        causation_id=obj.get("causation_id"),
    )
    return Event(envelope, _restore(obj["payload"]))


def jsonl_events(path: Path) -> Iterator[Event]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield event_from_json(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise DecodeError(f"{path}:{number}: not an event line: {exc}") from None


def ledger_events(store: str, settings: Settings) -> Iterator[Event]:
    return iter_events(store, settings)
