"""Run ``accessreview sandbox up`` as a child process and talk to it: for tests, benchmarks and demos.

:func:`running_sandbox` starts it, reads its one-line JSON announcement and stops it on exit;
:class:`RunningSandbox` turns that announcement into settings or ``AR_*`` variables and drives
the ``/_sandbox`` admin endpoints (truth, drift, faults, stats).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from services.core.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningSandbox:
    proc: subprocess.Popen[str]
    info: dict[str, str]

    @property
    def port(self) -> int:
        return int(self.info["account_host"].rsplit(":", 1)[1])

    def settings(self, base: Settings, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "databricks_account_host": self.info["account_host"],
            "databricks_account_id": self.info["account_id"],
            "databricks_workspace_url_template": self.info["workspace_url_template"],
            "databricks_client_id": self.info["databricks_client_id"],
            "databricks_client_secret": SecretStr(self.info["databricks_client_secret"]),
            "okta_org_url": self.info["okta_org_url"],
            "okta_token": SecretStr(self.info["okta_token"]),
            "okta_client_id": self.info["okta_client_id"],
            "okta_private_key": SecretStr(self.info["okta_private_key"]),
            "okta_databricks_app_id": self.info["okta_databricks_app_id"],
            "collect_retry_timeout_s": 20.0,
            "http_timeout_s": 10.0,
            "collect_workers": 8,
        }
        values.update(overrides)
        return base.model_copy(update=values)

    def env(self) -> dict[str, str]:
        return {
            "AR_DATABRICKS_ACCOUNT_HOST": self.info["account_host"],
            "AR_DATABRICKS_ACCOUNT_ID": self.info["account_id"],
            "AR_DATABRICKS_WORKSPACE_URL_TEMPLATE": self.info["workspace_url_template"],
            "AR_DATABRICKS_CLIENT_ID": self.info["databricks_client_id"],
            "AR_DATABRICKS_CLIENT_SECRET": self.info["databricks_client_secret"],
            "AR_DATABRICKS_TOKEN": self.info["databricks_token"],
            "AR_OKTA_ORG_URL": self.info["okta_org_url"],
            "AR_OKTA_TOKEN": self.info["okta_token"],
            "AR_OKTA_CLIENT_ID": self.info["okta_client_id"],
            "AR_OKTA_PRIVATE_KEY": self.info["okta_private_key"],
            "AR_OKTA_DATABRICKS_APP_ID": self.info["okta_databricks_app_id"],
        }

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = httpx.request(
            method,
            f"{self.info['account_host']}/_sandbox/{path}",
            timeout=60,
            headers={"Authorization": f"Bearer {self.info['databricks_token']}"},
            **kwargs,
        )
        resp.raise_for_status()
        return resp

    def truth(self) -> dict[str, dict[str, Any]]:
        lines = self.admin("GET", "truth").text.splitlines()
        return {r["key"]: r for r in (json.loads(line) for line in lines if line)}

    def faults(self, **values: Any) -> dict[str, Any]:
        return self.admin("POST", "faults", json=values).json()  # type: ignore[no-any-return]

    def drift(self, seed: int, changes: int = 6) -> list[str]:
        return self.admin("POST", "drift", params={"seed": seed, "changes": changes}).json()["changes"]  # type: ignore[no-any-return]

    def stats(self) -> dict[str, Any]:
        return self.admin("GET", "stats").json()  # type: ignore[no-any-return]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without AR_/DATABRICKS_/OKTA_ variables, with the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AR_", "DATABRICKS_", "OKTA_"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


@contextmanager
def running_sandbox(*args: str, scenario: str = "tiny", seed: int = 7) -> Iterator[RunningSandbox]:
    cmd = [
        sys.executable,
        "-m",
        "services.cli.main",
        "sandbox",
        "up",
        "--scenario",
        scenario,
        "--seed",
        str(seed),
        *args,
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sandbox did not start: {proc.stderr.read() if proc.stderr else ''}")
        yield RunningSandbox(proc, json.loads(line))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
