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
