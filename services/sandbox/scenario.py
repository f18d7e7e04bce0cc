"""The sandbox's scenario: ``build_state(scenario, seed)`` returns the same :class:`SandboxState`
for the same inputs — identities from :mod:`scenario_people`, then workspaces and Unity Catalog
from :mod:`scenario_resources`, from one random stream."""

from __future__ import annotations

import random

from services.sandbox.model import SandboxState
from services.sandbox.scenario_people import add_people, new_uuid, scenario_size
from services.sandbox.scenario_resources import add_resources


def build_state(scenario: str = "default", seed: int = 7) -> SandboxState:
    size = scenario_size(scenario)
    rng = random.Random(seed)
    state = SandboxState(account_id=new_uuid(rng), seed=seed, scenario=scenario)
    add_people(state, size, rng)
    add_resources(state, size, rng)
    return state
