"""Builds the enforcer's dependencies from settings (used by the service, its CLI and tests)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.adapters.databricks import DatabricksAdapter, DatabricksTarget
from services.adapters.okta import OktaTarget
from services.adapters.tickets import TicketConfig, TicketSink
from services.core.clock import Clock
from services.core.settings import Settings
from services.db.engine import session_factory
from services.enforcer.apis import Apis
from services.events.codec import EventCodec
from services.events.envelope import Event, EventFactory


@dataclass
class EnforcerDeps:
    settings: Settings
    sessions: sessionmaker[Session]
    events: EventFactory
    codec: EventCodec
    producer: Any  # publish_all(events)
    apis: Apis
    tickets: TicketSink | None
    clock: Clock = field(default_factory=Clock)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _locks_lock: threading.Lock = field(default_factory=threading.Lock)

    def object_lock(self, key: str) -> threading.Lock:
        """One lock per object: two revocations on one ACL never read-modify-write it at once."""
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())

    def now_us(self) -> int:
        return self.clock.micros()

    def new(
        self, event_type: str, payload: dict[str, Any], *, correlation_id: str, subject_key: str, causation_id: str | None = None
    ) -> Event:
        return self.events.new(
            event_type, payload, correlation_id=correlation_id, subject_key=subject_key, causation_id=causation_id
        )


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def cli_deps(settings: Settings, sessions_only: bool = False) -> Any:
    """What a CLI command needs: the sessions alone, or (settings, events, codec, producer) for
    :func:`build_deps`; the producer is None when no broker is configured."""
    if sessions_only:
        return session_factory(settings)
    from services import __version__
    from services.events.envelope import Producer
    from services.events.schemas import SchemaCatalog

    codec = EventCodec(SchemaCatalog(settings.schema_dir))
    events = EventFactory(SchemaCatalog(settings.schema_dir), Producer("enforcer", __version__, settings.instance_id))
    producer = None
    if settings.kafka_bootstrap:
        from services.kafka.producer import EventProducer

        producer = EventProducer(settings, settings.kafka_bootstrap, codec)
    return settings, events, codec, producer


def build_deps(settings: Settings, events: EventFactory, codec: EventCodec, producer: Any) -> EnforcerDeps:
    okta = OktaTarget.from_settings(settings) if settings.okta_org_url else None
    if okta is not None and okta.client_id:  # a service app: the enforcer changes groups, so asks to manage them
        okta = replace(okta, scopes=tuple(settings.enforcer_okta_scopes.split()))
    tickets = TicketConfig.from_settings(settings)
    return EnforcerDeps(
        settings=settings,
        sessions=session_factory(settings),
        events=events,
        codec=codec,
        producer=producer,
        apis=Apis(DatabricksAdapter(DatabricksTarget.from_settings(settings)), okta),
        tickets=TicketSink(tickets) if tickets else None,
    )
