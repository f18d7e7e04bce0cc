"""The campaign population as a pure function of events.

Launch and the auditor's re-derivation (``campaign population ID --from-ledger``) both call
:func:`select_population` and :func:`population_digest`: the items are the entitlement records
observed by the chosen complete collection run of each scope, filtered by the definition, one per
key, sorted by key; the digest is SHA-256 over their canonical JSON, one line per item.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from services.campaign.definition import CampaignDefinition, ScopeFilter
from services.campaign.risk import has_flag
from services.events.envelope import Event


def normalize(value: Any) -> Any:
    """Decoded Avro to plain JSON values (timestamps as microseconds)."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1_000_000)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


# Entitlement fields added after its first release: absent (null) they are left out of the
# canonical form, so a population hashed before they existed re-derives to the same digest
LATER_OPTIONAL_FIELDS = ("managed_by",)


def normalize_entitlement(record: dict[str, Any]) -> dict[str, Any]:
    """Fast path of :func:`normalize` for an Entitlement record (its only timestamp is ``granted_at``)."""
    granted = record.get("granted_at")
    if isinstance(granted, datetime):
        record = {**record, "granted_at": int(granted.timestamp() * 1_000_000)}
    if any(name in record and record[name] is None for name in LATER_OPTIONAL_FIELDS):
        record = {k: v for k, v in record.items() if not (k in LATER_OPTIONAL_FIELDS and v is None)}
    return record


def canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _workspace_excluded(resource: Mapping[str, Any], patterns: list[str]) -> bool:
    names = [resource.get("workspace_id") or "", resource.get("workspace_name") or ""]
    return not any(fnmatch.fnmatchcase(n, pat) for n in names if n for pat in patterns)


# The definition's filters in the order they are applied, each (name, excludes(entitlement, scope)).
# The first that excludes an entitlement is the one the reconciliation counts it under.
FILTERS: tuple[tuple[str, Callable[[Mapping[str, Any], ScopeFilter], bool]], ...] = (
    ("inherited (include_inherited is off)", lambda e, s: bool(e.get("inherited")) and not s.include_inherited),
    (
        "through a group (include_via_group is off)",
        lambda e, s: not e.get("direct") and bool(e.get("via_groups")) and not s.include_via_group,
    ),
    ("not production (production_only)", lambda e, s: s.production_only and not e["resource"].get("production")),
    ("resource type (resource_types)", lambda e, s: bool(s.resource_types) and e["resource"]["type"] not in s.resource_types),
    (
        "privilege (privileges)",
        lambda e, s: bool(s.privileges) and e["privilege"].upper() not in {p.upper() for p in s.privileges},
    ),
    ("workspace (workspaces)", lambda e, s: bool(s.workspaces) and _workspace_excluded(e["resource"], s.workspaces)),
    (
        "risk (risk_filters)",
        lambda e, s: bool(s.risk_filters) and not any(has_flag(e, name) for name in s.risk_filters),
    ),
)
DUPLICATE = "seen in two scopes (the lowest scope name is kept)"


def exclusion(entitlement: Mapping[str, Any], scope: ScopeFilter) -> str | None:
    """The name of the first filter that leaves ``entitlement`` out, or None when it is in scope."""
    return next((name for name, excludes in FILTERS if excludes(entitlement, scope)), None)


def in_scope(entitlement: Mapping[str, Any], scope: ScopeFilter) -> bool:
    return exclusion(entitlement, scope) is None


def select_population(
    observed: Iterable[tuple[str, str, Mapping[str, Any]]],
    definition: CampaignDefinition,
    scope_runs: Mapping[str, str],
    reconciliation: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """``observed``: (run_id, scope, entitlement record). Keep those of each scope's chosen run.
    ``reconciliation``, when given, is filled with how many were collected in the chosen runs and
    how many each filter removed (see :func:`reconciliation_steps`)."""
    counts = reconciliation if reconciliation is not None else {}
    by_key: dict[str, tuple[str, dict[str, Any]]] = {}
    for run_id, scope, record in observed:
        if scope_runs.get(scope) != run_id:
            continue
        counts[COLLECTED] = counts.get(COLLECTED, 0) + 1
        reason = exclusion(record, definition.scope)
        if reason is not None:
            counts[reason] = counts.get(reason, 0) + 1
            continue
        key = record["key"]
        held = by_key.get(key)
        if held is not None:
            counts[DUPLICATE] = counts.get(DUPLICATE, 0) + 1
        if held is None or scope < held[0]:  # the same fact seen in two scopes: lowest scope name wins
            by_key[key] = (scope, dict(record))
    counts[POPULATION] = len(by_key)
    return [by_key[k][1] for k in sorted(by_key)]


COLLECTED = "collected in the chosen runs"
POPULATION = "population (one review item each)"


def reconciliation_steps(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """From collected to reviewed, in order: collected, what each filter removed (filters that
    removed nothing included, so the reader sees every rule was applied), duplicates, population.
    Collected minus the removals is the population."""
    steps = [(COLLECTED, counts.get(COLLECTED, 0))]
    steps += [(name, -counts.get(name, 0)) for name, _ in FILTERS]
    steps += [(DUPLICATE, -counts.get(DUPLICATE, 0)), (POPULATION, counts.get(POPULATION, 0))]
    return [{"step": name, "count": count} for name, count in steps]


def population_digest(items: Iterable[Mapping[str, Any]], texts: Mapping[tuple[str, str], str] | None = None) -> tuple[str, int]:
    """SHA-256 over one canonical JSON line per item. ``texts`` ((scope, key) -> canonical JSON) skips
    re-encoding records that are already stored canonically (the read model keeps them that way)."""
    digest = hashlib.sha256()
    count = 0
    for item in items:
        text = texts.get((item["scope"], item["key"])) if texts is not None else None
        digest.update((text if text is not None else canonical(item)).encode())
        digest.update(b"\n")
        count += 1
    return digest.hexdigest(), count


def observed_from_events(events: Iterable[Event]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for event in events:
        if event.event_type == "entitlement.observed":
            record = normalize_entitlement(event.payload["entitlement"])
            yield event.payload["run_id"], record["scope"], record


def population_from_events(
    events: Iterable[Event],
    campaign_definition: CampaignDefinition,
    collection_runs: Mapping[str, str],
    reconciliation: dict[str, int] | None = None,
) -> tuple[str, int]:
    """Re-derive (hash, count) of a campaign population from events alone (the auditor's test)."""
    observed = observed_from_events(events)
    return population_digest(select_population(observed, campaign_definition, collection_runs, reconciliation))
