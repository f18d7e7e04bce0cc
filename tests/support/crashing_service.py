"""Services for supervisor tests: one that crashes at once, one that runs until stopped."""

from __future__ import annotations

import sys

from services.runtime.context import ServiceContext


def crash(ctx: ServiceContext) -> None:
    ctx.log.error("about_to_crash")
    sys.exit(7)


def idle(ctx: ServiceContext) -> None:
    print("idle service ready", flush=True)
    ctx.stop_event.wait()
    print("idle service stopping cleanly", flush=True)
