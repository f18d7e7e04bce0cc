"""Test helpers around the sandbox child process (see :mod:`services.sandbox.process`), and the
official SDKs' clients for it, signed in with OAuth M2M as the collector is."""

from __future__ import annotations

from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.config import Config

from services.sandbox.process import REPO, RunningSandbox, clean_env, running_sandbox

cli_env = clean_env

__all__ = ["REPO", "RunningSandbox", "account_client", "cli_env", "running_sandbox", "workspace_client", "workspace_host"]


def workspace_host(sb: RunningSandbox, deployment: str = "dbc-000") -> str:
    return str(sb.info["workspace_url_template"]).format(deployment_name=deployment)


def workspace_client(sb: RunningSandbox, deployment: str = "dbc-000") -> WorkspaceClient:
    return WorkspaceClient(
        config=Config(
            host=workspace_host(sb, deployment),
            client_id=sb.info["databricks_client_id"],
            client_secret=sb.info["databricks_client_secret"],
            auth_type="oauth-m2m",
            retry_timeout_seconds=5,
        )
    )


def account_client(sb: RunningSandbox) -> AccountClient:
    return AccountClient(
        config=Config(
            host=sb.info["account_host"],
            account_id=sb.info["account_id"],
            client_id=sb.info["databricks_client_id"],
            client_secret=sb.info["databricks_client_secret"],
            auth_type="oauth-m2m",
            retry_timeout_seconds=5,
        )
    )
