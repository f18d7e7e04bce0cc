"""Reviewers for the demo: open the review link from their email, sign in, decide on the page.

Each simulated owner does what the review page asks a person to do: remove access flagged as
deactivated in Okta or orphaned, and keep the rest (with a reason where the item is high-risk).
Every decision goes through the real HTTP path: link exchange, session cookie, CSRF token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.campaign import models as m
from services.core.errors import UnavailableError

LINK = re.compile(r"(https?://\S+/r/[A-Za-z0-9._\-]+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REVOKE_FLAGS = {"deactivated", "orphaned"}


@dataclass
class ReviewRound:
    reviewers: list[str] = field(default_factory=list)
    approved: int = 0
    revoked: int = 0


def review_link(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    found = LINK.search(text)
    if not found:
        raise UnavailableError(f"no review link in the email to {mail['To']}")
    return found.group(1)


def choose_reviewers(
    invites: list[EmailMessage], sessions: sessionmaker[Session], campaign_id: str, count: int
) -> list[EmailMessage]:
    """Owners with something to remove first (so the demo shows revocations), then others."""
    with sessions() as session:
        risky = set(
            session.scalars(
                select(m.ReviewTask.reviewer).where(
                    m.ReviewTask.campaign_id == campaign_id,
                    m.ReviewTask.risk_flags.like("%deactivated%") | m.ReviewTask.risk_flags.like("%orphaned%"),
                )
            )
        )
    ordered = sorted(invites, key=lambda mail: (str(mail["To"]).lower() not in risky, str(mail["To"])))
    return ordered[:count]


def act(mail: EmailMessage, sessions: sessionmaker[Session], campaign_id: str, outcome: ReviewRound) -> None:
    reviewer = str(mail["To"]).lower()
    link = urlsplit(review_link(mail))
    with sessions() as session:
        tasks = session.execute(
            select(m.ReviewTask.task_id, m.ReviewTask.risk_flags).where(
                m.ReviewTask.campaign_id == campaign_id, m.ReviewTask.reviewer == reviewer
            )
        ).all()
    revoke = [t for t, flags in tasks if REVOKE_FLAGS & set(flags.split())]
    with httpx.Client(base_url=f"{link.scheme}://{link.netloc}", timeout=30, headers={"user-agent": "accessreview-demo"}) as web:
        inbox = web.post(link.path, follow_redirects=True)  # the button on the link page
        inbox.raise_for_status()
        token = CSRF.search(inbox.text)
        if token is None:
            raise UnavailableError(f"{reviewer}: the review page carries no CSRF token")
        decide = f"/campaigns/{campaign_id}/decisions"
        headers = {"accept": "application/json"}
        if revoke:
            answer = web.post(
                decide,
                headers=headers,
                data={
                    "csrf_token": token.group(1),
                    "decision": "revoke",
                    "task_id": revoke,
                    "justification": "Identity is deactivated in Okta or has no owner: access no longer needed.",
                },
            )
            answer.raise_for_status()
            outcome.revoked += answer.json()["recorded"]
        answer = web.post(
            decide,
            headers=headers,
            data={
                "csrf_token": token.group(1),
                "decision": "approve",
                "all_matching": "yes",
                "justification": "Checked with the team: this access is still needed for their work.",
            },
        )
        answer.raise_for_status()
        outcome.approved += answer.json()["recorded"]
    outcome.reviewers.append(reviewer)
