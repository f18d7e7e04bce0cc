"""Single-instance timers: of all replicas sharing a database, one leads a named job at a time.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection this
process keeps open; a leader that dies or loses its connection releases it, and the next replica
to try takes over. SQLite (one machine): an exclusive ``flock`` on a file beside the database,
released by the kernel when the process ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from services.core.logging import get_logger

log = get_logger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name."""
    return int.from_bytes(hashlib.sha256(f"accessreview.leader.{name}".encode()).digest()[:8], "big", signed=True)


class LeaderLock:
    """``is_leader()`` takes the lead when it is free and keeps it until :meth:`release`."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    def is_leader(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            return self._postgres()
        return self._file_lock()

    def _postgres(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError:  # the connection (and with it the lock) is gone
                log.warning("leader_lock_lost", job=self.name)
                self._close()
        try:
            conn = self.engine.connect()
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(self.name)}).scalar())
            conn.commit()
        except SQLAlchemyError as exc:
            log.warning("leader_lock_unavailable", job=self.name, error=str(exc))
            return False
        if held:
            self._conn = conn
            log.info("leader_lock_acquired", job=self.name)
        else:
            conn.close()
        return held

    def _file_lock(self) -> bool:
        if self._file is not None:
            return True
        database = self.engine.url.database or ""
        if not database or database == ":memory:":
            return True  # an in-memory database has one process by definition
        handle = open(f"{database}.{self.name}.leader.lock", "a+")  # noqa: SIM115 - held while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        log.info("leader_lock_acquired", job=self.name)
        return True

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        self._close()
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
