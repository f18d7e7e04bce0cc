"""Test helpers around the sandbox child process (see :mod:`services.sandbox.process`)."""

from __future__ import annotations

from services.sandbox.process import REPO, RunningSandbox, clean_env, running_sandbox

cli_env = clean_env

__all__ = ["REPO", "RunningSandbox", "cli_env", "running_sandbox"]
