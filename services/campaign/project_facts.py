"""Projection of collector facts: collection runs, observed entitlements, grants, identities."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.population import canonical, normalize, normalize_entitlement
from services.events.envelope import Event


def insert_ignore(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, silently keeping any that already exist (idempotent projection)."""
    if not rows:
        return
    table: Table = model.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).on_conflict_do_nothing(), list(rows))
    elif dialect == "sqlite":
        session.execute(insert(table).prefix_with("OR IGNORE"), list(rows))
    else:
        session.execute(insert(table), list(rows))


def occurred_at(event: Event) -> int:
    return event.envelope.occurred_at


# -- collector facts ------------------------------------------------------------------------
def project_collection_completed(session: Session, events: list[Event]) -> None:
    rows = [
        {
            "run_id": e.payload["run_id"],
            "scope": s["scope"],
            "status": s["status"],
            "completed_at": occurred_at(e),
            "entitlements": s.get("entitlements", 0),
        }
        for e in events
        for s in e.payload["scopes"]
    ]
    insert_ignore(session, m.CollectionScope, rows)


def project_entitlement_observed(session: Session, events: list[Event]) -> None:
    rows = []
    for e in events:
        record = normalize_entitlement(e.payload["entitlement"])
        last_used = normalize(e.payload.get("last_used_at"))
        rows.append(
            {
                "run_id": e.payload["run_id"],
                "key": record["key"],
                "scope": record["scope"],
                "principal_type": record["principal"]["type"],
                "principal_id": record["principal"]["id"],
                "resource_type": record["resource"]["type"],
                "record_json": canonical(record),
                "last_used_at": last_used,
                "observed_at": occurred_at(e),
            }
        )
    insert_ignore(session, m.ObservedEntitlement, rows)


def project_entitlement_granted(session: Session, events: list[Event]) -> None:
    rows = [
        {
            "event_id": e.event_id,
            "key": e.payload["entitlement"]["key"],
            "principal_id": e.payload["entitlement"]["principal"]["id"],
            "granted_by": e.payload["entitlement"].get("granted_by"),
            "observed_at": occurred_at(e),
        }
        for e in events
    ]
    insert_ignore(session, m.GrantChange, rows)


def project_identity_observed(session: Session, events: list[Event]) -> None:
    for e in events:
        p = e.payload
        current = session.get(m.Identity, p["id"])
        if current is not None and current.observed_at > occurred_at(e):
            continue
        detail: dict[str, Any] = {k: list(p.get(k) or []) for k in ("owners", "approvers", "members", "flags", "databricks_ids")}
        detail["attributes"] = dict(p.get("attributes") or {})
        values = {
            "identity_type": p["identity_type"],
            "name": p["name"],
            "email": p.get("email"),
            "status": p.get("status"),
            "okta_id": p.get("okta_id"),
            "manager_email": p.get("manager_email"),
            "user_type": p.get("user_type"),
            "detail_json": json.dumps(detail, sort_keys=True),
            "observed_at": occurred_at(e),
        }
        if current is None:
            session.add(m.Identity(id=p["id"], **values))
        else:
            for key, value in values.items():
                setattr(current, key, value)
        session.flush()
