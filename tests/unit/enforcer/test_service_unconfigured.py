"""Without Databricks credentials the enforcer consumes nothing (requests wait on the topic) and
says why, instead of crashing or dead-lettering requests it cannot act on."""

from __future__ import annotations

import threading

from services.core.settings import Settings
from services.enforcer.service import run
from services.runtime.context import ServiceContext


def test_an_unconfigured_enforcer_waits_without_consuming(settings: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    stop.set()  # the supervisor stops it: run returns at once
    ctx = ServiceContext("enforcer", settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:9"}), stop_event=stop)
    run(ctx)  # nothing listens on the broker address: it never reached the consumer
    out = capsys.readouterr()
    assert "enforcer not configured" in out.out + out.err and "AR_DATABRICKS" in out.out + out.err
