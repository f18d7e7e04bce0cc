"""A clock tests advance by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.core.clock import Clock


class FixedClock(Clock):
    """A clock tests advance by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def micros(self) -> int:
        return int(self._now.timestamp() * 1_000_000)

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)
