"""Two replicas of a timer on one database: only one ticks; when it dies, the other takes over.
On PostgreSQL (advisory lock) and on SQLite (file lock), with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
REPLICA = """
import os, sys, time
from sqlalchemy import create_engine
from services.db.leader import LeaderLock
lock = LeaderLock(create_engine(sys.argv[1]), "test-tick")
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        if lock.is_leader():
            out.write(f"{os.getpid()}\\n")
        time.sleep(0.1)
"""


def _ticks(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_one_replica_ticks_and_the_other_takes_over_when_it_dies(db_url: str, tmp_path: Path) -> None:
    ticks = tmp_path / "ticks.txt"
    replicas = [
        subprocess.Popen([sys.executable, "-c", REPLICA, db_url, str(ticks)], cwd=ROOT, start_new_session=True) for _ in range(2)
    ]
    try:
        time.sleep(4)
        leaders = set(_ticks(ticks))
        assert len(leaders) == 1, f"{len(leaders)} replicas ticked at once"
        (leader,) = leaders
        before = len(_ticks(ticks))
        os.kill(leader, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and set(_ticks(ticks)[before:]) - {leader} == set():
            time.sleep(0.2)
        after = set(_ticks(ticks)[before:]) - {leader}
        assert len(after) == 1, "no replica took over after the leader was killed"
        assert after != leaders
    finally:
        for proc in replicas:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
