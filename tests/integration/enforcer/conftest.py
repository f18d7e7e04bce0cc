"""A sandbox per module, collected once into the broker so the enforcer knows the facts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.integration.sandbox.harness import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(scenario="small", seed=29) as sb:
        yield sb


def pick(
    truth: dict[str, dict[str, Any]], test: Callable[[dict[str, Any]], bool], taken: set[str] | None = None
) -> dict[str, Any]:
    """The first (by key) entitlement of the truth that passes ``test`` and is not taken."""
    for key in sorted(truth):
        record = truth[key]
        if test(record) and (taken is None or key not in taken):
            if taken is not None:
                taken.add(key)
            return record
    raise AssertionError("the scenario has no such entitlement")


def direct(record: dict[str, Any]) -> bool:
    return not record["via_groups"] and not record.get("inherited_from")
