"""Replay: rebuild read models from the ledger alone.

A projector owns some tables and turns entries into rows. Services plug theirs in by adding a
module to :data:`PROJECTOR_MODULES` that calls :func:`register`. Replay is resumable: each
projector's last applied sequence number is kept in ``ledger_replay_state``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from services.core.errors import UnavailableError, UsageError
from services.db.engine import upgrade
from services.ledger.reading import Entry, iter_entries
from services.ledger.stores import Store

PROJECTOR_MODULES = ("services.ledger.projectors",)  # the ledger's own; services register theirs (see api.py)
BATCH = 2000

state_metadata = MetaData()
replay_state = Table(
    "ledger_replay_state",
    state_metadata,
    Column("projector", String(100), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)


class Projector(Protocol):
    name: str
    metadata: MetaData

    def apply(self, conn: Any, entries: list[Entry]) -> None:
        """Write the rows for a batch of entries (in sequence order) inside the caller's transaction."""


_REGISTRY: dict[str, Callable[[], Projector]] = {}


def register(name: str, factory: Callable[[], Projector]) -> None:
    _REGISTRY[name] = factory


def projectors(names: list[str] | None = None) -> list[Projector]:
    for module in PROJECTOR_MODULES:
        importlib.import_module(module)
    chosen = names or sorted(_REGISTRY)
    unknown = [n for n in chosen if n not in _REGISTRY]
    if unknown:
        raise UsageError(f"unknown projector(s) {', '.join(unknown)}; known: {', '.join(sorted(_REGISTRY))}")
    return [_REGISTRY[n]() for n in chosen]


def replay(
    store: Store, database_url: str, until: int | datetime | None = None, names: list[str] | None = None
) -> dict[str, int]:
    """Apply every entry after each projector's last applied one; returns entries applied per projector."""
    try:
        chosen = projectors(names)
        upgrade(database_url)  # Alembic owns every table a projector writes, and the replay state
        engine = create_engine(database_url)
        return {p.name: _replay_one(engine, store, p, until) for p in chosen}
    except SQLAlchemyError as exc:
        raise UnavailableError(f"replay database {database_url.split('@')[-1]}: {exc.__class__.__name__}: {exc}") from None


def _replay_one(engine: Engine, store: Store, projector: Projector, until: int | datetime | None) -> int:
    with engine.connect() as conn:
        last = conn.execute(select(replay_state.c.last_seq).where(replay_state.c.projector == projector.name)).scalar()
    start = 0 if last is None else last + 1
    applied = 0
    batch: list[Entry] = []
    for entry in iter_entries(store, start, until):
        batch.append(entry)
        if len(batch) >= BATCH:
            applied += _commit(engine, projector, batch, last is None and applied == 0)
            batch = []
    if batch:
        applied += _commit(engine, projector, batch, last is None and applied == 0)
    return applied


def _commit(engine: Engine, projector: Projector, batch: list[Entry], first: bool) -> int:
    with engine.begin() as conn:
        projector.apply(conn, batch)
        if first:
            conn.execute(insert(replay_state).values(projector=projector.name, last_seq=batch[-1].seq))
        else:
            conn.execute(update(replay_state).where(replay_state.c.projector == projector.name).values(last_seq=batch[-1].seq))
    return len(batch)
