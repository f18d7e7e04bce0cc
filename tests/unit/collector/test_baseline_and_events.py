"""Change detection against the last complete collection, and the events encode with the real schemas."""

from __future__ import annotations

from pathlib import Path

from services.collector.baseline import BaselineStore, diff
from services.collector.collect import CollectionResult
from services.collector.entitlement import Entitlement, Principal, Resource
from services.collector.publish import publish_result
from services.collector.scheduler import ScopeState
from services.events.codec import EventCodec
from services.events.envelope import Event, EventFactory

ADA = Principal("user", "1", "ada@example.com", "ada@example.com", "00u1")
JOB = Resource("job", "5/9", "nightly", "5", "etl", True, "ada@example.com", (("env", "prod"),))


def ent(privilege: str, scope: str = "workspace:5", via: tuple[str, ...] = ()) -> Entitlement:
    return Entitlement(scope, ADA, JOB, privilege, via)


class Recorder:
    def __init__(self, codec: EventCodec) -> None:
        self.codec = codec
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.codec.decode(self.codec.encode(event))  # every payload must fit its Avro schema
        self.events.append(event)

    def flush(self, timeout_s: float = 60.0) -> None:
        pass


def result_with(states: list[ScopeState]) -> CollectionResult:
    result = CollectionResult("01RUN", 1, 2)
    result.scopes = {s.scope: s for s in states}
    result.identities = [
        {
            "source": "joined",
            "identity_type": "user",
            "id": "1",
            "name": "ada@example.com",
            "email": "ada@example.com",
            "status": "ACTIVE",
            "okta_id": "00u1",
            "databricks_ids": ["1"],
            "manager_id": None,
            "manager_email": None,
            "department": "Eng",
            "title": None,
            "user_type": "employee",
            "owners": [],
            "approvers": [],
            "members": [],
            "flags": [],
            "attributes": {"databricks_active": "true"},
        }
    ]
    return result


def complete(scope: str, entitlements: list[Entitlement]) -> ScopeState:
    return ScopeState(scope, entitlements, ok_tasks=1)


def test_diff_first_baseline_then_changes(tmp_path: Path) -> None:
    store = BaselineStore(f"sqlite:///{tmp_path / 'b.db'}")
    assert store.load("workspace:5") is None
    assert diff([ent("CAN_VIEW")], None).granted == []  # the first complete run only sets the baseline
    store.replace("workspace:5", "01A", 1, [ent("CAN_VIEW"), ent("CAN_MANAGE", via=("g",))])
    baseline = store.load("workspace:5")
    assert baseline is not None and baseline.run_id == "01A"
    changes = diff([ent("CAN_VIEW"), ent("IS_OWNER")], baseline)
    assert [e.privilege for e in changes.granted] == ["IS_OWNER"]
    assert [e.key for e in changes.removed] == [ent("CAN_MANAGE", via=("g",)).key]
    assert changes.previous_run_id == "01A"


def test_partial_scope_emits_no_changes_and_keeps_its_baseline(
    tmp_path: Path,
    codec: EventCodec,
    factory: EventFactory,
) -> None:
    store = BaselineStore(f"sqlite:///{tmp_path / 'b.db'}")
    store.replace("workspace:5", "01A", 1, [ent("CAN_VIEW"), ent("CAN_MANAGE")])
    store.replace("workspace:6", "01A", 1, [ent("CAN_VIEW", "workspace:6")])
    partial = ScopeState("workspace:5", [ent("CAN_VIEW")], errors=["workspace dbc-5 jobs: down"], ok_tasks=1)
    done = complete("workspace:6", [ent("CAN_MANAGE", "workspace:6")])
    recorder = Recorder(codec)
    summary = publish_result(recorder, factory, result_with([partial, done]), store)
    types = [e.event_type for e in recorder.events]
    assert types.count("entitlement.observed") == 2 and types.count("identity.observed") == 1
    assert types.count("entitlement.removed") == 1 and types.count("entitlement.granted") == 1  # workspace:6 only
    assert all(
        e.payload["entitlement"]["scope"] == "workspace:6"
        for e in recorder.events
        if e.event_type in ("entitlement.removed", "entitlement.granted")
    )
    assert types[-1] == "collection.completed"
    completed = recorder.events[-1].payload
    assert {s["scope"]: s["status"] for s in completed["scopes"]} == {
        "workspace:5": "partial",
        "workspace:6": "complete",
    }
    assert completed["counts"]["removed"] == 1
    assert summary.baselines_replaced == ["workspace:6"]
    kept = store.load("workspace:5")
    assert kept is not None and kept.run_id == "01A" and len(kept.entitlements) == 2


def test_observed_event_carries_last_used_and_key(codec: EventCodec, factory: EventFactory, tmp_path: Path) -> None:
    from dataclasses import replace

    recorder = Recorder(codec)
    used = replace(ent("CAN_VIEW"), last_used_at=1_780_000_000_000_000)
    publish_result(
        recorder,
        factory,
        result_with([complete("workspace:5", [used])]),
        BaselineStore(f"sqlite:///{tmp_path / 'b.db'}"),
    )
    observed = next(e for e in recorder.events if e.event_type == "entitlement.observed")
    assert observed.key == used.key and observed.payload["last_used_at"] == 1_780_000_000_000_000
