"""`make demo` end to end on a small scenario: every service as a real process, a real mailbox,
reviewers through their emailed links, and an offline audit of the resulting ledger."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_a_whole_campaign_and_the_ledger_audits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AR_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli.main",
            "demo",
            "--scenario",
            "tiny",
            "--reviewers",
            "3",
            "--data-dir",
            str(tmp_path / "demo"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "VALID" in out and "MATCH" in out
    assert "demo finished" in out
    mails = list((tmp_path / "demo" / "mailbox").glob("*.eml"))
    assert mails, "no review email reached the mailbox"
    bundle = next((tmp_path / "demo" / "evidence").iterdir())
    verify = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "ledger", "verify", f"file://{bundle}", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
