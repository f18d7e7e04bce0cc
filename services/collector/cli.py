"""``accessreview collect``: one collection run, exported to a file and/or published as events.

With a broker (``AR_KAFKA_BOOTSTRAP``) the run is published and change detection runs; with
none it only exports (an analyst's ad-hoc access report). The service mode on an interval is
``accessreview service collector``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.core.errors import UsageError
from services.core.startup import load_settings

err = Console(stderr=True)


def collect_command(
    once: bool = typer.Option(True, "--once", help="run one collection and exit (the default)"),
    export: Path | None = typer.Option(None, "--export", help="write the entitlements to this JSONL file"),
    workspace: list[str] = typer.Option([], "--workspace", "-w", help="only these workspaces (name, id or deployment)"),
    workers: int = typer.Option(0, help="worker threads (default AR_COLLECT_WORKERS)"),
    okta: bool = typer.Option(True, "--okta/--no-okta", help="read identities from Okta"),
    publish: bool = typer.Option(True, "--publish/--no-publish", help="publish events when a broker is configured"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show progress bars"),
) -> None:
    """Collect entitlements from Databricks and identities from Okta, once."""
    from services.collector.collect import CollectionOptions
    from services.collector.run import run_collection

    settings = load_settings("collector", log_format="console")
    sink = _sink(settings) if (publish and settings.kafka_bootstrap) else None
    if sink is None and export is None:
        raise UsageError("nothing to do: no broker configured (AR_KAFKA_BOOTSTRAP) and no --export FILE")
    options = CollectionOptions(list(workspace), workers or settings.collect_workers, okta, settings.collect_audit_days)
    columns = (
        TextColumn("collecting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("tasks"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=not progress, transient=True) as bar:
        task = bar.add_task("collect", total=None)
        report = run_collection(
            settings,
            options,
            sink,
            export,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if sink is not None:
        sink.publisher.flush()
    _print_report(report)
    if any(s.status != "complete" for s in report.result.scopes.values()):
        raise typer.Exit(1)


def _sink(settings):  # type: ignore[no-untyped-def]
    from services.collector.wiring import build_deps
    from services.runtime.context import ServiceContext

    ctx = ServiceContext("collector", settings)
    return build_deps(settings, ctx.producer, ctx.events).outputs


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    result = report.result
    table = Table("scope", "status", "entitlements", "reason", "read", title=f"collection {result.run_id}")
    for state in sorted(result.scopes.values(), key=lambda s: (s.status == "complete", s.scope)):
        if state.status != "complete" or len(result.scopes) <= 12:
            table.add_row(state.scope, state.status, str(len(state.entitlements)), state.reason or "", state.read_path or "")
    counts = result.counts()
    err.print(table)
    err.print(
        f"{counts.get('entitlements', 0)} entitlements, {counts.get('identities', 0)} identities, "
        f"{counts.get('scopes_complete', 0)} scopes complete, {counts.get('scopes_partial', 0)} partial, "
        f"{counts.get('scopes_failed', 0)} failed in {result.duration_ms / 1000:.1f} s",
        highlight=False,
    )
    if report.exported is not None:
        err.print(f"exported {report.exported} entitlements")
    if report.published is not None:
        p = report.published
        err.print(f"published {p.events} events ({p.granted} granted, {p.removed} removed)")


def register(app: typer.Typer) -> None:
    app.command("collect")(collect_command)
