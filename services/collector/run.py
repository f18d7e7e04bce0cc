"""Use case: a whole collection run as the CLI and the service perform it: collect, export, publish."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from services.collector.collect import CollectionOptions, CollectionResult, Progress, collect
from services.collector.publish import PublishSummary, export_jsonl, publish_result, started_event
from services.core.settings import Settings

if TYPE_CHECKING:
    from services.collector.wiring import CollectionOutputs


@dataclass
class RunReport:
    result: CollectionResult
    exported: int | None = None
    published: PublishSummary | None = None


def run_collection(
    settings: Settings,
    options: CollectionOptions,
    sink: CollectionOutputs | None = None,
    export: Path | None = None,
    progress: Progress | None = None,
    stop_event: threading.Event | None = None,
) -> RunReport:
    def announce(result: CollectionResult) -> None:
        if sink is not None:
            scopes = ["account"] + (["okta"] if result.parameters.get("okta") == "yes" else [])
            scopes += [w.scope for w in result.workspaces]
            sink.publisher.publish(started_event(sink.factory, result.run_id, scopes, result.parameters))

    result = collect(settings, options, progress, stop_event, on_started=announce)
    report = RunReport(result)
    if export is not None:
        report.exported = export_jsonl(result, export)
    if sink is not None:
        report.published = publish_result(sink.publisher, sink.factory, result, sink.baselines)
    return report
