"""Where the campaign's events go: published to Kafka (the record), then projected locally.

Publishing comes first: the log is the truth. If the broker refuses, nothing is projected and
the caller gets :class:`~services.core.errors.DeliveryError`; if projection fails after publish,
the service loop projects the same events from the topic later (projection is idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.campaign.projector import project_events
from services.events.envelope import Event, EventFactory


class EventSink:
    def __init__(self, sessions: sessionmaker[Session], factory: EventFactory, producer: Any | None = None,
                 journal: list[Event] | None = None) -> None:
        self.sessions = sessions
        self.factory = factory
        self.producer = producer
        self.journal = journal  # tests keep every emitted event here

    def new(self, event_type: str, payload: dict[str, Any], *, correlation_id: str, subject_key: str,
            causation_id: str | None = None) -> Event:
        return self.factory.new(event_type, payload, correlation_id=correlation_id, subject_key=subject_key,
                                causation_id=causation_id)

    def emit(self, events: Sequence[Event]) -> None:
        if not events:
            return
        if self.producer is not None:
            self.producer.publish_all(events)
        with self.sessions.begin() as session:
            project_events(events, session)
        if self.journal is not None:
            self.journal.extend(events)
