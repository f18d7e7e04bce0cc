"""``accessreview topics``: list the catalogue, create topics."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from services.core.errors import ConfigError
from services.core.startup import load_settings
from services.kafka.topics import TOPICS

app = typer.Typer(help="Kafka topics: the catalogue and its creation.", no_args_is_help=True)
console = Console()


@app.command("list")
def list_topics() -> None:
    """Print every topic: partitions, key, retention, producers and consumers."""
    settings = load_settings(log_format="console")
    table = Table("topic", "partitions", "key", "retention", "event types", "producers", "consumers")
    for spec in TOPICS:
        retention = "compact" if spec.compacted else f"{spec.retention_ms // 86_400_000} d"
        table.add_row(
            settings.topic(spec.base),
            str(spec.partitions),
            spec.key,
            retention,
            "\n".join(spec.event_types) or "(raw bytes)",
            ", ".join(spec.producers),
            ", ".join(spec.consumers),
        )
    console.print(table)


@app.command("ensure")
def ensure(
    bootstrap: str = typer.Option("", help="host:port; default AR_KAFKA_BOOTSTRAP"),
    strict: bool = typer.Option(False, help="exit 1 when an existing topic differs from the catalogue"),
) -> None:
    """Create every declared topic that does not exist yet with exactly the catalogue's configs, then
    report where existing topics differ from the catalogue (safe to run again)."""
    from services.kafka.admin import ensure_topics, topic_drift

    settings = load_settings(log_format="console")
    target = bootstrap or settings.kafka_bootstrap
    if not target:
        raise ConfigError("no broker: pass --bootstrap or set AR_KAFKA_BOOTSTRAP")
    for result in ensure_topics(settings, target):
        console.print(f"{result.outcome:8} {result.name} ({result.partitions} partitions)")
    drift = topic_drift(settings, target)
    for item in drift:
        console.print(item.line(), markup=False, soft_wrap=True)
    console.print(f"{len(drift)} difference(s) between the catalogue and the cluster")
    if drift and strict:
        raise typer.Exit(1)
