"""``accessreview campaign``: launch, status, escalate, remind, close, population, gaps, links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from services.core.actor import Actor
from services.core.errors import IntegrityError, UsageError

app = typer.Typer(help="Review campaigns: launch, follow, close, and re-derive populations.", no_args_is_help=True)
console = Console()


def _deps(publish: bool = True) -> Any:
    from services.campaign.wiring import build_deps
    from services.core.startup import load_settings

    settings = load_settings("campaign")
    producer = None
    if publish:
        if not settings.kafka_bootstrap:
            raise UsageError("AR_KAFKA_BOOTSTRAP is not set: campaign events must reach the log (start `accessreview up`)")
        from services.events.codec import EventCodec
        from services.events.schemas import SchemaCatalog
        from services.kafka.producer import EventProducer

        producer = EventProducer(settings, settings.kafka_bootstrap, EventCodec(SchemaCatalog(settings.schema_dir)))
    return settings, build_deps(settings, producer=producer)


def _cli_actor(email: str) -> Actor:
    return Actor(email.lower(), "cli", roles=frozenset({"admin"}))


@app.command()
def launch(
    definition: Path = typer.Option(None, "--definition", "-d", help="YAML/JSON campaign definition"),
    template: str = typer.Option("quarterly", help="quarterly | quarterly-production (when no --definition)"),
    name: str = typer.Option(None, help="override the name"),
    by: str = typer.Option(..., "--by", help="email of the person launching"),
) -> None:
    """Freeze the population from the newest complete collections, route every item, open."""
    from services.campaign.definition import TEMPLATES, CampaignDefinition
    from services.campaign.launch_campaign import launch_campaign

    _, deps = _deps()
    if definition is not None:
        chosen = CampaignDefinition.from_file(definition)
    elif template in TEMPLATES:
        chosen = TEMPLATES[template](deps.clock.now())
    else:
        raise UsageError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    if name:
        chosen = chosen.model_copy(update={"name": name})
    result = launch_campaign(deps, chosen, by)
    console.print(
        f"launched {result.campaign_id}: {result.population_count} items, {result.tasks} tasks, {result.reviewers} reviewers"
    )
    console.print(f"population sha256 {result.population_hash}")


@app.command()
def status(campaign_id: str) -> None:
    """Progress, routing and overdue figures of one campaign."""
    from services.campaign.web.admin_views import dashboard

    _, deps = _deps(publish=False)
    with deps.sessions() as session:
        d = dashboard(session, campaign_id, deps.clock.micros())
    c = d.campaign
    console.print(f"{c.name} [{c.status}] due {c.due_at} · {d.decided}/{d.total} decided · overdue {d.overdue_items}")
    console.print(f"population {c.population_count} items sha256 {c.population_hash}")
    table = Table("workspace", "decided", "total")
    for name, total, done in d.by_workspace:
        table.add_row(name, str(done), str(total))
    console.print(table)
    console.print("routing: " + ", ".join(f"{k}={v}" for k, v in sorted(d.by_step.items())))
    console.print("decisions: " + ", ".join(f"{k}={v}" for k, v in sorted(d.by_decision.items())))


@app.command()
def escalate(campaign_id: str = typer.Argument(None)) -> None:
    """Escalate overdue items now (the service also does this on a timer)."""
    from services.campaign.escalate_overdue import escalate_overdue

    _, deps = _deps()
    console.print(f"escalated {escalate_overdue(deps, campaign_id)} item(s)")


@app.command()
def remind(campaign_id: str = typer.Argument(None)) -> None:
    """Send a reminder now to every reviewer with undecided items."""
    from services.campaign.remind import send_reminders

    _, deps = _deps()
    console.print(f"requested {send_reminders(deps, None, campaign_id)} reminder(s)")


@app.command()
def close(campaign_id: str, by: str = typer.Option(..., "--by")) -> None:
    """Apply the non-response default, request revocations, publish the figures."""
    from services.campaign.close_campaign import close_campaign

    _, deps = _deps()
    figures = close_campaign(deps, campaign_id, _cli_actor(by))
    console.print(json.dumps(figures, sort_keys=True))


@app.command()
def gaps(campaign_id: str, limit: int = typer.Option(30)) -> None:
    """Groups and resources without an approver, and what the fallback did."""
    from services.campaign.metadata_gaps import metadata_gaps

    _, deps = _deps(publish=False)
    with deps.sessions() as session:
        report = metadata_gaps(session, campaign_id)
    console.print(
        f"explicit approver {report.share_explicit:.1%} · routed to a person automatically "
        f"{report.share_automatic:.1%} · security queue {report.share_security_queue:.1%}"
    )
    table = Table("without approver", "workspace", "items", "fallback")
    for gap in report.gaps[:limit]:
        table.add_row(
            gap.subject,
            gap.workspace,
            str(gap.items),
            ", ".join(f"{k}={v}" for k, v in gap.routed_by.items()),
        )
    console.print(table)


@app.command()
def population(
    campaign_id: str,
    from_ledger: str = typer.Option(None, "--from-ledger", help="ledger store URL (file:// or s3://)"),
    from_jsonl: Path = typer.Option(None, "--from-jsonl", help="events exported as JSON lines"),
) -> None:
    """Re-derive a campaign's population from the event log alone and compare with its launch hash."""
    from services.campaign.check_population import check_population
    from services.campaign.event_source import jsonl_events, ledger_events
    from services.core.startup import load_settings

    if (from_ledger is None) == (from_jsonl is None):
        raise UsageError("give exactly one of --from-ledger STORE or --from-jsonl FILE")
    settings = load_settings("campaign")
    source = (lambda: ledger_events(from_ledger, settings)) if from_ledger else (lambda: jsonl_events(from_jsonl))
    check = check_population(source, campaign_id)
    console.print(f"re-derived {check.derived_count} items sha256 {check.derived_hash}")
    console.print(f"launch recorded {check.recorded_count} items sha256 {check.recorded_hash}")
    recorded = dict(check.recorded_steps)
    for step, count in check.derived_steps:  # collected, each filter's removals (negative), population
        figure = f"{count:>+9,}" if count < 0 else f"{count:>9,}"
        at_launch = recorded.get(step)
        launch = "" if not recorded else (" (launch: same)" if at_launch == count else f" (launch: {at_launch})")
        console.print(f"  {figure}  {step}{launch}")
    if not check.matches:
        raise IntegrityError("population does NOT match the launch record")
    console.print("MATCH: the population is complete and accurate as recorded at launch")


@app.command()
def link(
    reviewer: str = typer.Option(..., "--reviewer"),
    campaign_id: str = typer.Option(None, "--campaign"),
    base_url: str = typer.Option(None, help="defaults to AR_PUBLIC_BASE_URL"),
) -> None:
    """Print a one-time sign-in link (campaign-bound for reviewers; unbound for admins and auditors).
    Minting is recorded first (review_link.minted: for whom, by whom), so it needs the broker."""
    import getpass
    import socket

    from services.core.ids import new_ulid
    from services.web.links import link_signer

    settings, deps = _deps(publish=True)
    base = base_url or settings.public_base_url
    if not base:
        raise UsageError("give --base-url or set AR_PUBLIC_BASE_URL")
    token_id = f"lt-{new_ulid()}"
    payload = {
        "link_token_id": token_id,
        "reviewer": reviewer.lower(),
        "campaign_id": campaign_id,
        "minted_by": f"{getpass.getuser()}@{socket.gethostname()}",
        "channel": "cli",
    }
    correlation = campaign_id or f"link:{token_id}"
    deps.sink.emit([deps.sink.new("review_link.minted", payload, correlation_id=correlation, subject_key=reviewer.lower())])
    typer.echo(link_signer(settings).url(base, reviewer, campaign_id, token_id))


@app.command()
def project(from_jsonl: Path = typer.Option(..., "--from-jsonl")) -> None:
    """Load exported events into the read models (rebuilds are idempotent)."""
    from services.campaign.event_source import jsonl_events
    from services.campaign.projector import project_events

    _, deps = _deps(publish=False)
    with deps.sessions.begin() as session:
        count = project_events(jsonl_events(from_jsonl), session)
    console.print(f"projected {count} event(s)")
