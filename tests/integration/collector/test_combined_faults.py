"""Every fault at once: what a bad day on a real account looks like, and the collection is still exact.

Injected 500/503 errors on one request in ten, 429s from a per-workspace limit and from the
documented per-endpoint budgets, Okta minute windows whose reset is the end of the window (up to
a minute's wait), Okta's concurrency limit, SQL statements that stay PENDING past
``wait_timeout``, and a workspace where the collecting principal is not an admin. Each is tested
alone elsewhere (``test_collect_sandbox.py``); here they meet.
"""

from __future__ import annotations

import pytest

from services.collector.collect import CollectionOptions, CollectionResult
from services.collector.run import run_collection
from services.core.settings import Settings
from tests.integration.sandbox.harness import RunningSandbox

pytestmark = pytest.mark.integration
NON_ADMIN = "dbc-003"


def _collect(sandbox: RunningSandbox, settings: Settings) -> CollectionResult:
    configured = sandbox.settings(settings, collect_retry_timeout_s=90)
    return run_collection(configured, CollectionOptions(workers=8, audit_days=30)).result


def test_all_faults_at_once_still_give_the_truth_and_say_what_is_missing(
    small_sandbox: RunningSandbox, settings: Settings
) -> None:
    clean = _collect(small_sandbox, settings)
    okta_calls = clean.scopes["okta"].calls
    used = {e.key: e.last_used_at for e in clean.entitlements() if e.last_used_at}
    small_sandbox.faults(
        error_rate=0.1,
        rate_limit=15,
        okta_rate_limit=15,
        okta_minute_limit=max(5, okta_calls - 3),  # the window runs out once: one wait for its reset
        okta_concurrency=3,
        pending_polls=2,
        non_admin=[NON_ADMIN],
    )
    try:
        before = small_sandbox.stats()
        result = _collect(small_sandbox, settings)
        after = small_sandbox.stats()
    finally:
        small_sandbox.faults(
            error_rate=0, rate_limit=0, okta_rate_limit=0, okta_minute_limit=0, okta_concurrency=0, pending_polls=0, non_admin=[]
        )
    refused = {code: n - before["refused"].get(code, 0) for code, n in after["refused"].items()}
    assert refused.get("429", 0) > 0 and refused.get("500", 0) + refused.get("503", 0) > 0
    assert after["refused_by_area"].get("okta", 0) > before["refused_by_area"].get("okta", 0)  # Okta's limits were met
    scopes = result.scopes
    non_admin = next(w for w in result.workspaces if w.deployment_name == NON_ADMIN)
    not_complete = {s.scope: s.reason for s in scopes.values() if s.status != "complete"}
    assert set(not_complete) == {non_admin.scope}
    assert "is not a workspace admin there" in (not_complete[non_admin.scope] or "")
    truth = small_sandbox.truth()
    outside = {k for k, r in truth.items() if r["scope"] != non_admin.scope}
    collected = {e.key for e in result.entitlements()}
    assert collected - {e.key for e in scopes[non_admin.scope].entitlements} == outside  # exact everywhere else
    assert {e.key for e in scopes[non_admin.scope].entitlements} < {k for k in truth if k not in outside}
    last_used = {e.key: e.last_used_at for e in result.entitlements() if e.last_used_at}
    faulted = {k: v for k, v in last_used.items() if k in outside}
    clean = {k: v for k, v in used.items() if k in outside}
    tables = {k for k in clean if "|table:" in k}
    assert {k: v for k, v in faulted.items() if k not in tables} == {k: v for k, v in clean.items() if k not in tables}
    # a table's last use comes from every attached workspace's audit log, the non-admin one's too,
    # which cannot be read: what is reported is true, and at most as recent as without faults
    assert set(faulted) <= set(clean) and all(faulted[k] <= clean[k] for k in set(faulted) & tables)
    assert {e.key: e.managed_by for e in scopes["account"].entitlements} == {
        k: r["managed_by"] for k, r in truth.items() if r["scope"] == "account"
    }
