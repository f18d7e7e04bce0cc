"""kill -9 of the writer at random moments under load through the real broker: afterwards the
ledger holds every produced message exactly once, in a gap-free, verifiable log.

Each trial is one kill at a random moment of a writer that is consuming and sealing while a
producer keeps writing. ``-m soak`` runs many more trials.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from services.core.settings import Settings
from tests.integration.ledger.harness import (
    Load,
    assert_ledger_matches_cluster,
    ledger_positions,
    produced_positions,
    start_writer,
    wait_for_ledger,
)

pytestmark = pytest.mark.integration


def run_trials(overrides: dict[str, Any], trials: int, seed: int) -> None:
    rng = random.Random(seed)
    settings = Settings(**overrides)
    grew = 0
    with Load(settings):
        for _ in range(trials):
            before = sum(ledger_positions(settings).values()) if Path(settings.effective_ledger_store[7:]).exists() else 0
            proc = start_writer(overrides)
            time.sleep(rng.uniform(0.15, 1.2))
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(10)
            assert proc.exitcode == -signal.SIGKILL  # it was alive (not failed) when killed
            grew += sum(ledger_positions(settings).values()) > before
    assert grew >= trials // 2, f"the writer made progress in only {grew} of {trials} trials"
    expected = produced_positions(settings)
    assert len(expected) > 100
    proc = start_writer(overrides)  # drain and stop cleanly
    try:
        wait_for_ledger(settings, expected, 60)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.join(30)
    assert_ledger_matches_cluster(settings, expected)


def test_kill_minus_nine_loses_nothing_duplicates_nothing(overrides: dict[str, Any]) -> None:
    run_trials(overrides, trials=20, seed=int(os.environ.get("AR_CRASH_SEED", "7")))


@pytest.mark.soak
def test_kill_minus_nine_soak(overrides: dict[str, Any]) -> None:
    run_trials(overrides, trials=int(os.environ.get("AR_CRASH_TRIALS", "150")), seed=int(time.time()))
