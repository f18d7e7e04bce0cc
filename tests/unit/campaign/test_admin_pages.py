"""Admin pages: dashboard, gaps, CSV export and the evidence report after close."""

from __future__ import annotations

import csv
import io

from services.campaign.record_decision import DecisionRequest, record_decisions
from services.core.actor import Actor
from tests.unit.campaign.webkit import ADMIN, csrf_of


def test_admin_follows_closes_and_exports_evidence(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    task = site.tasks_of(reviewer)[0]
    record_decisions(site.deps, Actor(reviewer, "magic-link"), DecisionRequest([task.task_id], "revoke", "left"))
    landing = client.post(site.link(ADMIN, None), follow_redirects=True)
    assert landing.status_code == 200
    page = client.get(f"/admin/campaigns/{site.campaign_id}")
    assert "Progress by workspace" in page.text and "security fallback" in page.text.replace("_", " ")
    assert "without approver" in client.get(f"/admin/campaigns/{site.campaign_id}/gaps").text
    closed = client.post(f"/admin/campaigns/{site.campaign_id}/close", data={"csrf_token": csrf_of(page.text)})
    assert closed.status_code == 200 and "Figures at close" in closed.text

    export = client.get(f"/admin/campaigns/{site.campaign_id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == len({r["task_id"] for r in rows}) > 500
    mine = next(r for r in rows if r["task_id"] == task.task_id)
    assert (mine["decision"], mine["justification"], mine["auth_method"]) == ("revoke", "left", "magic-link")
    assert {r["decision"] for r in rows} <= {"revoke", "abstain"}  # keep-and-flag: unanswered kept, flagged

    evidence = client.get(f"/admin/campaigns/{site.campaign_id}/evidence").text
    with site.deps.sessions() as session:
        from services.campaign import models as m

        campaign = session.get(m.Campaign, site.campaign_id)
    assert campaign.population_hash in evidence and "campaign population" in evidence
    assert task.entitlement_key in evidence  # the one revocation requested, listed for the auditor
    viewed = [e.payload for e in site.deps.sink.journal if e.event_type == "evidence.viewed"]
    assert [(v["view"], v["viewer"], v["campaign_id"]) for v in viewed] == [
        ("export-csv", ADMIN, site.campaign_id),
        ("evidence-page", ADMIN, site.campaign_id),
    ]  # who read the evidence is itself in the log


def test_the_revocations_page_shows_what_the_enforcer_did_blocked_first(site, client):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from services.campaign import models as m

    reviewer = site.reviewer_with_items()
    tasks = site.tasks_of(reviewer)[:2]
    record_decisions(site.deps, Actor(reviewer, "magic-link"), DecisionRequest([t.task_id for t in tasks], "revoke", "left"))
    page = client.post(site.link(ADMIN, None), follow_redirects=True)
    client.post(
        f"/admin/campaigns/{site.campaign_id}/close",
        data={"csrf_token": csrf_of(client.get(f"/admin/campaigns/{site.campaign_id}").text)},
    )
    with site.deps.sessions() as session:
        requested = list(session.scalars(select(m.Revocation).where(m.Revocation.campaign_id == site.campaign_id)))
    assert len(requested) >= 2
    first, second = sorted(requested, key=lambda r: r.revocation_id)[:2]
    factory = site.deps.sink.factory

    def report(event_type: str, rid: str, key: str, **payload: object) -> object:
        return factory.new(event_type, {"revocation_id": rid, **payload}, correlation_id=site.campaign_id, subject_key=key)

    site.deps.sink.emit(
        [
            report(
                "revocation.planned",
                first.revocation_id,
                first.entitlement_key,
                campaign_id=site.campaign_id,
                mode="enforce",
                action="acl",
                system="databricks",
                calls_json="[]",
                before_json=None,
                after_json=None,
                already_absent=False,
            ),
            report(
                "revocation.applied",
                first.revocation_id,
                first.entitlement_key,
                phase="applied",
                detail="removed; re-read shows it gone",
                before_json="{}",
                after_json="{}",
                system="databricks",
                calls_json="[]",
            ),
            report(
                "revocation.blocked",
                second.revocation_id,
                second.entitlement_key,
                campaign_id=site.campaign_id,
                outcome="blocked",
                rule="production_run_as",
                reason="production job nightly runs as it",
                batch_id=None,
                change_request_id="cr-9",
            ),
        ]
    )
    html = client.get("/admin/revocations").text
    assert html.index(second.revocation_id) < html.index(first.revocation_id)  # the one a person must handle first
    assert "production_run_as: production job nightly runs as it" in html and "cr-9" in html
    assert "1 applied" in html and "1 blocked" in html
    only = client.get("/admin/revocations", params={"status": "blocked"}).text
    assert second.revocation_id in only and first.revocation_id not in only
    evidence = client.get(f"/admin/campaigns/{site.campaign_id}/evidence").text
    assert "applied: removed; re-read shows it gone (databricks)" in evidence
    del page
