"""Handler idempotency that survives restarts: processed event ids in the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.db.models import ProcessedEvent


class SqlProcessedEvents:
    def __init__(self, sessions: sessionmaker[Session], consumer: str) -> None:
        self.sessions = sessions
        self.consumer = consumer

    def seen(self, event_id: str) -> bool:
        with self.sessions() as session:
            found = session.scalar(
                select(ProcessedEvent.event_id).where(
                    ProcessedEvent.consumer == self.consumer, ProcessedEvent.event_id == event_id
                )
            )
            return found is not None

    def mark(self, event_id: str) -> None:
        with self.sessions() as session:
            session.add(ProcessedEvent(consumer=self.consumer, event_id=event_id))
            try:
                session.commit()
            except SqlIntegrityError:
                session.rollback()
