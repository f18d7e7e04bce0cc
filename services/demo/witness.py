"""The witness beside the demo stack: its own process, key and state directory, as in production."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.core.errors import UnavailableError
from services.kafka.broker import free_port


@dataclass(frozen=True)
class RunningWitness:
    url: str
    public_key_file: Path

    def env(self, origin: str) -> dict[str, str]:
        """What the ledger needs to get every checkpoint cosigned."""
        return {
            "AR_LEDGER_ORIGIN": origin,
            "AR_LEDGER_WITNESS_URL": self.url,
            "AR_LEDGER_WITNESS_KEYS": json.dumps([str(self.public_key_file)]),
        }


@contextmanager
def running_witness(state_dir: Path, origin: str, log_public_key: Path) -> Iterator[RunningWitness]:
    port = free_port()
    env = dict(
        os.environ,
        AR_WITNESS_STATE_DIR=str(state_dir),
        AR_WITNESS_LOGS=json.dumps([f"{origin}={log_public_key}"]),
        AR_LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "witness", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield RunningWitness(url, next((state_dir / "key").glob("*.pub.json")))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UnavailableError(f"the witness exited with code {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise UnavailableError("the witness did not become ready within 30 s")
