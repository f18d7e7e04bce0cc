"""`make demo` end to end on a small scenario: every service as a real process, a real mailbox,
reviewers through their emailed links, and an offline audit of the resulting ledger."""

from __future__ import annotations

import json
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
    log_key = next((tmp_path / "demo" / "ledger-keys").glob("*.pub.json"))
    witness_key = next((tmp_path / "demo" / "witness" / "key").glob("*.pub.json"))

    def verify(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "services.cli.main", "ledger", "verify", f"file://{bundle}", "--json", *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)

    assert verify().returncode == 7  # no key given out of band: nothing is trusted
    anchored = verify("--public-key", str(log_key), "--witness-key", str(witness_key))
    assert anchored.returncode == 0, anchored.stdout + anchored.stderr
    assert "cosignatures in the store by witness.accessreview.local" in anchored.stdout
    assert any("decisions.csv: re-derived from the ledger, identical" in line for line in json.loads(anchored.stdout)["bundle"])
    standalone = subprocess.run(
        [
            sys.executable,
            str(bundle / "verify_bundle.py"),
            str(bundle),
            "--public-key",
            str(log_key),
            "--witness-key",
            str(witness_key),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": os.environ.get("PATH", "")},
        cwd=tmp_path,
    )
    assert standalone.returncode == 0 and standalone.stdout.startswith("VALID"), standalone.stdout + standalone.stderr
