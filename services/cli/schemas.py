"""``accessreview schemas``: list, check compatibility with released versions, release."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from services.core.errors import IntegrityError
from services.core.startup import load_settings
from services.events.compat import check_catalog, release_changed
from services.events.schemas import SchemaCatalog

app = typer.Typer(help="Avro event schemas and their released versions.", no_args_is_help=True)
console = Console()


def _catalog() -> SchemaCatalog:
    return SchemaCatalog(load_settings(log_format="console").schema_dir)


@app.command("list")
def list_schemas() -> None:
    """Every event type: current fingerprint and released versions."""
    catalog = _catalog()
    table = Table("event type", "fingerprint", "current", "released")
    for event_type in catalog.event_types():
        current = catalog.current(event_type)
        released = ", ".join(f"v{s.version}" for s in catalog.released(event_type)) or "-"
        table.add_row(event_type, current.fingerprint_hex, f"v{current.version}" if current.version else "unreleased", released)
    console.print(table)


@app.command("check")
def check(samples: int = typer.Option(200, help="random records per released version")) -> None:
    """Fail (exit 1) if the current schemas cannot read data written with any released version."""
    problems = check_catalog(_catalog(), samples=samples)
    if problems:
        for problem in problems:
            console.print(f"[red]incompatible[/] {problem}")
        raise IntegrityError(f"{len(problems)} schema compatibility problem(s)")
    console.print("every released version is readable by the current schemas")


@app.command("release")
def release() -> None:
    """Snapshot every changed schema as a new released version (after checking compatibility)."""
    catalog = _catalog()
    problems = check_catalog(catalog, samples=200)
    if problems:
        raise IntegrityError("refusing to release incompatible schemas: " + "; ".join(problems))
    for event_type, version in release_changed(catalog):
        console.print(f"released {event_type} v{version}")


@app.command("show")
def show(event_type: str) -> None:
    """Print the expanded current schema of one event type."""
    console.print_json(json.dumps(_catalog().current(event_type).schema))
