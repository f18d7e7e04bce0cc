"""The enforcer as the service runs it (its batch handler and tick in a ConsumerRunner) on the
real broker, against the sandbox through the official SDKs; collections by the real collector."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from services.collector.collect import CollectionOptions
from services.collector.run import run_collection
from services.collector.wiring import CollectionOutputs, baseline_store
from services.core.ids import new_ulid
from services.core.settings import Settings
from services.enforcer.models import Revocation
from services.enforcer.service import make_batch_handler, work_due
from services.enforcer.wiring import EnforcerDeps, build_deps
from services.events.codec import EventCodec
from services.events.envelope import Event, EventFactory, Producer
from services.events.schemas import SchemaCatalog
from services.kafka.consumer import ConsumerRunner
from services.kafka.producer import EventProducer
from services.kafka.topics import subscriptions
from tests.integration.collector.conftest import read_events
from tests.integration.sandbox.harness import RunningSandbox

SETTLED = frozenset(
    {"absent", "blocked", "verified", "failed", "rolled_back", "rejected", "reappeared", "applied", "observed", "dry_run"}
)


@dataclass
class Enforcer:
    settings: Settings
    deps: EnforcerDeps
    codec: EventCodec
    producer: EventProducer
    factory: EventFactory

    def collect(self) -> str:
        """A real collection, published to the broker; returns its run id."""
        sink = CollectionOutputs(
            self.producer,
            EventFactory(self.factory.catalog, Producer("collector", "test", "pytest")),
            baseline_store(self.settings),
        )
        report = run_collection(self.settings, CollectionOptions(workers=8, audit_days=0), sink)
        assert {s.scope: s.status for s in report.result.scopes.values() if s.status != "complete"} == {}
        return report.result.run_id

    def request(self, record: dict[str, Any], campaign: str = "c-test", by: str = "reviewer@example.com") -> str:
        rid = f"r-{new_ulid()}"
        payload = {
            "revocation_id": rid,
            "campaign_id": campaign,
            "decision_id": f"d-{new_ulid()}",
            "task_id": f"t-{new_ulid()}",
            "entitlement": record,
            "reason": "revoked by reviewer",
            "requested_by": by,
        }
        self.producer.publish_all(
            [self.factory.new("revocation.requested", payload, correlation_id=campaign, subject_key=record["key"])]
        )
        return rid

    def run(self, until: Callable[[dict[str, str]], bool], timeout_s: float = 90.0) -> dict[str, str]:
        """Consume and tick until ``until(statuses)`` holds; return revocation id -> status."""
        deadline = time.monotonic() + timeout_s
        statuses: dict[str, str] = {}

        def done(_: Any) -> bool:
            work_due(self.deps)
            statuses.clear()
            statuses.update(self.statuses())
            return until(statuses) or time.monotonic() > deadline

        runner = ConsumerRunner(
            self.settings,
            self.settings.kafka_bootstrap,
            f"{self.settings.kafka_topic_prefix}enforcer",
            [self.settings.topic(t.base) for t in subscriptions("enforcer")],
            None,
            self.codec,
            self.producer,
            batch_handler=make_batch_handler(self.deps),
        )
        runner.run(until=done, max_idle_s=timeout_s)
        assert until(statuses), f"timed out: {statuses}"
        return statuses

    def statuses(self) -> dict[str, str]:
        with self.deps.sessions() as session:
            return {rid: status for rid, status in session.execute(select(Revocation.revocation_id, Revocation.status))}

    def row(self, rid: str) -> Revocation:
        with self.deps.sessions() as session:
            found = session.get(Revocation, rid)
            assert found is not None
            return found

    def events(self, *types: str) -> list[Event]:
        found = read_events(self.settings, self.codec, "revocation.v1", "enforcement.v1")
        return [e for e in found if not types or e.event_type in types]


def make_enforcer(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec, **overrides: Any
) -> Enforcer:
    values: dict[str, Any] = {
        "enforcer_settle_s": 0.0,
        "enforcer_facts_wait_s": 0.5,
        "enforcer_retry_backoff_s": 0.2,
        "enforcer_mode": "enforce",
        "tickets_system": "webhook",
        "tickets_url": f"{sandbox.info['account_host']}/tickets/webhook",
    }
    values.update(overrides)
    settings = sandbox.settings(kafka_settings, **values)
    producer = EventProducer(settings, settings.kafka_bootstrap, codec)
    deps = build_deps(settings, EventFactory(catalog, Producer("enforcer", "test", "pytest")), codec, producer)
    return Enforcer(settings, deps, codec, producer, EventFactory(catalog, Producer("campaign", "test", "pytest")))


def truth(sandbox: RunningSandbox) -> dict[str, dict[str, Any]]:
    return sandbox.truth()
