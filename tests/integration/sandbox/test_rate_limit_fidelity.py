"""Rate limits as documented: Databricks per endpoint (per workspace, or account-wide), Okta's
concurrency limit per org.

Sources: docs.databricks.com/aws/en/resources/limits "API rate limits" (permissions GET 100/s,
PATCH/PUT 30/s per workspace; account SCIM GET 20/s, PATCH 2/s account-wide); developer.okta.com
rl2-concurrency (75 requests in flight on Workforce orgs; a violation is a 429 E0000047) and
rl-best-practices (past it, the headers report the concurrent values; the reset is an estimate).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from services.sandbox.scenario import build_state
from tests.integration.sandbox.harness import RunningSandbox, account_client, running_sandbox, workspace_host

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="tiny", seed=7) as sb:
        yield sb


def _burst(client: httpx.Client, method: str, url: str, n: int, **kwargs: object) -> Counter[int]:
    return Counter(client.request(method, url, **kwargs).status_code for _ in range(n))  # type: ignore[arg-type]


def test_permission_writes_have_a_smaller_budget_than_reads_per_workspace(sandbox: RunningSandbox) -> None:
    state = build_state("tiny", 7)
    ws = next(w for w in state.workspaces.values() if w.jobs)
    job = ws.jobs[0]
    url = f"{workspace_host(sandbox, ws.deployment_name)}/api/2.0/permissions/jobs/{job.job_id}"
    headers = {"Authorization": f"Bearer {sandbox.info['databricks_token']}"}
    with httpx.Client(headers=headers, timeout=10) as client:
        reads = _burst(client, "GET", url, 60)
        assert reads == {200: 60}  # within the 100/s GET budget
        body = {"access_control_list": []}  # PATCH adds nothing: only the budget is exercised
        writes = _burst(client, "PATCH", url, 45, json=body)
        assert writes[429] >= 10 and writes[200] >= 25  # ~30 allowed in the first second, then refused
        refused = client.patch(url, json=body)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert refused.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert client.get(url).status_code == 200  # reads keep their own budget
        other = next(w for w in state.workspaces.values() if w.workspace_id != ws.workspace_id and w.jobs)
        other_url = f"{workspace_host(sandbox, other.deployment_name)}/api/2.0/permissions/jobs/{other.jobs[0].job_id}"
        assert client.patch(other_url, json=body).status_code == 200  # a budget per workspace
    assert sandbox.stats()["refused_by_limit"]["permissions PATCH/PUT"] >= 10


def test_account_scim_reads_of_one_group_are_limited_account_wide(sandbox: RunningSandbox) -> None:
    acct = account_client(sandbox)
    headers = acct.config.authenticate()
    group = next(iter(acct.groups.list()))
    base = f"{sandbox.info['account_host']}/api/2.0/accounts/{sandbox.info['account_id']}/scim/v2"
    with httpx.Client(headers=headers, timeout=10) as client:
        gets = _burst(client, "GET", f"{base}/Groups/{group.id}", 40)
        lists = _burst(client, "GET", f"{base}/Groups", 40)
    assert gets[429] >= 10 and gets[200] >= 15  # 20/s for GET of one object
    assert lists == {200: 40}  # LIST has its own, larger budget (240/s)


def test_okta_refuses_requests_beyond_its_concurrency_limit(sandbox: RunningSandbox) -> None:
    sandbox.faults(okta_concurrency=2, latency_ms=200)
    org, token = sandbox.info["okta_org_url"], sandbox.info["okta_token"]

    async def together() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers={"Authorization": f"SSWS {token}"}, timeout=10) as client:
            return list(await asyncio.gather(*(client.get(f"{org}/api/v1/users", params={"limit": 1}) for _ in range(6))))

    try:
        answers = asyncio.run(together())
    finally:
        sandbox.faults(okta_concurrency=0, latency_ms=0)
    refused = [r for r in answers if r.status_code == 429]
    assert len(refused) == 4 and sum(r.status_code == 200 for r in answers) == 2
    assert refused[0].json()["errorCode"] == "E0000047"
    # the headers report the concurrent values: the limit, none remaining, a reset that is an estimate
    assert refused[0].headers["X-Rate-Limit-Limit"] == "2" and refused[0].headers["X-Rate-Limit-Remaining"] == "0"
    assert int(refused[0].headers["X-Rate-Limit-Reset"]) <= time.time() + 2
