"""Engines and sessions from settings; migrations applied with Alembic."""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from services.core.errors import UnavailableError
from services.core.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _ensure_wal(cursor) -> None:  # type: ignore[no-untyped-def]
    """WAL is a property of the database file, set once. Asking for it on every connect is not
    harmless: switching takes an exclusive lock and SQLite answers ``database is locked`` at once,
    without waiting on the busy timeout, when another connection is in the file at that moment.
    So the mode is read (no lock) and only a database not yet in WAL is switched, with retries."""
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)


def make_engine(url: str) -> Engine:
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        # a service's worker threads each hold one connection; SQLite serializes the writes itself
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10, max_overflow=30)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            _ensure_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    from alembic import command

    _ensure_sqlite_dir(url)
    try:
        with _sqlite_migration_lock(url):
            command.upgrade(alembic_config(url), revision)
    except OperationalError as exc:
        raise UnavailableError(f"database unreachable: {exc.orig}") from None


@contextmanager
def _sqlite_migration_lock(url: str) -> Iterator[None]:
    """Services start together: one process migrates at a time (PostgreSQL: an advisory lock in
    migrations/env.py; SQLite: an exclusive lock on a file beside the database)."""
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def session_factory(settings: Settings, migrate: bool = True) -> sessionmaker[Session]:
    url = settings.effective_database_url
    if migrate:
        upgrade(url)
    return sessionmaker(make_engine(url), expire_on_commit=False)
