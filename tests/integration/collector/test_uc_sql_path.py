"""Unity Catalog through system.information_schema, and back to REST when that cannot be used."""

from __future__ import annotations

import pytest

from services.collector.collect import CollectionOptions, CollectionResult
from services.collector.run import run_collection
from services.core.settings import Settings
from tests.integration.sandbox.harness import RunningSandbox

pytestmark = pytest.mark.integration


def _collect(sandbox: RunningSandbox, settings: Settings, source: str) -> tuple[CollectionResult, int]:
    before = sandbox.stats()["total"]
    options = CollectionOptions(workers=8, audit_days=0, okta=False)
    result = run_collection(sandbox.settings(settings, collect_uc_source=source), options).result
    return result, sandbox.stats()["total"] - before


def _metastores(result: CollectionResult) -> dict[str, object]:
    return {s.scope: s for s in result.scopes.values() if s.scope.startswith("metastore:")}


def test_the_sql_path_reads_what_rest_reads_with_fewer_requests(small_sandbox: RunningSandbox, settings: Settings) -> None:
    by_sql, sql_requests = _collect(small_sandbox, settings, "auto")
    by_rest, rest_requests = _collect(small_sandbox, settings, "rest")
    records = {e.key: e.as_record() for e in by_sql.entitlements()}
    assert records == {e.key: e.as_record() for e in by_rest.entitlements()}
    assert set(records) == set(small_sandbox.truth())
    assert all(s.read_path.startswith("sql (") and s.status == "complete" for s in _metastores(by_sql).values())  # type: ignore[attr-defined]
    assert all(s.read_path == "rest (AR_COLLECT_UC_SOURCE=rest)" for s in _metastores(by_rest).values())  # type: ignore[attr-defined]
    uc_sql = sum(s.calls for s in _metastores(by_sql).values())  # type: ignore[attr-defined]
    uc_rest = sum(s.calls for s in _metastores(by_rest).values())  # type: ignore[attr-defined]
    assert uc_sql * 3 < uc_rest and sql_requests < rest_requests


def test_a_metastore_without_a_usable_warehouse_is_read_through_rest_and_says_why(
    small_sandbox: RunningSandbox, settings: Settings
) -> None:
    every = [f"dbc-{i:03d}" for i in range(6)]
    small_sandbox.faults(non_admin=every)  # lists show the collector nothing it holds: no warehouse either
    try:
        result, _ = _collect(small_sandbox, settings, "auto")
    finally:
        small_sandbox.faults(non_admin=[])
    truth = small_sandbox.truth()
    for scope, state in _metastores(result).items():
        assert state.read_path.startswith("rest (no SQL warehouse")  # type: ignore[attr-defined]
        assert {e.key for e in state.entitlements} == {k for k, r in truth.items() if r["scope"] == scope}  # type: ignore[attr-defined]
