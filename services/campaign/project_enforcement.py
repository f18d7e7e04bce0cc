"""What the enforcer did with each revocation the campaign requested, projected onto the
campaign's revocations (``cmp_revocations.enforcement_*``) for the admin page and the evidence
report. The latest report wins (by ``occurred_at``); a report for a revocation the campaign did
not request (another producer's) is ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from services.campaign import models as m
from services.campaign.project_facts import occurred_at
from services.events.envelope import Event

PLANNED = {"observe": "observed", "dry-run": "dry_run", "enforce": "planned"}


def _planned(p: dict[str, Any]) -> tuple[str, str, str | None]:
    if p.get("already_absent"):
        return "absent", "already absent when read", None
    return PLANNED.get(p["mode"], "planned"), f"{p['mode']}: {p['action']} on {p['system']}", None


def _blocked(p: dict[str, Any]) -> tuple[str, str, str | None]:
    return p["outcome"], f"{p['rule']}: {p['reason']}", p.get("change_request_id")


def _applied(p: dict[str, Any]) -> tuple[str, str, str | None]:
    return "applied", f"{p['detail']} ({p.get('system') or 'databricks'})", None


def _verified(p: dict[str, Any]) -> tuple[str, str, str | None]:
    return ("verified" if p["method"] == "next-collection" else "applied"), p["detail"], None


def _failed(p: dict[str, Any]) -> tuple[str, str, str | None]:
    status = "reappeared" if p.get("reappeared") else "failed" if p["final"] else "retrying"
    return status, p["reason"], p.get("ticket_id")


def _rolled_back(p: dict[str, Any]) -> tuple[str, str, str | None]:
    return "rolled_back", f"rolled back by {p['by']}: {p['detail']}", None


OUTCOMES: dict[str, Callable[[dict[str, Any]], tuple[str, str, str | None]]] = {
    "revocation.planned": _planned,
    "revocation.blocked": _blocked,
    "revocation.applied": _applied,
    "revocation.verified": _verified,
    "revocation.failed": _failed,
    "revocation.rolled_back": _rolled_back,
}


def project_enforcement(session: Session, events: list[Event]) -> None:
    for e in sorted(events, key=lambda ev: (occurred_at(ev), ev.event_id)):
        status, reason, ticket = OUTCOMES[e.event_type](e.payload)
        at = occurred_at(e)
        values: dict[str, Any] = {"enforcement_status": status, "enforcement_reason": reason[:2000], "enforcement_at": at}
        if ticket:
            values["enforcement_ticket"] = ticket
        session.execute(
            update(m.Revocation)
            .where(
                m.Revocation.revocation_id == e.payload["revocation_id"],
                or_(m.Revocation.enforcement_at.is_(None), m.Revocation.enforcement_at <= at),
            )
            .values(**values)
        )
