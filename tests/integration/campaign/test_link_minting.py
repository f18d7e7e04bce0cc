"""A sign-in link minted by an operator's command is evidence: review_link.minted (for whom, by
whom, its token id) reaches the log before the link is printed, and no broker means no link."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.kafka.consumer import ConsumerRunner
from services.kafka.producer import EventProducer
from services.runtime.context import ServiceContext

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def link(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = ["campaign", "link", "--reviewer", "Owner@Example.com", "--campaign", "c-1", "--base-url", "http://review.example"]
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("AR_")}, "PYTHONPATH": str(REPO), "AR_ENV": "test", **env}
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args], capture_output=True, text=True, env=full, timeout=120, cwd=REPO
    )


def test_a_minted_link_is_recorded_before_it_is_printed(kafka_settings: Settings, tmp_path: Path) -> None:
    refused = link({"AR_DATA_DIR": str(tmp_path / "a")})
    assert refused.returncode == 2 and "AR_KAFKA_BOOTSTRAP" in refused.stderr and "http://review.example" not in refused.stdout
    env = {
        "AR_DATA_DIR": str(tmp_path),
        "AR_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap,
        "AR_KAFKA_TOPIC_PREFIX": kafka_settings.kafka_topic_prefix,
    }
    minted = link(env)
    assert minted.returncode == 0, minted.stderr
    url = minted.stdout.strip()
    assert url.startswith("http://review.example/r/")
    ctx = ServiceContext("check", kafka_settings)
    found: list = []
    ConsumerRunner(
        kafka_settings,
        kafka_settings.kafka_bootstrap,
        f"check-{new_ulid()}",
        [kafka_settings.topic("notification.v1")],
        lambda e, m: found.append(e),
        EventCodec(ctx.catalog),
        EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, ctx.codec),
    ).run(until=lambda s: s.handled >= 1, max_idle_s=20)
    (event,) = found
    assert event.event_type == "review_link.minted" and event.envelope.producer.service == "campaign"
    assert event.payload["reviewer"] == "owner@example.com" and event.payload["campaign_id"] == "c-1"
    assert event.payload["link_token_id"].startswith("lt-") and "@" in event.payload["minted_by"]
    from services.web.links import link_signer

    claims = link_signer(Settings(env="test", data_dir=tmp_path)).verify(url.rsplit("/", 1)[1])
    assert claims.token_id == event.payload["link_token_id"]  # the recorded token is the printed one
