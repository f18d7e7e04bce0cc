"""Modes and guardrails on the real broker and the sandbox: a production job keeps running, a
dry-run changes nothing and records exactly the calls enforce then makes, a bad request is
dead-lettered with its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.core.settings import Settings
from services.enforcer.guardrails.run_as_needs import NEEDED_TYPES
from services.enforcer.modes import set_mode
from services.events.codec import EventCodec
from services.events.schemas import SchemaCatalog
from services.kafka.topics import DLQ_BASE
from tests.integration.enforcer.conftest import direct, pick
from tests.integration.enforcer.harness import SETTLED, make_enforcer
from tests.integration.sandbox.harness import RunningSandbox

pytestmark = pytest.mark.integration


def _tickets(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return sandbox.admin("GET", "tickets").json()["tickets"]  # type: ignore[no-any-return]


def test_a_production_job_keeps_its_identity_and_what_it_reads(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    enforcer.collect()
    before = sandbox.truth()
    run_as = pick(before, lambda r: r["privilege"] == "RUN_AS" and r["resource"]["production"])
    identity = run_as["principal"]["id"]
    needed = pick(
        before,
        lambda r: (
            r["principal"]["id"] == identity and direct(r) and r["resource"]["type"] in NEEDED_TYPES and r["privilege"] != "OWNER"
        ),
    )
    rids = {enforcer.request(run_as): "production_run_as", enforcer.request(needed): "run_as_needs"}

    statuses = enforcer.run(lambda s: len(s) == 2 and all(v in SETTLED for v in s.values()))
    assert statuses == {rid: "blocked" for rid in rids}
    assert sandbox.truth() == before  # nothing changed: the job runs as before, with what it reads
    blocked = {e.payload["revocation_id"]: e.payload for e in enforcer.events("revocation.blocked")}
    assert {rid: blocked[rid]["rule"] for rid in rids} == rids
    opened = {e.payload["change_request_id"]: e.payload for e in enforcer.events("change_request.opened")}
    tickets = {t["body"]["change_request_id"]: t for t in _tickets(sandbox) if t["system"] == "webhook"}
    for rid in rids:
        cr_id = blocked[rid]["change_request_id"]
        assert opened[cr_id]["ticket_id"] == tickets[cr_id]["id"] == enforcer.row(rid).ticket_id
        body = tickets[cr_id]["body"]
        assert (
            body["revocation_id"] == rid
            and body["kind"] == "change-request"
            and body["entitlement"]["key"] in (run_as["key"], needed["key"])
        )


def test_dry_run_changes_nothing_and_records_exactly_the_calls_enforce_then_makes(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec, enforcer_mode="dry-run")
    enforcer.collect()
    before = sandbox.truth()
    guarded = {r["principal"]["id"] for r in before.values() if r["privilege"] == "RUN_AS"}
    record = pick(
        before,
        lambda r: (
            direct(r)
            and r["principal"]["type"] == "user"
            and r["principal"]["id"] not in guarded
            and r["resource"]["type"] == "job"
            and r["privilege"] == "CAN_MANAGE_RUN"
        ),
    )
    rid = enforcer.request(record)
    assert enforcer.run(lambda s: s.get(rid) == "dry_run") == {rid: "dry_run"}
    assert sandbox.truth() == before
    (planned,) = [e.payload for e in enforcer.events("revocation.planned") if e.payload["revocation_id"] == rid]
    assert planned["mode"] == "dry-run" and json.loads(planned["calls_json"])[0]["method"] == "set_permissions"

    scope = enforcer.row(rid).mode_scope
    assert set_mode(enforcer.deps, scope, "enforce", "Platform.Lead@example.com".lower()) == "dry-run"
    assert enforcer.run(lambda s: s.get(rid) == "applied") == {rid: "applied"}
    (applied,) = [e.payload for e in enforcer.events("revocation.applied") if e.payload["revocation_id"] == rid]
    assert json.loads(applied["calls_json"]) == json.loads(planned["calls_json"])
    assert set(before) - set(sandbox.truth()) == {record["key"]}
    changes = [e.payload for e in enforcer.events("enforcement.mode_changed") if e.payload["mode_scope"] == scope]
    assert [(c["mode"], c["source"], c["changed_by"]) for c in changes] == [
        ("dry-run", "config", "config:AR_ENFORCER_ROLLOUT"),
        ("enforce", "operator", "platform.lead@example.com"),
    ]


def test_observe_records_the_request_and_its_verdict_but_no_calls(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec, enforcer_mode="observe")
    enforcer.collect()  # even observe waits for the collected facts: its verdict needs them
    before = sandbox.truth()
    record = pick(before, lambda r: direct(r) and r["resource"]["type"] == "warehouse")
    rid = enforcer.request(record)
    assert enforcer.run(lambda s: s.get(rid) == "observed") == {rid: "observed"}
    (planned,) = [e.payload for e in enforcer.events("revocation.planned") if e.payload["revocation_id"] == rid]
    assert planned["mode"] == "observe" and json.loads(planned["calls_json"]) == [] and planned["before_json"]
    assert sandbox.truth() == before


def test_a_request_for_an_unknown_workspace_is_rejected_with_its_reason_and_dead_lettered(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    record = pick(sandbox.truth(), lambda r: r["resource"]["type"] == "job")
    ghost = {**record, "resource": {**record["resource"], "workspace_id": "999999"}}
    rid = enforcer.request(ghost)
    assert enforcer.run(lambda s: s.get(rid) == "rejected") == {rid: "rejected"}
    assert "workspace 999999 is not in the account" in enforcer.row(rid).reason
    (blocked,) = [e.payload for e in enforcer.events("revocation.blocked") if e.payload["revocation_id"] == rid]
    assert blocked["outcome"] == "rejected" and blocked["rule"] == "validation"
    dead = read_events_raw(enforcer.settings)
    assert any("999999" in reason for reason in dead)


def read_events_raw(settings: Settings) -> list[str]:
    """The reasons in the DLQ's headers."""
    import time

    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    from services.kafka.consumer import make_consumer
    from services.kafka.topics import TOPICS

    spec = next(t for t in TOPICS if t.base == DLQ_BASE)
    consumer = make_consumer(settings, settings.kafka_bootstrap, f"dlq-{time.time_ns()}", **{"enable.auto.commit": False})
    consumer.assign([TopicPartition(settings.topic(DLQ_BASE), p, OFFSET_BEGINNING) for p in range(spec.partitions)])
    reasons: list[str] = []
    try:
        for _ in range(10):
            for msg in consumer.consume(100, timeout=0.5):
                if msg.error() is None:
                    reasons += [v.decode() for k, v in (msg.headers() or []) if v]
    finally:
        consumer.close()
    return reasons
