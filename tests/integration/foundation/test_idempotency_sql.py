"""Consumer idempotency that survives a restart, on SQLite and on PostgreSQL: an event handled
before the restart is recognised after it, also when two consumers mark it at the same moment."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import sessionmaker

from services.db.engine import make_engine, upgrade
from services.db.idempotency import SqlProcessedEvents

pytestmark = pytest.mark.integration


def _processed(url: str, consumer: str) -> SqlProcessedEvents:
    """What a consumer process builds at start: migrated schema, fresh engine and sessions."""
    upgrade(url)
    return SqlProcessedEvents(sessionmaker(make_engine(url)), consumer)


def test_a_handled_event_is_recognised_after_a_restart(db_url: str) -> None:
    before = _processed(db_url, "notifier")
    before.mark("01EVENT-A")
    before.mark("01EVENT-A")  # marking twice is harmless (a redelivery handled again)
    after = _processed(db_url, "notifier")  # the restarted process
    assert after.seen("01EVENT-A")
    assert not after.seen("01EVENT-B")
    assert not _processed(db_url, "campaign").seen("01EVENT-A"), "each consumer has its own memory"


def test_concurrent_marks_of_one_event_both_succeed(db_url: str) -> None:
    stores = [_processed(db_url, "notifier") for _ in range(4)]
    errors: list[BaseException] = []

    def mark(store: SqlProcessedEvents) -> None:
        try:
            for i in range(25):
                store.mark(f"01RACE-{i}")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=mark, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert all(stores[0].seen(f"01RACE-{i}") for i in range(25))
