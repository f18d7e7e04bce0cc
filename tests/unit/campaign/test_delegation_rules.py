"""Delegation goes only to colleagues the directory knows and may review the item: never to an
outside address, an inactive account, the principal, or a member of the group under review."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.record_decision import DecisionRequest, record_decisions
from services.core.actor import Actor
from services.core.errors import UsageError
from tests.unit.campaign.webkit import colleague


def _delegate(site, task, to):  # type: ignore[no-untyped-def]
    actor = Actor(task.reviewer, "magic-link", link_token_id="lt-test")
    return record_decisions(site.deps, actor, DecisionRequest([task.task_id], "delegate", "she knows this", to))


def _tasks(site):  # type: ignore[no-untyped-def]
    with site.deps.sessions() as session:
        return list(session.scalars(select(m.ReviewTask).where(m.ReviewTask.campaign_id == site.campaign_id)))


def test_an_outside_address_is_refused_and_the_item_stays(site):  # type: ignore[no-untyped-def]
    task = next(t for t in _tasks(site) if "security" not in t.reviewer)
    with pytest.raises(UsageError, match="not in the directory") as refused:
        _delegate(site, task, "outsider@evil.example")
    assert refused.value.details["field"] == "delegate_to"
    assert not [e for e in site.deps.sink.journal if e.event_type == "decision.recorded"]


def test_an_inactive_account_is_refused(site):  # type: ignore[no-untyped-def]
    with site.deps.sessions() as session:
        inactive = [
            i.email.lower()
            for i in session.scalars(select(m.Identity).where(m.Identity.identity_type == "user"))
            if i.email and (i.status or "").upper() in ("DEPROVISIONED", "SUSPENDED", "DEACTIVATED")
        ]
    assert inactive, "the scenario has deactivated users"
    task = next(t for t in _tasks(site) if "security" not in t.reviewer and t.principal_label.lower() != inactive[0])
    with pytest.raises(UsageError, match="not active"):
        _delegate(site, task, inactive[0])


def test_the_principal_whose_access_it_is_is_refused(site):  # type: ignore[no-untyped-def]
    task = next(
        t for t in _tasks(site) if "security" not in t.reviewer and "@" in t.principal_label and t.item_kind != "group_membership"
    )
    with pytest.raises(UsageError, match="theirs or their group"):
        _delegate(site, task, json.loads(task.entitlement_json)["principal"]["email"].lower())


def test_a_member_of_the_group_under_review_is_refused(site):  # type: ignore[no-untyped-def]
    from services.campaign.queries import load_directory

    with site.deps.sessions() as session:
        directory = load_directory(session)
    for task in _tasks(site):
        principal = json.loads(task.entitlement_json)["principal"]
        if principal["type"] != "group" or "security" in task.reviewer:
            continue
        members = sorted(e for e in directory.group_member_emails(principal["id"]) if e != task.reviewer)
        active = [e for e in members if not directory.is_inactive(e)]
        if active:
            with pytest.raises(UsageError, match="theirs or their group"):
                _delegate(site, task, active[0])
            _delegate(site, task, colleague(site.deps, task))  # someone outside the group may take it
            return
    raise AssertionError("the scenario has no group grant with active members")
