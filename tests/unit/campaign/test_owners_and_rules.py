"""Owner suggestions from history, one-click adoption as an attestation, and approvers.yaml rules."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.adopt_group import adopt_group
from services.campaign.approvers import ApproverRules
from services.campaign.definition import CampaignDefinition
from services.campaign.launch_campaign import launch_campaign
from services.campaign.queries import load_directory
from services.campaign.suggest_owners import suggest_owners
from services.core.actor import Actor
from services.core.errors import PermissionDeniedError, UsageError


def _memberships(deps, cid, group_id):  # type: ignore[no-untyped-def]
    with deps.sessions() as session:
        tasks = session.scalars(
            select(m.ReviewTask).where(m.ReviewTask.campaign_id == cid, m.ReviewTask.item_kind == "group_membership")
        )
        return [t for t in tasks if json.loads(t.entitlement_json)["resource"]["id"] == group_id]


def test_suggested_owner_adopts_an_unowned_group(deps, scenario):  # type: ignore[no-untyped-def]
    cid = launch_campaign(deps, CampaignDefinition(name="Q3"), "admin@corp.example").campaign_id
    with deps.sessions() as session:
        directory = load_directory(session)
        candidates = {g: suggest_owners(session, directory, g) for g in sorted(scenario.unowned_groups)}
    group_id, suggestions = next((g, s) for g, s in candidates.items() if s)
    group = next(g for g in scenario.groups if g["id"] == group_id)
    creator = group["attributes"].get("created_by")
    if creator and next(u for u in scenario.users if u["email"] == creator)["status"] == "ACTIVE":
        assert suggestions[0].email == creator and "created the group" in suggestions[0].reasons
    adopter = suggestions[0].email
    outsider = "nobody@corp.example"
    with pytest.raises(PermissionDeniedError):
        adopt_group(deps, Actor(outsider, "magic-link"), group_id, cid)
    adopt_group(deps, Actor(adopter, "magic-link", link_token_id="lt-1", ip="10.1.1.1"), group_id, cid)
    attestation = next(e for e in deps.sink.journal if e.event_type == "campaign.group_adopted")
    assert attestation.payload["adopter"] == adopter and attestation.payload["suggested_because"]
    assert attestation.payload["statement"].startswith("I confirm")
    for task in _memberships(deps, cid, group_id):
        if task.principal_label != adopter and task.decision is None:
            assert task.reviewer == adopter
    later = launch_campaign(deps, CampaignDefinition(name="Q4"), "admin@corp.example").campaign_id
    routed = {t.routed_by for t in _memberships(deps, later, group_id) if t.principal_label != adopter}
    assert routed == {"explicit_approver"}


def test_approvers_file_rules_route_before_owners(deps, scenario):  # type: ignore[no-untyped-def]
    deps.approvers = ApproverRules.parse(
        {
            "rules": [
                {
                    "name": "prod jobs",
                    "match": {"workspace": "prod-ws-*", "job": "job-*"},
                    "approvers": ["Ops@corp.example"],
                }
            ]
        }
    )
    cid = launch_campaign(deps, CampaignDefinition(name="Q3"), "admin@corp.example").campaign_id
    with deps.sessions() as session:
        tasks = list(
            session.scalars(select(m.ReviewTask).where(m.ReviewTask.campaign_id == cid, m.ReviewTask.reviewer_level == 1))
        )
    prod_jobs = [t for t in tasks if t.resource_label.startswith("job ") and t.workspace.startswith("prod-ws-")]
    assert prod_jobs and all(t.reviewer == "ops@corp.example" and t.routed_by == "approvers_file" for t in prod_jobs)
    dev_jobs = [t for t in tasks if t.resource_label.startswith("job ") and t.workspace.startswith("dev-ws-")]
    assert dev_jobs and not any(t.routed_by == "approvers_file" for t in dev_jobs)


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": [{"match": {}, "approvers": ["a@x"]}]},
        {"rules": [{"match": {"color": "x"}, "approvers": ["a@x"]}]},
        {"rules": [{"match": {"job": "x"}, "approvers": []}]},
        ["not", "a", "mapping"],
    ],
)
def test_bad_approvers_files_are_refused_clearly(bad):  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError):
        ApproverRules.parse(bad)
