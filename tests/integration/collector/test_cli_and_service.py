"""The commands a user types, and the service loop, against a running sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from services.collector.wiring import baseline_store
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.runtime.context import ServiceContext
from tests.integration.collector.conftest import by_type, read_events
from tests.integration.sandbox.harness import REPO, cli_env, running_sandbox

pytestmark = pytest.mark.integration


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=REPO,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def _keys(path: Path) -> set[str]:
    return {json.loads(line)["key"] for line in path.read_text().splitlines()}


def test_collect_once_export_equals_sandbox_truth_computed_offline(tmp_path: Path) -> None:
    with running_sandbox(scenario="tiny", seed=21) as sandbox:
        env = {**sandbox.env(), "AR_DATA_DIR": str(tmp_path), "AR_KAFKA_BOOTSTRAP": ""}
        done = _cli("collect", "--once", "--export", str(tmp_path / "c.jsonl"), "--no-progress", env=env)
        assert done.returncode == 0, done.stderr
        assert "0 partial, 0 failed" in done.stderr
        nothing = _cli("collect", "--once", env=env)
        assert nothing.returncode == 2 and "nothing to do" in nothing.stderr
        wrong = _cli(
            "collect",
            "--no-okta",
            "--export",
            str(tmp_path / "x.jsonl"),
            env={**env, "AR_DATABRICKS_CLIENT_SECRET": "bad"},
        )
        assert wrong.returncode == 6 and "account: Databricks OAuth refused the client credentials" in wrong.stderr
        assert "Traceback" not in wrong.stderr
    truth = _cli("sandbox", "truth", "--scenario", "tiny", "--seed", "21", "--out", str(tmp_path / "t.jsonl"), env={})
    assert truth.returncode == 0, truth.stderr
    assert _keys(tmp_path / "c.jsonl") == _keys(tmp_path / "t.jsonl")
    assert not (tmp_path / "x.jsonl").exists()


def test_service_collects_on_an_interval_and_stops_promptly(kafka_settings: Settings, codec: EventCodec) -> None:
    with running_sandbox(scenario="tiny", seed=22) as sandbox:
        settings = sandbox.settings(kafka_settings, collect_interval_s=3600.0)
        ctx = ServiceContext("collector", settings)
        from services.collector.service import run

        worker = threading.Thread(target=run, args=(ctx,), daemon=True)
        worker.start()
        baselines = baseline_store(settings)
        deadline = time.monotonic() + 90
        while baselines.load("account") is None and time.monotonic() < deadline:  # written after the publish
            time.sleep(0.5)
        stop_asked = time.monotonic()
        ctx.stop_event.set()
        worker.join(15)
    assert not worker.is_alive() and time.monotonic() - stop_asked < 15
    completed = by_type(read_events(settings, codec, "collection.v1"), "collection.completed")
    assert len(completed) == 1 and all(s["status"] == "complete" for s in completed[0]["scopes"])  # type: ignore[union-attr]
