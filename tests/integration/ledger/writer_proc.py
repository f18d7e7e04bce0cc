"""The ledger service as a child process for crash tests (started by a forkserver, killed with -9)."""

from __future__ import annotations

from typing import Any


def run_writer(overrides: dict[str, Any]) -> None:
    from services.core.logging import configure_logging
    from services.core.settings import Settings
    from services.ledger.service import run
    from services.runtime.context import ServiceContext

    settings = Settings(**overrides)
    configure_logging("WARNING", "json", "ledger")
    ctx = ServiceContext("ledger", settings)
    ctx.install_signal_handlers()
    run(ctx)
