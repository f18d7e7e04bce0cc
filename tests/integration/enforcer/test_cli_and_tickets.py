"""``accessreview revoke`` on a live enforcer (list, show, approve a paused batch, mode, rollback),
and the ticket shapes ServiceNow and Jira accept, against the sandbox's ticket desk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from services.adapters.tickets import TicketConfig, TicketRefused, TicketSink
from services.cli.main import app
from services.core.settings import Settings
from services.events.codec import EventCodec
from services.events.schemas import SchemaCatalog
from tests.integration.enforcer.conftest import direct
from tests.integration.enforcer.harness import make_enforcer
from tests.integration.sandbox.harness import RunningSandbox

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    from services.core.logging import configure_logging

    configure_logging("WARNING", "json")


def _body(n: int) -> dict[str, Any]:
    return {
        "change_request_id": f"cr-{n}",
        "kind": "change-request",
        "title": f"Change request {n}",
        "assignee": "owner@example.com",
        "reason": "ownership is never changed automatically",
        "rule": "automatic_only",
        "revocation_id": f"r-{n}",
        "campaign_id": "c-1",
        "entitlement": {"key": "user:u|job:1/2|IS_OWNER|direct"},
    }


def test_servicenow_and_jira_take_the_ticket_in_their_own_shape(sandbox: RunningSandbox) -> None:
    base = f"{sandbox.info['account_host']}/tickets"
    incident = TicketSink(TicketConfig("servicenow", f"{base}/servicenow", token="snow-token", project="Security")).open(_body(1))
    issue = TicketSink(TicketConfig("jira", f"{base}/jira", token="api-token", user="bot@example.com", project="SEC")).open(
        _body(2)
    )
    assert incident.startswith("INC") and issue.startswith("SEC-")
    tickets = {t["id"]: t for t in sandbox.admin("GET", "tickets").json()["tickets"]}
    snow, jira = tickets[incident], tickets[issue]
    assert snow["body"]["short_description"] == "Change request 1" and snow["body"]["correlation_id"] == "cr-1"
    assert snow["body"]["assignment_group"] == "Security" and snow["authorization"] == "Bearer snow-token"
    assert jira["body"]["fields"]["project"] == {"key": "SEC"} and jira["body"]["fields"]["issuetype"] == {"name": "Task"}
    assert jira["authorization"].startswith("Basic ")
    with pytest.raises(TicketRefused, match="401"):  # Jira without credentials: refused, not retried
        TicketSink(TicketConfig("jira", f"{base}/jira", project="SEC")).open(_body(3))


def test_revoke_cli_lists_approves_shows_sets_modes_and_rolls_back(
    sandbox: RunningSandbox, kafka_settings: Settings, catalog: SchemaCatalog, codec: EventCodec, monkeypatch: pytest.MonkeyPatch
) -> None:
    enforcer = make_enforcer(sandbox, kafka_settings, catalog, codec, enforcer_max_batch_share=0.01, enforcer_batch_floor=0)
    enforcer.collect()
    before = sandbox.truth()
    guarded = {r["principal"]["id"] for r in before.values() if r["privilege"] == "RUN_AS"}
    record = next(
        r
        for k, r in sorted(before.items())
        if direct(r)
        and r["principal"]["type"] == "user"
        and r["principal"]["id"] not in guarded
        and r["resource"]["type"] in ("table", "schema", "catalog")
        and r["privilege"] != "OWNER"
    )
    job = next(
        r
        for k, r in sorted(before.items())
        if direct(r)
        and r["principal"]["type"] == "user"
        and r["principal"]["id"] not in guarded
        and r["resource"]["type"] == "job"
        and r["privilege"] == "CAN_VIEW"
        and sum(1 for o in before.values() if o["resource"]["id"] == r["resource"]["id"] and direct(o)) > 1
    )
    rid = enforcer.request(job, campaign="c-cli")
    assert enforcer.run(lambda s: s.get(rid) == "paused", timeout_s=60) == {rid: "paused"}  # 1 principal > 1% of the workspace

    for name, value in {
        **sandbox.env(),
        "AR_DATA_DIR": str(enforcer.settings.data_dir),
        "AR_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap,
        "AR_KAFKA_TOPIC_PREFIX": kafka_settings.kafka_topic_prefix,
        "AR_ENV": "test",
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    listed = runner.invoke(app, ["revoke", "list", "--status", "paused", "--json"])
    assert listed.exit_code == 0, listed.output
    (line,) = [json.loads(x) for x in listed.output.splitlines() if x.startswith("{")]
    assert (
        line["revocation_id"] == rid
        and "blast_radius" in line["reason"]
        and line["batch_id"] == f"c-cli/workspace:{job['resource']['workspace_id']}"
    )
    wrong = runner.invoke(app, ["revoke", "approve", line["batch_id"], "--by", "nobody"])
    assert wrong.exit_code != 0 and "email" in str(wrong.exception)
    approved = runner.invoke(app, ["revoke", "approve", line["batch_id"], "--by", "CISO@example.com"])
    assert approved.exit_code == 0 and "1 paused revocation(s) released" in approved.output, approved.output
    assert enforcer.run(lambda s: s.get(rid) == "applied") == {rid: "applied"}

    shown = runner.invoke(app, ["revoke", "show", rid])
    detail = json.loads(shown.output)
    assert detail["plan"]["calls"][0]["method"] == "set_permissions" and detail["before"]["acl"] != detail["after"]["acl"]
    table = runner.invoke(app, ["revoke", "list"])
    assert rid in table.output and "1 applied" in table.output

    workspace = enforcer.deps.apis.deployment(job["resource"]["workspace_id"])
    moded = runner.invoke(app, ["revoke", "mode", workspace, "observe", "--by", "lead@example.com"])
    assert moded.exit_code == 0 and f"workspace:{job['resource']['workspace_id']}: enforce -> observe" in moded.output, (
        moded.output
    )
    bad = runner.invoke(app, ["revoke", "mode", workspace, "yolo", "--by", "lead@example.com"])
    assert bad.exit_code != 0 and "observe, dry-run, enforce" in str(bad.exception)

    back = runner.invoke(app, ["revoke", "rollback", "--revocation", rid, "--by", "lead@example.com"])
    assert back.exit_code == 0 and f"{rid}: restored" in back.output, back.output
    assert sandbox.truth() == before
    again = runner.invoke(app, ["revoke", "rollback", "--revocation", rid, "--by", "lead@example.com"])
    assert again.exit_code == 0 and f"{rid}: already" in again.output, again.output
    del record
