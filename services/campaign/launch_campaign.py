"""Launch: freeze the population from the newest complete collections, route every item, open.

Emits ``campaign.launched`` (definition, the run of each scope, population hash and count), one
``review_task.created`` per item (plus a security task for privileged items) and one
``notification.requested`` per reviewer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from services.campaign import models as m
from services.campaign.definition import CampaignDefinition
from services.campaign.deps import CampaignDeps
from services.campaign.directory import PeopleDirectory
from services.campaign.population import population_digest, reconciliation_steps, select_population
from services.campaign.queries import certified_keys, latest_complete_runs, load_adoptions, load_directory
from services.campaign.risk import is_privileged, recommended_action, risk_flags
from services.campaign.routing import ReviewerResolver, item_kind
from services.core.errors import ConflictError
from services.core.ids import new_ulid
from services.events.envelope import Event


@dataclass
class LaunchResult:
    campaign_id: str
    population_hash: str
    population_count: int
    tasks: int
    reviewers: int
    scope_runs: dict[str, str]


def workspace_admins(observed: list[dict[str, Any]], directory: PeopleDirectory) -> dict[str, list[str]]:
    """Admins per workspace id, from the admin entitlements in the frozen collections."""
    admins: dict[str, set[str]] = defaultdict(set)
    for record in observed:
        resource = record["resource"]
        if resource["type"] != "workspace" or "ADMIN" not in record["privilege"].upper():
            continue
        principal = record["principal"]
        if principal["type"] == "group":
            admins[resource["id"]] |= directory.group_member_emails(principal["id"]) or directory.group_member_emails(
                principal["name"]
            )
        else:
            email = directory.email_of(principal.get("email") or principal["name"])
            if email and not directory.is_inactive(email):
                admins[resource["id"]].add(email)
    return {ws: sorted(emails) for ws, emails in admins.items()}


def _load_observed(
    deps: CampaignDeps, scope_runs: dict[str, str]
) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, int | None], dict[tuple[str, str], str]]:
    observed: list[tuple[str, str, dict[str, Any]]] = []
    last_used: dict[str, int | None] = {}
    texts: dict[tuple[str, str], str] = {}
    with deps.sessions() as session:
        rows = session.execute(
            select(
                m.ObservedEntitlement.run_id,
                m.ObservedEntitlement.scope,
                m.ObservedEntitlement.record_json,
                m.ObservedEntitlement.last_used_at,
            ).where(m.ObservedEntitlement.run_id.in_(set(scope_runs.values())))
        )
        for run_id, scope, record_json, used in rows:
            if scope_runs.get(scope) != run_id:
                continue
            record = json.loads(record_json)
            observed.append((run_id, scope, record))
            last_used[record["key"]] = used
            texts[(scope, record["key"])] = record_json
    return observed, last_used, texts


@dataclass
class _Frozen:
    """Everything launch reads, taken at one moment."""

    scope_runs: dict[str, str]
    directory: PeopleDirectory
    adoptions: dict[str, str]
    certified: set[str] | None
    observed: list[tuple[str, str, dict[str, Any]]]
    last_used: dict[str, int | None]
    texts: dict[tuple[str, str], str]


def _freeze(deps: CampaignDeps, campaign_id: str, now_us: int) -> _Frozen:
    with deps.sessions() as session:
        if session.get(m.Campaign, campaign_id) is not None:
            raise ConflictError(f"campaign {campaign_id} already exists")
        scope_runs = latest_complete_runs(session)
        directory = load_directory(session)
        adoptions = load_adoptions(session)
        certified = certified_keys(session, now_us)
    if not scope_runs:
        raise ConflictError("no complete collection yet: run a collection before launching a campaign")
    observed, last_used, texts = _load_observed(deps, scope_runs)
    return _Frozen(scope_runs, directory, adoptions, certified, observed, last_used, texts)


def _task_events(
    deps: CampaignDeps,
    definition: CampaignDefinition,
    frozen: _Frozen,
    items: list[dict[str, Any]],
    launched: Event,
    due_us: int,
    now_us: int,
) -> tuple[list[Event], dict[str, list[str]]]:
    """One ``review_task.created`` per item (two for privileged items), routed and flagged."""
    campaign_id = launched.payload["campaign_id"]
    security = (definition.security_reviewer or deps.security_reviewer).lower()
    admins = workspace_admins([r for _, _, r in frozen.observed], frozen.directory)
    resolver = ReviewerResolver(frozen.directory, deps.approvers, security, frozen.adoptions, admins)
    events: list[Event] = []
    per_reviewer: dict[str, list[str]] = defaultdict(list)
    task_prefix = f"t-{campaign_id.removeprefix('c-')}-"
    for number, item in enumerate(items):
        principal = item["principal"]
        person = frozen.directory.find(principal.get("email")) or frozen.directory.find(principal["id"])
        last_used = frozen.last_used.get(item["key"])
        flags = risk_flags(item, person, last_used, now_us, frozen.certified)
        routings = [resolver.resolve(item)]
        if definition.second_level_for_privileged and is_privileged(item):
            routings.append(resolver.second_level())
        for level, routing in enumerate(routings, start=1):
            task_id = f"{task_prefix}{number:06d}-{level}"
            payload = {
                "task_id": task_id,
                "campaign_id": campaign_id,
                "item_kind": item_kind(item),
                "entitlement": item,
                "reviewer": routing.reviewer,
                "reviewer_level": level,
                "provenance": [s.as_record() for s in routing.steps],
                "risk_flags": flags,
                "recommended_action": recommended_action(flags),
                "due_at": due_us,
                "last_used_at": last_used,
            }
            events.append(
                deps.sink.new(
                    "review_task.created",
                    payload,
                    correlation_id=campaign_id,
                    subject_key=task_id,
                    causation_id=launched.event_id,
                )
            )
            per_reviewer[routing.reviewer].append(task_id)
    return events, per_reviewer


def launch_campaign(
    deps: CampaignDeps, definition: CampaignDefinition, launched_by: str, campaign_id: str | None = None
) -> LaunchResult:
    now_us = deps.clock.micros()
    campaign_id = campaign_id or f"c-{new_ulid()}"
    frozen = _freeze(deps, campaign_id, now_us)
    counts: dict[str, int] = {}
    items = select_population(frozen.observed, definition, frozen.scope_runs, counts)
    population_hash, count = population_digest(items, frozen.texts)
    due_us = int(definition.due_at(deps.clock.now()).timestamp() * 1_000_000)
    launched = deps.sink.new(
        "campaign.launched",
        {
            "campaign_id": campaign_id,
            "name": definition.name,
            "definition_json": definition.canonical_json(),
            "collection_runs": sorted(set(frozen.scope_runs.values())),
            "population_hash": population_hash,
            "population_count": count,
            "due_at": due_us,
            "launched_by": launched_by,
            "scope_runs": frozen.scope_runs,
            "reconciliation": reconciliation_steps(counts),
        },
        correlation_id=campaign_id,
        subject_key=campaign_id,
    )
    tasks, per_reviewer = _task_events(deps, definition, frozen, items, launched, due_us, now_us)
    invites = [
        invite(deps.sink, campaign_id, reviewer, task_ids, "review-invite", launched.event_id)
        for reviewer, task_ids in sorted(per_reviewer.items())
    ]
    deps.sink.emit([launched, *tasks, *invites])
    return LaunchResult(campaign_id, population_hash, count, len(tasks), len(per_reviewer), frozen.scope_runs)


def invite(sink: Any, campaign_id: str, reviewer: str, task_ids: list[str], template: str, causation_id: str | None) -> Event:
    """Ask the notifier to mail ``reviewer`` a review link (it mints the URL for ``link_token_id``)."""
    notification_id = f"n-{new_ulid()}"
    return sink.new(
        "notification.requested",
        {
            "notification_id": notification_id,
            "channel": "email",
            "recipient": reviewer,
            "template": template,
            "campaign_id": campaign_id,
            "task_ids": task_ids[:500],
            "link_token_id": f"lt-{new_ulid()}",
        },
        correlation_id=campaign_id,
        subject_key=reviewer,
        causation_id=causation_id,
    )
