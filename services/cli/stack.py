"""``accessreview up``, ``service NAME``, ``demo``: running the product."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import typer
from rich.console import Console

from services.cli.common import load_settings
from services.core.errors import AccessReviewError, UnavailableError

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
    data_dir: Path = typer.Option(Path("var/demo"), help="where the demo keeps its state"),
) -> None:
    """Bring the local stack up, push a sample collection through it, show it arrive, stop."""
    from services.runtime.demo import run_demo

    settings = load_settings(log_format="console", data_dir=data_dir)
    started = time.monotonic()
    try:
        run_demo(settings, console)
    except AccessReviewError:
        raise
    console.print(f"[bold green]demo finished[/] in {time.monotonic() - started:.1f} s")
