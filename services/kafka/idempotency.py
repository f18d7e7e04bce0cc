"""Handler idempotency by event id: a redelivered event is recognised and skipped."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class ProcessedEvents(Protocol):
    def seen(self, event_id: str) -> bool: ...

    def mark(self, event_id: str) -> None: ...


class InMemoryProcessedEvents:
    """Bounded memory of recent event ids, for consumers whose effects are idempotent anyway."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str) -> bool:
        return event_id in self._ids

    def mark(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
