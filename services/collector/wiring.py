"""Builds the collector's dependencies from settings (used by the service, its CLI and tests).

With a producer the run's outputs are published (and compared with the baseline for change
detection); without one, a run only exports (an analyst's ad-hoc report).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.collector.baseline import BaselineStore
from services.collector.collect import CollectionOptions
from services.collector.publish import Publisher
from services.core.settings import Settings
from services.events.envelope import EventFactory


@dataclass
class CollectionOutputs:
    """Where a published run goes: the producer, the event factory, the baselines to diff against."""

    publisher: Publisher
    factory: EventFactory
    baselines: BaselineStore


@dataclass
class CollectorDeps:
    settings: Settings
    options: CollectionOptions
    outputs: CollectionOutputs | None = None

    def close(self) -> None:
        if self.outputs is not None:
            self.outputs.baselines.close()


def baseline_store(settings: Settings) -> BaselineStore:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return BaselineStore(settings.effective_database_url)


def default_options(settings: Settings) -> CollectionOptions:
    return CollectionOptions(workers=settings.collect_workers, audit_days=settings.collect_audit_days)


def build_deps(
    settings: Settings,
    publisher: Publisher | None = None,
    events: EventFactory | None = None,
    options: CollectionOptions | None = None,
) -> CollectorDeps:
    outputs = None
    if publisher is not None and events is not None:
        outputs = CollectionOutputs(publisher, events, baseline_store(settings))
    return CollectorDeps(settings, options or default_options(settings), outputs)
