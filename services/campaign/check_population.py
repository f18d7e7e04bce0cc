"""Use case: re-derive a campaign's population from the event log alone (the auditor's IPE test).

Reads the ``campaign.launched`` event, replays the same deterministic selection over the
collection events the launch named, and compares count, SHA-256 and the reconciliation (what each filter removed) with what launch
recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.campaign.definition import CampaignDefinition
from services.campaign.population import population_from_events, reconciliation_steps
from services.core.errors import NotFoundError
from services.events.envelope import Event


@dataclass(frozen=True)
class PopulationCheck:
    campaign_id: str
    derived_hash: str
    derived_count: int
    recorded_hash: str
    recorded_count: int
    derived_steps: tuple[tuple[str, int], ...] = ()
    recorded_steps: tuple[tuple[str, int], ...] = ()  # empty for a launch recorded before reconciliations

    @property
    def matches(self) -> bool:
        same = (self.derived_hash, self.derived_count) == (self.recorded_hash, self.recorded_count)
        return same and (not self.recorded_steps or self.recorded_steps == self.derived_steps)


def check_population(source: Callable[[], Iterable[Event]], campaign_id: str) -> PopulationCheck:
    """``source`` is called twice (find the launch, then re-derive): give a re-iterable reader."""
    launched = next(
        (e for e in source() if e.event_type == "campaign.launched" and e.payload["campaign_id"] == campaign_id),
        None,
    )
    if launched is None:
        raise NotFoundError(f"no campaign.launched event for {campaign_id} in that log")
    definition = CampaignDefinition.from_json(launched.payload["definition_json"])
    counts: dict[str, int] = {}
    digest, count = population_from_events(source(), definition, launched.payload.get("scope_runs") or {}, counts)
    return PopulationCheck(
        campaign_id,
        digest,
        count,
        launched.payload["population_hash"],
        launched.payload["population_count"],
        tuple((s["step"], s["count"]) for s in reconciliation_steps(counts)),
        tuple((s["step"], s["count"]) for s in launched.payload.get("reconciliation") or []),
    )
