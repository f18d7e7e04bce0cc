"""``make demo``: the local stack end to end on embedded defaults."""

from __future__ import annotations

import json

from rich.console import Console

from services.core.errors import UnavailableError
from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.jsonview import event_to_json
from services.events.samples import sample_collection_run
from services.kafka.consumer import ConsumerRunner
from services.runtime.context import ServiceContext
from services.runtime.supervisor import Supervisor


def run_demo(settings: Settings, console: Console) -> None:
    supervisor = Supervisor(settings, console=console)
    try:
        supervisor.start()
        ctx = ServiceContext("demo", settings.model_copy(update={"kafka_bootstrap": supervisor.bootstrap}))
        events = sample_collection_run(ctx.events)
        ctx.producer.publish_all(events)
        console.print(f"published {len(events)} events of collection run {events[0].envelope.correlation_id}")
        wanted = {e.event_id for e in events}
        seen: list[str] = []

        def show(event, meta) -> None:  # type: ignore[no-untyped-def]
            if event.event_id in wanted:
                seen.append(event.event_id)
                console.print_json(json.dumps(event_to_json(event, meta.topic)))

        runner = ConsumerRunner(
            ctx.settings,
            supervisor.bootstrap,
            f"demo-{new_ulid()}",
            [settings.topic("collection.v1")],
            show,
            ctx.codec,
            ctx.producer,
        )
        runner.run(until=lambda _: len(seen) >= len(wanted), max_idle_s=45)
        if len(seen) < len(wanted):
            raise UnavailableError(f"only {len(seen)} of {len(wanted)} sample events came back from the broker")
        supervisor.watch_once()
        if supervisor.failed:
            raise UnavailableError(f"services failed: {', '.join(supervisor.failed)}")
        console.print(f"[green]round trip ok[/]: {len(seen)} events through {supervisor.bootstrap}")
    finally:
        supervisor.stop()
