"""``accessreview revoke``: what the enforcer did with every revocation, and the operator's levers.

``list`` and ``show`` read the enforcer's records; ``approve``, ``mode`` and ``rollback`` act and
record events (published at once when the broker is reachable, else by the service's next tick).
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from services.enforcer.store import STATUSES

app = typer.Typer(help="Revocations: list, show, approve, roll back; enforcement modes.", no_args_is_help=True)
console = Console()
ORDER = {s: i for i, s in enumerate(("blocked", "paused", "failed", "reappeared", "frozen", "retrying", "applying", *STATUSES))}


def _deps(with_apis: bool = False) -> Any:
    from services.core.startup import load_settings
    from services.enforcer.wiring import build_deps, cli_deps

    settings = load_settings("enforcer")
    return build_deps(*cli_deps(settings)) if with_apis else cli_deps(settings, sessions_only=True)


def _rows(status: str | None, campaign: str | None) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from services.enforcer.models import Revocation

    sessions = _deps()
    with sessions() as session:
        query = select(Revocation)
        if status:
            query = query.where(Revocation.status == status)
        if campaign:
            query = query.where(Revocation.campaign_id == campaign)
        rows = [_as_dict(r) for r in session.scalars(query)]
    return sorted(rows, key=lambda r: (ORDER.get(r["status"], 99), r["revocation_id"]))


def _as_dict(row: Any) -> dict[str, Any]:
    ent = json.loads(row.entitlement_json)
    return {
        "revocation_id": row.revocation_id,
        "campaign_id": row.campaign_id,
        "status": row.status,
        "scope": row.mode_scope,
        "batch_id": row.batch_id,
        "action": row.action,
        "system": row.system,
        "principal": (ent.get("principal") or {}).get("name"),
        "privilege": ent.get("privilege"),
        "resource": f"{(ent.get('resource') or {}).get('type')} {(ent.get('resource') or {}).get('name')}",
        "reason": row.reason,
        "ticket_id": row.ticket_id,
        "attempts": row.attempts,
        "verified_event_id": row.verified_event_id,
        "entitlement_key": row.entitlement_key,
        "plan": json.loads(row.plan_json) if row.plan_json else None,
        "before": json.loads(row.before_json) if row.before_json else None,
        "after": json.loads(row.after_json) if row.after_json else None,
    }


@app.command("list")
def list_command(
    status: str | None = typer.Option(None, "--status", help=f"one of: {', '.join(STATUSES)}"),
    campaign: str | None = typer.Option(None, "--campaign", help="only this campaign's revocations"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
) -> None:
    """Every revocation with its state and reason, blocked and paused first."""
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
    rows = _rows(status, campaign)
    if as_json:
        for row in rows:
            typer.echo(json.dumps({k: v for k, v in row.items() if k not in ("before", "after", "plan")}, sort_keys=True))
        return
    table = Table()
    for name in ("revocation", "status", "scope"):
        table.add_column(name, no_wrap=True)
    for name in ("access", "reason", "ticket"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            r["revocation_id"],
            r["status"],
            r["scope"],
            f"{r['principal']} {r['privilege']} on {r['resource']}",
            r["reason"][:120],
            r["ticket_id"] or "",
        )
    console.print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    console.print(
        ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: ORDER.get(kv[0], 99))) or "no revocations",
        highlight=False,
    )


@app.command("show")
def show_command(revocation_id: str = typer.Argument(..., help="r-<ULID>")) -> None:
    """One revocation: its plan (the exact calls), before- and after-state, verdict and ticket."""
    from services.core.errors import NotFoundError

    found = [r for r in _rows(None, None) if r["revocation_id"] == revocation_id]
    if not found:
        raise NotFoundError(f"no revocation {revocation_id}")
    typer.echo(json.dumps(found[0], indent=2, sort_keys=True))


@app.command("approve")
def approve_command(
    target: str = typer.Argument(..., help="a paused batch (<campaign>/<scope>) or one revocation id"),
    by: str = typer.Option(..., "--by", help="the approver's email (recorded)"),
) -> None:
    """Let a paused batch, or one paused revocation, go ahead."""
    from services.enforcer.approve import approve

    released = approve(_deps(with_apis=True), target, by.lower())
    typer.echo(f"approved {target} by {by.lower()}: {released} paused revocation(s) released")


@app.command("mode")
def mode_command(
    scope: str = typer.Argument(..., help="a workspace name or id, metastore:<id>, or account"),
    mode: str = typer.Argument(..., help="observe, dry-run or enforce"),
    by: str = typer.Option(..., "--by", help="who changes it (recorded)"),
) -> None:
    """Set a scope's enforcement mode (recorded as enforcement.mode_changed)."""
    from services.enforcer.modes import resolve_scope, set_mode
    from services.enforcer.store import flush_outbox

    deps = _deps(with_apis=True)
    with deps.sessions() as session:
        resolved = resolve_scope(session, deps, scope)
    previous = set_mode(deps, resolved, mode, by.lower())
    flush_outbox(deps)
    typer.echo(f"{resolved}: {previous} -> {mode} (by {by.lower()})")


@app.command("rollback")
def rollback_command(
    revocation: str | None = typer.Option(None, "--revocation", help="one revocation id"),
    campaign: str | None = typer.Option(None, "--campaign", help="every applied revocation of a campaign"),
    workspace: str | None = typer.Option(None, "--workspace", help="every applied revocation in a workspace (name or id)"),
    by: str = typer.Option(..., "--by", help="who asks for it (recorded)"),
) -> None:
    """Restore exactly the recorded before-state (idempotent; refuses what a restore would clobber)."""
    from services.core.errors import ConflictError
    from services.enforcer.modes import resolve_scope
    from services.enforcer.rollback_revocation import rollback, select_ids

    deps = _deps(with_apis=True)
    scope = None
    if workspace is not None:
        with deps.sessions() as session:
            scope = resolve_scope(session, deps, workspace)
    results = [rollback(deps, rid, by.lower()) for rid in select_ids(deps, revocation, campaign, scope)]
    for r in results:
        typer.echo(f"{r.revocation_id}: {r.outcome}: {r.detail}")
    refused = [r for r in results if r.outcome in ("refused", "failed")]
    if refused:
        raise ConflictError(f"{len(refused)} of {len(results)} not rolled back (see above)")
