"""Broker failures on a real three-broker Apache Kafka cluster (replication 3, min.insync.replicas 2):
``kill -9`` of the partition leader during ledger ingest and during a campaign launch, and a whole
cluster restart while the ledger runs. Afterwards the ledger holds exactly what the cluster holds,
once each, and verifies; the services resumed on their own. ``-m soak`` runs 50 trials per kind.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from services.core.ids import new_ulid
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.schemas import SchemaCatalog
from services.kafka.admin import ensure_topics
from services.kafka.apache import ApacheKafka
from services.kafka.producer import EventProducer
from tests.integration.failover.conftest import record
from tests.integration.ledger.harness import (
    Load,
    assert_ledger_matches_cluster,
    ledger_positions,
    produced_positions,
    start_writer,
    wait_for_ledger,
)

pytestmark = [pytest.mark.integration, pytest.mark.kafka]
TRIALS = int(os.environ.get("AR_FAILOVER_TRIALS", "5"))


def _overrides(cluster: ApacheKafka, tmp_path: Path) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path,
        "kafka_bootstrap": cluster.bootstrap,
        "kafka_topic_prefix": f"f{new_ulid().lower()}.",
        "kafka_replication_factor": 3,
        "database_url": "",
        "ledger_store": f"file://{tmp_path / 'ledger'}",
        "ledger_witness": f"file://{tmp_path / 'witness'}",
        "ledger_seal_events": 500,
        "ledger_seal_seconds": 0.5,
        "ledger_verify_interval_s": 3600.0,
    }
    ensure_topics(Settings(**overrides), cluster.bootstrap)
    return overrides


def _ledger_size(settings: Settings) -> int:
    store = Path(settings.effective_ledger_store.removeprefix("file://"))
    return sum(ledger_positions(settings).values()) if store.exists() else 0


def _wait_for_growth(settings: Settings, before: int, timeout_s: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if _ledger_size(settings) > before:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


class Writer:
    """The ledger service in its own process, for the length of a test."""

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.proc = start_writer(overrides)

    def alive(self) -> bool:
        return bool(self.proc.is_alive())

    def stop(self) -> None:
        if self.proc.is_alive():
            os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.kill()


@pytest.fixture
def writer_overrides(kafka_cluster: ApacheKafka, tmp_path: Path) -> Iterator[tuple[dict[str, Any], Writer]]:
    overrides = _overrides(kafka_cluster, tmp_path)
    writer = Writer(overrides)
    try:
        yield overrides, writer
    finally:
        writer.stop()


def _kill_leader_trial(cluster: ApacheKafka, settings: Settings, writer: Writer, n: int, trials: int, rng: random.Random) -> None:
    topic = settings.topic("entitlement.v1")
    partition = rng.randrange(12)
    victim = cluster.leader_of(topic, partition)
    before = _ledger_size(settings)
    cluster.kill_node(victim)
    resumed = _wait_for_growth(settings, before, 45)  # the two remaining brokers keep the ISR at 2
    cluster.start_node(victim)
    cluster.wait_ready()
    alive = writer.alive()
    record(
        f"leader kill during ledger ingest, trial {n}/{trials}: killed broker {victim} (leader of {topic}[{partition}]); "
        + (f"ledger appending again after {resumed:.1f} s" if resumed is not None else "ledger did NOT resume")
        + f"; writer {'running' if alive else 'DIED'}"
    )
    assert resumed is not None and alive


def run_leader_kills(cluster: ApacheKafka, overrides: dict[str, Any], writer: Writer, trials: int) -> None:
    settings = Settings(**overrides)
    rng = random.Random(int(os.environ.get("AR_FAILOVER_SEED", "11")))
    with Load(settings, rate=800) as load:
        _wait_for_growth(settings, 0, 60)
        for n in range(1, trials + 1):
            time.sleep(rng.uniform(0.3, 1.5))
            _kill_leader_trial(cluster, settings, writer, n, trials, rng)
    expected = produced_positions(settings)
    caught_up = wait_for_ledger(settings, expected, 90)
    assert_ledger_matches_cluster(settings, expected)
    record(
        f"leader kill during ledger ingest: {trials} trials, {len(expected)} messages in the cluster, all in the ledger "
        f"once each ({caught_up:.1f} s to drain), ledger verifies; producer stalls {load.stalls}"
    )


def test_leader_killed_during_ledger_ingest(kafka_cluster: ApacheKafka, writer_overrides: tuple[dict[str, Any], Writer]) -> None:
    overrides, writer = writer_overrides
    run_leader_kills(kafka_cluster, overrides, writer, TRIALS)


@pytest.mark.soak
def test_leader_killed_during_ledger_ingest_soak(
    kafka_cluster: ApacheKafka, writer_overrides: tuple[dict[str, Any], Writer]
) -> None:
    overrides, writer = writer_overrides
    run_leader_kills(kafka_cluster, overrides, writer, int(os.environ.get("AR_FAILOVER_SOAK_TRIALS", "50")))


def run_cluster_restarts(cluster: ApacheKafka, overrides: dict[str, Any], writer: Writer, trials: int) -> None:
    settings = Settings(**overrides)
    with Load(settings, rate=400) as load:
        _wait_for_growth(settings, 0, 60)
        for n in range(1, trials + 1):
            stalls_before = load.stalls
            for node in cluster.nodes:
                cluster.kill_node(node.node_id)
            time.sleep(4)
            alive_while_down = writer.alive()
            before = _ledger_size(settings)
            for node in cluster.nodes:
                cluster.start_node(node.node_id, wait=False)
            cluster.wait_ready(120)
            resumed = _wait_for_growth(settings, before, 90)
            record(
                f"whole cluster restart, trial {n}/{trials}: writer {'kept running' if alive_while_down else 'DIED'} "
                f"while all brokers were down; producer reported {load.stalls - stalls_before} stall(s); "
                + (f"ledger appending again {resumed:.1f} s after the restart" if resumed is not None else "ledger stalled")
            )
            assert alive_while_down and writer.alive() and resumed is not None
    expected = produced_positions(settings)
    caught_up = wait_for_ledger(settings, expected, 120)
    assert_ledger_matches_cluster(settings, expected)
    record(
        f"whole cluster restart: {trials} trials, {len(expected)} messages in the cluster, all in the ledger once each "
        f"({caught_up:.1f} s to drain), ledger verifies; {load.undelivered} message(s) timed out in the producer "
        "(never on the cluster, so not expected in the ledger)"
    )


def test_whole_cluster_restart_while_the_ledger_runs(
    kafka_cluster: ApacheKafka, writer_overrides: tuple[dict[str, Any], Writer]
) -> None:
    overrides, writer = writer_overrides
    run_cluster_restarts(kafka_cluster, overrides, writer, TRIALS)


@pytest.mark.soak
def test_whole_cluster_restart_soak(kafka_cluster: ApacheKafka, writer_overrides: tuple[dict[str, Any], Writer]) -> None:
    overrides, writer = writer_overrides
    run_cluster_restarts(kafka_cluster, overrides, writer, int(os.environ.get("AR_FAILOVER_SOAK_TRIALS", "50")))


def _event_ids_on(settings: Settings, topic_base: str, partitions: int) -> Counter[str]:
    """Every event id the cluster holds on a topic (from the ``ar-event-id`` header), with counts."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"read-{new_ulid()}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    consumer.assign([TopicPartition(settings.topic(topic_base), p, OFFSET_BEGINNING) for p in range(partitions)])
    ids: Counter[str] = Counter()
    idle_since = time.monotonic()
    try:
        while time.monotonic() - idle_since < 2.0:
            for msg in consumer.consume(5000, timeout=0.3):
                if msg.error() is None:
                    ids[dict(msg.headers() or [])["ar-event-id"].decode()] += 1
                    idle_since = time.monotonic()
    finally:
        consumer.close()
    return ids


def test_leader_killed_during_a_campaign_launch(
    kafka_cluster: ApacheKafka, writer_overrides: tuple[dict[str, Any], Writer], tmp_path: Path
) -> None:
    """A launch publishing ~50k review tasks while the leader of the task topic is killed: every task is
    on the cluster exactly once (idempotent producer, acks=all), and the ledger holds exactly that."""
    run_launch_kills(kafka_cluster, writer_overrides, tmp_path, TRIALS)


@pytest.mark.soak
def test_leader_killed_during_a_campaign_launch_soak(
    kafka_cluster: ApacheKafka, writer_overrides: tuple[dict[str, Any], Writer], tmp_path: Path
) -> None:
    run_launch_kills(kafka_cluster, writer_overrides, tmp_path, int(os.environ.get("AR_FAILOVER_SOAK_TRIALS", "50")))


def run_launch_kills(
    kafka_cluster: ApacheKafka, writer_overrides: tuple[dict[str, Any], Writer], tmp_path: Path, trials: int
) -> None:
    from services.campaign.definition import CampaignDefinition
    from services.campaign.launch_campaign import launch_campaign
    from services.campaign.wiring import build_deps
    from services.events.synthetic_collection import LARGE, SMALL, generate

    overrides, writer = writer_overrides
    settings = Settings(**{**overrides, "database_url": f"sqlite:///{tmp_path / 'campaign.db'}"})
    deps = build_deps(settings, producer=None)
    size = LARGE if os.environ.get("AR_FAILOVER_LAUNCH", "large") == "large" else SMALL
    deps.sink.emit(generate(deps.sink.factory, size).events)
    deps.sink.producer = EventProducer(settings, settings.kafka_bootstrap, EventCodec(SchemaCatalog(settings.schema_dir)))
    rng = random.Random(int(os.environ.get("AR_FAILOVER_SEED", "11")))
    tasks = 0
    for n in range(1, trials + 1):
        result: dict[str, Any] = {}
        definition = CampaignDefinition(name=f"failover-{n}")
        launch = threading.Thread(
            target=lambda d=definition, out=result: out.update(r=launch_campaign(deps, d, "admin@corp.example"))
        )
        launch.start()
        time.sleep(rng.uniform(1.0, 4.0))
        victim = kafka_cluster.leader_of(settings.topic("review-task.v1"), rng.randrange(6))
        kafka_cluster.kill_node(victim)
        killed_mid_launch = launch.is_alive()
        launch.join(300)
        kafka_cluster.start_node(victim)
        kafka_cluster.wait_ready()
        launched = result["r"]
        tasks += launched.tasks
        record(
            f"leader kill during a campaign launch, trial {n}/{trials}: killed broker {victim} "
            f"{'while the launch was publishing' if killed_mid_launch else 'after the launch had finished'}; "
            f"{launched.population_count} items, {launched.tasks} tasks published"
        )
    ids = _event_ids_on(settings, "review-task.v1", 6)
    duplicated = [event_id for event_id, count in ids.items() if count > 1]
    assert not duplicated, f"review-task events on the cluster more than once: {duplicated[:5]}"
    assert len(ids) >= tasks, f"{tasks} tasks launched, {len(ids)} task events on the cluster"
    expected = produced_positions(settings)
    wait_for_ledger(settings, expected, 180)
    assert_ledger_matches_cluster(settings, expected)
    assert writer.alive()
    record(
        f"leader kill during a campaign launch: {trials} trials, {tasks} tasks launched, {len(ids)} task events on the "
        f"cluster, none twice; {len(expected)} messages in the cluster, all in the ledger once each, ledger verifies"
    )
