"""Throttling the review-link exchange, and recording its failures without flooding the ledger.

An address that failed ``per_address`` times in a minute is refused (429, Retry-After) before its
token is even read; a link exchanged ``per_link`` times in five minutes is refused whoever sends it.
Failures (forged, expired, replayed, throttled) are evidence: each kind is recorded once per
address (and link) per ten minutes, again at the 10th, 100th, 1000th… attempt with the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.campaign.state_events import link_opened
from services.web.links import LinkClaims
from services.web.throttle import Limit, Throttle, worth_recording

FAILURE_WINDOW_S = 600


@dataclass
class LinkGuard:
    throttle: Throttle
    sink: Any
    per_address: Limit
    per_link: Limit

    @classmethod
    def build(cls, throttle: Throttle, sink: Any, per_minute: int, per_link: int) -> LinkGuard:
        return cls(
            throttle,
            sink,
            Limit("from this address", 60, per_minute),
            Limit("with this link", 300, per_link),
        )

    def before_reading(self, ip: str | None) -> None:
        """Refuse an address that already failed too often this minute (counts nothing)."""
        self.throttle.refuse_past(f"exchange-fail-ip:{ip}", self.per_address)

    def link_read(self, claims: LinkClaims) -> None:
        """Count an exchange of this link; refuse past the per-link limit."""
        self.throttle.check(f"exchange-link:{claims.token_id}", self.per_link)

    def failed(self, claims: LinkClaims | None, outcome: str, ip: str | None, user_agent: str | None) -> None:
        if outcome != "throttled":
            self.throttle.count(f"exchange-fail-ip:{ip}", self.per_address.window_s)
        token_id = claims.token_id if claims else "-"
        attempts, _ = self.throttle.count(f"exchange-failed:{ip}:{outcome}:{token_id}", FAILURE_WINDOW_S)
        if worth_recording(attempts):
            self.sink.emit([link_opened(self.sink, claims, outcome, ip, user_agent, attempts=attempts)])

    def accepted(self, claims: LinkClaims, ip: str | None, user_agent: str | None) -> None:
        self.sink.emit([link_opened(self.sink, claims, "accepted", ip, user_agent)])
