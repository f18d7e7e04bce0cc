"""Nothing is decided on facts the enforcer has not read yet: the revoked entitlement must be
among the collected facts (the collection the campaign reviewed put it there). Until the
collector's events are in, the revocation waits (``AR_ENFORCER_FACTS_WAIT_S``), so the
production-job guardrails never judge on an empty picture."""

from __future__ import annotations

from services.enforcer.guardrails import GuardInput, Verdict
from services.enforcer.models import Fact


def check(guard: GuardInput) -> Verdict | None:
    if guard.facts.session.get(Fact, guard.entitlement["key"]) is not None:
        return None
    return Verdict(
        "wait",
        "collected_first",
        "the collected facts do not have this entitlement yet (the collector's events are not all in): waiting for them",
        resume_at=guard.now_us + int(guard.settings.enforcer_facts_wait_s * 1e6),
    )
