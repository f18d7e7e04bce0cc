"""The last complete collection of each scope: what change detection compares with.

One row per scope in ``collector_baseline`` (SQLAlchemy, ``settings.effective_database_url``:
SQLite locally, PostgreSQL in production): the run id, when it completed, and the scope's
entitlements as zlib-compressed JSON lines. One row per scope (not per entitlement) keeps a
100k-entitlement account to a few hundred small rows, replaced atomically per scope; a database
rather than a local file because the collector runs as a Kubernetes pod whose disk does not
survive a restart, and replicas must agree on the baseline.

Rules: only a ``complete`` scope replaces its baseline; the first complete collection of a scope
sets the baseline without emitting changes; a partial or failed scope emits no changes at all
(never removals) and leaves its baseline untouched.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.collector.entitlement import Entitlement, entitlement_from_record
from services.core.errors import UnavailableError
from services.db.engine import upgrade

metadata = MetaData()
baseline_table = Table(
    "collector_baseline",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("completed_at", BigInteger, nullable=False),  # microseconds since the epoch
    Column("entitlements", Integer, nullable=False),
    Column("records", LargeBinary, nullable=False),
)


@dataclass
class Baseline:
    scope: str
    run_id: str
    entitlements: dict[str, Entitlement]


@dataclass
class Changes:
    granted: list[Entitlement]
    removed: list[Entitlement]
    previous_run_id: str | None


def diff(current: Iterable[Entitlement], baseline: Baseline | None) -> Changes:
    """Granted = now and not in the baseline; removed = in the baseline and not now."""
    if baseline is None:
        return Changes([], [], None)
    now = {e.key: e for e in current}
    granted = [e for k, e in now.items() if k not in baseline.entitlements]
    removed = [e for k, e in baseline.entitlements.items() if k not in now]
    return Changes(sorted(granted, key=lambda e: e.key), sorted(removed, key=lambda e: e.key), baseline.run_id)


def _pack(entitlements: Iterable[Entitlement]) -> bytes:
    lines = (json.dumps(e.as_record(), separators=(",", ":")) for e in entitlements)
    return zlib.compress("\n".join(lines).encode(), 6)


def _unpack(blob: bytes) -> dict[str, Entitlement]:
    text = zlib.decompress(blob).decode()
    out = {}
    for line in text.splitlines():
        e = entitlement_from_record(json.loads(line))
        out[e.key] = e
    return out


class BaselineStore:
    def __init__(self, database_url: str, engine: Engine | None = None) -> None:
        try:
            upgrade(database_url)  # Alembic owns the table (migration 0003)
        except SQLAlchemyError as exc:
            raise UnavailableError(f"collector baseline database: {exc}") from None
        self.engine = engine or create_engine(database_url, future=True, pool_pre_ping=True)

    def load(self, scope: str) -> Baseline | None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(baseline_table).where(baseline_table.c.scope == scope)).first()
        except SQLAlchemyError as exc:
            raise UnavailableError(f"collector baseline database: {exc}") from None
        if row is None:
            return None
        return Baseline(scope, row.run_id, _unpack(row.records))

    def replace(self, scope: str, run_id: str, completed_at: int, entitlements: list[Entitlement]) -> None:
        values = {
            "run_id": run_id,
            "completed_at": completed_at,
            "entitlements": len(entitlements),
            "records": _pack(entitlements),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(baseline_table.delete().where(baseline_table.c.scope == scope))
                conn.execute(baseline_table.insert().values(scope=scope, **values))
        except SQLAlchemyError as exc:
            raise UnavailableError(f"collector baseline database: {exc}") from None

    def close(self) -> None:
        self.engine.dispose()
