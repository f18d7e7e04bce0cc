"""Where the campaign's events go: published to Kafka (the record), then projected locally.

Publishing comes first: the log is the truth. If the broker refuses, nothing is projected and
the caller gets :class:`~services.core.errors.DeliveryError`; if projection fails after publish,
the service loop projects the same events from the topic later (projection is idempotent).

Concurrent callers (many reviewers clicking at once) share one publish-flush-commit cycle: the
first caller becomes the writer and drains everything queued while it works (group commit),
so a decision costs one broker round trip and one transaction per *batch*, not per click. A
failed batch is retried caller by caller, so one bad request cannot fail the others.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.campaign.projector import project_events
from services.events.envelope import Event, EventFactory

PARALLEL_FROM = 2000  # events per write from which publishing and projecting overlap


@dataclass
class _Ticket:
    events: Sequence[Event]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class EventSink:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        factory: EventFactory,
        producer: Any | None = None,
        journal: list[Event] | None = None,
    ) -> None:
        self.sessions = sessions
        self.factory = factory
        self.producer = producer
        self.journal = journal  # tests keep every emitted event here
        self._lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._writing = False

    def new(
        self,
        event_type: str,
        payload: dict[str, Any],
        *,
        correlation_id: str,
        subject_key: str,
        causation_id: str | None = None,
    ) -> Event:
        return self.factory.new(
            event_type,
            payload,
            correlation_id=correlation_id,
            subject_key=subject_key,
            causation_id=causation_id,
        )

    def _write(self, events: Sequence[Event]) -> None:
        if self.producer is None:
            with self.sessions.begin() as session:
                project_events(events, session)
        elif len(events) < PARALLEL_FROM:
            self.producer.publish_all(events)
            with self.sessions.begin() as session:
                project_events(events, session)
        else:
            self._publish_while_projecting(events)
        if self.journal is not None:
            self.journal.extend(events)

    def _publish_while_projecting(self, events: Sequence[Event]) -> None:
        """Large batches (a launch): publish on a thread while projecting, commit only once the broker
        acknowledged everything — the read model still never shows an event the log does not have."""
        failure: list[BaseException] = []

        def publish() -> None:
            try:
                self.producer.publish_all(events)  # type: ignore[union-attr]
            except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
                failure.append(exc)

        publisher = threading.Thread(target=publish, name="campaign-publish", daemon=True)
        publisher.start()
        with self.sessions.begin() as session:
            try:
                project_events(events, session)
            finally:
                publisher.join()
            if failure:
                raise failure[0]  # rolls the projection back

    def _drain(self) -> None:
        while True:
            with self._lock:
                batch, self._queue = self._queue, []
                if not batch:
                    self._writing = False
                    return
            try:
                self._write([event for ticket in batch for event in ticket.events])
            except Exception:  # noqa: BLE001 - isolate the failing request
                for ticket in batch:
                    try:
                        self._write(ticket.events)
                    except Exception as exc:  # noqa: BLE001 - handed to that request's caller
                        ticket.error = exc
            for ticket in batch:
                ticket.done.set()

    def emit(self, events: Sequence[Event]) -> None:
        """Publish and project ``events``; returns once they are acknowledged and visible."""
        if not events:
            return
        ticket = _Ticket(list(events))
        with self._lock:
            self._queue.append(ticket)
            leader = not self._writing
            self._writing = True
        if leader:
            try:
                self._drain()
            except BaseException:
                with self._lock:
                    self._writing = False
                raise
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
