"""Under injected 5xx (``error_rate`` 0.1), the documented rate limits, and ``kill -9`` of the
enforcer service mid-batch (twice), the end state is exactly the intended one: every revocation
applied once, nothing else changed, one ``revocation.applied`` per revocation. The service runs
as it does in production: ``accessreview service enforcer``, on PostgreSQL and the real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.schemas import SchemaCatalog
from tests.integration.enforcer.conftest import direct
from tests.integration.enforcer.harness import make_enforcer
from tests.integration.sandbox.harness import RunningSandbox

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
KINDS = ("job", "cluster", "warehouse", "notebook", "table", "schema", "catalog", "group", "secret_scope", "serving_endpoint")


def _targets(truth: dict[str, dict[str, Any]], count: int) -> list[dict[str, Any]]:
    guarded = {r["principal"]["id"] for r in truth.values() if r["privilege"] == "RUN_AS"}
    direct_on: dict[str, int] = {}
    for r in truth.values():
        if direct(r):
            direct_on[r["resource"]["id"]] = direct_on.get(r["resource"]["id"], 0) + 1
    out, used_objects = [], set()
    for key in sorted(truth):
        r = truth[key]
        if not (direct(r) and r["principal"]["type"] == "user" and r["principal"]["id"] not in guarded):
            continue
        if r["resource"]["type"] not in KINDS or r["privilege"] in ("OWNER", "IS_OWNER") or r.get("managed_by"):
            continue
        if (
            r["resource"]["type"] not in ("group", "table", "schema", "catalog", "secret_scope")
            and direct_on[r["resource"]["id"]] < 3
        ):
            continue  # an ACL keeps other direct grants after the removal
        if r["resource"]["type"] == "group" and r["principal"]["id"] in {t["principal"]["id"] for t in out}:
            continue
        out.append(r)
        used_objects.add(r["resource"]["id"])
        if len(out) == count:
            return out
    raise AssertionError(f"only {len(out)} targets")


def _removed_by(record: dict[str, Any], truth: dict[str, dict[str, Any]], chosen: list[dict[str, Any]]) -> set[str]:
    keys = {record["key"]}
    if record["resource"]["type"] == "group":
        gid, pid = record["resource"]["id"], record["principal"]["id"]
        keys |= {k for k, r in truth.items() if r["principal"]["id"] == pid and gid in r["via_groups"]}
    return keys


def _statuses(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text("select revocation_id, status from enf_revocations")).tuples().all())
    finally:
        engine.dispose()


def test_faults_and_kill_9_end_in_exactly_the_intended_state(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec, pg_url: str, tmp_path: Path
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec, database_url=pg_url)
    enforcer.collect()
    before = sandbox.truth()
    targets = _targets(before, 24)
    rids = {enforcer.request(r, campaign="c-crash"): r for r in targets}
    sandbox.faults(error_rate=0.1, latency_ms=30.0)
    env = {
        **os.environ,
        **sandbox.env(),
        "PYTHONPATH": str(ROOT),
        "AR_ENV": "test",
        "AR_DATA_DIR": str(tmp_path),
        "AR_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap,
        "AR_KAFKA_TOPIC_PREFIX": kafka_settings.kafka_topic_prefix,
        "AR_DATABASE_URL": pg_url,
        "AR_ENFORCER_MODE": "enforce",
        "AR_ENFORCER_SETTLE_S": "0",
        "AR_ENFORCER_TICK_S": "0.2",
        "AR_ENFORCER_FACTS_WAIT_S": "0.5",
        "AR_ENFORCER_RETRY_BACKOFF_S": "0.2",
        "AR_ENFORCER_MAX_ATTEMPTS": "10",
        "AR_ENFORCER_WORKERS": "4",
        "AR_TICKETS_SYSTEM": "webhook",
        "AR_TICKETS_URL": f"{sandbox.info['account_host']}/tickets/webhook",
    }

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "service", "enforcer"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def applied() -> int:
        try:
            return sum(1 for s in _statuses(pg_url).values() if s == "applied")
        except Exception:  # noqa: BLE001 - the tables appear when the service has started
            return 0

    kills = 0
    proc = start()
    try:
        for threshold in (3, 10):  # kill -9 mid-batch, twice
            deadline = time.monotonic() + 120
            while applied() < threshold and time.monotonic() < deadline:
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            kills += 1
            proc = start()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            statuses = _statuses(pg_url)
            if len(statuses) == len(rids) and all(s in ("applied", "failed") for s in statuses.values()):
                break
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        sandbox.faults(error_rate=0.0, latency_ms=0.0)
    assert kills == 2
    statuses = _statuses(pg_url)
    assert statuses == {rid: "applied" for rid in rids}
    after = sandbox.truth()
    expected = set().union(*(_removed_by(r, before, targets) for r in targets))
    assert set(before) - set(after) == expected and set(after) <= set(before)
    applied_events = enforcer.events("revocation.applied")
    ids_per_revocation: dict[str, set[str]] = {}
    for e in applied_events:
        ids_per_revocation.setdefault(e.payload["revocation_id"], set()).add(e.event_id)
    assert {rid: len(ids) for rid, ids in ids_per_revocation.items()} == {rid: 1 for rid in rids}
