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
from collections.abc import Iterable, Iterator, Mapping
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


def in_scope(entitlement: Mapping[str, Any], scope: ScopeFilter) -> bool:
    resource = entitlement["resource"]
    if entitlement.get("inherited") and not scope.include_inherited:
        return False
    if not entitlement.get("direct") and entitlement.get("via_groups") and not scope.include_via_group:
        return False
    if scope.production_only and not resource.get("production"):
        return False
    if scope.resource_types and resource["type"] not in scope.resource_types:
        return False
    if scope.privileges and entitlement["privilege"].upper() not in {p.upper() for p in scope.privileges}:
        return False
    if scope.workspaces:
        names = [resource.get("workspace_id") or "", resource.get("workspace_name") or ""]
        if not any(fnmatch.fnmatchcase(n, pat) for n in names if n for pat in scope.workspaces):
            return False
    return not scope.risk_filters or any(has_flag(entitlement, name) for name in scope.risk_filters)


def select_population(
    observed: Iterable[tuple[str, str, Mapping[str, Any]]],
    definition: CampaignDefinition,
    scope_runs: Mapping[str, str],
) -> list[dict[str, Any]]:
    """``observed``: (run_id, scope, entitlement record). Keep those of each scope's chosen run."""
    by_key: dict[str, tuple[str, dict[str, Any]]] = {}
    for run_id, scope, record in observed:
        if scope_runs.get(scope) != run_id or not in_scope(record, definition.scope):
            continue
        key = record["key"]
        held = by_key.get(key)
        if held is None or scope < held[0]:  # the same fact seen in two scopes: lowest scope name wins
            by_key[key] = (scope, dict(record))
    return [by_key[k][1] for k in sorted(by_key)]


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
    events: Iterable[Event], campaign_definition: CampaignDefinition, collection_runs: Mapping[str, str]
) -> tuple[str, int]:
    """Re-derive (hash, count) of a campaign population from events alone (the auditor's test)."""
    return population_digest(select_population(observed_from_events(events), campaign_definition, collection_runs))
