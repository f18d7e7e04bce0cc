"""The envelope every event carries, and the factory services use to mint events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.core.clock import Clock
from services.core.ids import new_ulid
from services.events.schemas import SchemaCatalog


@dataclass(frozen=True, slots=True)
class Producer:
    service: str
    version: str
    instance: str

    def as_record(self) -> dict[str, str]:
        return {"service": self.service, "version": self.version, "instance": self.instance}


@dataclass(slots=True)
class Envelope:
    event_id: str
    event_type: str
    schema_fingerprint: str
    occurred_at: int  # microseconds since the epoch, UTC
    produced_at: int
    producer: Producer
    correlation_id: str
    subject_key: str
    causation_id: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "schema_fingerprint": self.schema_fingerprint,
            "occurred_at": self.occurred_at,
            "produced_at": self.produced_at,
            "producer": self.producer.as_record(),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "subject_key": self.subject_key,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Envelope:
        producer = record["producer"]
        return cls(
            event_id=record["event_id"],
            event_type=record["event_type"],
            schema_fingerprint=record["schema_fingerprint"],
            occurred_at=_micros(record["occurred_at"]),
            produced_at=_micros(record["produced_at"]),
            producer=Producer(producer["service"], producer["version"], producer["instance"]),
            correlation_id=record["correlation_id"],
            subject_key=record["subject_key"],
            causation_id=record.get("causation_id"),
        )


def _micros(value: Any) -> int:
    """fastavro returns datetimes for timestamp-micros unless told otherwise; accept both."""
    if isinstance(value, int):
        return value
    return int(value.timestamp() * 1_000_000)


@dataclass(slots=True)
class Event:
    """An envelope plus the event type's own fields (``payload``)."""

    envelope: Envelope
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def event_type(self) -> str:
        return self.envelope.event_type

    @property
    def event_id(self) -> str:
        return self.envelope.event_id

    @property
    def key(self) -> str:
        return self.envelope.subject_key

    def as_record(self) -> dict[str, Any]:
        return {"envelope": self.envelope.as_record(), **self.payload}


class EventFactory:
    """Mints events for one producer: ids, timestamps and fingerprints filled in."""

    def __init__(self, catalog: SchemaCatalog, producer: Producer, clock: Clock | None = None) -> None:
        self.catalog = catalog
        self.producer = producer
        self.clock = clock or Clock()

    def new(
        self,
        event_type: str,
        payload: dict[str, Any],
        *,
        correlation_id: str,
        subject_key: str,
        causation_id: str | None = None,
        occurred_at: int | None = None,
    ) -> Event:
        now = self.clock.micros()
        envelope = Envelope(
            event_id=new_ulid(now // 1000),
            event_type=event_type,
            schema_fingerprint=self.catalog.current(event_type).fingerprint_hex,
            occurred_at=now if occurred_at is None else occurred_at,
            produced_at=now,
            producer=self.producer,
            correlation_id=correlation_id,
            subject_key=subject_key,
            causation_id=causation_id,
        )
        return Event(envelope, payload)
