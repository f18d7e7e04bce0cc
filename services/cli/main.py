"""``accessreview``: one command for operators, auditors and the local stack."""

from __future__ import annotations

import importlib

import typer

from services import __version__
from services.cli.errors import run_cli

app = typer.Typer(
    name="accessreview",
    help="Quarterly access reviews for Databricks and Okta on a tamper-evident event log.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Sub-command groups: (module with a `app` typer, name). Imported here, at start, not at import
# of any service package.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("services.cli.topics", "topics"),
    ("services.cli.schemas", "schemas"),
    ("services.cli.events", "events"),
    ("services.ledger.cli", "ledger"),
    ("services.sandbox.cli", "sandbox"),
    ("services.campaign.cli", "campaign"),
    ("services.notifier.cli", "notifier"),
    ("services.enforcer.cli", "revoke"),
    ("services.witness.cli", "witness"),
)
COMMANDS: tuple[str, ...] = ("services.cli.stack", "services.collector.cli")
# What services plug into the ledger through its API when imported: read models that `ledger
# replay` rebuilds (register_projector) and evidence views that `ledger export` writes and every
# verifier re-derives (register_view).
PROJECTORS: tuple[str, ...] = ("services.campaign.replay_projector", "services.campaign.evidence_views")


def _register() -> None:
    for module_name, name in SUBCOMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                continue  # that service is not part of this installation
            raise
        app.add_typer(module.app, name=name)
    for module_name in COMMANDS:
        importlib.import_module(module_name).register(app)
    for module_name in PROJECTORS:
        importlib.import_module(module_name)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


_register()


def run() -> None:
    run_cli(app)


if __name__ == "__main__":
    run()
