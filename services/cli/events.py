"""``accessreview events``: publish and tail events (operators' and demo's view of the bus)."""

from __future__ import annotations

import json
import sys

import typer

from services.core.errors import ConfigError
from services.core.startup import load_settings

app = typer.Typer(help="Events on the bus: tail them as JSON lines, publish a sample.", no_args_is_help=True)


@app.command("tail")
def tail(
    topic: list[str] = typer.Option(None, "--topic", "-t", help="topic base names (default: all)"),
    max_idle: float = typer.Option(None, help="exit after this many idle seconds"),
    count: int = typer.Option(None, help="exit after this many events"),
    group: str = typer.Option(None, help="consumer group (default: a new one, reading from the start)"),
) -> None:
    """Print decoded events as JSON lines (dead letters are skipped; see the ledger for those)."""
    from services.core.ids import new_ulid
    from services.kafka.consumer import ConsumerRunner
    from services.kafka.topics import DLQ_BASE, TOPICS
    from services.runtime.context import ServiceContext

    settings = load_settings(service="tail")
    ctx = ServiceContext("tail", settings)
    bases = topic or [t.base for t in TOPICS if t.base != DLQ_BASE]

    def show(event, meta) -> None:  # type: ignore[no-untyped-def]
        from services.events.jsonview import event_to_json

        sys.stdout.write(json.dumps(event_to_json(event, meta.topic)) + "\n")
        sys.stdout.flush()

    runner = ConsumerRunner(
        settings, ctx.bootstrap, group or f"tail-{new_ulid()}", [settings.topic(b) for b in bases], show, ctx.codec, ctx.producer
    )
    runner.install_signal_handlers()
    runner.run(max_idle_s=max_idle, until=(lambda s: s.handled >= count) if count else None)


@app.command("publish-sample")
def publish_sample(n: int = typer.Option(1, help="how many sample collection runs")) -> None:
    """Publish a sample collection run (started + completed) and wait for the broker's ack."""
    from services.events.samples import sample_collection_run
    from services.runtime.context import ServiceContext

    settings = load_settings(service="cli")
    if not settings.kafka_bootstrap:
        raise ConfigError("AR_KAFKA_BOOTSTRAP is not set")
    ctx = ServiceContext("cli", settings)
    events = [e for _ in range(n) for e in sample_collection_run(ctx.events)]
    ctx.producer.publish_all(events)
    for event in events:
        typer.echo(f"published {event.event_type} {event.event_id}")
