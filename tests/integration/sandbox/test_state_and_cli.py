"""``sandbox up --state FILE`` survives a restart; ``truth`` and ``drift`` work live and on a file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.sandbox.harness import REPO, cli_env, running_sandbox

pytestmark = pytest.mark.integration


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "sandbox", *args],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _keys(text: str) -> set[str]:
    return {json.loads(line)["key"] for line in text.splitlines() if line}


def test_state_file_keeps_drift_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    with running_sandbox("--state", str(state), scenario="tiny", seed=31) as sandbox:
        token, port = sandbox.info["databricks_token"], str(sandbox.port)
        before = _cli("truth", "--port", port, "--token", token)
        assert before.returncode == 0, before.stderr
        drift = _cli("drift", "--port", port, "--token", token, "--seed", "2")
        assert drift.returncode == 0 and len(json.loads(drift.stdout)["changes"]) == 6
        after = set(sandbox.truth())
        refused = _cli("truth", "--port", port, "--token", "wrong")
        assert refused.returncode == 2 and "refused the token" in refused.stderr
    assert after != _keys(before.stdout)
    with running_sandbox("--state", str(state), scenario="tiny", seed=31) as restarted:
        assert set(restarted.truth()) == after  # restored, not regenerated from the seed
    offline = _cli("drift", "--state", str(state), "--seed", "3", "--changes", "2")
    assert offline.returncode == 0, offline.stderr
    from_file = _cli("truth", "--state", str(state))
    assert from_file.returncode == 0 and _keys(from_file.stdout) not in (after, set())


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    unknown = _cli("truth", "--scenario", "enormous")
    assert unknown.returncode == 2 and "unknown scenario" in unknown.stderr and "Traceback" not in unknown.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"not": "a state"}')
    bad_state = _cli("truth", "--state", str(garbage))
    assert bad_state.returncode == 2 and "not a sandbox state file" in bad_state.stderr
    nowhere = _cli("drift")
    assert nowhere.returncode == 2 and "--port" in nowhere.stderr
