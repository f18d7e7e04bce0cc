"""Process behaviour: graceful shutdown on SIGTERM, the supervisor, the CLI's exit codes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from rich.console import Console

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.envelope import EventFactory
from services.events.samples import sample_events
from services.kafka.broker import free_port
from services.kafka.consumer import committed_offsets
from services.kafka.producer import EventProducer
from services.runtime.registry import ServiceSpec
from services.runtime.supervisor import Supervisor

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        AR_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        AR_KAFKA_TOPIC_PREFIX=settings.kafka_topic_prefix,
        AR_DATA_DIR=str(settings.data_dir),
        AR_ENV="test",
    )
    env.update(extra)
    return env


def test_sigterm_stops_a_consumer_cleanly_with_its_offsets_committed(
    kafka_settings: Settings, codec: EventCodec, factory: EventFactory
) -> None:
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, codec)
    events = sample_events(factory, 1)[:2] + sample_events(factory, 2)[:2]
    producer.publish_all(events)
    group = "graceful-tail"
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "events", "tail", "--topic", "collection.v1", "--group", group],
        env=_env(kafka_settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 40
    while len(lines) < 4 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            lines.append(line)
    assert len(lines) == 4, proc.stderr.read() if proc.poll() is not None else "no output"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    topic = kafka_settings.topic("collection.v1")
    committed = committed_offsets(
        kafka_settings, kafka_settings.kafka_bootstrap, group, [TopicPartition(topic, p) for p in range(3)]
    )
    assert sum(max(tp.offset, 0) for tp in committed) == 4


def test_supervisor_reports_a_crashing_service_and_does_not_restart_it_forever(kafka_settings: Settings) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    specs = [
        ServiceSpec("crashy", "exits at once", "tests.support.crashing_service:crash"),
        ServiceSpec("steady", "runs until stopped", "tests.support.crashing_service:idle"),
    ]
    supervisor = Supervisor(
        kafka_settings,
        specs=specs,
        console=console,
        max_restarts=1,
        extra_env={"PYTHONPATH": str(ROOT), "AR_KAFKA_TOPIC_PREFIX": kafka_settings.kafka_topic_prefix},
    )
    supervisor.start()
    try:
        deadline = time.monotonic() + 40
        while not supervisor.failed and time.monotonic() < deadline:
            supervisor.watch_once()
            time.sleep(0.2)
        assert supervisor.failed == ["crashy"]
        steady = next(c for c in supervisor.children if c.spec.name == "steady")
        assert steady.proc is not None and steady.proc.poll() is None
    finally:
        supervisor.stop()
    text = out.getvalue()
    assert "crashy exited with code 7; restarting" in text
    assert "crashy failed" in text
    assert "steady |" in text and "idle service stopping cleanly" in text
    assert steady.proc.returncode == 0


def test_cli_exit_codes_for_config_and_unreachable_broker(tmp_path: Path) -> None:
    base = dict(os.environ, PYTHONPATH=str(ROOT), AR_DATA_DIR=str(tmp_path))
    bad = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "topics", "ensure"],
        env=dict(base, AR_LEDGER_SEAL_EVENTS="lots"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "AR_LEDGER_SEAL_EVENTS" in bad.stderr
    started = time.monotonic()
    down = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "topics", "ensure", "--bootstrap", f"127.0.0.1:{free_port()}"],
        env=dict(base, AR_KAFKA_CONNECT_TIMEOUT_S="3"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 3, down.stderr
    assert "did not answer" in down.stderr
    assert time.monotonic() - started < 20
    assert "Traceback" not in down.stderr + bad.stderr
