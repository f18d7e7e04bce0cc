"""``accessreview up``, ``service NAME``, ``demo``: running the product."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import typer
from rich.console import Console

from services.core.errors import UnavailableError
from services.core.startup import load_settings

console = Console()


def register(app: typer.Typer) -> None:
    app.command("service")(service)
    app.command("up")(up)
    app.command("demo")(demo)


def service(name: str = typer.Argument(..., help="ledger, collector, campaign, notifier, ...")) -> None:
    """Run one service in the foreground (how Kubernetes runs them). SIGTERM stops it cleanly."""
    from services.runtime.launch import run_service
    from services.runtime.registry import service_spec

    spec = service_spec(name)
    run_service(spec, load_settings(service=name))


def up(
    only: list[str] = typer.Option(None, "--only", help="run just these services"),
    data_dir: Path = typer.Option(None, help="embedded state (default AR_DATA_DIR)"),
) -> None:
    """Start the embedded broker (unless AR_KAFKA_BOOTSTRAP is set) and every service, supervised."""
    from services.runtime.supervisor import Supervisor

    settings = load_settings(log_format="console")
    if data_dir:
        settings = settings.model_copy(update={"data_dir": data_dir})
    if only:
        from services.runtime.registry import service_spec

        for name in only:
            service_spec(name)
    supervisor = Supervisor(settings, names=only or None, console=console)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    try:
        supervisor.start()
        supervisor.wait()
    finally:
        console.print("stopping...")
        supervisor.stop()
    if supervisor.failed:
        raise UnavailableError(f"services failed: {', '.join(supervisor.failed)}")


def demo(
    data_dir: Path = typer.Option(Path("var/demo"), help="where the demo keeps its state (emptied first)"),
    scenario: str = typer.Option("default", help="sandbox scenario: default (the brief's numbers), medium, small, tiny"),
    seed: int = typer.Option(7, help="scenario seed"),
    reviewers: int = typer.Option(8, help="how many emailed owners open their link and decide"),
) -> None:
    """A whole quarterly review on embedded parts: collect, launch, email, decide, close, audit the ledger."""
    from services.demo.run import DemoOptions, run_demo

    # SIGTERM unwinds like Ctrl-C, so the sandbox, mailbox, services and broker are all stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = load_settings(log_format="console")
    settings = settings.model_copy(update={"data_dir": data_dir})
    started = time.monotonic()
    run_demo(settings, console, DemoOptions(scenario=scenario, seed=seed, reviewers=reviewers))
    console.print(f"[bold green]demo finished[/] in {time.monotonic() - started:.1f} s")
