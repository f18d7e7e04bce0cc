"""The campaign's projection: collector facts and campaign events in, read models out.

Runs on the shared :class:`~services.kafka.consumer.ConsumerRunner` in batch mode: each poll
batch is projected in one transaction (one transaction per event would be two orders of
magnitude slower on a 50k-event collection), then its offsets are committed (at-least-once;
projection is idempotent, so a re-read changes nothing). Bytes that are not an event go to the
DLQ. Events this very process already projected when it published them are skipped.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.campaign.projector import project_events
from services.core.settings import Settings
from services.events.envelope import Event, Producer
from services.kafka.consumer import BatchHandler, MessageMeta
from services.kafka.topics import subscriptions

GROUP_ID = "campaign-projector"
BATCH = 2000


def campaign_topics(settings: Settings) -> list[str]:
    """The topics the catalogue names the campaign a consumer of (tested to be those it projects)."""
    return sorted(settings.topic(t.base) for t in subscriptions("campaign"))


def projection_handler(sessions: sessionmaker[Session], me: Producer) -> BatchHandler:
    """Project a batch in one transaction, leaving out what this process published (and projected) itself."""

    def project(batch: list[tuple[Event, MessageMeta]]) -> None:
        events = [
            event
            for event, _ in batch
            if not (event.envelope.producer.service == me.service and event.envelope.producer.instance == me.instance)
        ]
        if events:
            with sessions.begin() as session:
                project_events(events, session)

    return project
