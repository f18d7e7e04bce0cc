"""The campaign service on a real broker: it projects collector events, serves the pages, and a
decision made on the page is on the decision topic."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from services.campaign import models as m
from services.campaign.definition import CampaignDefinition
from services.campaign.launch_campaign import launch_campaign
from services.campaign.wiring import build_deps
from services.events.codec import EventCodec
from services.events.envelope import EventFactory, Producer
from services.events.synthetic_collection import SMALL, generate
from services.kafka.broker import free_port
from services.kafka.consumer import make_consumer
from services.kafka.producer import EventProducer
from services.runtime.context import ServiceContext
from tests.unit.campaign.webkit import csrf_of

pytestmark = pytest.mark.integration


def _wait(predicate, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_service_projects_collections_and_records_page_decisions(kafka_settings, catalog):  # type: ignore[no-untyped-def]
    port = free_port()
    settings = kafka_settings.model_copy(
        update={
            "web_port": port,
            "session_cookie_secure": False,
            "instance_id": "campaign-under-test",
            "campaign_tick_s": 3600.0,
        }
    )
    codec = EventCodec(catalog)
    scenario = generate(EventFactory(catalog, Producer("collector", "test", "collector-test")), SMALL)
    with EventProducer(settings, settings.kafka_bootstrap, codec) as producer:
        producer.publish_all(scenario.events)

    from services.campaign.service import run

    build_deps(settings, catalog=catalog)  # migrate before the service thread starts
    ctx = ServiceContext("campaign", settings)
    thread = threading.Thread(target=run, args=(ctx,), daemon=True)
    thread.start()
    try:
        deps = build_deps(settings, catalog=catalog)

        def projected() -> bool:
            assert thread.is_alive(), "the campaign service stopped"
            with deps.sessions() as session:
                return session.scalar(select(func.count()).select_from(m.ObservedEntitlement)) == len(scenario.entitlements)

        _wait(projected)
        admin_deps = build_deps(
            settings.model_copy(update={"instance_id": "cli-test"}),
            catalog=catalog,
            producer=EventProducer(settings, settings.kafka_bootstrap, codec),
        )
        result = launch_campaign(admin_deps, CampaignDefinition(name="Q3"), "admin@corp.example")
        with deps.sessions() as session:
            task = session.scalars(
                select(m.ReviewTask).where(
                    m.ReviewTask.campaign_id == result.campaign_id,
                    m.ReviewTask.risk_flags.not_like("%privileged%"),
                    m.ReviewTask.reviewer_level == 1,
                )
            ).first()
        from services.web.links import link_signer

        token, _ = link_signer(settings).mint(task.reviewer, result.campaign_id)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait(lambda: client.get("/healthz").status_code == 200, 20)
            inbox = client.post(f"/r/{token}", follow_redirects=True)
            assert inbox.status_code == 200 and task.task_id in inbox.text
            decided = client.post(
                f"/campaigns/{result.campaign_id}/decisions",
                headers={"accept": "application/json"},
                data={"csrf_token": csrf_of(inbox.text), "task_id": task.task_id, "decision": "approve"},
            )
            assert decided.status_code == 200, decided.text
            decision_id = decided.json()["decision_ids"][0]

        consumer = make_consumer(settings, settings.kafka_bootstrap, "test-reader")
        consumer.subscribe([settings.topic("decision.v1")])
        found = []
        deadline = time.monotonic() + 30
        while not found and time.monotonic() < deadline:
            for msg in consumer.consume(100, timeout=1.0):
                if msg.error() is None:
                    event = codec.decode(msg.value())
                    if event.payload["decision_id"] == decision_id:
                        found.append(event)
        consumer.close()
        assert found and found[0].payload["auth_method"] == "magic-link" and found[0].payload["link_token_id"]
        assert found[0].payload["ip"] == "127.0.0.1"
    finally:
        ctx.stop_event.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
