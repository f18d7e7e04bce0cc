"""Helpers for page tests: an app over the scenario with a launched campaign, and link sign-in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.deps import CampaignDeps
from services.campaign.wiring import build_app
from services.core.settings import Settings

ADMIN = "admin@corp.example"
AUDITOR = "auditor@corp.example"


@dataclass
class Site:
    settings: Settings
    deps: CampaignDeps
    campaign_id: str
    client_factory: object

    def app(self):  # type: ignore[no-untyped-def]
        return build_app(self.settings, self.deps)

    def link(self, reviewer: str, campaign_id: str | None = "default", token_id: str | None = None) -> str:
        from services.web.links import link_signer

        cid = self.campaign_id if campaign_id == "default" else campaign_id
        token, _ = link_signer(self.settings).mint(reviewer, cid, token_id)
        return f"/r/{token}"

    def reviewer_with_items(self, n: int = 3, level: int = 1, **filters: object) -> str:
        with self.deps.sessions() as session:
            rows = session.execute(
                select(m.ReviewTask.reviewer, m.ReviewTask.task_id).where(
                    m.ReviewTask.campaign_id == self.campaign_id, m.ReviewTask.reviewer_level == level
                )
            )
            counts: dict[str, int] = {}
            for reviewer, _ in rows:
                counts[reviewer] = counts.get(reviewer, 0) + 1
        return sorted((r for r, c in counts.items() if c >= n and "security" not in r), key=lambda r: (-counts[r], r))[0]

    def tasks_of(self, reviewer: str) -> list[m.ReviewTask]:
        with self.deps.sessions() as session:
            return list(
                session.scalars(
                    select(m.ReviewTask)
                    .where(m.ReviewTask.campaign_id == self.campaign_id, m.ReviewTask.reviewer == reviewer)
                    .order_by(m.ReviewTask.task_id)
                )
            )


def sign_in(client: TestClient, site: Site, reviewer: str, campaign_id: str | None = "default") -> str:
    """Exchange a fresh link; returns the CSRF token of the new session."""
    response = client.post(site.link(reviewer, campaign_id), follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def colleague(deps: CampaignDeps, task: m.ReviewTask) -> str:
    """An active directory user the item may be delegated to (not its subject, not its reviewer)."""
    from services.campaign.delegation import check_delegate
    from services.core.errors import UsageError

    with deps.sessions() as session:
        users = sorted(
            i.email.lower()
            for i in session.scalars(select(m.Identity).where(m.Identity.identity_type == "user"))
            if i.email and "security" not in i.email
        )
    for email in users:
        if email == task.reviewer:
            continue
        try:
            check_delegate(deps, email, [task.task_id])
        except UsageError:
            continue
        return email
    raise AssertionError("no colleague in the directory may take this item")
