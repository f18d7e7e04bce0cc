"""Campaign fixtures: a migrated SQLite read model, a sink that records every event, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.campaign.approvers import ApproverRules
from services.campaign.deps import CampaignDeps
from services.campaign.sink import EventSink
from services.db.engine import session_factory
from services.events.envelope import EventFactory, Producer
from services.events.synthetic_collection import SMALL, Scenario, generate
from tests.support.clock import FixedClock

LAUNCH_AT = datetime(2026, 9, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(LAUNCH_AT)


@pytest.fixture
def deps(settings, catalog, clock) -> CampaignDeps:  # type: ignore[no-untyped-def]
    sessions = session_factory(settings)
    factory = EventFactory(catalog, Producer("campaign", "0", "test"), clock)
    return CampaignDeps(
        sessions=sessions,
        sink=EventSink(sessions, factory, journal=[]),
        security_reviewer="security-review@corp.example",
        approvers=ApproverRules.empty(),
        clock=clock,
    )


@pytest.fixture
def scenario(deps: CampaignDeps) -> Scenario:
    """The small scenario, collected: its events projected into the read model."""
    generated = generate(deps.sink.factory, SMALL, at_us=int(LAUNCH_AT.timestamp() * 1e6) - 3600 * 10**6)
    deps.sink.emit(generated.events)
    return generated


@pytest.fixture
def site(tmp_path, deps, scenario):  # type: ignore[no-untyped-def]
    from services.campaign.definition import CampaignDefinition
    from services.campaign.launch_campaign import launch_campaign
    from services.core.settings import Settings
    from tests.unit.campaign.webkit import ADMIN, AUDITOR, Site

    settings = Settings(
        env="test",
        data_dir=tmp_path,
        session_cookie_secure=False,
        admin_emails=[ADMIN],
        auditor_emails=[AUDITOR],
        security_reviewer="security-review@corp.example",
    )
    result = launch_campaign(deps, CampaignDefinition(name="2026-Q3 access review"), ADMIN)
    return Site(settings, deps, result.campaign_id, None)


@pytest.fixture
def client(site):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(site.app(), base_url="http://testserver") as c:
        yield c
