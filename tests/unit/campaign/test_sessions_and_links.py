"""Sessions live on the server and links are claimed atomically: one link exchanged at once from
several browsers gives one session; sign-out, expiry and an administrator's revocation end a
session even for a browser that kept its cookie."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import update

from services.db.models import WebSession
from tests.unit.campaign.webkit import ADMIN, csrf_of, sign_in

JSON = {"accept": "application/json"}


def _outcomes(site):  # type: ignore[no-untyped-def]
    return sorted(e.payload["outcome"] for e in site.deps.sink.journal if e.event_type == "review_link.opened")


class _BrokerRoundTrip:
    """Publishing takes what a broker with acks=all takes: the exchange's event reaches the read
    model only after it, so a check against the read model alone leaves that window open."""

    def publish_all(self, events) -> None:  # type: ignore[no-untyped-def]
        time.sleep(0.05)


def test_one_link_exchanged_by_eight_browsers_at_once_gives_one_session(site):  # type: ignore[no-untyped-def]
    site.deps.sink.producer = _BrokerRoundTrip()
    site.settings = site.settings.model_copy(update={"link_attempts_per_link": 8})  # the race, not the throttle
    reviewer = site.reviewer_with_items()
    link = site.link(reviewer)
    app = site.app()
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def exchange() -> None:
        with TestClient(app, base_url="http://testserver") as browser:
            barrier.wait(10)
            statuses.append(browser.post(link, follow_redirects=False, headers=JSON).status_code)

    threads = [threading.Thread(target=exchange) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [303] + [401] * 7
    # a lost race is a replay: recorded once for this link and address in the window, not seven times
    assert _outcomes(site) == ["accepted", "replayed"]


def test_sign_out_from_the_page_ends_the_session_on_the_server(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    csrf = sign_in(client, site, reviewer)
    kept = dict(client.cookies)  # what an attacker who copied the cookie holds
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)  # the page's form field
    assert out.status_code == 303 and out.headers["location"] == "/signed-out"
    assert client.get(f"/campaigns/{site.campaign_id}/inbox", headers=JSON).status_code == 401
    with TestClient(site.app(), base_url="http://testserver", cookies=kept) as copied:
        answer = copied.get(f"/campaigns/{site.campaign_id}/inbox", headers=JSON)
    assert answer.status_code == 401 and "signed out" in answer.json()["detail"]


def test_sign_out_without_the_csrf_token_is_refused_and_keeps_the_session(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    sign_in(client, site, reviewer)
    assert client.post("/logout", data={}, headers=JSON).status_code == 403
    assert client.get(f"/campaigns/{site.campaign_id}/inbox").status_code == 200


def test_an_administrators_revocation_and_expiry_end_sessions(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    sign_in(client, site, reviewer)
    manager = client.app.state.campaign.sessions  # type: ignore[attr-defined]
    assert manager.revoke(reviewer, ADMIN) == 1
    answer = client.get(f"/campaigns/{site.campaign_id}/inbox", headers=JSON)
    assert answer.status_code == 401 and "ended" in answer.json()["detail"]

    sign_in(client, site, reviewer)
    with site.deps.sessions.begin() as session:  # the server's record runs out, whatever the cookie says
        session.execute(
            update(WebSession).where(WebSession.email == reviewer, WebSession.ended_at.is_(None)).values(expires_at=1)
        )
    answer = client.get(f"/campaigns/{site.campaign_id}/inbox", headers=JSON)
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_a_page_shows_the_sessions_own_csrf_token(site, client):  # type: ignore[no-untyped-def]
    reviewer = site.reviewer_with_items()
    first = sign_in(client, site, reviewer)
    page = client.get(f"/campaigns/{site.campaign_id}/inbox")
    assert csrf_of(page.text) == first
