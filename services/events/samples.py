"""Valid sample events of every type: for the demo, the round-trip tests and the benchmarks."""

from __future__ import annotations

from typing import Any

from services.core.ids import new_ulid
from services.events.envelope import Event, EventFactory


def sample_entitlement(i: int = 0) -> dict[str, Any]:
    return {
        "key": f"user:u{i}|job:ws1/{100 + i}|CAN_MANAGE",
        "scope": "workspace:1001",
        "principal": {
            "type": "user",
            "id": f"u{i}",
            "name": f"user{i}@example.com",
            "email": f"user{i}@example.com",
            "okta_id": f"00u{i}",
        },
        "resource": {
            "type": "job",
            "id": str(100 + i),
            "name": f"nightly-etl-{i}",
            "workspace_id": "1001",
            "workspace_name": "prod-finance",
            "production": True,
            "owner": "owner@example.com",
            "tags": {"tier": "prod"},
        },
        "privilege": "CAN_MANAGE",
        "direct": False,
        "via_groups": ["data-engineers"],
        "inherited": False,
        "inherited_from": None,
        "granted_by": None,
        "granted_at": None,
        "managed_by": None,
    }


def sample_payloads(i: int = 0) -> dict[str, dict[str, Any]]:
    """One valid payload per event type."""
    ent = sample_entitlement(i)
    now = 1_790_000_000_000_000
    finding = {"code": "segment-hash", "where": "segment 3", "expected": "ab", "found": "cd", "detail": None}
    return {
        "collection.started": {
            "run_id": "run-1",
            "source": "all",
            "scopes": ["account", "workspace:1001"],
            "parameters": {"seed": "7"},
        },
        "collection.completed": {
            "run_id": "run-1",
            "counts": {"entitlements": 1},
            "duration_ms": 1200,
            "scopes": [
                {
                    "scope": "workspace:1001",
                    "status": "complete",
                    "reason": None,
                    "entitlements": 1,
                    "requests": 9,
                    "read_path": None,
                }
            ],
        },
        "identity.observed": {
            "run_id": "run-1",
            "source": "joined",
            "identity_type": "user",
            "id": f"u{i}",
            "name": f"user{i}@example.com",
            "email": f"user{i}@example.com",
            "status": "ACTIVE",
            "okta_id": f"00u{i}",
            "databricks_ids": [f"u{i}"],
            "manager_id": "00u9",
            "manager_email": "boss@example.com",
            "department": "Finance",
            "title": "Analyst",
            "user_type": "employee",
            "owners": [],
            "approvers": [],
            "members": [],
            "flags": [],
            "attributes": {},
        },
        "entitlement.observed": {"run_id": "run-1", "entitlement": ent, "last_used_at": now},
        "entitlement.granted": {"run_id": "run-2", "previous_run_id": "run-1", "entitlement": ent},
        "entitlement.removed": {"run_id": "run-2", "previous_run_id": "run-1", "entitlement": ent},
        "campaign.launched": {
            "campaign_id": "c-1",
            "name": "2026-Q4",
            "definition_json": "{}",
            "collection_runs": ["run-1"],
            "population_hash": "00" * 32,
            "population_count": 1,
            "due_at": now,
            "launched_by": "admin@example.com",
        },
        "campaign.closed": {"campaign_id": "c-1", "figures": {"approved": 1}, "closed_by": "admin@example.com"},
        "campaign.group_adopted": {
            "group_id": "g-1",
            "group_name": "data-engineers",
            "adopter": "owner@example.com",
            "campaign_id": "c-1",
            "statement": "I own this group",
            "auth_method": "magic-link",
            "link_token_id": "lt-1",
            "ip": "127.0.0.1",
            "user_agent": "demo",
            "suggested_because": ["granted access to the group"],
        },
        "review_task.created": {
            "task_id": f"t-{i}",
            "campaign_id": "c-1",
            "item_kind": "grant",
            "entitlement": ent,
            "reviewer": "owner@example.com",
            "reviewer_level": 1,
            "provenance": [{"step": "resource-owner", "outcome": "found", "detail": "job owner"}],
            "risk_flags": ["privileged", "production"],
            "recommended_action": None,
            "due_at": now,
        },
        "review_task.escalated": {
            "task_id": f"t-{i}",
            "campaign_id": "c-1",
            "from_reviewer": "owner@example.com",
            "to_reviewer": "boss@example.com",
            "level": 2,
            "reason": "overdue",
        },
        "decision.recorded": {
            "decision_id": f"d-{i}",
            "task_id": f"t-{i}",
            "campaign_id": "c-1",
            "reviewer": "owner@example.com",
            "decision": "revoke",
            "justification": "left the team",
            "delegate_to": None,
            "auth_method": "magic-link",
            "link_token_id": "lt-1",
            "ip": "127.0.0.1",
            "user_agent": "demo",
            "bulk_id": None,
            "supersedes": None,
        },
        "notification.requested": {
            "notification_id": f"n-{i}",
            "channel": "email",
            "recipient": "owner@example.com",
            "template": "review-invite",
            "campaign_id": "c-1",
            "task_ids": [f"t-{i}"],
            "link_token_id": "lt-1",
        },
        "notification.sent": {
            "notification_id": f"n-{i}",
            "channel": "email",
            "recipient": "owner@example.com",
            "provider_message_id": "m-1",
            "attempts": 1,
        },
        "notification.failed": {
            "notification_id": f"n-{i}",
            "channel": "email",
            "recipient": "owner@example.com",
            "error": "550",
            "attempts": 3,
            "final": True,
        },
        "review_link.opened": {
            "link_token_id": "lt-1",
            "reviewer": "owner@example.com",
            "campaign_id": "c-1",
            "ip": "127.0.0.1",
            "user_agent": "demo",
            "outcome": "accepted",
        },
        "revocation.requested": {
            "revocation_id": f"r-{i}",
            "campaign_id": "c-1",
            "decision_id": f"d-{i}",
            "task_id": f"t-{i}",
            "entitlement": ent,
            "reason": "revoked by reviewer",
            "requested_by": "owner@example.com",
        },
        "revocation.applied": {
            "revocation_id": f"r-{i}",
            "phase": "applied",
            "detail": "removed",
            "before_json": "{}",
            "after_json": "{}",
        },
        "revocation.verified": {"revocation_id": f"r-{i}", "method": "re-read", "confirmed": True, "detail": "absent on re-read"},
        "revocation.planned": {
            "revocation_id": f"r-{i}",
            "campaign_id": "c-1",
            "mode": "dry-run",
            "action": "acl",
            "system": "databricks",
            "calls_json": '[{"method": "set_permissions", "args": {}}]',
            "before_json": "{}",
            "after_json": "{}",
            "already_absent": False,
        },
        "revocation.blocked": {
            "revocation_id": f"r-{i}",
            "campaign_id": "c-1",
            "outcome": "blocked",
            "rule": "production_run_as",
            "reason": "the run-as identity of production job nightly-etl",
            "batch_id": None,
            "change_request_id": f"cr-{i}",
        },
        "revocation.failed": {
            "revocation_id": f"r-{i}",
            "campaign_id": "c-1",
            "reason": "still present on re-read",
            "attempt": 1,
            "final": False,
        },
        "revocation.rolled_back": {
            "revocation_id": f"r-{i}",
            "campaign_id": "c-1",
            "by": "admin@example.com",
            "calls_json": "[]",
            "before_json": "{}",
            "after_json": "{}",
            "detail": "restored",
        },
        "enforcement.mode_changed": {
            "mode_scope": "workspace:1001",
            "mode": "enforce",
            "previous_mode": "dry-run",
            "changed_by": "admin@example.com",
            "source": "operator",
        },
        "change_request.opened": {
            "change_request_id": f"cr-{i}",
            "revocation_id": f"r-{i}",
            "kind": "change-request",
            "assignee": "owner@example.com",
            "title": "Remove CAN_MANAGE of user0 on nightly-etl",
            "body_json": "{}",
            "ticket_system": "webhook",
            "ticket_id": "T-1",
        },
        "ledger.segment_sealed": {
            "store": "file:///tmp/l",
            "segment": 1,
            "first_seq": 0,
            "last_seq": 9,
            "manifest_key": "m/1.json",
            "manifest_sha256": "00" * 32,
            "merkle_root": "00" * 32,
            "tree_size": 10,
        },
        "ledger.verified": {
            "store": "file:///tmp/l",
            "status": "invalid",
            "events_verified": 10,
            "tree_size": 10,
            "duration_ms": 5,
            "findings": [finding],
        },
        "evidence.viewed": {
            "campaign_id": "c-1",
            "view": "evidence-page",
            "viewer": "auditor@example.com",
            "roles": ["auditor"],
            "auth_method": "oidc",
            "ip": "127.0.0.1",
        },
        "review_link.minted": {
            "link_token_id": "lt-1",
            "reviewer": "owner@example.com",
            "campaign_id": "c-1",
            "minted_by": "operator@laptop",
            "channel": "cli",
        },
        "ledger.exported": {
            "store": "file:///tmp/l",
            "correlation_id_exported": "c-1",
            "tree_size": 10,
            "bundle_sha256": "00" * 32,
            "events": 4,
            "exported_by": "auditor@laptop",
            "destination": "/tmp/bundle",
        },
    }


def sample_events(factory: EventFactory, i: int = 0) -> list[Event]:
    events = []
    for event_type, payload in sample_payloads(i).items():
        events.append(factory.new(event_type, payload, correlation_id="sample", subject_key=f"sample-{event_type}-{i}"))
    return events


def sample_collection_run(factory: EventFactory) -> list[Event]:
    run_id = f"run-{new_ulid()}"
    payloads = sample_payloads()
    started = dict(payloads["collection.started"], run_id=run_id)
    completed = dict(payloads["collection.completed"], run_id=run_id)
    first = factory.new("collection.started", started, correlation_id=run_id, subject_key=run_id)
    last = factory.new("collection.completed", completed, correlation_id=run_id, subject_key=run_id, causation_id=first.event_id)
    return [first, last]
