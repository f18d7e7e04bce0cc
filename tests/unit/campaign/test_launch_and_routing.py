"""Launch over the generated scenario: every item routed with provenance, never to oneself."""

from __future__ import annotations

import json

from sqlalchemy import select

from services.campaign import models as m
from services.campaign.check_population import check_population
from services.campaign.definition import CampaignDefinition, ScopeFilter
from services.campaign.launch_campaign import launch_campaign
from services.campaign.metadata_gaps import metadata_gaps
from services.campaign.population import COLLECTED, FILTERS, POPULATION, population_from_events
from services.campaign.queries import load_directory
from services.campaign.routing import STEPS


def _tasks(deps, campaign_id):  # type: ignore[no-untyped-def]
    with deps.sessions() as session:
        return list(session.scalars(select(m.ReviewTask).where(m.ReviewTask.campaign_id == campaign_id)))


def test_every_item_is_assigned_and_nobody_reviews_their_own_access(deps, scenario):  # type: ignore[no-untyped-def]
    result = launch_campaign(deps, CampaignDefinition(name="Q3"), "admin@corp.example")
    tasks = _tasks(deps, result.campaign_id)
    level1 = [t for t in tasks if t.reviewer_level == 1]
    assert result.population_count == len(scenario.entitlements) == len(level1)
    with deps.sessions() as session:
        directory = load_directory(session)
    for task in tasks:
        assert task.reviewer, task.task_id
        steps = json.loads(task.provenance_json)
        assert [s["outcome"] for s in steps].count("assigned") == 1
        assert steps[-1]["outcome"] == "assigned"
        ent = json.loads(task.entitlement_json)
        principal = ent["principal"]
        assert task.reviewer != (principal.get("email") or "").lower()
        if principal["type"] == "group":
            assert task.reviewer not in directory.group_member_emails(principal["id"])
    routed = {t.routed_by for t in level1}
    assert routed <= set(STEPS) and "explicit_approver" in routed and "resource_owner" in routed


def test_groups_without_approver_are_routed_by_fallback_and_reported(deps, scenario):  # type: ignore[no-untyped-def]
    result = launch_campaign(deps, CampaignDefinition(name="Q3"), "admin@corp.example")
    tasks = _tasks(deps, result.campaign_id)
    unowned_memberships = [
        t
        for t in tasks
        if t.item_kind == "group_membership" and json.loads(t.entitlement_json)["resource"]["id"] in scenario.unowned_groups
    ]
    assert unowned_memberships
    assert all(t.routed_by != "explicit_approver" for t in unowned_memberships)
    assert all(t.reviewer for t in unowned_memberships)
    with deps.sessions() as session:
        report = metadata_gaps(session, result.campaign_id)
    gap_subjects = {g.subject for g in report.gaps}
    for group_id in scenario.unowned_groups:
        assert f"group grp-{group_id[1:]}" in gap_subjects
    assert 0 < report.share_automatic <= 1 and abs(sum(report.by_step.values()) - report.tasks) == 0


def test_privileged_items_get_a_second_level_security_review(deps, scenario):  # type: ignore[no-untyped-def]
    result = launch_campaign(deps, CampaignDefinition(name="Q3"), "admin@corp.example")
    tasks = _tasks(deps, result.campaign_id)
    privileged = {t.entitlement_key for t in tasks if "privileged" in t.risk_flags.split()}
    second = {t.entitlement_key: t for t in tasks if t.reviewer_level == 2}
    assert privileged and set(second) == privileged
    assert all(t.reviewer == "security-review@corp.example" for t in second.values())


def test_risk_flags_mark_deactivated_users_for_revoke(deps, scenario):  # type: ignore[no-untyped-def]
    result = launch_campaign(deps, CampaignDefinition(name="Q3"), "admin@corp.example")
    tasks = _tasks(deps, result.campaign_id)
    deactivated = {u["email"] for u in scenario.users if u["status"] != "ACTIVE"}
    flagged = [t for t in tasks if t.principal_label in deactivated]
    assert flagged and all("deactivated" in t.risk_flags.split() and t.recommended_action == "revoke" for t in flagged)
    assert any("dormant_unknown" in t.risk_flags.split() for t in tasks)
    assert any("contractor" in t.risk_flags.split() for t in tasks)


def test_population_hash_is_re_derived_from_events_alone(deps, scenario, codec):  # type: ignore[no-untyped-def]
    definition = CampaignDefinition(name="prod", scope=ScopeFilter(production_only=True))
    result = launch_campaign(deps, definition, "admin@corp.example")
    launched = next(e for e in deps.sink.journal if e.event_type == "campaign.launched")
    recorded_definition = CampaignDefinition.from_json(launched.payload["definition_json"])
    decoded = (codec.decode(codec.encode(e)) for e in deps.sink.journal)  # as the ledger stores them
    digest, count = population_from_events(decoded, recorded_definition, launched.payload["scope_runs"])
    assert (
        (digest, count)
        == (result.population_hash, result.population_count)
        == (launched.payload["population_hash"], launched.payload["population_count"])
    )
    assert 0 < count < len(scenario.entitlements)


def test_the_launch_reconciles_collected_entitlements_to_the_population(deps, scenario, codec):  # type: ignore[no-untyped-def]
    """The auditor's reconciliation: collected in the chosen runs, minus what each filter removed,
    minus duplicates across scopes, is the population; the auditor's re-derivation agrees."""
    definition = CampaignDefinition(name="prod", scope=ScopeFilter(production_only=True, resource_types=["job", "cluster"]))
    result = launch_campaign(deps, definition, "admin@corp.example")
    launched = next(e for e in deps.sink.journal if e.event_type == "campaign.launched")
    steps = {s["step"]: s["count"] for s in launched.payload["reconciliation"]}
    collected, population = steps.pop(COLLECTED), steps.pop(POPULATION)
    assert population == result.population_count
    assert collected > population
    assert collected + sum(steps.values()) == population, steps
    assert steps["not production (production_only)"] < 0 and steps["resource type (resource_types)"] < 0
    assert steps["privilege (privileges)"] == 0  # not filtered on, shown as applied with nothing removed
    assert [s["step"] for s in launched.payload["reconciliation"]][1:-2] == [name for name, _ in FILTERS]

    journal = [codec.decode(codec.encode(e)) for e in deps.sink.journal]  # as the ledger stores them
    check = check_population(lambda: iter(journal), result.campaign_id)
    assert check.matches and check.recorded_steps == check.derived_steps


def test_a_reconciliation_that_does_not_add_up_to_the_events_fails_the_check(deps, scenario, codec):  # type: ignore[no-untyped-def]
    result = launch_campaign(deps, CampaignDefinition(name="prod", scope=ScopeFilter(production_only=True)), "admin@corp.example")
    journal = [codec.decode(codec.encode(e)) for e in deps.sink.journal]
    launched = next(e for e in journal if e.event_type == "campaign.launched")
    steps = launched.payload["reconciliation"]
    steps[0] = {**steps[0], "count": steps[0]["count"] + 5}  # claims five more were collected than the runs hold
    check = check_population(lambda: iter(journal), result.campaign_id)
    assert (check.derived_hash, check.derived_count) == (check.recorded_hash, check.recorded_count)
    assert not check.matches
