"""Which workspaces reach which metastore: Unity Catalog calls go through any attached workspace,
round-robin, and move to another one when a workspace is unavailable."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TypeVar

from services.core.errors import UnavailableError

T = TypeVar("T")


class MetastoreRouter:
    """Which workspaces reach which metastore; picks one per Unity Catalog call."""

    def __init__(self, delay: Callable[[str], float] | None = None) -> None:
        self._delay = delay or (lambda where: 0.0)
        self._lock = threading.Lock()
        self._attached: dict[str, list[str]] = {}
        self._turn = itertools.count()

    def register(self, metastore_id: str, deployment: str) -> bool:
        """Attach a workspace; True for the first workspace seen for this metastore."""
        with self._lock:
            attached = self._attached.setdefault(metastore_id, [])
            attached.append(deployment)
            return len(attached) == 1

    def attached(self, metastore_id: str) -> list[str]:
        """The workspaces attached to the metastore so far, in the order they were seen."""
        with self._lock:
            return list(self._attached.get(metastore_id, []))

    def known(self) -> set[str]:
        with self._lock:
            return set(self._attached)

    def call(self, metastore_id: str, fn: Callable[[str], T], attempts: int = 3, among: list[str] | None = None) -> T:
        """``fn`` through one attached workspace, round-robin; ``among``: only these, in this order
        (an ISOLATED catalog's bound workspaces, the task's own host first)."""
        with self._lock:
            attached = list(self._attached.get(metastore_id, [])) if among is None else list(among)
            start = next(self._turn) if among is None else 0
        if not attached:
            raise UnavailableError(f"metastore {metastore_id}: no reachable workspace is attached")
        rotated = attached[start % len(attached) :] + attached[: start % len(attached)]
        if among is None:
            rotated.sort(key=lambda ws: self._delay(f"workspace {ws}"))  # stable: round-robin among idle ones
        last: UnavailableError | None = None
        for ws in rotated[:attempts]:
            try:
                return fn(ws)
            except UnavailableError as exc:
                last = exc
        assert last is not None
        raise last
