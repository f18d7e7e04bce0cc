"""The real SDKs against the sandbox, through the real broker: collection equals the ground truth."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.collector.collect import CollectionOptions
from services.collector.run import RunReport, run_collection
from services.collector.wiring import CollectionOutputs, baseline_store
from services.core.errors import AuthenticationError, UnavailableError
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.schemas import SchemaCatalog
from services.kafka.broker import free_port
from services.kafka.producer import EventProducer
from tests.integration.collector.conftest import by_type, read_events
from tests.integration.sandbox.harness import RunningSandbox, running_sandbox

pytestmark = pytest.mark.integration


def _sink(settings: Settings, catalog: SchemaCatalog, codec: EventCodec) -> CollectionOutputs:
    producer = EventProducer(settings, settings.kafka_bootstrap, codec)
    return CollectionOutputs(producer, EventFactory(catalog, Producer("collector", "test", "pytest")), baseline_store(settings))


def _run(settings: Settings, sink: CollectionOutputs | None = None, **options: object) -> RunReport:
    opts = CollectionOptions(workers=settings.collect_workers, audit_days=30, **options)  # type: ignore[arg-type]
    return run_collection(settings, opts, sink)


def test_complete_collection_equals_truth_and_is_published(
    small_sandbox: RunningSandbox,
    kafka_settings: Settings,
    catalog: SchemaCatalog,
    codec: EventCodec,
) -> None:
    settings = small_sandbox.settings(kafka_settings)
    report = _run(settings, _sink(settings, catalog, codec))
    result = report.result
    truth = small_sandbox.truth()
    assert {s.scope: s.status for s in result.scopes.values() if s.status != "complete"} == {}
    assert {e.key for e in result.entitlements()} == set(truth)
    collected = {e.key: e.as_record() for e in result.entitlements()}
    sample = sorted(truth)[:: max(1, len(truth) // 50)]
    assert all(collected[k] == truth[k] for k in sample)  # the whole record, not just the key

    events = read_events(settings, codec, "collection.v1", "entitlement.v1", "identity.v1")
    observed = by_type(events, "entitlement.observed", result.run_id)
    assert {p["entitlement"]["key"] for p in observed} == set(truth)
    assert len(observed) == len(truth)
    (completed,) = by_type(events, "collection.completed", result.run_id)
    assert {s["status"] for s in completed["scopes"]} == {"complete"}
    assert completed["counts"]["entitlements"] == len(truth)
    assert len(by_type(events, "collection.started", result.run_id)) == 1
    identities = by_type(events, "identity.observed", result.run_id)
    flags = {f for i in identities for f in i["flags"]}
    assert {"deactivated_in_okta_active_in_databricks", "no_approver", "contractor"} <= flags
    groups = [i for i in identities if i["identity_type"] == "group"]
    assert any(g["owners"] for g in groups) and any(g["approvers"] for g in groups)
    assert any(p["last_used_at"] for p in observed)
    assert by_type(events, "entitlement.removed") == [] and by_type(events, "entitlement.granted") == []


def test_errors_and_rate_limits_still_give_the_truth(small_sandbox: RunningSandbox, settings: Settings) -> None:
    small_sandbox.faults(error_rate=0.1, rate_limit=15, okta_rate_limit=15)
    try:
        before = small_sandbox.stats()["refused"]
        report = _run(small_sandbox.settings(settings, collect_retry_timeout_s=60))
        after = small_sandbox.stats()["refused"]
    finally:
        small_sandbox.faults(error_rate=0, rate_limit=0, okta_rate_limit=0)
    assert {s.scope: s.reason for s in report.result.scopes.values() if s.status != "complete"} == {}
    assert {e.key for e in report.result.entitlements()} == set(small_sandbox.truth())
    refused = {code: n - before.get(code, 0) for code, n in after.items()}
    assert refused.get("429", 0) > 0 and refused.get("500", 0) + refused.get("503", 0) > 0  # and were absorbed


def test_workspace_down_marks_only_its_scope_partial_and_removes_nothing(
    small_sandbox: RunningSandbox,
    kafka_settings: Settings,
    catalog: SchemaCatalog,
    codec: EventCodec,
) -> None:
    settings = small_sandbox.settings(kafka_settings, collect_retry_timeout_s=3)
    sink = _sink(settings, catalog, codec)
    first = _run(settings, sink).result
    small_sandbox.faults(down=["dbc-001"])
    try:
        second = _run(settings, sink).result
    finally:
        small_sandbox.faults(down=[])
    down_ws = next(w for w in second.workspaces if w.deployment_name == "dbc-001")
    states = {s.scope: s for s in second.scopes.values()}
    assert states[down_ws.scope].status == "partial"  # assignments come from the account API
    assert "dbc-001" in (states[down_ws.scope].reason or "")
    assert all(s.status == "complete" for k, s in states.items() if k != down_ws.scope)
    events = read_events(settings, codec, "entitlement.v1", "collection.v1")
    assert by_type(events, "entitlement.removed") == []
    assert by_type(events, "entitlement.granted") == []
    (completed,) = by_type(events, "collection.completed", second.run_id)
    assert {s["scope"]: s["status"] for s in completed["scopes"]}[down_ws.scope] == "partial"
    assert len(list(first.entitlements())) > len(list(second.entitlements()))


def test_drift_emits_exactly_the_drifted_changes(
    kafka_settings: Settings,
    catalog: SchemaCatalog,
    codec: EventCodec,
) -> None:
    with running_sandbox(scenario="tiny", seed=5) as sandbox:
        settings = sandbox.settings(kafka_settings)
        sink = _sink(settings, catalog, codec)
        first = _run(settings, sink).result
        before = set(sandbox.truth())
        assert len(sandbox.drift(seed=3, changes=6)) == 6
        after = set(sandbox.truth())
        second = _run(settings, sink).result
    events = read_events(settings, codec, "entitlement.v1")
    granted = {p["entitlement"]["key"] for p in by_type(events, "entitlement.granted", second.run_id)}
    removed = {p["entitlement"]["key"] for p in by_type(events, "entitlement.removed", second.run_id)}
    assert granted == after - before and granted
    assert removed == before - after and removed
    assert all(p["previous_run_id"] == first.run_id for p in by_type(events, "entitlement.removed"))


def test_a_collector_that_is_no_workspace_admin_never_reports_complete(
    small_sandbox: RunningSandbox,
    settings: Settings,
) -> None:
    """Lists filter by caller: as a non-admin the collector sees (almost) nothing in dbc-001. It must
    say so, with the reason, instead of calling the subset complete."""
    small_sandbox.faults(non_admin=["dbc-001"])
    try:
        result = _run(small_sandbox.settings(settings), workspaces=["dbc-001", "dbc-002"], okta=False).result
    finally:
        small_sandbox.faults(non_admin=[])
    states = {w.deployment_name: result.scopes[w.scope] for w in result.workspaces}
    assert states["dbc-001"].status == "partial"
    assert "is not a workspace admin there" in (states["dbc-001"].reason or "")
    assert states["dbc-002"].status == "complete"
    truth = small_sandbox.truth()
    collected = {e.key for e in states["dbc-001"].entitlements}
    expected = {k for k, r in truth.items() if r["scope"] == states["dbc-001"].scope}
    assert collected < expected  # a strict subset: what it saw is true, and it is not all


def test_a_revoked_token_fails_only_its_workspace_with_a_clear_reason(
    small_sandbox: RunningSandbox,
    settings: Settings,
) -> None:
    small_sandbox.faults(revoked=["dbc-002"])
    try:
        result = _run(small_sandbox.settings(settings)).result
    finally:
        small_sandbox.faults(revoked=[])
    failed = {s.scope: s for s in result.scopes.values() if s.status != "complete"}
    (scope,) = [s for s in failed.values() if s.scope.startswith("workspace:")]
    assert scope.status == "partial"
    assert "workspace dbc-002" in (scope.reason or "") and "rejected the credentials" in (scope.reason or "")
    assert "Invalid access token." in (scope.reason or "")  # the real 403 answer, classified as authentication


def test_a_payload_missing_a_required_field_fails_its_scope_loudly(small_sandbox: RunningSandbox, settings: Settings) -> None:
    small_sandbox.faults(corrupt=["dbc-001"])
    try:
        result = _run(small_sandbox.settings(settings), workspaces=["dbc-001", "dbc-002"], okta=False).result
    finally:
        small_sandbox.faults(corrupt=[])
    states = {w.deployment_name: result.scopes[w.scope] for w in result.workspaces}
    assert states["dbc-001"].status == "partial"
    assert "job in workspace dbc-001 without required field 'job_id'" in (states["dbc-001"].reason or "")
    assert states["dbc-002"].status == "complete"
    assert not any(e.resource.type == "job" for e in states["dbc-001"].entitlements)  # no half-read jobs


def test_bad_account_token_is_a_clear_error(small_sandbox: RunningSandbox, settings: Settings) -> None:
    from pydantic import SecretStr

    with pytest.raises(AuthenticationError, match="account: Databricks OAuth refused the client credentials"):
        _run(small_sandbox.settings(settings, databricks_client_secret=SecretStr("dose-wrong")), okta=False)


def test_bad_okta_token_fails_only_the_okta_scope(small_sandbox: RunningSandbox, settings: Settings) -> None:
    from pydantic import SecretStr

    api_token = small_sandbox.settings(settings, okta_client_id=None, okta_private_key=None, okta_token=SecretStr("wrong"))
    result = _run(api_token, workspaces=["dbc-000"]).result
    okta = result.scopes["okta"]
    assert okta.status == "failed" and "the API token was rejected" in (okta.reason or "")
    assert all(s.status == "complete" for s in result.scopes.values() if s.scope != "okta")
    assert not any("orphan" in i["flags"] for i in result.identities)  # no Okta, no orphan verdicts


def test_okta_service_app_signs_in_with_its_private_key_and_a_foreign_key_is_refused(
    small_sandbox: RunningSandbox, settings: Settings
) -> None:
    """The okta SDK's own PrivateKey mode: a signed client assertion exchanged for a scoped token."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pydantic import SecretStr

    good = _run(small_sandbox.settings(settings, okta_token=None), workspaces=["dbc-000"]).result
    assert good.scopes["okta"].status == "complete" and good.scopes["okta"].calls > 0
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    bad = _run(
        small_sandbox.settings(settings, okta_token=None, okta_private_key=SecretStr(foreign.decode())),
        workspaces=["dbc-000"],
    ).result
    okta = bad.scopes["okta"]
    assert okta.status == "failed" and "credentials were rejected" in (okta.reason or ""), okta.reason


def test_unreachable_host_gives_up_in_bounded_time(settings: Settings) -> None:
    from pydantic import SecretStr

    dead = f"http://127.0.0.1:{free_port()}"
    bounded = settings.model_copy(
        update={
            "databricks_account_host": dead,
            "databricks_account_id": "a",
            "databricks_client_id": "c",
            "databricks_client_secret": SecretStr("t"),
            "databricks_workspace_url_template": dead + "/ws/{deployment_name}",
            "collect_retry_timeout_s": 2.0,
            "http_timeout_s": 2.0,
        }
    )
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="account"):
        _run(bounded, okta=False)
    assert time.monotonic() - started < 20


def test_workspace_filter_matches_truth_for_those_workspaces(
    small_sandbox: RunningSandbox, settings: Settings, tmp_path: Path
) -> None:
    report = run_collection(
        small_sandbox.settings(settings),
        CollectionOptions(workspaces=["dbc-003"], audit_days=0),
        export=tmp_path / "one.jsonl",
    )
    keys = {e.key for e in report.result.entitlements()}
    assert [w.deployment_name for w in report.result.workspaces] == ["dbc-003"]
    ws_scope = report.result.workspaces[0].scope
    truth = small_sandbox.truth()
    assert {k for k, r in truth.items() if r["scope"] == ws_scope} == {e.key for e in report.result.scopes[ws_scope].entitlements}
    assert report.exported == len(keys)


def test_a_pending_audit_query_is_awaited_and_a_timeout_costs_only_last_use(
    small_sandbox: RunningSandbox, settings: Settings
) -> None:
    """SQL statements may stay PENDING past wait_timeout on a cold warehouse: the collector polls; when
    it gives up, "last used" is unknown with the reason, and no entitlement is lost."""
    base = _run(small_sandbox.settings(settings), workspaces=["dbc-000"], okta=False).result
    used = {e.key: e.last_used_at for e in base.entitlements() if e.last_used_at}
    assert used
    small_sandbox.faults(pending_polls=2)
    try:
        polled = _run(small_sandbox.settings(settings), workspaces=["dbc-000"], okta=False).result
        small_sandbox.faults(pending_polls=10_000)
        late = _run(small_sandbox.settings(settings, collect_audit_timeout_s=2.0), workspaces=["dbc-000"], okta=False).result
    finally:
        small_sandbox.faults(pending_polls=0)
    assert {e.key: e.last_used_at for e in polled.entitlements() if e.last_used_at} == used
    assert {e.key for e in late.entitlements()} == {e.key for e in base.entitlements()}
    # tokens' last use comes from the token-management API, not from the audit query
    assert not any(e.last_used_at for e in late.entitlements() if e.resource.type != "personal_access_token")
    scope = next(s for s in late.scopes.values() if s.scope.startswith("workspace:"))
    assert scope.status == "complete" and scope.tally.counts["last_use_unknown"] == 1
    assert any("audit query timed out" in sample for sample in scope.tally.samples)


def test_an_azure_account_needs_its_workspaces_from_configuration(small_sandbox: RunningSandbox, settings: Settings) -> None:
    """Azure's account API does not list workspaces (databricks-sdk-py#734, #1106): a clear error
    naming the setting, and with AR_DATABRICKS_WORKSPACES the same access as on AWS."""
    from services.core.errors import ConfigError

    aws = _run(small_sandbox.settings(settings), workspaces=["dbc-001"], okta=False).result
    wanted = next(w for w in aws.workspaces if w.deployment_name == "dbc-001")
    small_sandbox.faults(cloud="azure")
    try:
        with pytest.raises(ConfigError, match="AR_DATABRICKS_WORKSPACES"):
            _run(small_sandbox.settings(settings), okta=False)
        listed = small_sandbox.settings(settings, databricks_workspaces=f"{wanted.workspace_id}:dbc-001")
        azure = _run(listed, okta=False).result
    finally:
        small_sandbox.faults(cloud="aws")
    state = azure.scopes[wanted.scope]
    assert state.status == "complete"
    # the configured list has no tags (production comes from name rules there); the access is the same
    key_set = {e.key for e in state.entitlements}
    assert key_set == {e.key for e in aws.scopes[wanted.scope].entitlements}


def test_okta_minute_windows_are_waited_out_not_failed(small_sandbox: RunningSandbox, settings: Settings) -> None:
    """Okta limits per endpoint per minute and X-Rate-Limit-Reset is the end of the window: the
    collector waits for it (up to a minute) and still reads every identity."""
    base = _run(small_sandbox.settings(settings), workspaces=["dbc-000"]).result
    calls = base.scopes["okta"].calls
    small_sandbox.faults(okta_minute_limit=max(5, calls // 3))
    try:
        before = small_sandbox.stats()["refused"].get("429", 0)
        limited = _run(small_sandbox.settings(settings), workspaces=["dbc-000"]).result
        refused = small_sandbox.stats()["refused"].get("429", 0) - before
    finally:
        small_sandbox.faults(okta_minute_limit=0)
    assert refused > 0
    assert limited.scopes["okta"].status == "complete", limited.scopes["okta"].reason
    assert sorted(i["id"] for i in limited.identities) == sorted(i["id"] for i in base.identities)
