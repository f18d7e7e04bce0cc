"""Enforce removes exactly the intended entitlements, through the official SDKs and the real
broker, and the next collection proves it; guardrails stop what must not be removed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.schemas import SchemaCatalog
from tests.integration.enforcer.conftest import direct, pick
from tests.integration.enforcer.harness import SETTLED, make_enforcer
from tests.integration.sandbox.harness import RunningSandbox

pytestmark = pytest.mark.integration


UC_DATA = ("table", "schema", "catalog", "volume")
OBJECTS = ("warehouse", "cluster", "notebook", "serving_endpoint", "cluster_policy", "directory")


def _prod_run_as(truth: dict[str, dict[str, Any]]) -> set[str]:
    return {r["principal"]["id"] for r in truth.values() if r["privilege"] == "RUN_AS" and r["resource"]["production"]}


def _all_run_as(truth: dict[str, dict[str, Any]]) -> set[str]:
    return {r["principal"]["id"] for r in truth.values() if r["privilege"] == "RUN_AS"}


def _removable(truth: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One of each kind the enforcer applies by itself, held by a user nothing guards."""
    guarded = _all_run_as(truth)
    taken: set[str] = set()

    def plain(r: dict[str, Any]) -> bool:
        return direct(r) and r["principal"]["type"] == "user" and r["principal"]["id"] not in guarded

    def shared(r: dict[str, Any]) -> bool:  # another direct grant stays: the ACL written back is not empty
        return any(o["resource"]["id"] == r["resource"]["id"] and direct(o) and o["key"] != r["key"] for o in truth.values())

    def kind(rtype: str, privilege: str | None = None) -> Any:
        return lambda r: plain(r) and r["resource"]["type"] == rtype and (privilege is None or r["privilege"] == privilege)

    return [
        pick(truth, lambda r: kind("job", "CAN_VIEW")(r) and shared(r), taken),
        pick(truth, lambda r: r["resource"]["type"] in OBJECTS and kind(r["resource"]["type"])(r) and shared(r), taken),
        pick(truth, lambda r: plain(r) and r["resource"]["type"] in UC_DATA and r["privilege"] != "OWNER", taken),
        pick(truth, kind("secret_scope", "READ"), taken),
        pick(truth, lambda r: kind("group")(r) and not r["managed_by"], taken),
    ]


def _removed_by(record: dict[str, Any], truth: dict[str, dict[str, Any]]) -> set[str]:
    """Exactly what removing ``record`` takes away: itself, and for a membership whatever the
    member held through that group."""
    keys = {record["key"]}
    if record["resource"]["type"] == "group":
        gid, pid = record["resource"]["id"], record["principal"]["id"]
        keys |= {k for k, r in truth.items() if r["principal"]["id"] == pid and gid in r["via_groups"]}
    return keys


def test_enforce_removes_exactly_the_intended_entitlements_and_the_next_collection_confirms(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec)
    enforcer.collect()
    before = sandbox.truth()
    records = _removable(before)
    rids = {enforcer.request(r): r for r in records}
    duplicate = next(iter(rids))
    enforcer.producer.publish_all(
        [e for e in enforcer.events("revocation.requested") if e.payload["revocation_id"] == duplicate]
    )  # redelivered: applied once

    statuses = enforcer.run(lambda s: len(s) == len(rids) and all(v in SETTLED for v in s.values()))
    assert statuses == {rid: "applied" for rid in rids}, [
        (enforcer.row(rid).reason, rids[rid]["key"]) for rid in rids if statuses[rid] != "applied"
    ]
    after = sandbox.truth()
    expected_gone = set().union(*(_removed_by(r, before) for r in records))
    assert set(before) - set(after) == expected_gone
    assert set(after) - set(before) == set()

    applied = enforcer.events("revocation.applied")
    assert sorted(e.payload["revocation_id"] for e in applied) == sorted(rids)  # once each, the duplicate too
    for event in applied:
        calls = json.loads(event.payload["calls_json"])
        assert calls and all(
            c["method"] in ("set_permissions", "update_grants", "delete_secret_acl", "patch_group_member") for c in calls
        )
    set_calls = [json.loads(e.payload["calls_json"])[0] for e in applied if "set_permissions" in e.payload["calls_json"]]
    assert all(c["args"]["acl"] for c in set_calls)  # never an empty ACL
    reread = [e for e in enforcer.events("revocation.verified") if e.payload["method"] == "re-read"]
    assert {e.payload["revocation_id"] for e in reread} == set(rids)

    enforcer.collect()  # the next collection sees them gone: the independent proof
    statuses = enforcer.run(lambda s: all(v == "verified" for v in s.values()), timeout_s=60)
    confirmed = [e for e in enforcer.events("revocation.verified") if e.payload["method"] == "next-collection"]
    assert {e.payload["revocation_id"] for e in confirmed} == set(rids)
    removed_ids = {e.event_id for e in enforcer.events() if e.event_type == "entitlement.removed"}
    for event in confirmed:
        row = enforcer.row(event.payload["revocation_id"])
        assert row.verified_event_id == event.payload["observation_event_id"]
    del removed_ids
