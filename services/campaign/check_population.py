"""Use case: re-derive a campaign's population from the event log alone (the auditor's IPE test).

Reads the ``campaign.launched`` event, replays the same deterministic selection over the
collection events the launch named, and compares count and SHA-256 with what launch recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.campaign.definition import CampaignDefinition
from services.campaign.population import population_from_events
from services.core.errors import NotFoundError
from services.events.envelope import Event


@dataclass(frozen=True)
class PopulationCheck:
    campaign_id: str
    derived_hash: str
    derived_count: int
    recorded_hash: str
    recorded_count: int

    @property
    def matches(self) -> bool:
        return (self.derived_hash, self.derived_count) == (self.recorded_hash, self.recorded_count)


def check_population(source: Callable[[], Iterable[Event]], campaign_id: str) -> PopulationCheck:
    """``source`` is called twice (find the launch, then re-derive): give a re-iterable reader."""
    launched = next(
        (e for e in source() if e.event_type == "campaign.launched" and e.payload["campaign_id"] == campaign_id),
        None,
    )
    if launched is None:
        raise NotFoundError(f"no campaign.launched event for {campaign_id} in that log")
    definition = CampaignDefinition.from_json(launched.payload["definition_json"])
    digest, count = population_from_events(source(), definition, launched.payload.get("scope_runs") or {})
    return PopulationCheck(campaign_id, digest, count, launched.payload["population_hash"], launched.payload["population_count"])
