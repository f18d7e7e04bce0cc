"""Reviewers and admins in a real browser: approve, revoke with justification, bulk, delegate, dashboard."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.service import start_web
from services.kafka.broker import free_port
from tests.unit.campaign.webkit import ADMIN, colleague

pytestmark = pytest.mark.e2e
LOW_RISK = {"privileged", "deactivated", "orphaned"}


@pytest.fixture
def server(site):  # type: ignore[no-untyped-def]
    port = free_port()
    web, thread = start_web(site.app(), "127.0.0.1", port)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield base
    web.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    blocked = [e for e in console_errors if "Content Security Policy" in e]
    assert not blocked, f"the page broke its own CSP: {blocked[:3]}"


def _low_risk_reviewer(site, n):  # type: ignore[no-untyped-def]
    with site.deps.sessions() as session:
        tasks = list(
            session.scalars(
                select(m.ReviewTask).where(m.ReviewTask.campaign_id == site.campaign_id, m.ReviewTask.reviewer_level == 1)
            )
        )
    counts: dict[str, list[m.ReviewTask]] = {}
    for t in tasks:
        if not LOW_RISK & set(t.risk_flags.split()) and "security" not in t.reviewer:
            counts.setdefault(t.reviewer, []).append(t)
    return next(r for r, ts in sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0])) if len(ts) >= n)


def _task(site, task_id):  # type: ignore[no-untyped-def]
    with site.deps.sessions() as session:
        return session.get(m.ReviewTask, task_id)


def _low_rows(page, site):  # type: ignore[no-untyped-def]
    ids = [r.get_attribute("data-task") for r in page.locator("tr.item").all()]
    return [(i, t) for i, t in enumerate(ids) if not LOW_RISK & set(_task(site, t).risk_flags.split())]


def _sign_in(page, server, site, reviewer, campaign="default"):  # type: ignore[no-untyped-def]
    page.goto(server + site.link(reviewer, campaign))
    page.get_by_role("button", name="Open my review").click()


def test_approve_and_revoke_with_justification(page, server, site):  # type: ignore[no-untyped-def]
    reviewer = _low_risk_reviewer(site, 3)
    _sign_in(page, server, site, reviewer)
    page.wait_for_url("**/inbox")
    (index, first_id), (_, second_id) = _low_rows(page, site)[:2]
    page.keyboard.press("Escape")
    for _ in range(index + 1):
        page.keyboard.press("j")
    page.keyboard.press("a")  # keyboard shortcut: approve the focused row
    page.wait_for_selector("p.notice[role=status]")
    assert _task(site, first_id).decision == "approve"

    row = page.locator(f"#row-{second_id}")
    row.get_by_role("button", name="Revoke").click()  # no justification: the page asks for one
    assert _task(site, second_id).decision is None
    row.get_by_label("Justification").fill("left the data team in May")
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_selector("p.notice[role=status]")
    task = _task(site, second_id)
    assert (task.decision, task.justification) == ("revoke", "left the data team in May")


def test_bulk_approve_and_delegate(page, server, site):  # type: ignore[no-untyped-def]
    reviewer = _low_risk_reviewer(site, 4)
    _sign_in(page, server, site, reviewer)
    page.wait_for_url("**/inbox")
    ids = [t for _, t in _low_rows(page, site)[:3]]
    for task_id in ids[:2]:
        page.locator(f"#row-{task_id} input[type=checkbox]").check()
    page.locator("#bulk-approve").click()
    page.wait_for_selector("p.notice[role=status]")
    assert "Recorded 2 decisions" in page.locator("p.notice[role=status]").inner_text()
    assert [_task(site, t).decision for t in ids[:2]] == ["approve", "approve"]

    row = page.locator(f"#row-{ids[2]}")
    other = colleague(site.deps, _task(site, ids[2]))
    row.locator("details.delegate summary").click()
    row.get_by_label("Delegate to").fill(other)
    row.get_by_label("Justification").fill("she runs this pipeline")
    row.get_by_role("button", name="Delegate").click()
    page.wait_for_selector("p.notice[role=status]")
    assert page.locator(f"#row-{ids[2]}").count() == 0
    assert _task(site, ids[2]).reviewer == other


def test_admin_dashboard_shows_progress_and_closes(page, server, site):  # type: ignore[no-untyped-def]
    _sign_in(page, server, site, ADMIN, campaign=None)
    page.wait_for_url("**/admin")
    page.get_by_role("link", name="2026-Q3 access review").click()
    assert page.get_by_role("heading", name="Progress by workspace").is_visible()
    assert page.locator("table.bars svg.progress rect.done").count() > 3
    page.get_by_role("link", name="Metadata gaps").click()
    assert "without approver" in page.content()
    page.go_back()
    page.locator("#close").click()
    page.wait_for_selector("text=Figures at close")
    with site.deps.sessions() as session:
        assert session.get(m.Campaign, site.campaign_id).status == "closed"
