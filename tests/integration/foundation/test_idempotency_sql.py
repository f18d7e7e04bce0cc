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


def _race_marks(stores: list[SqlProcessedEvents], count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def mark(store: SqlProcessedEvents) -> None:
        try:
            for i in range(count):
                store.mark(f"01RACE-{i}")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=mark, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


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
    assert _race_marks(stores, 25) == []
    assert all(stores[0].seen(f"01RACE-{i}") for i in range(25))


def test_sqlite_processes_starting_together_never_see_a_locked_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Consumers start at the same moment on one SQLite file. Each connect used to ask for WAL,
    and SQLite refuses that switch at once (no busy wait) while another connection is in the
    file: ``database is locked`` from a plain connect, in about one start in ten. The file is now
    switched once and later connects only read the mode. Forty starts make a regression show."""
    for start in range(40):
        url = f"sqlite:///{tmp_path / f'start-{start}.db'}"
        stores = [_processed(url, "notifier") for _ in range(4)]
        assert _race_marks(stores, 25) == [], f"start {start}"
        with stores[0].sessions() as session:
            assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
