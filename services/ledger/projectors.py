"""Projectors the ledger itself supplies: an index of every entry (what happened, where, when)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, insert

from services.ledger.reading import Entry
from services.ledger.replay import register

metadata = MetaData()
events_index = Table(
    "ledger_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("segment", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("event_id", String(40), nullable=True),
    Column("event_type", String(80), nullable=True),
    Column("correlation_id", String(200), nullable=True),
    Column("subject_key", String(500), nullable=True),
    Column("occurred_at", BigInteger, nullable=True),
    Column("producer", String(200), nullable=True),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Index("ix_ledger_events_event_id", "event_id"),
    Index("ix_ledger_events_correlation", "correlation_id"),
)


class EventsIndexProjector:
    name = "events_index"
    metadata = metadata

    def apply(self, conn: Any, entries: list[Entry]) -> None:
        conn.execute(insert(events_index), [_row(e) for e in entries])


def _row(e: Entry) -> dict[str, Any]:
    env = e.event.envelope if e.event is not None else None
    return {
        "seq": e.seq,
        "segment": e.segment,
        "kind": "dead_letter" if e.dead_letter else ("event" if env else "undecodable"),
        "event_id": env.event_id if env else None,
        "event_type": env.event_type if env else None,
        "correlation_id": env.correlation_id if env else None,
        "subject_key": env.subject_key[:500] if env else None,
        "occurred_at": env.occurred_at if env else None,
        "producer": f"{env.producer.service}/{env.producer.instance}"[:200] if env else None,
        "topic": e.meta["topic"],
        "partition": e.meta["partition"],
        "offset": e.meta["offset"],
        "received_at": e.meta["received_at"],
    }


register(EventsIndexProjector.name, EventsIndexProjector)
