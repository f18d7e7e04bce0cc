"""Counting attempts per key in fixed windows, in the service's database (so every replica of a
web service counts together): the link exchange is limited per address and per link, and its
failures are recorded as evidence once per window and again at 10, 100, 1000… attempts, never
once per attempt (a flood must not write itself into a seven-year ledger)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.core.errors import RateLimitedError
from services.db.models import ThrottleWindow


@dataclass(frozen=True)
class Limit:
    name: str  # what is limited, for the message
    window_s: int
    attempts: int


class Throttle:
    def __init__(self, db: sessionmaker[Session], clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def count(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one attempt on ``key``; returns (attempts in this window, seconds until it ends)."""
        now = int(self.clock())
        start = now - now % window_s
        for _ in range(5):  # two first attempts of a window at once: one inserts, the other updates
            with self.db.begin() as session:
                same = session.execute(
                    update(ThrottleWindow)
                    .where(ThrottleWindow.key == key, ThrottleWindow.window_start == start)
                    .values(count=ThrottleWindow.count + 1)
                    .returning(ThrottleWindow.count)
                ).scalar()
                if same is not None:
                    return int(same), start + window_s - now
                renewed = session.execute(
                    update(ThrottleWindow)
                    .where(ThrottleWindow.key == key, ThrottleWindow.window_start < start)
                    .values(window_start=start, count=1)
                )
                if renewed.rowcount:  # type: ignore[attr-defined]
                    return 1, start + window_s - now
            try:
                with self.db.begin() as session:
                    session.add(ThrottleWindow(key=key, window_start=start, count=1))
                return 1, start + window_s - now
            except IntegrityError:
                continue
        raise RateLimitedError("too many attempts at once: try again in a moment", retry_after_s=1)

    def current(self, key: str, window_s: int) -> int:
        """Attempts counted on ``key`` in the current window, without counting one."""
        now = int(self.clock())
        with self.db() as session:
            row = session.get(ThrottleWindow, key)
        return int(row.count) if row is not None and row.window_start == now - now % window_s else 0

    def refuse_past(self, key: str, limit: Limit) -> None:
        """Refuse (429) when ``key`` already used up ``limit`` in this window; counts nothing."""
        if self.current(key, limit.window_s) >= limit.attempts:
            now = int(self.clock())
            left = max(limit.window_s - now % limit.window_s, 1)
            raise RateLimitedError(f"too many sign-in attempts {limit.name}: try again in {left} seconds", retry_after_s=left)

    def check(self, key: str, limit: Limit) -> int:
        """Count the attempt; raise RateLimitedError (with Retry-After) past the limit."""
        attempts, left = self.count(key, limit.window_s)
        if attempts > limit.attempts:
            raise RateLimitedError(
                f"too many sign-in attempts {limit.name}: try again in {max(left, 1)} seconds", retry_after_s=max(left, 1)
            )
        return attempts


def worth_recording(attempts: int) -> bool:
    """The first failure of a window, then the 10th, 100th, 1000th…"""
    while attempts >= 10 and attempts % 10 == 0:
        attempts //= 10
    return attempts == 1
