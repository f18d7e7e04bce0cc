"""The campaign read models on PostgreSQL: launch, decide, close, then rebuild from the events alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.close_campaign import close_campaign
from services.campaign.definition import CampaignDefinition
from services.campaign.launch_campaign import launch_campaign
from services.campaign.projector import PROJECTOR, project_events
from services.campaign.record_decision import DecisionRequest, record_decisions
from services.campaign.wiring import build_deps
from services.core.actor import Actor
from services.core.settings import Settings
from services.events.synthetic_collection import SMALL, generate
from tests.support import infra
from tests.support.clock import FixedClock
from tests.unit.campaign.conftest import LAUNCH_AT

pytestmark = pytest.mark.integration


@pytest.fixture
def own_pg_url(pg_admin_url: str) -> Iterator[str]:
    """A database of this test's own: it resets and compares whole read models, so the session's
    shared database (where other tests replay their own campaigns) would not do."""
    with infra.postgres_database(pg_admin_url) as url:
        yield url


def _snapshot(deps):  # type: ignore[no-untyped-def]
    with deps.sessions() as session:
        tasks = [
            (t.task_id, t.reviewer, t.decision, t.decision_id, t.escalation_level, t.risk_flags, t.routed_by)
            for t in session.scalars(select(m.ReviewTask).order_by(m.ReviewTask.task_id))
        ]
        campaigns = [(c.campaign_id, c.status, c.population_hash, c.figures_json) for c in session.scalars(select(m.Campaign))]
        revocations = sorted(session.scalars(select(m.Revocation.revocation_id)))
    return tasks, campaigns, revocations


def test_launch_decide_close_and_rebuild_on_postgres(tmp_path, own_pg_url, catalog):  # type: ignore[no-untyped-def]
    settings = Settings(env="test", data_dir=tmp_path, database_url=own_pg_url, security_reviewer="security-review@corp.example")
    deps = build_deps(settings, clock=FixedClock(LAUNCH_AT), catalog=catalog)
    journal: list = []
    deps.sink.journal = journal
    deps.sink.emit(generate(deps.sink.factory, SMALL, at_us=int(LAUNCH_AT.timestamp() * 1e6) - 10**9).events)
    deps.sink.emit(generate(deps.sink.factory, SMALL, at_us=int(LAUNCH_AT.timestamp() * 1e6) - 10**9).events)  # again: idempotent
    result = launch_campaign(deps, CampaignDefinition(name="Q3", non_response="revoke"), "admin@corp.example")
    with deps.sessions() as session:
        tasks = list(session.scalars(select(m.ReviewTask).where(m.ReviewTask.reviewer_level == 1).limit(40)))
    for task in tasks[:20]:
        record_decisions(deps, Actor(task.reviewer, "magic-link"), DecisionRequest([task.task_id], "revoke", "not needed"))
    for task in tasks[20:]:
        record_decisions(deps, Actor(task.reviewer, "magic-link"), DecisionRequest([task.task_id], "approve", "needed"))
    figures = close_campaign(deps, result.campaign_id, Actor("admin@corp.example", "cli"))
    with deps.sessions() as session:
        revoked_keys = set(session.scalars(select(m.ReviewTask.entitlement_key).where(m.ReviewTask.decision == "revoke")))
    assert figures["tasks"] > figures["items"] > 500 and figures["revocations_requested"] == len(revoked_keys)
    assert figures["items"] - 20 <= len(revoked_keys) < figures["items"]  # approved ones kept unless security did not answer
    before = _snapshot(deps)

    with deps.sessions.begin() as session:
        PROJECTOR.reset(session)
    with deps.sessions.begin() as session:
        assert session.scalar(select(m.ReviewTask.task_id).limit(1)) is None
        project_events(journal, session)
    assert _snapshot(deps) == before
