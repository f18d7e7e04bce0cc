"""The auditor's tool end to end through the real CLI entry point (exit codes, JSON, bundles)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.ledger import layout
from tests.unit.ledger.helpers import ORIGIN, Ledger, build_ledger

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, PYTHONPATH=str(REPO), AR_ENV="test", AR_LOG_LEVEL="WARNING", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "ledger", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=REPO,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = build_ledger(tmp_path)
    keyfile = tmp_path / "trusted.pub.json"
    keyfile.write_text(json.dumps(led.signer.public.to_json()))
    return led


def key(ledger: Ledger) -> str:
    return str(ledger.root / "trusted.pub.json")


def test_verify_exit_codes_and_json(ledger: Ledger, tmp_path: Path) -> None:
    url = f"file://{ledger.root / 'store'}"
    ok = cli("verify", url, "--public-key", key(ledger), "--witness", f"file://{ledger.root / 'witness'}", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert report["status"] == "valid" and report["events_verified"] == 101
    human = cli("verify", url, "--public-key", key(ledger))
    assert human.returncode == 8 and "UNANCHORED" in human.stdout and "anchored to nothing outside the store" in human.stdout
    accepted = cli("verify", url, "--public-key", key(ledger), "--allow-unanchored")
    assert accepted.returncode == 0 and "VALID" in accepted.stdout and "--allow-unanchored" in accepted.stdout
    untrusted = cli("verify", url)
    assert untrusted.returncode == 7 and "never trusted" in untrusted.stdout
    ledger.flip(layout.segment_key(1), -30)
    bad = cli("verify", url, "--public-key", key(ledger), "--json")
    assert bad.returncode == 1
    assert "segment-hash" in {f["code"] for f in json.loads(bad.stdout)["findings"]}
    assert cli("verify", "ftp://nowhere").returncode == 2
    assert cli("verify", f"file://{tmp_path / 'missing'}", "--public-key", key(ledger), "--json").returncode == 3
    assert cli("verify", url, "--public-key", str(tmp_path / "nokey.json")).returncode == 2


def test_events_as_json_lines_with_filters(ledger: Ledger) -> None:
    url = f"file://{ledger.root / 'store'}"
    out = cli("events", url, "--from", "10", "--to", "19")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 0 and [e["seq"] for e in lines] == list(range(10, 20))
    typed = cli("events", url, "--type", "decision.recorded")
    events = [json.loads(line) for line in typed.stdout.splitlines()]
    assert events and all(e["event"]["event_type"] == "decision.recorded" for e in events)
    dead = [json.loads(line) for line in cli("events", url, "--to", "5").stdout.splitlines() if "dead_letter" in line]
    assert dead and dead[0]["value_b64"]
    corr = cli("events", url, "--correlation", "corr-1")
    assert len(corr.stdout.splitlines()) == 100


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_replay_rebuilds_the_events_index(ledger: Ledger, tmp_path: Path, db: str, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'replay.db'}" if db == "sqlite" else request.getfixturevalue("pg_url")
    store = f"file://{ledger.root / 'store'}"
    first = cli("replay", store, "--to", url, "--until", "49")
    assert first.returncode == 0, first.stderr
    assert "events_index: 50 entries applied" in first.stdout
    rest = cli("replay", store, "--to", url)
    assert "events_index: 51 entries applied" in rest.stdout
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select seq, event_id, kind from ledger_events order by seq")).all()
        if db == "postgresql":
            conn.execute(sa.text("drop table ledger_events, ledger_replay_state"))
            conn.commit()
    engine.dispose()
    assert [r.seq for r in rows] == list(range(101))
    assert {e[2] for e in ledger.events} <= {r.event_id for r in rows}
    assert sum(r.kind == "dead_letter" for r in rows) == 1


def test_prove_and_check_proof_offline(ledger: Ledger, tmp_path: Path) -> None:
    event_id = ledger.events[42][2]
    out = cli("prove", f"file://{ledger.root / 'store'}", event_id)
    assert out.returncode == 0, out.stderr
    proof_path = tmp_path / "proof.json"

    def check(proof: dict, *extra: str) -> subprocess.CompletedProcess[str]:  # type: ignore[type-arg]
        proof_path.write_text(json.dumps(proof))
        return cli("check-proof", str(proof_path), "--public-key", key(ledger), *extra)

    good = json.loads(out.stdout)
    unanchored = check(good, "--origin", ORIGIN)
    assert unanchored.returncode == 8, unanchored.stderr
    checked = check(good, "--origin", ORIGIN, "--allow-unanchored")
    assert checked.returncode == 0, checked.stderr
    result = json.loads(checked.stdout)
    assert result["event_id"] == event_id and result["event"]["event_id"] == event_id
    assert check(good, "--origin", "ledger.other.example/x", "--allow-unanchored").returncode == 1
    assert check(good, "--allow-unanchored").returncode == 2  # --origin is required
    assert cli("check-proof", str(proof_path), "--origin", ORIGIN).returncode == 7
    assert check({**good, "proof": ["00" * 32, *good["proof"][1:]]}, "--origin", ORIGIN, "--allow-unanchored").returncode == 1
    assert check({**good, "seq": good["seq"] + 1}, "--origin", ORIGIN, "--allow-unanchored").returncode == 1
    edited = json.loads(out.stdout)
    edited["event"]["payload"] = {**edited["event"].get("payload", {}), "decision": "approve"}
    assert check(edited, "--origin", ORIGIN, "--allow-unanchored").returncode == 1
    assert cli("prove", f"file://{ledger.root / 'store'}", "01NOPE").returncode == 4


def test_export_bundle_verifies_offline(ledger: Ledger, tmp_path: Path) -> None:
    out_dir = tmp_path / "bundle"
    exported = cli("export", f"file://{ledger.root / 'store'}", "--out", str(out_dir), "--correlation", "corr-1")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["proofs"] == 100
    assert (out_dir / "README.md").exists() and (out_dir / "events.jsonl").exists()
    ok = cli("verify", f"file://{out_dir}", "--public-key", key(ledger), "--json", "--allow-unanchored")
    assert ok.returncode == 0, ok.stdout
    assert "proofs.json: every proof checked against its checkpoint" in json.loads(ok.stdout)["bundle"]
    standalone = subprocess.run(
        [sys.executable, str(out_dir / "verify_bundle.py"), str(out_dir), "--public-key", key(ledger), "--allow-unanchored"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ.get("PATH", "")},  # nothing from this product on the path
        cwd=tmp_path,
    )
    assert standalone.returncode == 0 and standalone.stdout.startswith("VALID"), standalone.stdout + standalone.stderr


def test_keygen_then_bench(tmp_path: Path) -> None:
    made = cli("keygen", "--out", str(tmp_path / "keys"), "--name", "bench-key")
    assert made.returncode == 0, made.stderr
    assert oct((tmp_path / "keys" / "bench-key.key").stat().st_mode & 0o777) == "0o600"
    assert cli("keygen", "--out", str(tmp_path / "keys"), "--name", "bench-key").returncode == 2
    bench = cli(
        "bench",
        "--events",
        "3000",
        "--store",
        f"file://{tmp_path / 'b'}",
        "--signing-key",
        str(tmp_path / "keys" / "bench-key.key"),
        "--seal-events",
        "1000",
        "--json",
    )
    assert bench.returncode == 0, bench.stderr
    result = json.loads(bench.stdout)
    assert result["verify_status"] == "valid" and result["segments"] == 3
    assert result["append_events_per_s"] > 0 and result["floor_events_per_s"] > 0
    verify = cli(
        "verify", f"file://{tmp_path / 'b'}", "--public-key", str(tmp_path / "keys" / "bench-key.pub.json"), "--allow-unanchored"
    )
    assert verify.returncode == 0, verify.stdout


def test_verify_publish_puts_the_result_on_the_bus(ledger: Ledger, kafka_settings) -> None:  # type: ignore[no-untyped-def]
    """The CronJob's run: a failing verification reaches security as a ledger.verified event."""
    from services.core.ids import new_ulid
    from services.events.codec import EventCodec
    from services.kafka.consumer import ConsumerRunner
    from services.kafka.producer import EventProducer
    from services.runtime.context import ServiceContext

    ledger.flip(layout.segment_key(1), -30)
    url = f"file://{ledger.root / 'store'}"
    env = {"AR_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap, "AR_KAFKA_TOPIC_PREFIX": kafka_settings.kafka_topic_prefix}
    result = cli("verify", url, "--public-key", key(ledger), "--json", "--publish", env=env)
    assert result.returncode == 1
    ctx = ServiceContext("check", kafka_settings)
    found = []
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, ctx.codec)
    topics = [kafka_settings.topic("ledger.v1")]
    ConsumerRunner(
        kafka_settings,
        kafka_settings.kafka_bootstrap,
        f"check-{new_ulid()}",
        topics,
        lambda e, m: found.append(e),
        EventCodec(ctx.catalog),
        producer,
    ).run(until=lambda s: s.handled >= 1, max_idle_s=20)
    (event,) = found
    assert event.event_type == "ledger.verified" and event.payload["status"] == "invalid"
    assert "segment-hash" in {f["code"] for f in event.payload["findings"]}


def test_an_export_is_recorded_in_the_ledger(ledger: Ledger, kafka_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Who took what out of the ledger is evidence too: ledger.exported with the bundle's listing hash."""
    import hashlib

    from services.core.ids import new_ulid
    from services.events.codec import EventCodec
    from services.kafka.consumer import ConsumerRunner
    from services.kafka.producer import EventProducer
    from services.runtime.context import ServiceContext

    env = {"AR_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap, "AR_KAFKA_TOPIC_PREFIX": kafka_settings.kafka_topic_prefix}
    out_dir = tmp_path / "bundle"
    result = cli("export", f"file://{ledger.root / 'store'}", "--out", str(out_dir), "--correlation", "corr-1", env=env)
    assert result.returncode == 0 and json.loads(result.stdout)["recorded_in_ledger"] is True, result.stderr
    offline = cli("export", f"file://{ledger.root / 'store'}", "--out", str(tmp_path / "b2"))
    assert json.loads(offline.stdout)["recorded_in_ledger"] is False and "not recorded in the ledger" in offline.stderr
    ctx = ServiceContext("check", kafka_settings)
    found: list = []
    producer = EventProducer(kafka_settings, kafka_settings.kafka_bootstrap, ctx.codec)
    ConsumerRunner(
        kafka_settings,
        kafka_settings.kafka_bootstrap,
        f"check-{new_ulid()}",
        [kafka_settings.topic("ledger.v1")],
        lambda e, m: found.append(e),
        EventCodec(ctx.catalog),
        producer,
    ).run(until=lambda s: any(e.event_type == "ledger.exported" for e in found), max_idle_s=20)
    (event,) = [e for e in found if e.event_type == "ledger.exported"]
    assert event.payload["bundle_sha256"] == hashlib.sha256((out_dir / "bundle.json").read_bytes()).hexdigest()
    assert event.payload["correlation_id_exported"] == "corr-1" and event.payload["events"] == 100
