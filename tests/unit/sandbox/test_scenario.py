"""The scenario generator: the brief's numbers, determinism, state files and drift."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from services.core.errors import UsageError
from services.sandbox.drift import apply_drift
from services.sandbox.model import load_state, save_state
from services.sandbox.scenario import build_state
from services.sandbox.truth import truth_entitlements


@pytest.fixture(scope="module")
def default_state():  # type: ignore[no-untyped-def]
    started = time.monotonic()
    state = build_state("default", 7)
    assert time.monotonic() - started < 5  # the default scenario builds in seconds
    return state


def test_default_scenario_has_the_briefs_numbers(default_state) -> None:  # type: ignore[no-untyped-def]
    s = default_state
    assert len(s.workspaces) == 120 and sum(w.production for w in s.workspaces.values()) == 30
    assert len(s.users) == 1500 and len(s.groups) == 250 and len(s.service_principals) == 50
    jobs = [j for w in s.workspaces.values() for j in w.jobs]
    assert len(jobs) == 1000 and sum(j.production for j in jobs) == 350
    assert all(j.owner_id and j.run_as_id for j in jobs if j.production)
    kinds = Counter(x.kind for x in s.securables.values() if ".information_schema" not in x.full_name)
    assert (kinds["metastore"], kinds["catalog"], kinds["schema"], kinds["table"]) == (3, 40, 300, 3000)
    # besides, as in every real account, each catalog has an information_schema of views
    assert sum(1 for x in s.securables.values() if x.full_name.endswith(".information_schema")) == 40
    no_approver = sum(1 for g in s.groups.values() if not g.okta_owner_ids and not g.approver_attribute)
    assert 0.10 <= no_approver / len(s.groups) <= 0.20
    nested = sum(1 for g in s.groups.values() if any(m in s.groups for m in g.members))
    assert nested >= 10
    drift = sum(
        1
        for u in s.users.values()
        if u.okta_status in ("DEPROVISIONED", "SUSPENDED") and u.active and u.okta_id and u.in_databricks
    )
    assert 0.01 <= drift / len(s.users) <= 0.06
    assert sum(u.user_type == "contractor" for u in s.users.values()) > 50
    assert len([w for w in s.workspaces.values() if w.tags.get("incident") == "over-provisioned"]) == 2
    grants = Counter(x.kind for x in s.securables.values() for _ in x.grants)
    assert grants["catalog"] + grants["schema"] > grants["table"]  # mostly at catalog/schema level
    assert len(s.audit) > 100


def test_over_provisioned_workspaces_give_a_broad_group_manage_on_prod_jobs(default_state) -> None:  # type: ignore[no-untyped-def]
    broad = next(g.id for g in default_state.groups.values() if g.display_name == "all-engineers")
    for ws in (w for w in default_state.workspaces.values() if w.tags.get("incident")):
        assert all(any(g.principal_id == broad and g.privilege == "CAN_MANAGE" for g in j.acl) for j in ws.jobs if j.production)


def test_same_seed_same_truth_other_seed_other_truth() -> None:
    one = sorted(e.key for e in truth_entitlements(build_state("small", 3)))
    assert one == sorted(e.key for e in truth_entitlements(build_state("small", 3)))
    assert one != sorted(e.key for e in truth_entitlements(build_state("small", 4)))
    assert len(one) == len(set(one))


def test_state_file_round_trip(tmp_path: Path) -> None:
    state = build_state("tiny", 9)
    save_state(state, tmp_path / "s.json")
    restored = load_state(tmp_path / "s.json")
    assert restored == state
    assert [e.key for e in truth_entitlements(restored)] == [e.key for e in truth_entitlements(state)]


def test_drift_is_seeded_and_changes_the_truth() -> None:
    a, b = build_state("tiny", 9), build_state("tiny", 9)
    before = {e.key for e in truth_entitlements(a)}
    assert apply_drift(a, 1, 6) == apply_drift(b, 1, 6)
    after = {e.key for e in truth_entitlements(a)}
    assert after - before and before - after
    assert any(u.okta_status == "SUSPENDED" for u in a.users.values())


def test_unknown_scenario_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown scenario"):
        build_state("huge", 1)
