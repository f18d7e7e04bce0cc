"""Authorization attacks on the review pages are refused: forged, expired and replayed links,
another reviewer's item, a link for another campaign, a missing or wrong CSRF token, non-admins."""

from __future__ import annotations

import time

from sqlalchemy import select

from services.campaign import models as m
from tests.unit.campaign.webkit import ADMIN, AUDITOR, csrf_of, sign_in


def _outcomes(site):  # type: ignore[no-untyped-def]
    return [e.payload["outcome"] for e in site.deps.sink.journal if e.event_type == "review_link.opened"]


def test_a_link_signs_in_once_and_a_replay_is_refused(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    link = site.link(reviewer)
    assert client.get(link).status_code == 200  # the landing page does not burn the link
    first = client.post(link, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].endswith("/inbox")
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    client.cookies.clear()
    replay = client.post(link, follow_redirects=False, headers={"accept": "application/json"})
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    assert _outcomes(site) == ["accepted", "replayed"]


def test_forged_and_expired_links_are_refused(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    link = site.link(reviewer)
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.post(forged, headers={"accept": "application/json"}).status_code == 401
    from services.web.links import LinkSigner, session_secret

    expired_signer = LinkSigner(session_secret(site.settings), ttl_s=1)
    token, _ = expired_signer.mint(reviewer, site.campaign_id)
    time.sleep(2.1)
    site.settings = site.settings.model_copy(update={"link_ttl_s": 1})
    with __import__("fastapi.testclient", fromlist=["TestClient"]).TestClient(site.app()) as short:
        response = short.post(f"/r/{token}", headers={"accept": "application/json"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert _outcomes(site) == ["forged", "expired"]
    assert client.get("/campaigns/x/inbox", headers={"accept": "application/json"}).status_code == 401


def test_a_reviewer_cannot_see_or_decide_another_reviewers_item(site, client):  # type: ignore[no-untyped-def]
    me = site.reviewer_with_items()
    with site.deps.sessions() as session:
        other = session.scalars(
            select(m.ReviewTask).where(m.ReviewTask.campaign_id == site.campaign_id, m.ReviewTask.reviewer != me)
        ).first()
    csrf = sign_in(client, site, me)
    page = client.get(f"/campaigns/{site.campaign_id}/inbox?status=all")
    assert other.task_id not in page.text
    response = client.post(
        f"/campaigns/{site.campaign_id}/decisions",
        headers={"accept": "application/json"},
        data={"csrf_token": csrf, "task_id": other.task_id, "decision": "revoke", "justification": "x"},
    )
    assert response.status_code == 404
    with site.deps.sessions() as session:
        assert session.get(m.ReviewTask, other.task_id).decision is None


def test_state_changes_need_the_sessions_csrf_token(site, client):  # type: ignore[no-untyped-def]
    me = site.reviewer_with_items()
    task = site.tasks_of(me)[0]
    sign_in(client, site, me)
    url = f"/campaigns/{site.campaign_id}/decisions"
    data = {"task_id": task.task_id, "decision": "revoke", "justification": "left"}
    assert client.post(url, data=data, headers={"accept": "application/json"}).status_code == 403
    assert client.post(url, data={**data, "csrf_token": "wrong"}, headers={"accept": "application/json"}).status_code == 403
    with site.deps.sessions() as session:
        assert session.get(m.ReviewTask, task.task_id).decision is None


def test_a_campaign_bound_link_does_not_open_another_campaign(site, client):  # type: ignore[no-untyped-def]
    me = site.reviewer_with_items()
    sign_in(client, site, me)
    assert client.get("/campaigns/c-other/inbox", headers={"accept": "application/json"}).status_code == 403


def test_admin_pages_need_the_admin_or_auditor_role(site, client):  # type: ignore[no-untyped-def]
    me = site.reviewer_with_items()
    sign_in(client, site, me)
    assert client.get("/admin", headers={"accept": "application/json"}).status_code == 403
    client.cookies.clear()
    response = client.post(site.link(AUDITOR, None), follow_redirects=True)
    assert response.status_code == 200 and site.campaign_id in response.text
    csrf = csrf_of(response.text)
    closing = client.post(
        f"/admin/campaigns/{site.campaign_id}/close",
        data={"csrf_token": csrf},
        headers={"accept": "application/json"},
    )
    assert closing.status_code == 403  # auditors read, never change
    client.cookies.clear()
    response = client.post(site.link(ADMIN, None), follow_redirects=True)
    assert client.get(f"/admin/campaigns/{site.campaign_id}/export.csv").status_code == 200


def test_secure_cookie_flag_is_on_by_default(site):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    site.settings = site.settings.model_copy(update={"session_cookie_secure": True})
    with TestClient(site.app(), base_url="https://testserver") as secure_client:
        response = secure_client.post(site.link(site.reviewer_with_items()), follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()
