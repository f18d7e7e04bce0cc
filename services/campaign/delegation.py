"""Who an item may be delegated to: a colleague the directory knows, never the access's subject.

A delegate must be a user in the directory (collected from Okta) whose account is active; never
the principal whose access it is, never a member of the group the access is about or comes
through, and never the reviewer themselves. The same rules as routing (``routing.Conflicts``),
so a delegation cannot route an item where launch would not have.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import select

from services.campaign import models as m
from services.campaign.deps import CampaignDeps
from services.campaign.directory import PeopleDirectory
from services.campaign.queries import load_directory
from services.campaign.routing import ReviewerResolver
from services.core.errors import UsageError


def check_delegate(deps: CampaignDeps, delegate_to: str, task_ids: Sequence[str]) -> None:
    """Raise UsageError (naming the field and the items) unless every item may go to ``delegate_to``."""
    with deps.sessions() as session:
        directory = load_directory(session)
        entitlements = session.execute(
            select(m.ReviewTask.task_id, m.ReviewTask.entitlement_json).where(m.ReviewTask.task_id.in_(list(task_ids)))
        ).all()
    _check_person(directory, delegate_to)
    resolver = ReviewerResolver(directory, deps.approvers, deps.security_reviewer)
    about_them = [tid for tid, text in entitlements if delegate_to in resolver.conflicted(json.loads(text))]
    if about_them:
        raise UsageError(
            f"cannot delegate to {delegate_to}: the access is theirs or their group's",
            field="delegate_to",
            task_ids=about_them[:20],
        )


def _check_person(directory: PeopleDirectory, delegate_to: str) -> None:
    person = directory.find(delegate_to)
    if person is None or person.identity_type != "user" or (person.reviewer_key or "") != delegate_to:
        raise UsageError(
            f"{delegate_to} is not in the directory: delegate to a colleague with an Okta account", field="delegate_to"
        )
    if person.inactive:
        raise UsageError(f"{delegate_to} is not active in Okta: choose someone who can sign in", field="delegate_to")
