"""What every service gets at start: settings, schemas, codec, a producer, a stop signal."""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from services import __version__
from services.core.errors import ConfigError
from services.core.logging import get_logger
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.schemas import SchemaCatalog


@dataclass
class ServiceContext:
    name: str
    settings: Settings
    stop_event: threading.Event = field(default_factory=threading.Event)

    @cached_property
    def catalog(self) -> SchemaCatalog:
        return SchemaCatalog(self.settings.schema_dir)

    @cached_property
    def codec(self) -> EventCodec:
        registry = None
        if self.settings.schema_registry_url:
            from services.events.registry import ConfluentRegistry

            registry = ConfluentRegistry(self.settings)
        return EventCodec(self.catalog, registry)

    @cached_property
    def identity(self) -> Producer:
        return Producer(self.name, __version__, self.settings.instance_id)

    @cached_property
    def events(self) -> EventFactory:
        return EventFactory(self.catalog, self.identity)

    @property
    def bootstrap(self) -> str:
        if not self.settings.kafka_bootstrap:
            raise ConfigError(
                "AR_KAFKA_BOOTSTRAP is not set: point it at Kafka, or run `accessreview up` for the embedded broker"
            )
        return self.settings.kafka_bootstrap

    @cached_property
    def producer(self) -> Any:
        from services.kafka.producer import EventProducer

        return EventProducer(self.settings, self.bootstrap, self.codec)

    @property
    def log(self) -> Any:
        return get_logger(self.name)

    def stop(self, *_: Any) -> None:
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
