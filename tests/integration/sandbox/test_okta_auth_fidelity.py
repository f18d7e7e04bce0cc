"""Sandbox Okta OAuth service app: client assertions checked as Okta does (see services/sandbox/okta_auth.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest

from tests.integration.sandbox.harness import RunningSandbox, running_sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="tiny", seed=5) as running:
        yield running


def _assertion(sb: RunningSandbox, jti: str | None = None, **claims: object) -> str:
    org = sb.info["okta_org_url"]
    now = int(time.time())
    body = {
        "iss": sb.info["okta_client_id"],
        "sub": sb.info["okta_client_id"],
        "aud": f"{org}/oauth2/v1/token",
        "iat": now,
        "exp": now + 300,
        "jti": jti or str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode(body, sb.info["okta_private_key"], algorithm="RS256")


def _token(sb: RunningSandbox, assertion: str, scope: str) -> httpx.Response:
    return httpx.post(
        f"{sb.info['okta_org_url']}/oauth2/v1/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )


def test_a_signed_assertion_buys_a_token_limited_to_its_scopes(sandbox: RunningSandbox) -> None:
    got = _token(sandbox, _assertion(sandbox), "okta.users.read")
    assert got.status_code == 200 and got.json()["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {got.json()['access_token']}"}
    org = sandbox.info["okta_org_url"]
    assert httpx.get(f"{org}/api/v1/users", headers=headers).status_code == 200
    assert httpx.get(f"{org}/api/v1/groups", headers=headers).status_code == 403  # no okta.groups.read


def test_replayed_expired_or_foreign_assertions_and_ungranted_scopes_are_refused(sandbox: RunningSandbox) -> None:
    jti = str(uuid.uuid4())
    assert _token(sandbox, _assertion(sandbox, jti), "okta.users.read").status_code == 200
    replay = _token(sandbox, _assertion(sandbox, jti), "okta.users.read")
    assert replay.status_code == 401 and "already been used" in replay.json()["error_description"]
    expired = _token(sandbox, _assertion(sandbox, exp=int(time.time()) - 10), "okta.users.read")
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_client"
    wrong_aud = _token(sandbox, _assertion(sandbox, aud="https://elsewhere/oauth2/v1/token"), "okta.users.read")
    assert wrong_aud.status_code == 401
    scope = _token(sandbox, _assertion(sandbox), "okta.users.manage")
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
