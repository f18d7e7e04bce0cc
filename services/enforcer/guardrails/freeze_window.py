"""Freeze windows (``AR_ENFORCER_FREEZE_WINDOWS``, e.g. quarter close): nothing is enforced inside
one; held revocations go ahead when it ends."""

from __future__ import annotations

from datetime import datetime

from services.core.errors import ConfigError
from services.enforcer.guardrails import GuardInput, Verdict


def windows(specs: list[str]) -> list[tuple[int, int]]:
    out = []
    for spec in specs:
        start, sep, end = spec.partition("/")
        try:
            a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
        except ValueError:
            a = b = None  # type: ignore[assignment]
        if not sep or a is None or b is None or a.tzinfo is None or b.tzinfo is None or b <= a:
            raise ConfigError(f"AR_ENFORCER_FREEZE_WINDOWS: {spec!r} is not START/END, two ISO-8601 instants with a zone")
        out.append((int(a.timestamp() * 1_000_000), int(b.timestamp() * 1_000_000)))
    return out


def check(guard: GuardInput) -> Verdict | None:
    for start, end in windows(guard.settings.enforcer_freeze_windows):
        if start <= guard.now_us < end:
            return Verdict(
                "freeze",
                "freeze_window",
                f"freeze window until {datetime.fromtimestamp(end / 1e6).astimezone().isoformat()}: held until it ends",
                resume_at=end,
            )
    return None
