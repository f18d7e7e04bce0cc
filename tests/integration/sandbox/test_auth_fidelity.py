"""Sandbox Databricks authentication is as strict as the real service (sources in each test).

OAuth M2M runs through databricks-sdk's own auth code (host metadata, OIDC discovery, client
credentials); nothing here builds a token by hand except to show what the service refuses.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import PermissionDenied, Unauthenticated

from tests.integration.sandbox.harness import RunningSandbox, running_sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="tiny", seed=5) as running:
        yield running


def _ws_host(sb: RunningSandbox, deployment: str = "dbc-000") -> str:
    return sb.info["workspace_url_template"].format(deployment_name=deployment)


def _oauth(sb: RunningSandbox, host: str, **extra: str) -> Config:
    return Config(
        host=host,
        client_id=sb.info["databricks_client_id"],
        client_secret=sb.info["databricks_client_secret"],
        auth_type="oauth-m2m",
        retry_timeout_seconds=5,
        **extra,
    )


def test_oauth_m2m_through_the_sdk_at_the_account_and_a_workspace(sandbox: RunningSandbox) -> None:
    # databricks-sdk-py config.py _resolve_host_metadata: /.well-known/databricks-config gives the
    # oidc_endpoint; oauth.py ClientCredentials posts client_credentials to its token endpoint.
    account = AccountClient(config=_oauth(sandbox, sandbox.info["account_host"], account_id=sandbox.info["account_id"]))
    assert {w.deployment_name for w in account.workspaces.list()} >= {"dbc-000"}
    workspace = WorkspaceClient(config=_oauth(sandbox, _ws_host(sandbox)))
    assert workspace.current_user.me().user_name
    token = account.config.oauth_token()
    assert token.token_type == "Bearer" and token.expiry is not None


def test_the_account_api_refuses_a_personal_access_token(sandbox: RunningSandbox) -> None:
    # baton-databricks pkg/connector/connector.go: account calls need OAuth, workspace PATs are refused.
    account = AccountClient(
        config=Config(
            host=sandbox.info["account_host"],
            account_id=sandbox.info["account_id"],
            token=sandbox.info["databricks_token"],
            auth_type="pat",
            retry_timeout_seconds=5,
        )
    )
    with pytest.raises(Unauthenticated, match="not accepted by the account API"):
        list(account.workspaces.list())
    workspace = WorkspaceClient(
        config=Config(host=_ws_host(sandbox), token=sandbox.info["databricks_token"], auth_type="pat", retry_timeout_seconds=5)
    )
    assert workspace.current_user.me().user_name  # the same PAT works at a workspace


def test_an_invalid_token_is_a_403_with_the_real_body(sandbox: RunningSandbox) -> None:
    # databricks-sdk-go#873 / #917: HTTP 403, {"error_code": 403, "message": "Invalid access token."},
    # X-Databricks-Reason-Phrase; the Python SDK maps it to PermissionDenied, not Unauthenticated.
    resp = httpx.get(f"{_ws_host(sandbox)}/api/2.0/preview/scim/v2/Me", headers={"Authorization": "Bearer dapi-nope"})
    assert resp.status_code == 403
    assert resp.json() == {"error_code": 403, "message": "Invalid access token."}
    assert resp.headers["x-databricks-reason-phrase"] == "Invalid access token."
    workspace = WorkspaceClient(
        config=Config(host=_ws_host(sandbox), token="dapi-nope", auth_type="pat", retry_timeout_seconds=5)
    )
    with pytest.raises(PermissionDenied, match="Invalid access token"):
        workspace.current_user.me()


def test_a_workspace_token_is_good_at_its_workspace_only(sandbox: RunningSandbox) -> None:
    here = WorkspaceClient(config=_oauth(sandbox, _ws_host(sandbox, "dbc-000")))
    token = here.config.oauth_token().access_token
    ok = httpx.get(f"{_ws_host(sandbox, 'dbc-000')}/api/2.0/preview/scim/v2/Me", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    other = httpx.get(f"{_ws_host(sandbox, 'dbc-001')}/api/2.0/preview/scim/v2/Me", headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 403
    account = httpx.get(
        f"{sandbox.info['account_host']}/api/2.0/accounts/{sandbox.info['account_id']}/workspaces",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert account.status_code == 403


def test_the_token_endpoint_refuses_a_wrong_secret(sandbox: RunningSandbox) -> None:
    url = f"{sandbox.info['account_host']}/oidc/accounts/{sandbox.info['account_id']}/v1/token"
    resp = httpx.post(
        url, data={"grant_type": "client_credentials", "scope": "all-apis"}, auth=(sandbox.info["databricks_client_id"], "wrong")
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_a_caller_that_is_no_workspace_admin_sees_only_what_it_may(sandbox: RunningSandbox) -> None:
    # Lists filter by the caller and object permissions need manage rights (403 PERMISSION_DENIED);
    # SCIM Me shows whether the caller is in the workspace's admins.
    from databricks.sdk.errors import PermissionDenied

    host = _ws_host(sandbox, "dbc-000")
    admin = WorkspaceClient(config=_oauth(sandbox, host))
    job = next(iter(admin.jobs.list()))
    assert "admins" in {g.display for g in admin.current_user.me().groups or []}
    sandbox.faults(non_admin=["dbc-000"])
    try:
        plain = WorkspaceClient(config=_oauth(sandbox, host))
        assert "admins" not in {g.display for g in plain.current_user.me().groups or []}
        assert list(plain.jobs.list()) == [] and list(plain.clusters.list()) == []
        with pytest.raises(PermissionDenied):
            plain.permissions.get("jobs", str(job.job_id))
    finally:
        sandbox.faults(non_admin=[])
