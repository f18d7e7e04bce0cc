"""Last use for every kind the audit log can show, computed from the scenario's own audit events
(independently of the collector) and compared for every collected entitlement."""

from __future__ import annotations

import pytest

from services.collector.collect import CollectionOptions
from services.collector.run import run_collection
from services.core.settings import Settings
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox

pytestmark = pytest.mark.integration
KINDS = {"job", "cluster", "warehouse", "notebook", "pipeline", "secret_scope", "workspace", "table"}


def _expected(seed: int) -> dict[tuple[str, str, str], int]:
    state = build_state("small", seed)
    out: dict[tuple[str, str, str], int] = {}
    for ev in state.audit:
        ws = state.workspaces[ev.workspace_id]
        if ev.object_type == "workspace":
            rid = str(ws.workspace_id)
        elif ev.object_type == "table":
            rid = f"{ws.metastore_id}/{ev.object_id}"
        else:
            rid = f"{ws.workspace_id}/{ev.object_id}"
        key = (ev.email.lower(), ev.object_type, rid)
        out[key] = max(out.get(key, 0), ev.event_time * 1000)
    return out


def test_every_entitlement_carries_the_last_use_its_audit_events_show(small_sandbox: RunningSandbox, settings: Settings) -> None:
    expected = _expected(11)  # the small_sandbox's seed
    assert {kind for _, kind, _ in expected} == KINDS
    result = run_collection(small_sandbox.settings(settings), CollectionOptions(workers=8, audit_days=90, okta=False)).result
    got: dict[str, int | None] = {}
    want: dict[str, int | None] = {}
    for e in result.entitlements():
        if e.resource.type == "personal_access_token":
            continue  # a token's last use comes from the token-management API, not the audit log
        got[e.key] = e.last_used_at
        want[e.key] = expected.get(((e.principal.email or "").lower(), e.resource.type, e.resource.id))
    assert got == want
    seen = {e.resource.type for e in result.entitlements() if e.last_used_at and e.resource.type != "personal_access_token"}
    assert seen == KINDS  # every kind has entitlements whose use the audit log shows
