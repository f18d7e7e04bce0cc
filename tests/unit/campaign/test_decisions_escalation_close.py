"""Decisions (rules, changes, delegate, bulk), escalation with a controlled clock, close defaults."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.campaign import models as m
from services.campaign.close_campaign import close_campaign
from services.campaign.definition import CampaignDefinition, EscalationPolicy
from services.campaign.escalate_overdue import escalate_overdue
from services.campaign.launch_campaign import launch_campaign
from services.campaign.record_decision import DecisionRequest, record_decisions
from services.core.actor import Actor
from services.core.errors import ConflictError, NotFoundError, UsageError
from tests.unit.campaign.webkit import colleague


def _launch(deps, **kw):  # type: ignore[no-untyped-def]
    return launch_campaign(deps, CampaignDefinition(name="Q3", **kw), "admin@corp.example").campaign_id


def _tasks(deps, cid, **where):  # type: ignore[no-untyped-def]
    with deps.sessions() as session:
        query = select(m.ReviewTask).where(m.ReviewTask.campaign_id == cid)
        for k, v in where.items():
            query = query.where(getattr(m.ReviewTask, k) == v)
        return list(session.scalars(query.order_by(m.ReviewTask.task_id)))


def _reviewer(deps, cid, flag=None, without=None):  # type: ignore[no-untyped-def]
    for task in _tasks(deps, cid, reviewer_level=1):
        flags = task.risk_flags.split()
        if (flag is None or flag in flags) and (without is None or without not in flags) and "security" not in task.reviewer:
            return task
    raise AssertionError("no such task")


def _actor(email):  # type: ignore[no-untyped-def]
    return Actor(email, "magic-link", link_token_id="lt-test", ip="10.0.0.1", user_agent="pytest")


def test_justification_rules_and_changes_until_close(deps, scenario):  # type: ignore[no-untyped-def]
    cid = _launch(deps)
    risky = _reviewer(deps, cid, flag="privileged")
    me = _actor(risky.reviewer)
    with pytest.raises(UsageError, match="justification"):
        record_decisions(deps, me, DecisionRequest([risky.task_id], "approve"))
    with pytest.raises(UsageError, match="justification"):
        record_decisions(deps, me, DecisionRequest([risky.task_id], "revoke"))
    first = record_decisions(deps, me, DecisionRequest([risky.task_id], "approve", "needed for on-call"))[0]
    second = record_decisions(deps, me, DecisionRequest([risky.task_id], "revoke", "on-call rota changed"))[0]
    with deps.sessions() as session:
        task = session.get(m.ReviewTask, risky.task_id)
        history = list(session.scalars(select(m.Decision).where(m.Decision.task_id == risky.task_id)))
    assert task.decision == "revoke" and task.decision_id == second
    assert {d.decision_id: d.supersedes for d in history} == {first: None, second: first}
    event = deps.sink.journal[-1].payload
    assert (event["auth_method"], event["link_token_id"], event["ip"], event["user_agent"]) == (
        "magic-link",
        "lt-test",
        "10.0.0.1",
        "pytest",
    )
    close_campaign(deps, cid, _actor("admin@corp.example"))
    with pytest.raises(ConflictError):
        record_decisions(deps, me, DecisionRequest([risky.task_id], "approve", "again"))


def test_delegate_moves_the_item_and_bulk_shares_one_bulk_id(deps, scenario):  # type: ignore[no-untyped-def]
    cid = _launch(deps)
    low = [
        t
        for t in _tasks(deps, cid)
        if not {"privileged", "deactivated", "orphaned"} & set(t.risk_flags.split()) and "security" not in t.reviewer
    ]
    busiest = max({t.reviewer for t in low}, key=lambda r: (sum(t.reviewer == r for t in low), r))
    task = next(t for t in low if t.reviewer == busiest)
    me = _actor(task.reviewer)
    other = colleague(deps, task)
    with pytest.raises(UsageError, match="reason"):
        record_decisions(deps, me, DecisionRequest([task.task_id], "delegate", delegate_to=other))
    record_decisions(deps, me, DecisionRequest([task.task_id], "delegate", "knows this job", other))
    moved = _tasks(deps, cid, task_id=task.task_id)[0]
    assert moved.reviewer == other and moved.decision is None
    with pytest.raises(NotFoundError):  # no longer mine
        record_decisions(deps, me, DecisionRequest([task.task_id], "approve"))
    mine = [
        t
        for t in _tasks(deps, cid, reviewer=task.reviewer)
        if not {"privileged", "deactivated", "orphaned"} & set(t.risk_flags.split())
    ]
    assert len(mine) >= 2
    ids = record_decisions(deps, me, DecisionRequest([t.task_id for t in mine], "approve"))
    bulk_ids = {
        e.payload["bulk_id"] for e in deps.sink.journal if e.event_type == "decision.recorded" and e.payload["decision_id"] in ids
    }
    assert len(ids) == len(mine) and len(bulk_ids) == 1 and None not in bulk_ids


def test_overdue_items_go_to_the_manager_then_security(deps, scenario, clock):  # type: ignore[no-untyped-def]
    cid = _launch(deps, due_days=10, escalation=EscalationPolicy(to_manager_after_days=1, to_security_after_days=4))
    assert escalate_overdue(deps) == 0
    clock.advance(days=10, hours=1)  # due, not yet past the first step
    assert escalate_overdue(deps) == 0
    clock.advance(days=1)
    first = escalate_overdue(deps)
    assert first > 0
    escalated = [t for t in _tasks(deps, cid) if t.escalation_level == 1]
    by_manager = {e.payload["task_id"]: e.payload for e in deps.sink.journal if e.event_type == "review_task.escalated"}
    for task in escalated:
        event = by_manager[task.task_id]
        reviewer = next(u for u in scenario.users if u["email"] == event["from_reviewer"])
        assert event["to_reviewer"] == reviewer["manager_email"] == task.reviewer
    assert escalate_overdue(deps) == 0  # nothing more until day 4 past due
    clock.advance(days=3)
    escalate_overdue(deps)
    undecided = [t for t in _tasks(deps, cid) if t.decision is None]
    assert undecided and all(t.reviewer == "security-review@corp.example" for t in undecided)


@pytest.mark.parametrize("default", ["revoke", "keep-and-flag"])
def test_close_applies_the_non_response_default_and_requests_revocations(deps, scenario, default):  # type: ignore[no-untyped-def]
    cid = _launch(deps, non_response=default)
    task = _reviewer(deps, cid, without="privileged")
    record_decisions(deps, _actor(task.reviewer), DecisionRequest([task.task_id], "revoke", "not needed"))
    figures = close_campaign(deps, cid, _actor("admin@corp.example"))
    tasks = _tasks(deps, cid)
    revocations = [e.payload for e in deps.sink.journal if e.event_type == "revocation.requested"]
    revoked_keys = {t.entitlement_key for t in tasks if t.decision == "revoke"}
    assert len(revocations) == len(revoked_keys) == figures["revocations_requested"]
    assert {r["entitlement"]["key"] for r in revocations} == revoked_keys
    mine = next(r for r in revocations if r["task_id"] == task.task_id)
    assert mine["reason"] == "not needed" and mine["requested_by"] == task.reviewer
    assert figures["non_response"] == len(tasks) - 1
    if default == "revoke":
        assert all(t.decision == "revoke" for t in tasks)
    else:
        assert revoked_keys == {task.entitlement_key}
        assert all(t.decision == "abstain" for t in tasks if t.task_id != task.task_id)
    closed = [e for e in deps.sink.journal if e.event_type == "campaign.closed"]
    assert len(closed) == 1 and closed[0].payload["figures"] == figures
    with pytest.raises(ConflictError):
        close_campaign(deps, cid, _actor("admin@corp.example"))


def test_projection_keeps_the_newest_reassignment_whatever_the_arrival_order(deps, scenario, clock):  # type: ignore[no-untyped-def]
    from services.campaign.projector import PROJECTOR, project_events

    cid = _launch(deps, due_days=1, escalation=EscalationPolicy(to_manager_after_days=0, to_security_after_days=9))
    clock.advance(days=1, hours=1)
    escalate_overdue(deps)
    task = next(t for t in _tasks(deps, cid) if t.escalation_level == 1 and "privileged" not in t.risk_flags)
    clock.advance(hours=1)
    deputy = colleague(deps, task)
    record_decisions(deps, _actor(task.reviewer), DecisionRequest([task.task_id], "delegate", "on leave", deputy))
    assert _tasks(deps, cid, task_id=task.task_id)[0].reviewer == deputy
    journal = list(deps.sink.journal)
    late = [e for e in journal if e.event_type == "review_task.escalated"]
    reordered = [e for e in journal if e.event_type != "review_task.escalated"] + late  # escalations arrive last
    with deps.sessions.begin() as session:
        PROJECTOR.reset(session)
    with deps.sessions.begin() as session:
        project_events(reordered, session)
    assert _tasks(deps, cid, task_id=task.task_id)[0].reviewer == deputy
