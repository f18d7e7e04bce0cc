"""ISOLATED catalogs: read through a workspace bound to them, or reported as unreadable, never skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.collector.collect import CollectionOptions
from services.collector.run import run_collection
from services.core.settings import Settings
from services.sandbox.model import save_state
from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import running_sandbox

pytestmark = pytest.mark.integration
SEED = 13


def _isolated(state_seed: int) -> tuple[str, list[int]]:
    state = build_state("tiny", state_seed)
    cat = next(s for s in state.securables.values() if s.kind == "catalog" and s.bound_workspaces)
    return cat.full_name, list(cat.bound_workspaces or [])


def test_an_isolated_catalog_is_read_through_a_bound_workspace(settings: Settings) -> None:
    name, bound = _isolated(SEED)
    with running_sandbox(scenario="tiny", seed=SEED) as sandbox:
        report = run_collection(sandbox.settings(settings), CollectionOptions(workers=4, audit_days=0))
        truth = sandbox.truth()
    assert {s.scope: s.reason for s in report.result.scopes.values() if s.status != "complete"} == {}
    assert {e.key for e in report.result.entitlements()} == set(truth)
    assert any("catalog:" in k and f"/{name}|" in k for k in truth), name  # the isolated catalog has grants
    assert len(bound) < len(report.result.workspaces)  # and some workspace cannot reach it


def test_a_catalog_bound_to_no_collected_workspace_makes_its_metastore_partial(settings: Settings, tmp_path: Path) -> None:
    state = build_state("tiny", SEED)
    cat = next(s for s in state.securables.values() if s.kind == "catalog" and s.bound_workspaces)
    cat.bound_workspaces = [4_000_000_000_000_001]  # a workspace of another account, say
    path = tmp_path / "state.json"
    save_state(state, path)
    with running_sandbox("--state", str(path), scenario="tiny", seed=SEED) as sandbox:
        report = run_collection(sandbox.settings(settings), CollectionOptions(workers=4, audit_days=0))
    metastore = report.result.scopes[f"metastore:{cat.metastore_id}"]
    assert metastore.status == "partial"
    assert f"catalog {cat.full_name} is ISOLATED" in (metastore.reason or "") and "4000000000000001" in (metastore.reason or "")
    assert not any(f"/{cat.full_name}|" in e.key or f"/{cat.full_name}." in e.key for e in report.result.entitlements())
    assert all(s.status == "complete" for k, s in report.result.scopes.items() if k != metastore.scope)
