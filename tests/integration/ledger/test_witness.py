"""The witness as its own process (``accessreview witness serve``, its own key and state), the
ledger writer getting every checkpoint cosigned over HTTP, and the auditor's CLI anchored to it.

The witness follows c2sp.org/tlog-witness; each refusal the spec names is exercised over HTTP.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.kafka.broker import free_port
from services.ledger import layout, merkle
from services.ledger.checkpoint import Checkpoint
from services.ledger.keys import Ed25519Signer, KeyRing
from services.ledger.stores import open_store
from services.ledger.witnessing import WitnessClient
from tests.unit.ledger.helpers import ORIGIN, make_writer, sample_values

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
LOG_SIGNER = Ed25519Signer.generate("test-ledger-key", "2020-01-01T00:00:00Z")


class Witness:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root.mkdir(parents=True, exist_ok=True)
        (root / "log.pub.json").write_text(json.dumps(LOG_SIGNER.public.to_json()))
        self.env = dict(
            os.environ,
            PYTHONPATH=str(REPO),
            AR_ENV="test",
            AR_DATA_DIR=str(root / "data"),
            AR_WITNESS_STATE_DIR=str(root / "state"),
            AR_WITNESS_NAME="witness.test.example",
            AR_WITNESS_LOGS=json.dumps([f"{ORIGIN}={root / 'log.pub.json'}"]),
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "witness", "serve", "--bind", f"127.0.0.1:{self.port}"],
            env=self.env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"witness did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    @property
    def public_key_file(self) -> Path:
        return next((self.root / "state" / "key").glob("*.pub.json"))

    def witness_ring(self) -> KeyRing:
        from services.ledger.keys import load_public_keys

        return load_public_keys([self.public_key_file])


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Witness]:
    w = Witness(tmp_path / "witness")
    w.start()
    yield w
    w.kill()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), AR_ENV="test", AR_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "ledger", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=REPO,
    )


def sealed_ledger(root: Path, witness: Witness, segments: int = 4, per_segment: int = 15):  # type: ignore[no-untyped-def]
    store = open_store(f"file://{root / 'store'}")
    writer = make_writer(store, LOG_SIGNER)
    writer.witnessing = WitnessClient(witness.url, store, LOG_SIGNER.public, witness.witness_ring())
    now = int(datetime.now(UTC).timestamp() * 1e6)
    for i, (topic, value, _id) in enumerate(sample_values(segments * per_segment)):
        writer.append(value, topic, 0, i, now + i, None, [])
        if writer.pending_count >= per_segment:
            writer.seal()
    return store, writer


def test_every_checkpoint_is_cosigned_and_the_cli_verifies_anchored(witness: Witness, tmp_path: Path) -> None:
    store, writer = sealed_ledger(tmp_path, witness)
    assert writer.witnessing.cosigned == 4 and writer.witnessing.failures == 0
    assert len(store.list(layout.WITNESSED)) == 4
    log_key = tmp_path / "log.pub.json"
    log_key.write_text(json.dumps(LOG_SIGNER.public.to_json()))
    url = f"file://{tmp_path / 'store'}"
    args = ("verify", url, "--public-key", str(log_key), "--witness-key", str(witness.public_key_file))
    ok = cli(*args, "--witness", witness.url, "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert (
        "witness.test.example SHA256:" in report["anchored_to"]
        and f"witness {witness.url}: tree size 60" in report["anchored_to"]
    )
    stranger = tmp_path / "stranger.pub.json"
    stranger.write_text(json.dumps(Ed25519Signer.generate("witness.test.example").public.to_json()))
    untrusted = cli(
        "verify", url, "--public-key", str(log_key), "--witness-key", str(stranger), "--witness", witness.url, "--json"
    )
    assert untrusted.returncode == 1  # the live witness's word counts only with a trusted cosignature
    assert "cosignature-untrusted" in {f["code"] for f in json.loads(untrusted.stdout)["findings"]}
    for n in (3, 2):  # the insider deletes the newest segments and everything that names them
        for key in (layout.segment_key(n), layout.manifest_key(n), layout.checkpoint_key(n), layout.witnessed_key(n)):
            (tmp_path / "store" / key).unlink()
    offline = cli(*args)
    assert offline.returncode == 0  # still anchored, to the older cosignature only; the time says how old
    live = cli(*args, "--witness", witness.url, "--json")
    assert live.returncode == 1 and "tail-truncated" in {f["code"] for f in json.loads(live.stdout)["findings"]}


def test_a_witness_that_was_down_catches_up_with_a_longer_proof(witness: Witness, tmp_path: Path) -> None:
    witness.kill()
    store, writer = sealed_ledger(tmp_path, witness, segments=2)
    assert writer.witnessing.cosigned == 0 and writer.witnessing.failures == 2  # sealing went on
    witness.start()
    now = int(datetime.now(UTC).timestamp() * 1e6)
    writer.append(sample_values(1)[0][1], "ar.x", 1, 0, now, None, [])
    writer.seal()
    assert writer.witnessing.cosigned == 1
    latest = httpx.get(f"{witness.url}/checkpoint", params={"origin": ORIGIN}).text
    assert latest.split("\n")[1] == "31"


def test_a_restarted_writer_resumes_from_the_witnessed_size(witness: Witness, tmp_path: Path) -> None:
    store, _writer = sealed_ledger(tmp_path, witness, segments=2)
    again = make_writer(store, LOG_SIGNER)
    again.witnessing = WitnessClient(witness.url, store, LOG_SIGNER.public, witness.witness_ring())
    again.witnessing.resume(again.state.next_segment - 1)
    assert again.witnessing.base is not None and again.witnessing.base.size == 30
    again.append(sample_values(1)[0][1], "ar.x", 1, 0, int(time.time() * 1e6), None, [])
    again.seal()
    assert again.witnessing.cosigned == 1


def _post(witness: Witness, old: int, proof: list[bytes], note: bytes) -> httpx.Response:
    body = f"old {old}\n".encode() + b"".join(base64.b64encode(p) + b"\n" for p in proof) + b"\n" + note
    return httpx.post(f"{witness.url}/add-checkpoint", content=body)


def test_the_witness_refuses_as_the_protocol_says_and_keeps_its_state_across_kill(witness: Witness) -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(10)]
    cp = lambda n, s=LOG_SIGNER, origin=ORIGIN: Checkpoint(origin, n, merkle.root_of(leaves[:n])).sign(s)  # noqa: E731
    assert _post(witness, 0, [], cp(4, origin="other.example/log")).status_code == 404
    assert _post(witness, 0, [], cp(4, s=Ed25519Signer.generate("test-ledger-key"))).status_code == 403
    assert _post(witness, 0, [], b"garbage").status_code == 404  # its first line names no known log
    assert httpx.post(f"{witness.url}/add-checkpoint", content=b"old 01\n\n" + cp(4)).status_code == 400
    assert _post(witness, 5, [], cp(4)).status_code == 400  # old size above the checkpoint's
    first = _post(witness, 0, [], cp(4))
    assert first.status_code == 200 and first.text.startswith("\u2014 witness.test.example ")
    stale = _post(witness, 0, [], cp(6))
    assert (stale.status_code, stale.headers["content-type"].split(";")[0], stale.text) == (409, "text/x.tlog.size", "4\n")
    assert _post(witness, 4, [bytes(32)], cp(6)).status_code == 422  # a proof that does not verify
    fork = Checkpoint(ORIGIN, 4, bytes(32)).sign(LOG_SIGNER)
    assert _post(witness, 4, [], fork).status_code == 409  # same size, another root
    witness.kill()
    witness.start()
    assert _post(witness, 0, [], cp(6)).text == "4\n"  # the state survived kill -9
    good = _post(witness, 4, merkle.consistency_proof(4, 6, leaves), cp(6))
    assert good.status_code == 200
    assert _post(witness, 6, [], cp(4)).status_code == 400  # a smaller checkpoint: rollback refused
