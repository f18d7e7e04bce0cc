"""The link exchange is throttled per address and per link, and a flood of failures writes a few
events with counts into the ledger, not one event per attempt (150 forged attempts used to be
answered at 557/s, each recorded)."""

from __future__ import annotations

import secrets

import pytest
from fastapi.testclient import TestClient

from services.web.throttle import worth_recording

JSON = {"accept": "application/json"}


def _opened(site):  # type: ignore[no-untyped-def]
    return [e.payload for e in site.deps.sink.journal if e.event_type == "review_link.opened"]


def _browser(site, address: str, app=None) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app or site.app(), base_url="http://testserver", client=(address, 40000))


def test_150_forged_exchanges_are_refused_after_30_and_recorded_as_five_events(site):  # type: ignore[no-untyped-def]
    with _browser(site, "203.0.113.9") as attacker:
        answers = [attacker.post(f"/r/{secrets.token_urlsafe(40)}", headers=JSON) for _ in range(150)]
    statuses = [a.status_code for a in answers]
    assert statuses == [401] * 30 + [429] * 120
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert answers[-1].json()["type"] == "urn:accessreview:error:rate-limited"
    recorded = [(e["outcome"], e["attempts"]) for e in _opened(site)]
    assert recorded == [("forged", 1), ("forged", 10), ("throttled", 1), ("throttled", 10), ("throttled", 100)]
    assert all(e["ip"] == "203.0.113.9" for e in _opened(site))

    reviewer = site.reviewer_with_items()  # another address is not held back by the attacker
    with _browser(site, "198.51.100.4") as honest:
        assert honest.post(site.link(reviewer), follow_redirects=False, headers=JSON).status_code == 303


def test_one_link_is_refused_past_five_exchanges_whatever_address_sends_it(site):  # type: ignore[no-untyped-def]
    link = site.link(site.reviewer_with_items())
    statuses = []
    for n in range(7):
        with _browser(site, f"192.0.2.{n + 1}") as browser:
            statuses.append(browser.post(link, follow_redirects=False, headers=JSON).status_code)
    assert statuses == [303, 401, 401, 401, 401, 429, 429]
    outcomes = [e["outcome"] for e in _opened(site)]
    assert outcomes == ["accepted", "replayed", "replayed", "replayed", "replayed", "throttled", "throttled"]


def test_an_address_may_try_again_when_its_minute_is_over(site):  # type: ignore[no-untyped-def]
    now = [1_800_000_000.0]
    app = site.app()
    app.state.campaign.links.throttle.clock = lambda: now[0]
    with _browser(site, "203.0.113.7", app) as browser:
        for _ in range(30):
            assert browser.post(f"/r/{secrets.token_urlsafe(40)}", headers=JSON).status_code == 401
        refused = browser.post(f"/r/{secrets.token_urlsafe(40)}", headers=JSON)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
        now[0] += 60
        assert browser.post(site.link(site.reviewer_with_items()), follow_redirects=False, headers=JSON).status_code == 303


@pytest.mark.parametrize(
    ("attempts", "recorded"), [(1, True), (2, False), (9, False), (10, True), (11, False), (100, True), (1000, True), (20, False)]
)
def test_failures_are_recorded_at_the_first_tenth_and_hundredth_attempt(attempts: int, recorded: bool) -> None:
    assert worth_recording(attempts) is recorded
